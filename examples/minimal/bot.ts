// An echo bot: prints the QR in the terminal and answers every text with the same text.
// `npm start` uses real WhatsApp; `npm run demo` (or WAFLEET_DEMO=1) runs the same Baileys path against
// the loopback WhatsApp simulator of wafleet/testing, where a simulated phone scans and a friend writes.
import { createMemoryStorage, renderQrTerminal, SessionManager } from 'wafleet'
import { createSqliteStorage } from 'wafleet/storage/sqlite'
import { startWhatsAppSimulator } from 'wafleet/testing'

const sim = process.argv.includes('--demo') || process.env.WAFLEET_DEMO === '1' ? await startWhatsAppSimulator() : null
sim?.trust() // demo only: Baileys in this process accepts the simulator as WhatsApp (logs a warning)
const storage = sim ? createMemoryStorage() : createSqliteStorage({ filename: 'echo-bot.db' }) // paired once, restored after restarts
const manager = new SessionManager({ storage, ...(sim ? { baileys: { waWebSocketUrl: sim.url } } : {}) })
await manager.start()

const bot = manager.get('echo') ?? (await manager.create({ id: 'echo', name: 'echo' }))
bot.on('session.qr', async ({ qr }) => console.log(`Scan with WhatsApp > Linked devices:\n${await renderQrTerminal(qr)}`))
bot.on('session.status', ({ status }) => console.log(`status: ${status}`))
bot.on('messages.upsert', async ({ type, messages }) => {
  for (const m of messages) {
    const text = m.message?.conversation ?? m.message?.extendedTextMessage?.text
    if (type !== 'notify' || m.key.fromMe || !text || !m.key.remoteJid) continue
    await bot.sendText(m.key.remoteJid, text)
    console.log(`echoed to ${m.key.remoteJid}: ${text}`)
  }
})
await bot.connect()
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void manager.stop().then(() => sim?.close()).then(() => process.exit(0)))

if (sim) {
  // Demo: the phone scans the QR, then a friend writes.
  await bot.waitFor('qr')
  await sim.scanQr(bot.qr!.value, { phone: '5511999990000' })
  await bot.waitFor('connected')
  const friend = sim.contact('5511988887777')
  await friend.sendText('5511999990000', 'hello, bot')
  console.log(`the friend's phone decrypted: ${(await friend.waitForMessage()).text}`)
}

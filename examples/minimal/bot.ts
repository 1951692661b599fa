// An echo bot: prints the QR in the terminal and answers every text with the same text.
// `npm start` uses real WhatsApp; `npm run demo` (or WAFLEET_DEMO=1) plays WhatsApp with the mock.
import { createMemoryStorage, renderQrTerminal, SessionManager } from 'wafleet'
import { createSqliteStorage } from 'wafleet/storage/sqlite'
import { createMockSocketFactory } from 'wafleet/testing'

const mock = process.argv.includes('--demo') || process.env.WAFLEET_DEMO === '1' ? createMockSocketFactory() : null
const storage = mock ? createMemoryStorage() : createSqliteStorage({ filename: 'echo-bot.db' }) // paired once, restored after restarts
const manager = new SessionManager({ storage, ...(mock ? { socketFactory: mock.factory } : {}) })
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

if (mock) {
  // Demo: the phone scans the QR, then a friend writes.
  await bot.waitFor('qr')
  mock.scan(bot.id, { phoneNumber: '5511999990000' })
  await bot.waitFor('connected')
  mock.receiveText(bot.id, { from: '5511988887777', text: 'hello, bot' })
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void manager.stop().then(() => process.exit(0)))

import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { spawnTs } from '../../express/test/process.js'

const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))

describe('examples/minimal (the echo bot) in demo mode', () => {
  it('prints the QR in the terminal, gets scanned on the simulator, echoes a message the friend decrypts, and stops with exit 0', async () => {
    const bot = spawnTs('bot.ts', { cwd: EXAMPLE_DIR, args: ['--demo'] })
    await bot.waitFor(/Scan with WhatsApp/)
    // The terminal QR: rows of block characters.
    expect(bot.output()).toMatch(/[▀▄█]{10,}/)
    await bot.waitFor(/status: connected/)
    await bot.waitFor(/echoed to 5511988887777@s\.whatsapp\.net: hello, bot/)
    await bot.waitFor(/the friend's phone decrypted: hello, bot/)
    bot.child.kill('SIGINT')
    expect(await bot.exited()).toBe(0)
  })
})

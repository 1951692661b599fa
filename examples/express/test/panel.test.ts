import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from './helpers.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Screenshots are the artifacts of this test, at the repository root like every other test result.
const SHOTS = fileURLToPath(new URL('../../../test-results/panel/', import.meta.url))

// Without a browser the test fails in CI (which installs one) and is skipped with a loud line locally.
const run = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip
if (!existsSync(CHROMIUM) && !process.env.CI) console.warn(`\n!!! SKIPPING the panel browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium)\n`)

run('the web panel in headless Chromium (demo mode)', () => {
  let gw: TestGateway
  let browser: Browser
  let page: Page
  const offsite: string[] = []
  const consoleErrors: string[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    gw = await startTestGateway()
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
    page.on('request', (request) => {
      const url = request.url()
      if (!url.startsWith(gw.url) && !url.startsWith('data:')) offsite.push(url)
    })
    page.on('console', (message) => {
      // The wrong key tried on purpose below is the one failed request expected.
      if (message.type() === 'error' && !message.text().includes('status of 401')) consoleErrors.push(message.text())
    })
  })
  afterAll(async () => {
    await browser?.close()
    await gw?.close()
  })

  it('signs in, creates a session, shows its QR, connects after a simulated scan, sends and counts messages', async () => {
    await page.goto(gw.url)
    await page.locator('#login').waitFor()
    await page.fill('#key-input', 'wrong-key-wrong-key')
    await page.click('#login-form button[type="submit"]')
    await expect.poll(() => page.textContent('#login-error')).toContain('refused')

    await page.fill('#key-input', gw.config.adminKey!)
    await page.click('#login-form button[type="submit"]')
    await page.locator('#dashboard').waitFor()
    expect(await page.isVisible('#demo-badge')).toBe(true)
    await page.locator('#live.on').waitFor()

    await page.fill('#create-name', 'Shop <script>alert(1)</script>')
    await page.click('#create-form button[type="submit"]')
    const card = page.locator('.card').first()
    await card.waitFor()
    // Names are shown as text, never parsed as HTML.
    expect(await card.locator('.name').textContent()).toBe('Shop <script>alert(1)</script>')
    expect(await card.locator('.status').textContent()).toBe('Stopped')
    expect(await page.textContent('#notice')).toMatch(/token \(shown only now\): wfs_/)

    await card.locator('[data-action="connect"]').click()
    const dialog = page.locator('#connect-dialog')
    await dialog.waitFor()
    const qr = page.locator('#qr-image')
    await qr.waitFor({ state: 'visible' })
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/)
    // The QR really decodes as an image of a sensible size.
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth >= 100)).toBe(true)
    await expect.poll(() => page.textContent('#qr-countdown')).toMatch(/^Expires in (5\d|60) s$/)
    await expect.poll(() => card.locator('.status').textContent()).toBe('Waiting for scan')
    await page.screenshot({ path: `${SHOTS}1-qr.png` })

    await page.click('#simulate-scan')
    await expect.poll(() => card.locator('.status').textContent(), { timeout: 5_000 }).toBe('Connected')
    await expect.poll(() => dialog.isVisible(), { timeout: 5_000 }).toBe(false)
    await expect.poll(() => card.locator('.phone').textContent()).toMatch(/^\+55119\d{8}$/)
    await expect.poll(() => card.locator('.since').textContent()).toMatch(/^Connected since /)
    // The simulated phone synced its chats (3 people, 1 group) in the first history; the counts
    // arrive on the event stream (people only count as contacts).
    await expect.poll(() => card.locator('[data-stat="contacts"]').textContent(), { timeout: 5_000 }).toBe('3')
    expect(await card.locator('[data-stat="groups"]').textContent()).toBe('1')

    await card.locator('.send input[name="to"]').fill('+55 11 90000-0001')
    await card.locator('.send input[name="text"]').fill('Hello from the panel')
    await card.locator('.send button').click()
    await expect.poll(() => card.locator('[data-stat="messagesSent"]').textContent()).toBe('1')
    // The simulated contact answers; the received count follows live.
    await expect.poll(() => card.locator('[data-stat="messagesReceived"]').textContent(), { timeout: 5_000 }).toBe('1')
    await page.screenshot({ path: `${SHOTS}2-connected.png` })

    const id = (await card.getAttribute('data-id'))!
    const stats = (await gw.admin.get(`/sessions/${id}`)).body.stats
    expect(stats).toMatchObject({ messagesSent: 1, messagesReceived: 1 })
  })

  it('asks for confirmation before disconnecting, logging out and deleting', async () => {
    const card = page.locator('.card').first()
    const id = (await card.getAttribute('data-id'))!

    await card.locator('[data-action="disconnect"]').click()
    await page.locator('#confirm-dialog').waitFor()
    expect(await page.textContent('#confirm-text')).toContain('Disconnect')
    await page.click('#confirm-dialog button[value="cancel"]')
    expect(gw.gateway.manager.get(id)?.status).toBe('connected')

    await card.locator('[data-action="disconnect"]').click()
    await page.click('#confirm-ok')
    await expect.poll(() => card.locator('.status').textContent()).toBe('Stopped')

    await card.locator('[data-action="logout"]').click()
    await page.click('#confirm-ok')
    await expect.poll(() => card.locator('.status').textContent()).toBe('Logged out')

    await card.locator('[data-action="delete"]').click()
    expect(await page.textContent('#confirm-text')).toContain('cannot be undone')
    await page.click('#confirm-ok')
    await expect.poll(() => page.locator('.card').count()).toBe(0)
    expect(gw.gateway.manager.get(id)).toBeUndefined()
  })

  it('follows changes made elsewhere live, and fits a phone-sized screen', async () => {
    await page.setViewportSize({ width: 375, height: 740 })
    const { id } = await gw.createSession(gw.admin, { name: 'From the API' })
    const card = page.locator(`.card[data-id="${id}"]`)
    await card.waitFor({ timeout: 5_000 })
    await gw.admin.post(`/sessions/${id}/connect`)
    await expect.poll(() => card.locator('.status').textContent()).toBe('Waiting for scan')
    await gw.admin.post(`/demo/sessions/${id}/scan`)
    await expect.poll(() => card.locator('.status').textContent()).toBe('Connected')

    // Nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await card.locator('[data-action="connect"]').isHidden()
    await page.screenshot({ path: `${SHOTS}3-phone.png`, fullPage: true })

    // The pairing-code tab, on the phone-sized screen.
    const second = await gw.createSession(gw.admin, { name: 'By code' })
    const secondCard = page.locator(`.card[data-id="${second.id}"]`)
    await secondCard.waitFor()
    await secondCard.locator('[data-action="connect"]').click()
    await page.click('#connect-dialog [data-tab="pair"]')
    await page.fill('#pair-phone', '+55 11 98888-7777')
    await page.click('#pair-form button[type="submit"]')
    await expect.poll(() => page.textContent('#pair-code')).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/)
    await page.screenshot({ path: `${SHOTS}4-pairing-code.png` })
    await page.click('#simulate-scan')
    await expect.poll(() => secondCard.locator('.status').textContent()).toBe('Connected')
  })

  it('loaded nothing from other hosts and logged no errors', () => {
    expect(offsite).toEqual([])
    expect(consoleErrors).toEqual([])
  })
})

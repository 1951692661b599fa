// The gateway's web panel: plain JavaScript, no framework, nothing loaded from elsewhere.
// Data from the API is only ever set as text (never as HTML): session names come from API users.
/* global sessionStorage, CSS, TextDecoderStream, AbortController */
'use strict'

const KEY_STORAGE = 'wafleet.key'
const STATUS_LABELS = {
  stopped: 'Stopped',
  starting: 'Starting',
  qr: 'Waiting for scan',
  pairing: 'Waiting for code',
  connected: 'Connected',
  reconnecting: 'Reconnecting',
  logged_out: 'Logged out',
  failed: 'Failed',
}
const RUNNING = ['starting', 'qr', 'pairing', 'connected', 'reconnecting']

const $ = (id) => document.getElementById(id)
const state = { key: null, demo: false, sessions: new Map(), stream: null, modal: null }

// ------------------------------------------------------------------ API

class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`)
    this.status = status
    this.code = body && body.code
  }
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { 'X-API-Key': state.key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const data = response.headers.get('content-type')?.includes('json') ? await response.json() : null
  if (!response.ok) {
    if (response.status === 401) signOut('The key was refused: enter it again.')
    throw new ApiFailure(response.status, data)
  }
  return data
}

function notify(text, isError = false) {
  const notice = $('notice')
  notice.textContent = text
  notice.classList.toggle('error', isError)
  notice.hidden = !text
}

// ------------------------------------------------------------------ sign in

function signOut(message = '') {
  state.key = null
  sessionStorage.removeItem(KEY_STORAGE)
  localStorage.removeItem(KEY_STORAGE)
  state.stream?.abort()
  $('dashboard').hidden = true
  $('sign-out').hidden = true
  $('login').hidden = false
  $('login-error').textContent = message
  $('key-input').focus()
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  state.key = $('key-input').value.trim()
  try {
    await api('GET', '/sessions?limit=1')
  } catch (error) {
    $('login-error').textContent = error.status === 401 ? 'That key was refused.' : error.message
    return
  }
  ;($('remember').checked ? localStorage : sessionStorage).setItem(KEY_STORAGE, state.key)
  $('key-input').value = ''
  await openDashboard()
})

$('sign-out').addEventListener('click', () => signOut())

async function openDashboard() {
  $('login').hidden = true
  $('dashboard').hidden = false
  $('sign-out').hidden = false
  const health = await fetch('/health').then((response) => response.json())
  state.demo = Boolean(health.demo)
  $('demo-badge').hidden = !state.demo
  $('simulate-scan').hidden = !state.demo
  state.sessions.clear()
  $('sessions').replaceChildren()
  let cursor = null
  do {
    const page = await api('GET', `/sessions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    for (const session of page.items) upsertSession(session)
    cursor = page.nextCursor
  } while (cursor)
  refreshEmpty()
  listen()
}

// ------------------------------------------------------------------ cards

function cardOf(id) {
  return document.querySelector(`.card[data-id="${CSS.escape(id)}"]`)
}

function formatPhone(phone) {
  return phone ? `+${phone}` : 'No phone linked yet'
}

function upsertSession(session) {
  state.sessions.set(session.id, session)
  let card = cardOf(session.id)
  if (!card) {
    card = $('card-template').content.firstElementChild.cloneNode(true)
    card.dataset.id = session.id
    wireCard(card)
    $('sessions').append(card)
  }
  renderCard(card, session)
  refreshEmpty()
}

function renderCard(card, session) {
  card.dataset.status = session.status
  card.querySelector('.avatar').textContent = (session.name[0] || '?').toUpperCase()
  card.querySelector('.name').textContent = session.name
  card.querySelector('.phone').textContent = formatPhone(session.phoneNumber)
  const badge = card.querySelector('.status')
  badge.textContent = STATUS_LABELS[session.status] || session.status
  badge.dataset.status = session.status
  const since = card.querySelector('.since')
  if (session.status === 'connected' && session.connectedAt) {
    since.textContent = `Connected since ${new Date(session.connectedAt).toLocaleString()}`
  } else if (session.error) {
    since.textContent = session.error.message
  } else if (session.lastDisconnect && session.status !== 'connected') {
    since.textContent = `Last disconnect: ${session.lastDisconnect.reason.replace(/_/g, ' ')}`
  } else {
    since.textContent = ''
  }
  renderStats(card, session.stats)
  const running = RUNNING.includes(session.status)
  card.querySelector('[data-action="connect"]').hidden = session.status === 'connected'
  card.querySelector('[data-action="disconnect"]').hidden = !running
  card.querySelector('.send').hidden = session.status !== 'connected'
}

function renderStats(card, stats) {
  for (const cell of card.querySelectorAll('[data-stat]')) cell.textContent = String(stats?.[cell.dataset.stat] ?? 0)
}

function removeSession(id) {
  state.sessions.delete(id)
  cardOf(id)?.remove()
  if (state.modal?.id === id) $('connect-dialog').close()
  refreshEmpty()
}

function refreshEmpty() {
  $('empty').hidden = state.sessions.size > 0
}

async function refreshSession(id) {
  try {
    upsertSession(await api('GET', `/sessions/${encodeURIComponent(id)}`))
  } catch (error) {
    if (error.status === 404) removeSession(id)
  }
}

function confirmAction(text) {
  const dialog = $('confirm-dialog')
  $('confirm-text').textContent = text
  dialog.returnValue = ''
  dialog.showModal()
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }))
}

const CONFIRMATIONS = {
  disconnect: (name) => `Disconnect "${name}"? It keeps its link to the phone and reconnects without a QR code later.`,
  logout: (name) => `Log "${name}" out? The device is unlinked from the phone; connecting again needs a new QR code.`,
  delete: (name) => `Delete "${name}"? It is disconnected and everything it stored is removed. This cannot be undone.`,
}

function wireCard(card) {
  const id = () => card.dataset.id
  card.querySelector('.actions').addEventListener('click', async (event) => {
    const action = event.target.closest('button')?.dataset.action
    if (!action) return
    const session = state.sessions.get(id())
    if (action === 'connect') return openConnect(id())
    if (!(await confirmAction(CONFIRMATIONS[action](session.name)))) return
    try {
      if (action === 'delete') {
        await api('DELETE', `/sessions/${encodeURIComponent(id())}`)
        removeSession(id())
      } else {
        await api('POST', `/sessions/${encodeURIComponent(id())}/${action}`)
        await refreshSession(id())
      }
    } catch (error) {
      notify(error.message, true)
    }
  })
  card.querySelector('.send').addEventListener('submit', async (event) => {
    event.preventDefault()
    const form = event.target
    try {
      await api('POST', `/sessions/${encodeURIComponent(id())}/messages/text`, { to: form.to.value, text: form.text.value })
      form.text.value = ''
      notify('Message sent.')
      await refreshSession(id())
    } catch (error) {
      notify(error.message, true)
    }
  })
}

$('create-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const input = $('create-name')
  try {
    const { session, token } = await api('POST', '/sessions', { name: input.value.trim() })
    input.value = ''
    upsertSession(session)
    notify(`Session "${session.name}" created. Its token (shown only now): ${token}`)
  } catch (error) {
    notify(error.message, true)
  }
})

// ------------------------------------------------------------------ connect dialog (QR and pairing code)

function showTab(name) {
  for (const tab of document.querySelectorAll('#connect-dialog [role="tab"]')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name))
  for (const pane of document.querySelectorAll('#connect-dialog [data-pane]')) pane.hidden = pane.dataset.pane !== name
}

for (const tab of document.querySelectorAll('#connect-dialog [role="tab"]')) tab.addEventListener('click', () => showTab(tab.dataset.tab))

function showQr(qr) {
  const modal = state.modal
  if (!modal) return
  if (qr && qr.image) {
    $('qr-image').src = qr.image
    $('qr-image').hidden = false
    $('qr-wait').hidden = true
    modal.expiresAt = Date.parse(qr.expiresAt)
  } else {
    $('qr-image').hidden = true
    $('qr-wait').hidden = false
    $('qr-wait').textContent = (qr && qr.message) || 'Waiting for a QR code…'
    modal.expiresAt = null
  }
  tick()
}

// The countdown follows the QR's own expiry: WhatsApp rotates it (60 s, then 20 s each), and a new
// one arrives on the event stream; if it is late, the dialog asks for it.
function tick() {
  const modal = state.modal
  if (!modal) return
  if (!modal.expiresAt) {
    $('qr-countdown').textContent = ''
    return
  }
  const left = Math.max(0, Math.ceil((modal.expiresAt - Date.now()) / 1000))
  $('qr-countdown').textContent = left > 0 ? `Expires in ${left} s` : 'Refreshing the code…'
  if (left === 0 && !modal.fetching && Date.now() - modal.expiresAt > 1500) void loadQr()
}

async function loadQr() {
  const modal = state.modal
  if (!modal) return
  modal.fetching = true
  try {
    showQr(await api('GET', `/sessions/${encodeURIComponent(modal.id)}/qr`))
  } catch (error) {
    $('connect-state').textContent = error.message
  } finally {
    modal.fetching = false
  }
}

async function openConnect(id) {
  const dialog = $('connect-dialog')
  const session = state.sessions.get(id)
  state.modal = { id, expiresAt: null, fetching: false, timer: setInterval(tick, 1000) }
  $('connect-title').textContent = `Connect WhatsApp: ${session.name}`
  $('connect-state').textContent = ''
  $('pair-code').hidden = true
  showTab('qr')
  showQr(null)
  dialog.showModal()
  try {
    if (!RUNNING.includes(session.status)) await api('POST', `/sessions/${encodeURIComponent(id)}/connect`)
    await loadQr()
  } catch (error) {
    $('connect-state').textContent = error.message
  }
}

$('connect-dialog').addEventListener('close', () => {
  if (state.modal) clearInterval(state.modal.timer)
  state.modal = null
})

$('pair-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const modal = state.modal
  if (!modal) return
  try {
    const { code } = await api('POST', `/sessions/${encodeURIComponent(modal.id)}/pair`, { phoneNumber: $('pair-phone').value })
    $('pair-code').textContent = code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code
    $('pair-code').hidden = false
  } catch (error) {
    $('connect-state').textContent = error.message
  }
})

$('simulate-scan').addEventListener('click', async () => {
  if (!state.modal) return
  try {
    await api('POST', `/demo/sessions/${encodeURIComponent(state.modal.id)}/scan`, {})
    $('connect-state').textContent = 'Scanned: connecting…'
  } catch (error) {
    $('connect-state').textContent = error.message
  }
})

// ------------------------------------------------------------------ live updates

const HANDLERS = {
  'session.created': (id, data) => upsertSession(data),
  'session.updated': (id, data) => upsertSession(data),
  'session.deleted': (id) => removeSession(id),
  'session.stats': (id, data) => {
    const session = state.sessions.get(id)
    if (!session) return
    session.stats = data
    const card = cardOf(id)
    if (card) renderStats(card, data)
  },
  'session.qr': (id, data) => {
    if (state.modal?.id === id) showQr({ image: data.dataUrl, expiresAt: data.expiresAt })
  },
  'session.status': (id, data) => {
    if (state.modal?.id === id) {
      if (data.status === 'connected') {
        $('connect-state').textContent = 'Connected!'
        setTimeout(() => $('connect-dialog').open && state.modal?.id === id && $('connect-dialog').close(), 800)
      } else if (['stopped', 'failed', 'logged_out'].includes(data.status)) {
        showQr({ message: `The session stopped (${data.reason || data.status}). Close and connect again.` })
      }
    }
    void refreshSession(id)
  },
}

function dispatch(event, json) {
  const handler = HANDLERS[event]
  if (!handler) return
  const envelope = JSON.parse(json)
  handler(envelope.sessionId, envelope.data)
}

// EventSource cannot send the API key in a header, so the stream is read with fetch.
async function listen() {
  state.stream?.abort()
  const controller = new AbortController()
  state.stream = controller
  try {
    const response = await fetch('/events', { headers: { 'X-API-Key': state.key }, signal: controller.signal })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    $('live').textContent = 'live'
    $('live').classList.add('on')
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let event = 'message'
        let data = ''
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7)
          else if (line.startsWith('data: ')) data += line.slice(6)
        }
        if (data) dispatch(event, data)
      }
    }
  } catch {
    // Reading failed (network, server gone): handled below like a normal end, unless we aborted it.
    if (controller.signal.aborted) return
  }
  $('live').textContent = 'offline'
  $('live').classList.remove('on')
  // The stream ended (server restart, network): come back, and catch up on what was missed.
  if (state.key && state.stream === controller) setTimeout(() => state.key && openDashboard(), 3000)
}

// ------------------------------------------------------------------ start

state.key = sessionStorage.getItem(KEY_STORAGE) || localStorage.getItem(KEY_STORAGE)
if (state.key) openDashboard().catch(() => signOut())
else signOut()

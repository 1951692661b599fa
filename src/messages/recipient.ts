import { ValidationError } from '../errors.js'

/** Phone numbers in E.164 have at most 15 digits; WhatsApp numbers have a country code, so no leading 0. */
const PHONE_DIGITS = /^[1-9]\d{6,14}$/
const PHONE_DECORATION = /[\s\-().]/g

/**
 * Turns a phone number in any common notation (`+55 (11) 99999-9999`, `0055 11 ...`, `5511999999999`)
 * into bare digits with the country code, or `null` when it is not a plausible number.
 */
export function normalizePhoneNumber(input: string): string | null {
  if (typeof input !== 'string') return null
  let digits = input.trim().replace(PHONE_DECORATION, '')
  if (digits.startsWith('+')) digits = digits.slice(1)
  else if (digits.startsWith('00')) digits = digits.slice(2)
  return PHONE_DIGITS.test(digits) ? digits : null
}

/** Digits with country code, as Baileys' `requestPairingCode` expects. Throws `INVALID_PHONE`. */
export function parsePhoneNumber(input: unknown): string {
  const digits = typeof input === 'string' ? normalizePhoneNumber(input) : null
  if (!digits) {
    throw new ValidationError('INVALID_PHONE', 'Phone number must be digits with the country code, e.g. 5511999999999', {
      details: { field: 'phoneNumber' },
    })
  }
  return digits
}

const USER_SERVERS = new Set(['s.whatsapp.net', 'lid', 'hosted', 'hosted.lid'])
const JID_USER: Record<string, RegExp> = {
  's.whatsapp.net': /^\d{5,20}(:\d{1,3})?$/,
  lid: /^\d{5,20}(:\d{1,3})?$/,
  hosted: /^\d{5,20}(:\d{1,3})?$/,
  'hosted.lid': /^\d{5,20}(:\d{1,3})?$/,
  // Old groups are "<creator>-<timestamp>", new ones a long number.
  'g.us': /^\d{5,25}(-\d{5,15})?$/,
  newsletter: /^\d{5,25}$/,
  broadcast: /^(status|\d{5,25})$/,
}

export type RecipientKind = 'user' | 'group' | 'newsletter' | 'broadcast'

export interface Recipient {
  jid: string
  kind: RecipientKind
}

function invalidRecipient(input: unknown): never {
  throw new ValidationError(
    'INVALID_RECIPIENT',
    'Recipient must be a phone number with country code, a user JID (@s.whatsapp.net), a LID (@lid) or a group JID (@g.us)',
    { details: { field: 'to', value: typeof input === 'string' ? input.slice(0, 64) : typeof input } },
  )
}

/** Accepts phone numbers, user JIDs (`@s.whatsapp.net`, legacy `@c.us`), LIDs, group, newsletter and broadcast JIDs. */
export function parseRecipient(input: unknown): Recipient {
  if (typeof input !== 'string' || !input.trim()) invalidRecipient(input)
  const value = input.trim()
  const at = value.indexOf('@')
  if (at === -1) {
    const digits = normalizePhoneNumber(value)
    if (!digits) invalidRecipient(input)
    return { jid: `${digits}@s.whatsapp.net`, kind: 'user' }
  }
  const user = value.slice(0, at)
  let server = value.slice(at + 1).toLowerCase()
  if (server === 'c.us') server = 's.whatsapp.net'
  const pattern = JID_USER[server]
  if (!pattern || !pattern.test(user)) invalidRecipient(input)
  const kind: RecipientKind = USER_SERVERS.has(server) ? 'user' : server === 'g.us' ? 'group' : server === 'newsletter' ? 'newsletter' : 'broadcast'
  return { jid: `${user}@${server}`, kind }
}

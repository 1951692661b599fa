import type { AnyMessageContent, WAMessageKey } from '@whiskeysockets/baileys'
import { ValidationError } from '../errors.js'
import { normalizePhoneNumber } from './recipient.js'

/** WhatsApp rejects longer texts. */
export const MAX_TEXT_LENGTH = 65_536

const invalid = (field: string, message: string) => new ValidationError('VALIDATION_ERROR', message, { details: { field } })

function requireText(value: unknown, field: string, max = MAX_TEXT_LENGTH): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, `${field} must be a non-empty string`)
  if (value.length > max) throw invalid(field, `${field} is longer than ${max} characters`)
  return value
}

export function textContent(text: unknown, options: { mentions?: string[] } = {}): AnyMessageContent {
  return { text: requireText(text, 'text'), ...(options.mentions?.length ? { mentions: options.mentions } : {}) }
}

export interface LocationInput {
  latitude: number
  longitude: number
  name?: string
  address?: string
}

export function locationContent(input: LocationInput): AnyMessageContent {
  const { latitude, longitude } = input ?? ({} as LocationInput)
  if (typeof latitude !== 'number' || !Number.isFinite(latitude) || latitude < -90 || latitude > 90) {
    throw invalid('latitude', 'latitude must be a number between -90 and 90')
  }
  if (typeof longitude !== 'number' || !Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
    throw invalid('longitude', 'longitude must be a number between -180 and 180')
  }
  return {
    location: {
      degreesLatitude: latitude,
      degreesLongitude: longitude,
      ...(input.name ? { name: input.name } : {}),
      ...(input.address ? { address: input.address } : {}),
    },
  }
}

export interface ContactCardInput {
  fullName: string
  phoneNumber: string
  organization?: string
  email?: string
}

/** vCard 3.0 fields must not carry raw newlines or separators. */
const vcardEscape = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/([,;])/g, '\\$1')

export function contactContent(input: ContactCardInput | ContactCardInput[]): AnyMessageContent {
  const cards = Array.isArray(input) ? input : [input]
  if (cards.length === 0) throw invalid('contacts', 'at least one contact is needed')
  const vcards = cards.map((card, index) => {
    const fullName = requireText(card?.fullName, `contacts[${index}].fullName`, 256)
    const digits = normalizePhoneNumber(card?.phoneNumber ?? '')
    if (!digits) {
      throw new ValidationError('INVALID_PHONE', `contacts[${index}].phoneNumber must be a phone number with country code`, {
        details: { field: `contacts[${index}].phoneNumber` },
      })
    }
    const lines = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      `FN:${vcardEscape(fullName)}`,
      ...(card.organization ? [`ORG:${vcardEscape(card.organization)}`] : []),
      ...(card.email ? [`EMAIL:${vcardEscape(card.email)}`] : []),
      `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`,
      'END:VCARD',
    ]
    return { displayName: fullName, vcard: lines.join('\n') }
  })
  return { contacts: { displayName: cards.length === 1 ? vcards[0]!.displayName : `${cards.length} contacts`, contacts: vcards } }
}

function requireKey(key: unknown, field: string): WAMessageKey {
  const candidate = key as WAMessageKey | undefined
  if (!candidate || typeof candidate !== 'object' || typeof candidate.id !== 'string' || !candidate.id) {
    throw invalid(field, `${field} must be a message key with an id`)
  }
  return candidate
}

/** `key.remoteJid` defaults to the chat the reaction, edit or delete is sent to. */
function keyInChat(key: unknown, field: string, jid: string, fromMe?: boolean): WAMessageKey {
  const checked = requireKey(key, field)
  return { ...checked, remoteJid: checked.remoteJid ?? jid, ...(fromMe === undefined ? {} : { fromMe: checked.fromMe ?? fromMe }) }
}

/** An empty emoji removes a previous reaction. */
export function reactionContent(jid: string, key: unknown, emoji: unknown): AnyMessageContent {
  if (typeof emoji !== 'string' || [...emoji].length > 8) throw invalid('emoji', 'emoji must be a short string ("" removes the reaction)')
  return { react: { text: emoji, key: keyInChat(key, 'key', jid) } }
}

export interface PollInput {
  name: string
  options: string[]
  /** How many options a voter may pick; 0 means any number. @default 1 */
  selectableCount?: number
}

export function pollContent(input: PollInput): AnyMessageContent {
  const name = requireText(input?.name, 'name', 256)
  const options = input.options
  if (!Array.isArray(options) || options.length < 2 || options.length > 12) {
    throw invalid('options', 'a poll needs between 2 and 12 options')
  }
  options.forEach((option, index) => requireText(option, `options[${index}]`, 100))
  if (new Set(options).size !== options.length) throw invalid('options', 'poll options must be unique')
  const selectableCount = input.selectableCount ?? 1
  if (!Number.isInteger(selectableCount) || selectableCount < 0 || selectableCount > options.length) {
    throw invalid('selectableCount', 'selectableCount must be an integer between 0 and the number of options')
  }
  return { poll: { name, values: options, selectableCount } }
}

export function editContent(jid: string, key: unknown, text: unknown): AnyMessageContent {
  return { text: requireText(text, 'text'), edit: keyInChat(key, 'key', jid, true) }
}

export function deleteContent(jid: string, key: unknown): AnyMessageContent {
  return { delete: keyInChat(key, 'key', jid, true) }
}

import { describe, expect, it } from 'vitest'
import { normalizePhoneNumber, parsePhoneNumber, parseRecipient } from '../../src/index.js'

describe('phone numbers', () => {
  it.each([
    ['5511999999999', '5511999999999'],
    ['+55 (11) 99999-9999', '5511999999999'],
    ['0055 11 99999 9999', '5511999999999'],
    ['+1.415.555.0100', '14155550100'],
  ])('%s → %s', (input, digits) => {
    expect(normalizePhoneNumber(input)).toBe(digits)
    expect(parsePhoneNumber(input)).toBe(digits)
  })

  it.each(['', '123', '011999999999', '+55 11 9999x9999', '1234567890123456', 'abc'])('rejects %j with INVALID_PHONE', (input) => {
    expect(() => parsePhoneNumber(input)).toThrow(expect.objectContaining({ code: 'INVALID_PHONE', name: 'ValidationError' }))
  })
})

describe('recipients', () => {
  it.each([
    ['5511988887777', '5511988887777@s.whatsapp.net', 'user'],
    ['+55 11 98888-7777', '5511988887777@s.whatsapp.net', 'user'],
    ['5511988887777@c.us', '5511988887777@s.whatsapp.net', 'user'],
    ['5511988887777@S.WHATSAPP.NET', '5511988887777@s.whatsapp.net', 'user'],
    ['5511988887777:3@s.whatsapp.net', '5511988887777:3@s.whatsapp.net', 'user'],
    ['123456789012345@lid', '123456789012345@lid', 'user'],
    ['120363025246125486@g.us', '120363025246125486@g.us', 'group'],
    ['5511999999999-1600000000@g.us', '5511999999999-1600000000@g.us', 'group'],
    ['120363144038483540@newsletter', '120363144038483540@newsletter', 'newsletter'],
    ['status@broadcast', 'status@broadcast', 'broadcast'],
  ])('%s → %s', (input, jid, kind) => {
    expect(parseRecipient(input)).toEqual({ jid, kind })
  })

  it.each(['', '   ', 'hello', '123', 'abc@s.whatsapp.net', '5511988887777@unknown', '@g.us', 'x@lid', 42, null])(
    'rejects %j with INVALID_RECIPIENT',
    (input) => {
      expect(() => parseRecipient(input)).toThrow(expect.objectContaining({ code: 'INVALID_RECIPIENT' }))
    },
  )
})

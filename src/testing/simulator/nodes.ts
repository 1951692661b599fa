// Small helpers over Baileys' BinaryNode shape, shared by every handler of the simulator.
import { randomBytes } from 'node:crypto'
import { getBinaryNodeChild, getBinaryNodeChildren, S_WHATSAPP_NET, type BinaryNode } from '@whiskeysockets/baileys'

/** The server's own address, as WhatsApp writes it in `from` attributes. */
export const SERVER_JID = S_WHATSAPP_NET.slice(1)

export function unixSeconds(): string {
  return Math.floor(Date.now() / 1000).toString()
}

/** A stanza id in the style of WhatsApp's server ids (hex, unique enough for one process). */
export function stanzaId(): string {
  return randomBytes(8).toString('hex').toUpperCase()
}

/** Node content as bytes: decoded nodes carry Buffers, Uint8Arrays or (rarely) strings. */
export function bytesOf(content: BinaryNode['content']): Buffer | undefined {
  if (content instanceof Uint8Array) return Buffer.from(content)
  if (typeof content === 'string') return Buffer.from(content, 'utf8')
  return undefined
}

export function childBytes(node: BinaryNode | undefined, tag: string): Buffer | undefined {
  return bytesOf(getBinaryNodeChild(node, tag)?.content)
}

export function children(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : []
}

export function firstChild(node: BinaryNode | undefined): BinaryNode | undefined {
  return children(node)[0]
}

export { getBinaryNodeChild as child, getBinaryNodeChildren as childrenByTag }

/** Big-endian unsigned integer of `length` bytes, the way Baileys writes ids and registration ids. */
export function encodeUInt(value: number, length: number): Buffer {
  const out = Buffer.alloc(length)
  for (let i = length - 1, rest = value; i >= 0; i--, rest = Math.floor(rest / 256)) out[i] = rest & 0xff
  return out
}

export function decodeUInt(bytes: Uint8Array | undefined): number | undefined {
  if (!bytes?.length) return undefined
  let value = 0
  for (const byte of bytes) value = value * 256 + byte
  return value
}

/** The server's answer to an IQ: same id, addressed back to the client. */
export function iqResult(request: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return {
    tag: 'iq',
    attrs: { id: request.attrs.id ?? stanzaId(), type: 'result', from: SERVER_JID, t: unixSeconds() },
    ...(content ? { content } : {}),
  }
}

export function iqError(request: BinaryNode, code: number, text: string): BinaryNode {
  return {
    tag: 'iq',
    attrs: { id: request.attrs.id ?? stanzaId(), type: 'error', from: SERVER_JID },
    content: [{ tag: 'error', attrs: { code: String(code), text } }],
  }
}

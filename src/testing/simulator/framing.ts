// WhatsApp Web's transport framing: every frame is a 3-byte big-endian length and its payload.
// The client's very first bytes are an intro header ("WA", version, dictionary version), optionally
// preceded by an "ED" edge-routing block when the credentials carry routing info.
import { NOISE_WA_HEADER } from '@whiskeysockets/baileys'
import { ConnectionError, ValidationError } from '../../errors.js'

const LENGTH_BYTES = 3
const MAX_FRAME_BYTES = 0xffffff
const EDGE_ROUTING_MAGIC = 'ED'
const EDGE_ROUTING_PREFIX_BYTES = 7

export function encodeFrame(payload: Uint8Array): Buffer {
  if (payload.byteLength > MAX_FRAME_BYTES) {
    throw new ValidationError('PAYLOAD_TOO_LARGE', `Frame of ${payload.byteLength} bytes exceeds the 3-byte length prefix`)
  }
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + payload.byteLength)
  frame.writeUIntBE(payload.byteLength, 0, LENGTH_BYTES)
  frame.set(payload, LENGTH_BYTES)
  return frame
}

/** Reassembles frames from WebSocket messages (a message may hold part of a frame or several). */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0)
  private introSeen = false

  /** Returns every complete frame now available; throws on a client that does not speak WA. */
  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk)
    if (!this.introSeen && !this.consumeIntro()) return []
    const frames: Buffer[] = []
    while (this.pending.length >= LENGTH_BYTES) {
      const size = this.pending.readUIntBE(0, LENGTH_BYTES)
      if (this.pending.length < LENGTH_BYTES + size) break
      frames.push(this.pending.subarray(LENGTH_BYTES, LENGTH_BYTES + size))
      this.pending = this.pending.subarray(LENGTH_BYTES + size)
    }
    return frames
  }

  private consumeIntro(): boolean {
    let offset = 0
    if (this.pending.subarray(0, 2).toString('latin1') === EDGE_ROUTING_MAGIC) {
      if (this.pending.length < EDGE_ROUTING_PREFIX_BYTES) return false
      offset = EDGE_ROUTING_PREFIX_BYTES + this.pending.readUIntBE(4, 3)
    }
    if (this.pending.length < offset + NOISE_WA_HEADER.length) return false
    const header = this.pending.subarray(offset, offset + NOISE_WA_HEADER.length)
    if (!header.equals(NOISE_WA_HEADER)) {
      throw new ConnectionError('CONNECTION_FAILED', `Unexpected intro header ${header.toString('hex')}; expected WhatsApp's ${NOISE_WA_HEADER.toString('hex')}`)
    }
    this.pending = this.pending.subarray(offset + NOISE_WA_HEADER.length)
    this.introSeen = true
    return true
  }
}

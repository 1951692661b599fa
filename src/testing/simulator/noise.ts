// The responder ("server") half of WhatsApp's Noise_XX_25519_AESGCM_SHA256 handshake. It mirrors,
// step for step, the initiator in Baileys' Utils/noise-handler.js: same prologue (the WA intro
// header), same key mixing (HKDF over the chaining key), same nonce counter that restarts at every
// key mix and same transport split, so the real client cannot tell it from WhatsApp's edge.
import { createHash } from 'node:crypto'
import { aesDecryptGCM, aesEncryptGCM, Curve, hkdf, NOISE_MODE, NOISE_WA_HEADER, proto, type KeyPair } from '@whiskeysockets/baileys'
import { ConnectionError } from '../../errors.js'

const IV_BYTES = 12
const EMPTY = Buffer.alloc(0)

function nonce(counter: number): Buffer {
  const iv = Buffer.alloc(IV_BYTES)
  iv.writeUInt32BE(counter, IV_BYTES - 4)
  return iv
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return hash.digest()
}

/** After the handshake: one key and one counter per direction. */
export class NoiseTransport {
  private readCounter = 0
  private writeCounter = 0

  constructor(
    private readonly encryptKey: Uint8Array,
    private readonly decryptKey: Uint8Array,
  ) {}

  encrypt(plaintext: Uint8Array): Buffer {
    return aesEncryptGCM(plaintext, this.encryptKey, nonce(this.writeCounter++), EMPTY)
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return aesDecryptGCM(ciphertext, this.decryptKey, nonce(this.readCounter++), EMPTY)
  }
}

export interface NoiseResponderOptions {
  /** The server's long-term (static) key; the certificate chain vouches for its public half. */
  staticKeyPair: KeyPair
  /** Encoded `proto.CertChain` sent, encrypted, as the server hello payload. */
  certificateChain: Uint8Array
}

export interface ClientFinish {
  /** The client's static key: its `creds.noiseKey.public`. */
  clientStatic: Buffer
  payload: proto.ClientPayload
  transport: NoiseTransport
}

export class NoiseResponder {
  private hash: Buffer
  private chainingKey: Buffer
  private key: Buffer
  private counter = 0
  private readonly ephemeral = Curve.generateKeyPair()
  private clientEphemeral: Buffer | undefined

  constructor(private readonly options: NoiseResponderOptions) {
    const mode = Buffer.from(NOISE_MODE)
    this.hash = mode.length === 32 ? mode : sha256(mode)
    this.chainingKey = this.hash
    this.key = this.hash
    this.mixHash(NOISE_WA_HEADER)
  }

  /** `-> e` then `<- e, ee, s, es`: returns the encoded server hello. */
  respondToHello(frame: Uint8Array): Buffer {
    const ephemeral = proto.HandshakeMessage.decode(frame).clientHello?.ephemeral
    if (!ephemeral || ephemeral.length !== 32) {
      throw new ConnectionError('CONNECTION_FAILED', 'Noise handshake: the client hello carries no 32-byte ephemeral key')
    }
    this.clientEphemeral = Buffer.from(ephemeral)
    this.mixHash(this.clientEphemeral)
    this.mixHash(this.ephemeral.public)
    this.mixKey(Curve.sharedKey(this.ephemeral.private, this.clientEphemeral))
    const encryptedStatic = this.encrypt(this.options.staticKeyPair.public)
    this.mixKey(Curve.sharedKey(this.options.staticKeyPair.private, this.clientEphemeral))
    const encryptedPayload = this.encrypt(this.options.certificateChain)
    return Buffer.from(
      proto.HandshakeMessage.encode({
        serverHello: { ephemeral: this.ephemeral.public, static: encryptedStatic, payload: encryptedPayload },
      }).finish(),
    )
  }

  /** `-> s, se` plus the client payload; ends the handshake and returns the transport keys. */
  acceptFinish(frame: Uint8Array): ClientFinish {
    const finish = proto.HandshakeMessage.decode(frame).clientFinish
    if (!this.clientEphemeral || !finish?.static || !finish.payload) {
      throw new ConnectionError('CONNECTION_FAILED', 'Noise handshake: client finish out of order or incomplete')
    }
    const clientStatic = this.decrypt(finish.static)
    this.mixKey(Curve.sharedKey(this.ephemeral.private, clientStatic))
    const payload = proto.ClientPayload.decode(this.decrypt(finish.payload))
    const split = Buffer.from(hkdf(EMPTY, 64, { salt: this.chainingKey, info: '' }))
    // The initiator writes with the first half and reads with the second; we do the opposite.
    const transport = new NoiseTransport(split.subarray(32), split.subarray(0, 32))
    return { clientStatic, payload, transport }
  }

  private mixHash(data: Uint8Array): void {
    this.hash = sha256(this.hash, data)
  }

  private mixKey(inputKeyMaterial: Uint8Array): void {
    const output = Buffer.from(hkdf(Buffer.from(inputKeyMaterial), 64, { salt: this.chainingKey, info: '' }))
    this.chainingKey = output.subarray(0, 32)
    this.key = output.subarray(32)
    this.counter = 0
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const ciphertext = aesEncryptGCM(plaintext, this.key, nonce(this.counter++), this.hash)
    this.mixHash(ciphertext)
    return ciphertext
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const plaintext = aesDecryptGCM(ciphertext, this.key, nonce(this.counter++), this.hash)
    this.mixHash(ciphertext)
    return plaintext
  }
}

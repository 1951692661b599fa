// Certificates and trust. During the Noise handshake Baileys checks that the server's intermediate
// certificate is signed by WhatsApp's root key, read from the exported `WA_CERT_DETAILS` object of
// its Defaults module *at handshake time* (Utils/noise-handler.js). The simulator cannot hold
// WhatsApp's root private key, so it signs with its own root, and a test swaps the public key in
// that object for the simulator's. Nothing in wafleet does this on its own: a process that has
// installed this trust would accept any server holding the simulator's root key as WhatsApp.
import { Curve, proto, WA_CERT_DETAILS, type KeyPair } from '@whiskeysockets/baileys'
import { createDefaultLogger, type Logger } from '../../logger.js'

/**
 * Baileys compares the intermediate's `issuerSerial` with `WA_CERT_DETAILS.SERIAL` (0 in rc14),
 * which the swap leaves alone: only the public key changes.
 */
const ROOT_SERIAL = 0
const INTERMEDIATE_SERIAL = 1
const LEAF_SERIAL = 2
const CERT_LIFETIME_SECONDS = 10 * 365 * 24 * 60 * 60

interface TrustRegistry {
  rootKeyPair: KeyPair
  original: Buffer
  installs: { token: symbol; publicKey: Buffer }[]
}

// Kept on globalThis under a registered symbol so that an ESM and a CJS copy of wafleet loaded in
// one process share one root key and one stack of installs (both patch the same Baileys module).
const REGISTRY_KEY = Symbol.for('wafleet.testing.simulator.trust')

function registry(): TrustRegistry {
  const holder = globalThis as unknown as Record<symbol, TrustRegistry | undefined>
  holder[REGISTRY_KEY] ??= { rootKeyPair: Curve.generateKeyPair(), original: Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), installs: [] }
  return holder[REGISTRY_KEY]
}

/** The root key every simulator in this process signs its certificates with (public half). */
export function simulatorRootPublicKey(): Buffer {
  return Buffer.from(registry().rootKeyPair.public)
}

/** Whether Baileys in this process currently trusts `publicKey` as WhatsApp's root. */
export function isTrusted(publicKey: Uint8Array = simulatorRootPublicKey()): boolean {
  return Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(Buffer.from(publicKey))
}

export interface InstallTrustOptions {
  /** Where the warning goes. Default: wafleet's default logger. */
  logger?: Logger
}

/**
 * Makes Baileys, in this process only, accept servers whose certificate chain ends at
 * `publicKey` (default: the simulator's root) instead of WhatsApp's. For tests only. Returns the
 * function that undoes it; installs nest, and the original key is back once every install is undone.
 */
export function installSimulatorTrust(publicKey: Uint8Array = simulatorRootPublicKey(), options: InstallTrustOptions = {}): () => void {
  const state = registry()
  const token = Symbol('trust')
  state.installs.push({ token, publicKey: Buffer.from(publicKey) })
  applyTopOfStack(state)
  ;(options.logger ?? createDefaultLogger()).warn(
    { rootPublicKey: Buffer.from(publicKey).toString('hex') },
    'Baileys in this process now trusts the WhatsApp simulator as WhatsApp (test only; undo with the returned function)',
  )
  let undone = false
  return () => {
    if (undone) return
    undone = true
    state.installs = state.installs.filter((install) => install.token !== token)
    applyTopOfStack(state)
  }
}

function applyTopOfStack(state: TrustRegistry): void {
  const top = state.installs.at(-1)
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(top ? top.publicKey : state.original)
}

function signedCertificate(details: proto.CertChain.NoiseCertificate.IDetails, signer: KeyPair): proto.CertChain.INoiseCertificate {
  const encoded = proto.CertChain.NoiseCertificate.Details.encode(details).finish()
  return { details: encoded, signature: Curve.sign(signer.private, encoded) }
}

/**
 * A chain as WhatsApp's edge presents it: an intermediate signed by the root and a leaf, signed by
 * the intermediate, for the server's static Noise key.
 */
export function issueCertificateChain(serverStatic: KeyPair): Buffer {
  const root = registry().rootKeyPair
  const intermediateKey = Curve.generateKeyPair()
  const notBefore = Math.floor(Date.now() / 1000) - 60
  const validity = { notBefore, notAfter: notBefore + CERT_LIFETIME_SECONDS }
  const intermediate = signedCertificate({ serial: INTERMEDIATE_SERIAL, issuerSerial: ROOT_SERIAL, key: intermediateKey.public, ...validity }, root)
  const leaf = signedCertificate({ serial: LEAF_SERIAL, issuerSerial: INTERMEDIATE_SERIAL, key: serverStatic.public, ...validity }, intermediateKey)
  return Buffer.from(proto.CertChain.encode({ intermediate, leaf }).finish())
}

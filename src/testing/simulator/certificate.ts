// The HTTPS certificate of the simulator's media server: a self-signed X.509 v3 certificate for
// the loopback addresses, issued at every start-up with a fresh EC P-256 key. The private key lives
// only in memory (nothing to commit, nothing to leak); clients trust the certificate itself as
// their CA (`sim.certificate`), the way they would trust a private CA.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { isIP } from 'node:net'
import { ValidationError } from '../../errors.js'
import { bitString, boolean, explicit, implicit, objectIdentifier, octetString, sequence, set, time, unsignedInteger, utf8String } from './der.js'

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
}
const SUBJECT = 'wafleet WhatsApp simulator (self-signed, test only)'
/** Some clock skew between the simulator and its clients is tolerated. */
const BACKDATE_MS = 24 * 60 * 60 * 1000
const LIFETIME_MS = 365 * 24 * 60 * 60 * 1000
/** Always valid for these, whatever interface the simulator listens on. */
const LOOPBACK = ['127.0.0.1', '::1', 'localhost']

export interface SimulatorCertificate {
  /** PEM of the certificate: pass it as `ca` to the clients (https.Agent, undici, tls). */
  cert: string
  /** PEM of the private key (PKCS#8), for the server only; never written anywhere. */
  key: string
}

/** The 4 or 16 bytes of an IP address literal. */
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number))
  const [head = '', tail] = ip.split('::')
  const words = (part: string) => (part ? part.split(':').map((word) => parseInt(word, 16)) : [])
  const left = words(head)
  const right = tail === undefined ? [] : words(tail)
  const all = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
  return Buffer.from(all.flatMap((word) => [word >> 8, word & 0xff]))
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value))
}

/** Subject alternative names: IP literals as iPAddress, anything else as dNSName. Wildcard binds are skipped. */
function altNames(hosts: string[]): Buffer {
  const unique = [...new Set([...LOOPBACK, ...hosts.map((host) => host.replace(/^\[(.*)\]$/, '$1'))])].filter((host) => host && host !== '0.0.0.0' && host !== '::')
  return sequence(...unique.map((host) => (isIP(host) ? implicit(7, ipBytes(host)) : implicit(2, Buffer.from(host, 'ascii')))))
}

/** Issues a self-signed certificate valid for the loopback addresses and `hosts`. */
export function issueSelfSignedCertificate(hosts: string[] = []): SimulatorCertificate {
  for (const host of hosts) {
    if (!isIP(host.replace(/^\[(.*)\]$/, '$1')) && !/^[a-z0-9.-]+$/i.test(host)) {
      throw new ValidationError('INVALID_CONFIG', `Cannot issue a certificate for host '${host}'`, { details: { host } })
    }
  }
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  // A positive serial of 127 random bits (RFC 5280: at most 20 octets, unpredictable).
  const serial = randomBytes(16)
  serial[0] = (serial[0]! & 0x7f) | 0x40
  const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha256))
  const name = sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(SUBJECT))))
  const now = Date.now()
  // The key identifier of RFC 5280 4.2.1.2 (1): SHA-1 of the public key's bit string (the SPKI's last 65 bytes for P-256).
  const keyId = createHash('sha1').update(spki.subarray(spki.length - 65)).digest()
  const extensions = sequence(
    // A trust anchor that is also the server's own certificate: CA, may sign, serves TLS.
    extension(OID.basicConstraints, true, sequence(boolean(true))),
    // digitalSignature (bit 0) and keyCertSign (bit 5): 0b1000_0100, the last 2 bits unused.
    extension(OID.keyUsage, true, bitString(Buffer.from([0x84]), 2)),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
    extension(OID.subjectAltName, false, altNames(hosts)),
  )
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))), // v3
    unsignedInteger(serial),
    signatureAlgorithm,
    name,
    sequence(time(new Date(now - BACKDATE_MS)), time(new Date(now + LIFETIME_MS))),
    name,
    spki,
    explicit(3, extensions),
  )
  const signature = sign('sha256', tbs, privateKey) // ECDSA, DER-encoded (r, s)
  const der = sequence(tbs, signatureAlgorithm, bitString(signature))
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n')
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}

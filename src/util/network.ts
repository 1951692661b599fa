import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import type { LookupFunction } from 'node:net'

/** Loopback, private, link-local, CGNAT, multicast and reserved ranges: never a webhook receiver or a media host on the internet. */
const PRIVATE = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6')
}

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (match) return match[1]
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (!hex) return undefined
  const high = parseInt(hex[1]!, 16)
  const low = parseInt(hex[2]!, 16)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const family = isIP(bare)
  if (family === 4) return PRIVATE.check(bare, 'ipv4')
  if (family === 6) {
    const v4 = embeddedIpv4(bare)
    return v4 ? PRIVATE.check(v4, 'ipv4') : PRIVATE.check(bare, 'ipv6')
  }
  return true // not an IP address at all: refuse rather than guess
}

export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError'
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to ${address}, a loopback or private address (blockPrivateNetworks)`)
  }
}

/**
 * A `lookup` for sockets that refuses private addresses. It runs for every new connection, so the
 * address that is checked is the one connected to: a DNS answer that changes after validation
 * (DNS rebinding) is caught here.
 */
export function guardedLookup(base: LookupFunction = dnsLookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0)
      const list = (Array.isArray(addresses) ? addresses : [{ address: addresses, family: 4 }]) as LookupAddress[]
      const blocked = list.find((entry) => isPrivateAddress(entry.address))
      if (blocked || !list.length) {
        return callback(new PrivateAddressError(hostname, blocked?.address ?? 'nothing'), '', 0)
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list)
      callback(null, list[0]!.address, list[0]!.family)
    })
  }
}

/** Resolves `host` (a name or an IP literal) and throws `PrivateAddressError` when any address is private. */
export async function assertPublicHost(host: string, lookup: LookupFunction = dnsLookup as LookupFunction): Promise<void> {
  const bare = host.replace(/^\[|\]$/g, '')
  if (isIP(bare)) {
    if (isPrivateAddress(bare)) throw new PrivateAddressError(host, bare)
    return
  }
  await new Promise<void>((resolve, reject) => {
    guardedLookup(lookup)(bare, { all: true }, (error) => (error ? reject(error) : resolve()))
  })
}

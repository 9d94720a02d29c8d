/**
 * Which IP addresses a webhook may never reach (unless the operator allow-lists them): everything
 * that is not a public unicast address — loopback, private, link-local (and the cloud metadata
 * endpoints inside it), CGNAT, multicast, reserved and documentation ranges — in IPv4 and IPv6.
 *
 * IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48). Teredo and the
 * other IETF special-purpose blocks are refused whole.
 */
import { createIpMatcher, parseIp } from "../../lib/ip.ts";

const V4_BLOCKED: ReadonlyArray<readonly [cidr: string, label: string]> = [
  ["0.0.0.0/8", "this-network"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "carrier-grade NAT"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local (cloud metadata)"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "IETF protocol assignments"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "6to4 relay"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved (and broadcast)"],
];

const V6_BLOCKED: ReadonlyArray<readonly [cidr: string, label: string]> = [
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["64:ff9b:1::/48", "local NAT64"],
  ["100::/64", "discard"],
  ["2001::/23", "IETF special purpose (Teredo…)"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["5f00::/16", "segment routing"],
  ["fc00::/7", "unique local (private, fd00:ec2::254 metadata)"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local"],
  ["ff00::/8", "multicast"],
];

const matchers = (list: ReadonlyArray<readonly [string, string]>) => list.map(([cidr, label]) => [createIpMatcher([cidr]), label] as const);
const V4 = matchers(V4_BLOCKED);
const V6 = matchers(V6_BLOCKED);

const v4Text = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const zero = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);

/** The IPv4 address an IPv6 address carries, if it is one of the embedding forms. */
function embeddedV4(b: Uint8Array): string | null {
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; ::/128 and ::1 are judged as IPv6 first).
  if (zero(b, 0, 10) && ((b[10] === 0xff && b[11] === 0xff) || (b[10] === 0 && b[11] === 0))) return v4Text(b, 12);
  // 64:ff9b::/96, the well-known NAT64 prefix.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(b, 4, 12)) return v4Text(b, 12);
  // 2002:AABB:CCDD::/48, 6to4.
  if (b[0] === 0x20 && b[1] === 0x02) return v4Text(b, 2);
  return null;
}

/**
 * Why `ip` may not be reached ("loopback", "private"…), or null for a public unicast address.
 * Text that is not an IP address is refused too ("not an IP address").
 */
export function blockedAddressReason(ip: string): string | null {
  const parsed = parseIp(ip);
  if (!parsed) return "not an IP address";
  if (parsed.version === 4) return V4.find(([m]) => m(ip))?.[1] ?? null;
  const v6 = V6.find(([m]) => m(ip));
  if (v6) return v6[1];
  const v4 = embeddedV4(parsed.bytes);
  if (v4 === null) return null;
  const inner = V4.find(([m]) => m(v4));
  return inner ? `${inner[1]} (IPv4 ${v4} inside IPv6)` : null;
}

/**
 * IP addresses and CIDR blocks for key allowlists: IPv4 (dotted quad), IPv6 (RFC 4291 text forms,
 * including "::" and an embedded IPv4 tail) and either with a "/prefix". IPv4-mapped IPv6
 * addresses (::ffff:1.2.3.4, how a dual-stack socket reports IPv4 clients) match IPv4 entries.
 * Parsing is strict — no leading zeros in IPv4 parts (octal ambiguity), no zone ids, no host bits
 * beyond the prefix — so what a client stores is exactly what gets enforced.
 */

/** A parsed address: 4 or 16 bytes. */
export interface IpAddress {
  version: 4 | 6;
  bytes: Uint8Array;
}

/** A parsed block: address plus prefix length (32 or 128 for a single address). */
export interface IpBlock extends IpAddress {
  prefix: number;
}

const V4_PART = /^(0|[1-9]\d{0,2})$/;

function parseV4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!V4_PART.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseV4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** ::ffff:a.b.c.d → a.b.c.d; anything else unchanged. */
function unmap(addr: IpAddress): IpAddress {
  if (addr.version !== 6) return addr;
  const b = addr.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return addr;
  if (b[10] !== 0xff || b[11] !== 0xff) return addr;
  return { version: 4, bytes: b.slice(12) };
}

/** Parses an IPv4 or IPv6 address; null when it is neither. */
export function parseIp(text: string): IpAddress | null {
  const t = text.trim();
  if (t.includes(":")) {
    const bytes = parseV6(t);
    return bytes ? { version: 6, bytes } : null;
  }
  const bytes = parseV4(t);
  return bytes ? { version: 4, bytes } : null;
}

/** Parses "addr" or "addr/prefix". Returns a reason instead when it is not a valid entry. */
export function parseIpBlock(text: string): IpBlock | { error: string } {
  const [addrText, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || addrText === undefined) return { error: "is not an IP address or CIDR block" };
  const addr = parseIp(addrText);
  if (!addr) return { error: "is not an IP address or CIDR block" };
  const bits = addr.bytes.length * 8;
  if (prefixText === undefined) return { ...addr, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return { error: `has a prefix length outside 0-${bits}` };
  const prefix = Number(prefixText);
  for (let bit = prefix; bit < bits; bit++) {
    if (addr.bytes[bit >> 3]! & (0x80 >> (bit & 7))) return { error: "has address bits set beyond its prefix length" };
  }
  return { ...addr, prefix };
}

function inBlock(addr: IpAddress, block: IpBlock): boolean {
  if (addr.version !== block.version) return false;
  const full = block.prefix >> 3;
  for (let i = 0; i < full; i++) if (addr.bytes[i] !== block.bytes[i]) return false;
  const rest = block.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (addr.bytes[full]! & mask) === (block.bytes[full]! & mask);
}

/**
 * Compiles an allowlist once (keys are checked on every request). Entries must already be valid
 * (they are validated when stored); an invalid one matches nothing rather than everything.
 */
export function createIpMatcher(entries: readonly string[]): (ip: string | null | undefined) => boolean {
  const blocks = entries
    .map(parseIpBlock)
    .filter((b): b is IpBlock => !("error" in b))
    .map((b): IpBlock => {
      // A block inside ::ffff:0:0/96 is an IPv4 block written the IPv6 way.
      const v4 = b.version === 6 && b.prefix >= 96 ? unmap(b) : b;
      return v4 === b ? b : { ...v4, prefix: b.prefix - 96 };
    });
  return (ip) => {
    if (!ip) return false;
    const parsed = parseIp(ip);
    if (!parsed) return false;
    const addr = unmap(parsed);
    return blocks.some((b) => inBlock(addr, b));
  };
}

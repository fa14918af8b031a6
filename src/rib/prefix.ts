// Prefixes as the whole daemon sees them: an address family, a length and the address
// bytes (4 for IPv4, 16 for IPv6) with the host bits zero. The codec produces them from
// NLRI (RFC 4271 §4.3, RFC 4760 §5), the configuration from text, netlink from RTA_DST.
// Text conversion (config, CLI, `show`) is done here by hand; the hot paths use the byte
// form. Leaves out: anything but unicast (no VPN, no flowspec).

export const enum Afi {
  IPV4 = 1,
  IPV6 = 2,
}

export const enum Safi {
  UNICAST = 1,
}

/** A family as one number: `afi << 8 | safi`, for Sets and Maps keyed by family. */
export type AfiSafi = number;
export const afiSafi = (afi: number, safi: number): AfiSafi => (afi << 8) | safi;
export const IPV4_UNICAST: AfiSafi = afiSafi(Afi.IPV4, Safi.UNICAST);
export const IPV6_UNICAST: AfiSafi = afiSafi(Afi.IPV6, Safi.UNICAST);

export interface Prefix {
  readonly afi: Afi;
  /** Prefix length in bits (0..32 or 0..128). */
  readonly len: number;
  /** 4 or 16 bytes, host bits zero. Owned: never a view into a receive buffer. */
  readonly addr: Uint8Array;
}

/** A prefix as carried in NLRI, with its RFC 7911 path identifier (0 without ADD-PATH). */
export interface Nlri extends Prefix {
  readonly pathId: number;
}

export const addrBytes = (afi: Afi): number => (afi === Afi.IPV4 ? 4 : 16);

/**
 * An IPv4 NLRI as the codec makes it: the address as one signed 32-bit number (`v4`, a
 * small integer to V8), and `addr` made on demand. A full table holds a million of these,
 * and a Uint8Array per address (even a view into a shared buffer) costs 96 bytes and an
 * object for the garbage collector to trace. The hot paths (prefix maps and slots, the
 * trie, NLRI encoding) read `v4` through `addrWord`; everything else sees an ordinary
 * Prefix. `addr` is a fresh copy on every read: write into it and nothing changes.
 */
export class Nlri4 implements Nlri {
  readonly afi: Afi;
  constructor(
    /** Address bits as a signed 32-bit integer, host bits zero. */
    readonly v4: number,
    readonly len: number,
    readonly pathId: number,
  ) {
    this.afi = Afi.IPV4;
  }

  get addr(): Uint8Array {
    const a = new Uint8Array(4), v = this.v4;
    a[0] = v >>> 24;
    a[1] = v >>> 16;
    a[2] = v >>> 8;
    a[3] = v;
    return a;
  }
}

/**
 * An IPv6 NLRI as the codec makes it: the address as four signed 32-bit words, `addr` made
 * on demand (see Nlri4).
 */
export class Nlri6 implements Nlri {
  readonly afi: Afi;
  constructor(
    readonly w0: number,
    readonly w1: number,
    readonly w2: number,
    readonly w3: number,
    readonly len: number,
    readonly pathId: number,
  ) {
    this.afi = Afi.IPV6;
  }

  get addr(): Uint8Array {
    const a = new Uint8Array(16);
    for (let i = 0; i < 16; i++) a[i] = addrWord(this, i >> 2) >>> (24 - 8 * (i & 3));
    return a;
  }
}

/** Host bits of word `w` (0-based) of an address with prefix length `len` cleared. */
export const maskWord = (v: number, w: number, len: number): number => {
  const bits = len - 32 * w;
  return bits >= 32 ? v | 0 : bits <= 0 ? 0 : v & (~0 << (32 - bits));
};

/** The NLRI object for a prefix and path id as the codec makes it (Nlri4 / Nlri6). */
export function makeNlri(p: Prefix, pathId: number): Nlri {
  if (p.afi === Afi.IPV4) return new Nlri4(addrWord(p, 0), p.len, pathId);
  return new Nlri6(addrWord(p, 0), addrWord(p, 1), addrWord(p, 2), addrWord(p, 3), p.len, pathId);
}

/**
 * Word i (0-based, 32 bits, signed) of a prefix's address; an IPv4 address has one. The hot
 * paths read addresses this way: an Nlri4 / Nlri6 answers without making its bytes.
 */
export function addrWord(p: Prefix, i: number): number {
  const v = (p as Partial<Nlri4>).v4;
  if (v !== undefined) return i === 0 ? v : 0;
  if (p instanceof Nlri6) return i === 0 ? p.w0 : i === 1 ? p.w1 : i === 2 ? p.w2 : p.w3;
  const a = p.addr, o = i * 4;
  return (a[o]! << 24) | (a[o + 1]! << 16) | (a[o + 2]! << 8) | a[o + 3]!;
}

/** Parses "10.0.0.0/8", "fd00::/64", or a bare address (full length). Throws on bad text. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseAddress(addrText);
  const afi = addr.length === 4 ? Afi.IPV4 : Afi.IPV6;
  const max = addr.length * 8;
  let len = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) throw new RangeError(`invalid prefix length in ${text}`);
    len = Number(lenText);
    if (len > max) throw new RangeError(`prefix length ${len} too long in ${text}`);
  }
  maskHostBits(addr, len);
  return { afi, len, addr };
}

/** Parses an IPv4 or IPv6 address to 4 or 16 bytes. Throws RangeError on bad text. */
export function parseAddress(text: string): Uint8Array {
  if (text.includes(':')) return parseIPv6(text);
  const parts = text.split('.');
  if (parts.length !== 4) throw new RangeError(`invalid IPv4 address ${text}`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new RangeError(`invalid IPv4 address ${text}`);
    out[i] = Number(p);
  }
  return out;
}

function parseIPv6(text: string): Uint8Array {
  const bad = () => new RangeError(`invalid IPv6 address ${text}`);
  let s = text;
  let tail4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    tail4 = parseAddress(s.slice(lastColon + 1));
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) throw bad();
  const split = (x: string) => (x === '' ? [] : x.split(':'));
  const head = dbl < 0 ? split(s) : split(s.slice(0, dbl));
  const tail = dbl < 0 ? [] : split(s.slice(dbl + 2));
  const groups = head.length + tail.length;
  if (dbl < 0 ? groups !== 8 : groups > 7) throw bad();
  const words = [...head, ...new Array<string>(8 - groups).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = words[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) throw bad();
    const v = parseInt(w, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

export function maskHostBits(addr: Uint8Array, len: number): void {
  for (let i = 0; i < addr.length; i++) {
    const bits = len - i * 8;
    if (bits >= 8) continue;
    addr[i] = bits <= 0 ? 0 : addr[i]! & (0xff << (8 - bits));
  }
}

/** Formats 4 or 16 address bytes: dotted quad, or RFC 5952 IPv6 text. */
export function formatAddress(addr: Uint8Array): string {
  if (addr.length === 4) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((addr[i]! << 8) | addr[i + 1]!);
  // RFC 5952 §4.2: compress the longest run (≥ 2) of zero words, the first one on a tie.
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}

export const formatPrefix = (p: Prefix): string => `${formatAddress(p.addr)}/${p.len}`;

/**
 * A Map key for an address's bytes: a small integer for 4 (signed: V8 keeps it unboxed),
 * an 8-character string for 16, undefined for any other length.
 */
export function addressKey(b: Uint8Array): number | string | undefined {
  if (b.length === 4) return (b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!;
  if (b.length !== 16) return undefined;
  let s = '';
  for (let i = 0; i < 16; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
  return s;
}

export function prefixEquals(a: Prefix, b: Prefix): boolean {
  if (a.afi !== b.afi || a.len !== b.len) return false;
  const x = a.addr, y = b.addr; // once each: an Nlri4 / Nlri6 makes a new array at each read
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

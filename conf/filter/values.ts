// Runtime operations on filter values (BIRD 1.6 filter/filter.c, lib/patmatch.c,
// nest/a-path.c, nest/a-set.c). Values are plain JS data, no wrappers:
//   int/enum → number (ints are C `int`: arithmetic wraps to signed 32 bits),
//   bool → boolean, string → string, ip → Uint8Array(4|16), prefix → Prefix,
//   pair → number (asn << 16 | value, unsigned, the codec's community form),
//   quad → number (unsigned), lc → LargeCommunity, clist → number[], lclist → LargeCommunity[],
//   path → AsPathSegment[], undefined → BIRD's T_VOID.
// Everything here is allocation-free on the read paths; list edits return new arrays.
// Leaves out: extended communities, int sets over clists (`clist ~ [(a,*)]`).

import type { Prefix } from '../../src/rib/prefix.js';
import { Afi, formatAddress, formatPrefix } from '../../src/rib/prefix.js';
import { AsPathSegmentType } from '../../src/bgp/codec/types.js';
import type { AsPathSegment, LargeCommunity } from '../../src/bgp/codec/types.js';
import type { MaskItem, PrefixPattern } from './ast.js';

/** A runtime error inside a filter: BIRD logs it and drops the route. */
export class FilterRuntimeError extends Error {
  override readonly name = 'FilterRuntimeError';
}

export const runtime = (msg: string): never => {
  throw new FilterRuntimeError(msg);
};

export const EMPTY_LIST: readonly never[] = Object.freeze([]);

/** First `bits` bits of a and b equal. */
export function bitsEqual(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[full]! ^ b[full]!) & mask) === 0;
}

/** `net ~ p`: net lies inside p. */
export const prefixInPrefix = (net: Prefix, p: Prefix): boolean =>
  net.afi === p.afi && net.len >= p.len && bitsEqual(net.addr, p.addr, p.len);

/** `ip ~ p` */
export const ipInPrefix = (ip: Uint8Array, p: Prefix): boolean =>
  ip.length === p.addr.length && bitsEqual(ip, p.addr, p.len);

/**
 * `net ~ [ a/l{lo,hi}, … ]`: some element has lo ≤ net.len ≤ hi and the first
 * min(l, net.len) bits of net and a agree (so `a/l-` matches a/l and its supernets).
 */
export function prefixSetMatch(set: readonly PrefixPattern[], net: Prefix): boolean {
  let addr: Uint8Array | undefined; // read once: an IPv4 NLRI makes its bytes on each read
  for (let i = 0; i < set.length; i++) {
    const e = set[i]!;
    if (e.net.afi !== net.afi || net.len < e.lo || net.len > e.hi) continue;
    if (bitsEqual((addr ??= net.addr), e.net.addr, net.len < e.net.len ? net.len : e.net.len)) return true;
  }
  return false;
}

export const prefixEq = (a: Prefix, b: Prefix): boolean =>
  a.afi === b.afi && a.len === b.len && bitsEqual(a.addr, b.addr, a.addr.length * 8);

export function ipCompare(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Shell-style pattern (`*`, `?`) as BIRD's patmatch() reads it, compiled once. */
export function compilePattern(pat: string): RegExp {
  let re = '^';
  for (const c of pat) {
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

// ---- AS paths (nest/a-path.c) -----------------------------------------------------------

/** `bgp_path.len`: an AS_SET counts as one. */
export function pathLen(p: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of p) n += s.type === AsPathSegmentType.AS_SET || s.type === AsPathSegmentType.AS_CONFED_SET ? 1 : s.asns.length;
  return n;
}

/** `bgp_path.first`: the neighbour's ASN, 0 for an empty path. */
export function pathFirst(p: readonly AsPathSegment[]): number {
  const s = p[0];
  return s && s.type === AsPathSegmentType.AS_SEQUENCE && s.asns.length ? s.asns[0]! : 0;
}

/** `bgp_path.last`: the origin ASN, 0 when the path is empty or ends with an AS_SET. */
export function pathLast(p: readonly AsPathSegment[]): number {
  let res = 0;
  for (const s of p) {
    if (s.type === AsPathSegmentType.AS_SEQUENCE && s.asns.length) res = s.asns[s.asns.length - 1]!;
    else if (s.asns.length) res = 0;
  }
  return res;
}

/** `bgp_path.prepend(asn)`: a new path with asn in front (new segment when the first is full or a set). */
export function pathPrepend(p: readonly AsPathSegment[] | undefined, asn: number): readonly AsPathSegment[] {
  const a = asn >>> 0;
  if (!p || p.length === 0) return [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [a] }];
  const s = p[0]!;
  if (s.type === AsPathSegmentType.AS_SEQUENCE && s.asns.length < 255) {
    return [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [a, ...s.asns] }, ...p.slice(1)];
  }
  return [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [a] }, ...p];
}

/**
 * `path ~ [= … =]`: the whole path matches the mask, `*` any run of ASNs, `?` one ASN;
 * an AS_SET is one position that matches an ASN item when it contains it.
 */
export function pathMatch(p: readonly AsPathSegment[], mask: readonly MaskItem[]): boolean {
  // Positions: sequence members one by one, a set as a whole.
  const pos: (number | readonly number[])[] = [];
  for (const s of p) {
    if (s.type === AsPathSegmentType.AS_SEQUENCE || s.type === AsPathSegmentType.AS_CONFED_SEQUENCE) {
      for (const a of s.asns) pos.push(a);
    } else if (s.asns.length) pos.push(s.asns);
  }
  const n = pos.length;
  // cur[j]: mask[0..i) can match pos[0..j)
  let cur = new Uint8Array(n + 1);
  let nxt = new Uint8Array(n + 1);
  cur[0] = 1;
  for (const m of mask) {
    nxt.fill(0);
    if (m === '*') {
      let any = 0;
      for (let j = 0; j <= n; j++) { any |= cur[j]!; nxt[j] = any; }
    } else {
      for (let j = 0; j < n; j++) {
        if (!cur[j]) continue;
        const at = pos[j]!;
        const ok = m === '?' || (typeof at === 'number' ? at === m : at.includes(m));
        if (ok) nxt[j + 1] = 1;
      }
    }
    const t = cur; cur = nxt; nxt = t;
  }
  return cur[n] === 1;
}

// ---- community lists (nest/a-set.c) ------------------------------------------------------

export const clistContains = (l: readonly number[], v: number): boolean => l.includes(v >>> 0);

export function clistAdd(l: readonly number[], v: number): readonly number[] {
  const u = v >>> 0;
  return l.includes(u) ? l : [...l, u];
}

export function clistDelete(l: readonly number[], pred: (v: number) => boolean): readonly number[] {
  const out = l.filter((x) => !pred(x));
  return out.length === l.length ? l : out;
}

export const lcEq = (a: LargeCommunity, b: LargeCommunity): boolean =>
  a.global === b.global && a.local1 === b.local1 && a.local2 === b.local2;

export function lclistContains(l: readonly LargeCommunity[], v: LargeCommunity): boolean {
  for (let i = 0; i < l.length; i++) if (lcEq(l[i]!, v)) return true;
  return false;
}

export function lclistAdd(l: readonly LargeCommunity[], v: LargeCommunity): readonly LargeCommunity[] {
  return lclistContains(l, v) ? l : [...l, v];
}

export function lclistDelete(l: readonly LargeCommunity[], v: LargeCommunity): readonly LargeCommunity[] {
  const out = l.filter((x) => !lcEq(x, v));
  return out.length === l.length ? l : out;
}

// ---- generic (dynamically typed) operations ----------------------------------------------

const isPrefix = (v: unknown): v is Prefix =>
  typeof v === 'object' && v !== null && 'afi' in v && 'len' in v && 'addr' in v;
const isLc = (v: unknown): v is LargeCommunity => typeof v === 'object' && v !== null && 'local1' in v;

/**
 * BIRD 1.6 val_compare for values whose types are known only at run time: an undefined
 * value compares below everything ("hack for else"), mismatched types are an error.
 */
export function compareAny(a: unknown, b: unknown): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length) return ipCompare(a, b);
  if (isPrefix(a) && isPrefix(b)) {
    const c = ipCompare(a.addr, b.addr);
    return c !== 0 ? c : a.len - b.len;
  }
  if (isLc(a) && isLc(b)) return a.global - b.global || a.local1 - b.local1 || a.local2 - b.local2;
  return runtime("Can't compare values of incompatible types");
}

export function sameAny(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameAny(a[i], b[i])) return false;
    return true;
  }
  if (typeof a === 'object' && a !== null && 'asns' in a && typeof b === 'object' && b !== null && 'asns' in b) {
    return (a as AsPathSegment).type === (b as AsPathSegment).type && sameAny((a as AsPathSegment).asns, (b as AsPathSegment).asns);
  }
  return compareAny(a, b) === 0;
}

/** val_format(): the text `print` writes for a value. */
export function formatValue(v: unknown, t?: string): string {
  if (v === undefined) return '(void)';
  if (t === 'pair') return `(${(v as number) >>> 16},${(v as number) & 0xffff})`;
  if (t === 'quad') { const n = v as number; return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`; }
  if (t === 'clist') return (v as number[]).map((x) => `(${x >>> 16},${x & 0xffff})`).join(' ');
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  if (v instanceof Uint8Array) return formatAddress(v);
  if (isPrefix(v)) return formatPrefix(v);
  if (isLc(v)) return `(${v.global}, ${v.local1}, ${v.local2})`;
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'object' && v[0] !== null && 'asns' in v[0]) {
      return (v as AsPathSegment[])
        .map((s) => (s.type === AsPathSegmentType.AS_SEQUENCE ? s.asns.join(' ') : `{${s.asns.join(' ')}}`))
        .join(' ');
    }
    return v.map((x) => formatValue(x)).join(' ');
  }
  return String(v);
}

/** The zero address of a family (what `gw` reads as on a route without a gateway). */
export const ZERO_IP4 = new Uint8Array(4);
export const ZERO_IP6 = new Uint8Array(16);
export const zeroAddr = (afi: Afi): Uint8Array => (afi === Afi.IPV4 ? ZERO_IP4 : ZERO_IP6);

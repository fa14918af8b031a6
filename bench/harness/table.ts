// The tester's synthetic routing table for the propagation benchmark: deterministic from a
// seed, with a realistic prefix-length mix and attribute distribution, and its pre-encoding
// into UPDATE messages (RFC 4271 §4.3; IPv6 in MP_REACH_NLRI, RFC 4760 §3) with the codec's
// packUpdates, one encodeAttributeBlock per attribute set.
//
//   IPv4 lengths: ~63 % /24, ~35 % /16–/23 (most /22 and /23), ~0.5 % /8–/15 (most /14, /15).
//   IPv6 lengths: ~55 % /48, ~35 % /32–/44, a few /29, /46, /47.
//   AS paths: count/20 distinct paths (10..60 000), each the tester's AS then 1–8 ASNs
//   (about a third 4-octet), drawn with a skew so that a few paths carry many prefixes.
//   Attribute sets: count/6 (≤ 200 000) = path × ORIGIN × optional MED × optional
//   communities (≈ 40 % of sets carry 1–3 from a pool of 200); prefixes spread over sets with
//   a skew as well (many sets with 1–3 prefixes, some with hundreds).
// Private and reserved ASNs (0, 23456, 64512–65535, ≥ 4200000000) never appear, so no DUT
// drops a route for an AS loop. Addresses avoid 0/8, 10/8, 100.64/10, 127/8, 198.18/15 and
// 224/3 (IPv4) and stay inside 2000::/3 (IPv6).
// Leaves out: withdrawals, ADD-PATH on the tester side, extended messages (4096-byte UPDATEs).

import {
  type AsPathSegment, type CodecContext, DEFAULT_CODEC_CONTEXT, type NextHop, type PathAttributes,
  encodeAttributeBlock, encodeEndOfRib, packUpdates,
} from '../../src/bgp/codec/index.js';
import { Afi, Safi, type Nlri } from '../../src/rib/prefix.js';

export interface TableSpec {
  readonly afi: Afi;
  readonly count: number;
  readonly seed: number;
  /** The tester's AS: first in every AS path. */
  readonly firstAs: number;
}

export interface AttrSetSpec {
  readonly origin: number;
  /** The whole AS_SEQUENCE as sent by the tester (firstAs first). */
  readonly asPath: readonly number[];
  readonly med?: number;
  readonly communities?: readonly number[];
}

/** The table in compact form: prefix i is (addr bytes at i*width, len[i]) in set setOf[i]. */
export interface SyntheticTable {
  readonly spec: TableSpec;
  /** 4 or 16 bytes per prefix. */
  readonly width: number;
  readonly addrs: Uint8Array;
  readonly lens: Uint8Array;
  readonly setOf: Uint32Array;
  readonly sets: readonly AttrSetSpec[];
  /** Distinct AS paths generated. */
  readonly paths: number;
}

/** sfc32: a small, fast, seedable 32-bit generator; returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed, b = 0x243f6a88 + seed, c = 0xb7e15162 ^ (seed * 31), d = 1;
  const next = (): number => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** Picks from a cumulative weight table. */
function pick(r: () => number, cumulative: readonly number[], values: readonly number[]): number {
  const x = r() * cumulative[cumulative.length - 1]!;
  for (let i = 0; i < cumulative.length; i++) if (x < cumulative[i]!) return values[i]!;
  return values[values.length - 1]!;
}

function cumulate(weights: readonly number[]): number[] {
  let s = 0;
  return weights.map((w) => (s += w));
}

const V4_LENS = [24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8];
const V4_CUM = cumulate([63, 9, 11, 5, 4.5, 3, 1.5, 1, 1.5, 0.2, 0.15, 0.075, 0.04, 0.02, 0.01, 0.0035, 0.0015]);
const V6_LENS = [48, 32, 44, 40, 36, 29, 46, 47, 42, 38];
const V6_CUM = cumulate([55, 13, 9, 7, 4, 3, 3, 2, 2, 2]);

/** A public-looking ASN: 2-octet 1..64495 (not 23456) or 4-octet 131072..4199999999. */
function publicAsn(r: () => number): number {
  if (r() < 0.33) return 131072 + Math.floor(r() * 400_000);
  for (;;) {
    const a = 1 + Math.floor(r() * 64_495);
    if (a !== 23456) return a;
  }
}

function v4Allowed(a: number): boolean {
  const o1 = a >>> 24, o2 = (a >>> 16) & 0xff;
  if (o1 === 0 || o1 === 10 || o1 === 127 || o1 >= 224) return false;
  if (o1 === 100 && (o2 & 0xc0) === 64) return false;
  if (o1 === 198 && (o2 & 0xfe) === 18) return false;
  return true;
}

/** Skewed index in [0, n): small indices much more likely (u^k). */
function skewed(r: () => number, n: number, k: number): number {
  return Math.min(n - 1, Math.floor(n * Math.pow(r(), k)));
}

export function generateTable(spec: TableSpec): SyntheticTable {
  const r = rng(spec.seed);
  const n = spec.count;
  const v6 = spec.afi === Afi.IPV6;
  const width = v6 ? 16 : 4;
  const addrs = new Uint8Array(n * width);
  const lens = new Uint8Array(n);
  const setOf = new Uint32Array(n);

  // AS paths.
  const nPaths = Math.max(10, Math.min(60_000, Math.round(n / 20)));
  const transit: number[] = [];
  for (let i = 0; i < 40; i++) transit.push(publicAsn(r));
  const paths: number[][] = [];
  for (let i = 0; i < nPaths; i++) {
    const len = 1 + skewed(r, 8, 1.6);
    const p = [spec.firstAs];
    // Most paths go through a well-connected transit AS first.
    if (r() < 0.7) p.push(transit[skewed(r, transit.length, 2)]!);
    while (p.length < len + 1) p.push(publicAsn(r));
    paths.push(p);
  }
  const communityPool: number[] = [];
  for (let i = 0; i < 200; i++) {
    const asn = 1 + Math.floor(r() * 64_495);
    communityPool.push(((asn << 16) | Math.floor(r() * 65_536)) >>> 0);
  }
  const MEDS = [0, 10, 20, 50, 100, 200, 1000];

  // Attribute sets.
  const nSets = Math.max(1, Math.min(200_000, Math.round(n / 6)));
  const sets: AttrSetSpec[] = [];
  for (let i = 0; i < nSets; i++) {
    const x = r();
    const origin = x < 0.85 ? 0 : x < 0.98 ? 2 : 1;
    const s: { origin: number; asPath: readonly number[]; med?: number; communities?: readonly number[] } = {
      origin,
      asPath: paths[skewed(r, nPaths, 1.5)]!,
    };
    if (r() < 0.3) s.med = MEDS[Math.floor(r() * MEDS.length)]!;
    if (r() < 0.4) {
      const k = 1 + Math.floor(r() * 3);
      const cs = new Set<number>();
      while (cs.size < k) cs.add(communityPool[Math.floor(r() * communityPool.length)]!);
      s.communities = [...cs].sort((a, b) => a - b);
    }
    sets.push(s);
  }

  // Prefixes, distinct.
  if (!v6) {
    const seen = new Set<number>();
    let i = 0;
    while (i < n) {
      const len = pick(r, V4_CUM, V4_LENS);
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      const a = (Math.floor(r() * 4294967296) & mask) >>> 0;
      if (!v4Allowed(a)) continue;
      const key = a * 64 + len;
      if (seen.has(key)) continue;
      seen.add(key);
      addrs[i * 4] = a >>> 24;
      addrs[i * 4 + 1] = (a >>> 16) & 0xff;
      addrs[i * 4 + 2] = (a >>> 8) & 0xff;
      addrs[i * 4 + 3] = a & 0xff;
      lens[i] = len;
      i++;
    }
  } else {
    const seen = new Set<string>();
    let i = 0;
    const b = new Uint8Array(8);
    while (i < n) {
      const len = pick(r, V6_CUM, V6_LENS);
      // 2000::/3, then random bits down to the prefix length (all lengths ≤ 64 here).
      const hi = (0x2000 | Math.floor(r() * 0x2000)) >>> 0;
      b[0] = hi >>> 8;
      b[1] = hi & 0xff;
      for (let k = 2; k < 8; k++) b[k] = Math.floor(r() * 256);
      for (let k = 0; k < 8; k++) {
        const bits = len - k * 8;
        if (bits < 8) b[k] = bits <= 0 ? 0 : b[k]! & (0xff << (8 - bits));
      }
      let key = String.fromCharCode(len);
      for (let k = 0; k < 8; k++) key += String.fromCharCode(b[k]!);
      if (seen.has(key)) continue;
      seen.add(key);
      addrs.set(b, i * 16);
      lens[i] = len;
      i++;
    }
  }

  // Prefixes to sets: every set gets one prefix (while there are enough), the rest skewed.
  for (let i = 0; i < n; i++) setOf[i] = i < nSets ? i : skewed(r, nSets, 2.2);
  // Shuffle so that set order is not prefix order (Fisher–Yates over the set assignment).
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = setOf[i]!;
    setOf[i] = setOf[j]!;
    setOf[j] = t;
  }
  return { spec, width, addrs, lens, setOf, sets, paths: nPaths };
}

export function prefixNlri(t: SyntheticTable, i: number): Nlri {
  const w = t.width;
  return { afi: t.spec.afi, len: t.lens[i]!, addr: t.addrs.slice(i * w, i * w + w), pathId: 0 };
}

export function setAttributes(s: AttrSetSpec): PathAttributes {
  const asPath: AsPathSegment[] = [{ type: 2, asns: s.asPath }];
  const a: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { origin: s.origin, asPath };
  if (s.med !== undefined) a.med = s.med;
  if (s.communities !== undefined) a.communities = s.communities;
  return a;
}

/** The codec context the tester encodes for: 4-octet AS, no ADD-PATH, 4096-byte messages, eBGP. */
export const TESTER_CODEC: CodecContext = { ...DEFAULT_CODEC_CONTEXT, as4: true, ebgp: true };

export interface EncodedTable {
  readonly messages: Buffer[];
  readonly endOfRib: Buffer;
  readonly bytes: number;
  readonly prefixes: number;
}

/**
 * Packs the table into UPDATEs: prefixes grouped by attribute set (sets in a shuffled
 * order), each group split over as many 4096-byte messages as needed.
 */
export function encodeTable(t: SyntheticTable, nextHop: NextHop, ctx: CodecContext = TESTER_CODEC): EncodedTable {
  const nSets = t.sets.length;
  // Counting sort of prefix indices by set.
  const start = new Uint32Array(nSets + 1);
  for (let i = 0; i < t.setOf.length; i++) start[t.setOf[i]! + 1]!++;
  for (let s = 0; s < nSets; s++) start[s + 1]! += start[s]!;
  const fill = start.slice(0, nSets);
  const order = new Uint32Array(t.setOf.length);
  for (let i = 0; i < t.setOf.length; i++) order[fill[t.setOf[i]!]!++] = i;

  const setOrder = Array.from({ length: nSets }, (_, i) => i);
  const r = rng(t.spec.seed ^ 0x5bd1e995);
  for (let i = nSets - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [setOrder[i], setOrder[j]] = [setOrder[j]!, setOrder[i]!];
  }

  const messages: Buffer[] = [];
  let bytes = 0;
  for (const s of setOrder) {
    const from = start[s]!, to = start[s + 1]!;
    if (from === to) continue;
    const nlri: Nlri[] = [];
    for (let k = from; k < to; k++) nlri.push(prefixNlri(t, order[k]!));
    const block = encodeAttributeBlock(setAttributes(t.sets[s]!), ctx);
    for (const m of packUpdates(block, t.spec.afi, nextHop, nlri, ctx)) {
      messages.push(m);
      bytes += m.length;
    }
  }
  const endOfRib = encodeEndOfRib(t.spec.afi, Safi.UNICAST);
  return { messages, endOfRib, bytes, prefixes: t.setOf.length };
}

/**
 * Whole messages concatenated into writes of about 64 KiB: one socket write per message
 * would make the tester, not the DUT, the bottleneck for the fastest DUTs.
 */
export function chunkMessages(messages: readonly Buffer[], size = 65536): Buffer[] {
  const out: Buffer[] = [];
  let part: Buffer[] = [];
  let len = 0;
  for (const m of messages) {
    if (len + m.length > size && part.length) {
      out.push(Buffer.concat(part, len));
      part = [];
      len = 0;
    }
    part.push(m);
    len += m.length;
  }
  if (part.length) out.push(Buffer.concat(part, len));
  return out;
}

/** Indices of about `want` prefixes spread evenly over the table (for attribute checks). */
export function sampleIndices(count: number, want = 1000): number[] {
  const step = Math.max(1, Math.floor(count / want));
  const out: number[] = [];
  for (let i = 0; i < count; i += step) out.push(i);
  return out;
}

/** Route-reflector scenario: block b is 100.64.0.0 + 64·b, /26 (100.64.0.0/10 holds 65 536). */
export const RR_BASE = 0x64400000;

export function rrBlock(b: number): Nlri {
  const a = (RR_BASE + b * 64) >>> 0;
  return { afi: Afi.IPV4, len: 26, addr: Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff), pathId: 0 };
}

// An exact-match map keyed by prefix, for tables that never need longest match or ordered
// walks and hold a value object per prefix anyway (the kernel protocol's slots, ADD-PATH
// lists in an Adj-RIB-Out; a peer's Adj-RIB-In and Adj-RIB-Out themselves are PrefixSlots,
// prefix-slots.ts): JS Maps with compact keys. Every IPv4 key is
// a small integer, which V8 stores unboxed and hashes fast (a double key costs a heap
// number per call and a slower hash: measured 21% of a route reflector's CPU): prefixes up
// to /24 (nearly all of a BGP table) key as (address >>> 8) × 33 + length, below 2^30, in
// one map; /25 to /32 key as the address as a signed 32-bit integer, one map per length.
// IPv6 keys are short strings. Measured faster than the trie for insert/lookup-heavy use
// (bench/pipeline.ts).

import { Afi, addrWord, type Prefix } from './prefix.js';

/** Small-integer key for IPv4 prefixes of length ≤ 24 (the host byte is zero). */
const shortKey4 = (p: Prefix): number => (addrWord(p, 0) >>> 8) * 33 + p.len;

/** Signed 32-bit key of an IPv4 address (a small integer for V8). */
const longKey4 = (p: Prefix): number => addrWord(p, 0);

export function prefixKey6(p: Prefix): string {
  let s = String.fromCharCode(p.len);
  for (let w = 0; w < 4; w++) {
    const v = addrWord(p, w);
    s += String.fromCharCode(v >>> 16, v & 0xffff);
  }
  return s;
}

export class PrefixMap<V> {
  /** IPv4 up to /24. */
  private readonly v4s = new Map<number, V>();
  /** IPv4 /25 to /32: index len - 25. */
  private readonly v4l: Map<number, V>[] = Array.from({ length: 8 }, () => new Map<number, V>());
  private readonly v6 = new Map<string, V>();

  get(p: Prefix): V | undefined {
    if (p.afi !== Afi.IPV4) return this.v6.get(prefixKey6(p));
    return p.len <= 24 ? this.v4s.get(shortKey4(p)) : this.v4l[p.len - 25]!.get(longKey4(p));
  }

  set(p: Prefix, v: V): void {
    if (p.afi !== Afi.IPV4) this.v6.set(prefixKey6(p), v);
    else if (p.len <= 24) this.v4s.set(shortKey4(p), v);
    else this.v4l[p.len - 25]!.set(longKey4(p), v);
  }

  delete(p: Prefix): boolean {
    if (p.afi !== Afi.IPV4) return this.v6.delete(prefixKey6(p));
    return p.len <= 24 ? this.v4s.delete(shortKey4(p)) : this.v4l[p.len - 25]!.delete(longKey4(p));
  }

  /** Values of one family, or of both. Do not add or delete while iterating. */
  *values(afi?: Afi): IterableIterator<V> {
    if (afi !== Afi.IPV6) {
      yield* this.v4s.values();
      for (const m of this.v4l) yield* m.values();
    }
    if (afi !== Afi.IPV4) yield* this.v6.values();
  }

  get size(): number {
    let n = this.v4s.size + this.v6.size;
    for (const m of this.v4l) n += m.size;
    return n;
  }

  clear(): void {
    this.v4s.clear();
    for (const m of this.v4l) m.clear();
    this.v6.clear();
  }
}

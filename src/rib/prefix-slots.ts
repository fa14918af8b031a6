// Dense slot numbers for (prefix, path id) keys: the index under a peer's Adj-RIB-In and
// Adj-RIB-Out. Each key gets a small integer (its slot); callers keep what they store per
// key in their own columns indexed by slot (typed arrays, or plain arrays of pointers),
// sized to `capacity`. Against a JS Map with one entry object per key this holds a million
// keys in about 30 bytes each and gives the garbage collector nothing per key to trace
// but one pointer (the prefix object, which the routing table holds anyway).
//
//   slot s:  key[3s]     IPv4: the address; IPv6: its first 32 bits (the rest is compared
//                         through pfx[s] on a hit)
//            key[3s+1]   prefix length | V6 | LIVE
//            key[3s+2]   path id (RFC 7911; 0 without ADD-PATH)
//            pfx[s]      the caller's Prefix object for the key (owned by nobody here)
//   index:   open addressing, linear probing, (hash, slot) pairs with slot -1 for empty;
//            deletion by backward shift (no tombstones), kept at most half full. A probe
//            touches the index pair and, on a hash match, the slot's three key words: two
//            cache lines for a table far bigger than the cache, where separate arrays per
//            field cost one each.
//
// Free slots are reused (last freed, first reused). Walks go by slot number: a walk that
// keeps a slot cursor across event-loop turns sees keys removed behind its back as not
// live and may miss keys added meanwhile (callers rely on exactly that, see
// AdjRibOut.sentWalk).
//
// Leaves out: ordered walks and longest match (that is the trie's job, rib/trie.ts).

import { Afi, addrWord, type Prefix } from './prefix.js';

const V6 = 0x100;
const LIVE = 0x200;
const LEN = 0xff;


/** Grows a typed column to `cap` entries, keeping its contents. */
export function growInt32<T extends Int32Array>(a: T, cap: number): T {
  if (a.length >= cap) return a;
  const b = new Int32Array(cap);
  b.set(a);
  return b as T;
}

export function growUint8<T extends Uint8Array>(a: T, cap: number): T {
  if (a.length >= cap) return a;
  const b = new Uint8Array(cap);
  b.set(a);
  return b as T;
}

export class PrefixSlots<P extends Prefix = Prefix> {
  /** Slots callers may address: columns are sized to this. Grows by doubling. */
  capacity: number;
  /** The Prefix object of each live slot. */
  pfx: (P | undefined)[] = [];
  /** Set by findOrAdd: whether the slot it returned is new. */
  added = false;
  private key: Int32Array;
  private index: Int32Array;
  /** Index pairs - 1 (a power of two minus one). */
  private imask: number;
  private freeList: number[] = [];
  /** Slots ever used (high-water mark). */
  private top = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    const cap = Math.max(4, initialCapacity);
    this.capacity = cap;
    this.key = new Int32Array(cap * 3);
    let pairs = 16;
    while (pairs < cap * 2) pairs *= 2;
    this.index = PrefixSlots.emptyIndex(pairs);
    this.imask = pairs - 1;
  }

  private static emptyIndex(pairs: number): Int32Array {
    const index = new Int32Array(pairs * 2);
    for (let i = 1; i < index.length; i += 2) index[i] = -1;
    return index;
  }

  get size(): number {
    return this.count;
  }

  /** One past the highest slot ever used: walks go over [0, end). */
  get end(): number {
    return this.top;
  }

  isLive(s: number): boolean {
    return (this.key[s * 3 + 1]! & LIVE) !== 0;
  }

  pathId(s: number): number {
    return this.key[s * 3 + 2]! >>> 0;
  }

  private static hash(k0: number, meta: number, pid: number, p: Prefix): number {
    let h = Math.imul(meta ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k0, 0xcc9e2d51);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    if (pid !== 0) h ^= Math.imul(pid, 0x1b873593);
    if ((meta & V6) !== 0) {
      for (let w = 1; w < 4; w++) {
        h ^= Math.imul(addrWord(p, w), 0xcc9e2d51);
        h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
      }
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h;
  }

  /**
   * Probes for (p, pathId): the slot (≥ 0), or, when absent, -(i + 1) for the empty index
   * pair i where it would go. `h` receives the hash.
   */
  private probe(p: Prefix, k0: number, meta: number, pid: number, h: number): number {
    const index = this.index, mask = this.imask, key = this.key;
    const v6 = (meta & V6) !== 0;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = index[2 * i + 1]!;
      if (s < 0) return -(i + 1);
      if (index[2 * i] === h && key[3 * s] === k0 && key[3 * s + 1] === meta && key[3 * s + 2] === pid && (!v6 || this.sameV6(s, p))) return s;
    }
  }

  /** The slot of (p, pathId), or -1. */
  find(p: Prefix, pathId: number): number {
    const k0 = addrWord(p, 0);
    const meta = p.len | (p.afi !== Afi.IPV4 ? V6 : 0) | LIVE;
    const pid = pathId | 0;
    const r = this.probe(p, k0, meta, pid, PrefixSlots.hash(k0, meta, pid, p));
    return r >= 0 ? r : -1;
  }

  /**
   * The slot of (p, pathId), made if absent (then `p` is kept as its Prefix object and
   * `added` is true). May raise `capacity`: callers grow their columns after it.
   */
  findOrAdd(p: P, pathId: number): number {
    const k0 = addrWord(p, 0);
    const meta = p.len | (p.afi !== Afi.IPV4 ? V6 : 0) | LIVE;
    const pid = pathId | 0;
    const h = PrefixSlots.hash(k0, meta, pid, p);
    const r = this.probe(p, k0, meta, pid, h);
    if (r >= 0) {
      this.added = false;
      return r;
    }
    this.added = true;
    return this.insert(p, k0, meta, pid, h, -r - 1);
  }

  private sameV6(s: number, p: Prefix): boolean {
    const q = this.pfx[s]!;
    return addrWord(q, 1) === addrWord(p, 1) && addrWord(q, 2) === addrWord(p, 2) && addrWord(q, 3) === addrWord(p, 3);
  }

  /**
   * A new slot for (p, pathId), which must not be present. `p` is kept as the slot's Prefix
   * object. May raise `capacity`: callers grow their columns after it.
   */
  add(p: P, pathId: number): number {
    const s = this.findOrAdd(p, pathId);
    if (!this.added) throw new RangeError('PrefixSlots.add: key present');
    return s;
  }

  private insert(p: P, k0: number, meta: number, pid: number, h: number, at: number): number {
    let s: number;
    if (this.freeList.length > 0) s = this.freeList.pop()!;
    else {
      if (this.top === this.capacity) this.grow(this.capacity * 2);
      s = this.top++;
      this.pfx.push(undefined);
    }
    const key = this.key;
    key[3 * s] = k0;
    key[3 * s + 1] = meta;
    key[3 * s + 2] = pid;
    this.pfx[s] = p;
    this.count++;
    this.index[2 * at] = h;
    this.index[2 * at + 1] = s;
    if (this.count * 2 > this.imask + 1) this.rehash((this.imask + 1) * 2);
    return s;
  }

  /** Frees a live slot; its number may be handed out again by `add`. */
  remove(s: number): void {
    const index = this.index, mask = this.imask;
    let i = this.indexOf(s);
    // Backward-shift deletion: pull later entries of the probe run into the gap.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const t = index[2 * j + 1]!;
      if (t < 0) break;
      const home = index[2 * j]! & mask;
      // t may move to i if its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[2 * i] = index[2 * j]!;
        index[2 * i + 1] = t;
        i = j;
      }
    }
    index[2 * i + 1] = -1;
    this.key[3 * s + 1] = 0;
    this.pfx[s] = undefined;
    this.freeList.push(s);
    this.count--;
  }

  /** The index pair holding slot s (live). */
  private indexOf(s: number): number {
    const key = this.key;
    const h = PrefixSlots.hash(key[3 * s]!, key[3 * s + 1]!, key[3 * s + 2]!, this.pfx[s]!);
    const index = this.index, mask = this.imask;
    let i = h & mask;
    while (index[2 * i + 1] !== s) i = (i + 1) & mask;
    return i;
  }

  private grow(cap: number): void {
    this.key = growInt32(this.key, cap * 3);
    this.capacity = cap;
  }

  private rehash(pairs: number): void {
    const old = this.index;
    const index = PrefixSlots.emptyIndex(pairs);
    const mask = pairs - 1;
    for (let k = 0; k < old.length; k += 2) {
      const s = old[k + 1]!;
      if (s < 0) continue;
      const h = old[k]!;
      let i = h & mask;
      while (index[2 * i + 1]! >= 0) i = (i + 1) & mask;
      index[2 * i] = h;
      index[2 * i + 1] = s;
    }
    this.index = index;
    this.imask = mask;
  }

  clear(): void {
    this.key.fill(0, 0, this.top * 3);
    this.pfx = [];
    this.freeList = [];
    this.top = 0;
    this.count = 0;
    this.index = PrefixSlots.emptyIndex(this.imask + 1);
  }

  /** An independent copy with the same slot numbers. */
  copy(): PrefixSlots<P> {
    const c = new PrefixSlots<P>(4);
    c.capacity = this.capacity;
    c.key = this.key.slice();
    c.pfx = this.pfx.slice();
    c.index = this.index.slice();
    c.imask = this.imask;
    c.freeList = this.freeList.slice();
    c.top = this.top;
    c.count = this.count;
    return c;
  }
}

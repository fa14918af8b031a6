// Dense slot numbers for (prefix, path id) keys: the index under a peer's Adj-RIB-In and
// Adj-RIB-Out. Each key gets a small integer (its slot); callers keep what they store per
// key in their own columns indexed by slot (typed arrays, or plain arrays of pointers),
// sized to `capacity`. Against a JS Map with one entry object per key this holds a million
// keys in about 30 bytes each and gives the garbage collector nothing per key to trace
// but one pointer (the prefix object, which the routing table holds anyway).
//
//   slot s:  k0[s]    IPv4: the address; IPv6: its first 32 bits (the rest is compared
//                     through pfx[s].addr on a hit)
//            meta[s]  prefix length | V6 | LIVE
//            pid[s]   path id (RFC 7911; 0 without ADD-PATH)
//            pfx[s]   the caller's Prefix object for the key (owned by nobody here)
//   index:   open addressing, linear probing, slot number or -1; deletion by backward
//            shift (no tombstones), kept at most half full.
//
// Free slots are reused (last freed, first reused). Walks go by slot number: a walk that
// keeps a slot cursor across event-loop turns sees keys removed behind its back as not
// live and may miss keys added meanwhile (callers rely on exactly that, see
// AdjRibOut.sentWalk).
//
// Leaves out: ordered walks and longest match (that is the trie's job, rib/trie.ts).

import { Afi, ipv4Word, type Prefix } from './prefix.js';

const V6 = 0x100;
const LIVE = 0x200;
const LEN = 0xff;

function word(a: Uint8Array, i: number): number {
  return (a[i]! << 24) | (a[i + 1]! << 16) | (a[i + 2]! << 8) | a[i + 3]!;
}

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
  private k0: Int32Array;
  private meta: Int32Array;
  private pid: Int32Array;
  private index: Int32Array;
  private imask: number;
  private freeList: number[] = [];
  /** Slots ever used (high-water mark). */
  private top = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    const cap = Math.max(4, initialCapacity);
    this.capacity = cap;
    this.k0 = new Int32Array(cap);
    this.meta = new Int32Array(cap);
    this.pid = new Int32Array(cap);
    let isize = 16;
    while (isize < cap * 2) isize *= 2;
    this.index = new Int32Array(isize).fill(-1);
    this.imask = isize - 1;
  }

  get size(): number {
    return this.count;
  }

  /** One past the highest slot ever used: walks go over [0, end). */
  get end(): number {
    return this.top;
  }

  isLive(s: number): boolean {
    return (this.meta[s]! & LIVE) !== 0;
  }

  pathId(s: number): number {
    return this.pid[s]! >>> 0;
  }

  private static hash(k0: number, meta: number, pid: number, p: Prefix): number {
    let h = Math.imul(meta ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k0, 0xcc9e2d51);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    if (pid !== 0) h ^= Math.imul(pid, 0x1b873593);
    if ((meta & V6) !== 0) {
      const a = p.addr;
      for (let i = 4; i < 16; i += 4) {
        h ^= Math.imul(word(a, i), 0xcc9e2d51);
        h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
      }
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h;
  }

  /** The slot of (p, pathId), or -1. */
  find(p: Prefix, pathId: number): number {
    const v6 = p.afi !== Afi.IPV4;
    const k0 = ipv4Word(p);
    const meta = p.len | (v6 ? V6 : 0) | LIVE;
    const pid = pathId | 0;
    const index = this.index, mask = this.imask;
    for (let i = PrefixSlots.hash(k0, meta, pid, p) & mask; ; i = (i + 1) & mask) {
      const s = index[i]!;
      if (s < 0) return -1;
      if (this.k0[s] === k0 && this.meta[s] === meta && this.pid[s] === pid && (!v6 || this.sameV6(s, p))) return s;
    }
  }

  private sameV6(s: number, p: Prefix): boolean {
    const a = this.pfx[s]!.addr, b = p.addr;
    for (let i = 4; i < 16; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /**
   * A new slot for (p, pathId), which must not be present (find first). `p` is kept as the
   * slot's Prefix object. May raise `capacity`: callers grow their columns after it.
   */
  add(p: P, pathId: number): number {
    let s: number;
    if (this.freeList.length > 0) s = this.freeList.pop()!;
    else {
      if (this.top === this.capacity) this.grow(this.capacity * 2);
      s = this.top++;
      this.pfx.push(undefined);
    }
    const k0 = ipv4Word(p);
    const meta = p.len | (p.afi !== Afi.IPV4 ? V6 : 0) | LIVE;
    const pid = pathId | 0;
    this.k0[s] = k0;
    this.meta[s] = meta;
    this.pid[s] = pid;
    this.pfx[s] = p;
    this.count++;
    if (this.count * 2 > this.index.length) this.rehash(this.index.length * 2);
    else this.place(s, PrefixSlots.hash(k0, meta, pid, p));
    return s;
  }

  private place(s: number, h: number): void {
    const index = this.index, mask = this.imask;
    let i = h & mask;
    while (index[i]! >= 0) i = (i + 1) & mask;
    index[i] = s;
  }

  private slotHash(s: number): number {
    return PrefixSlots.hash(this.k0[s]!, this.meta[s]!, this.pid[s]!, this.pfx[s]!);
  }

  /** Frees a live slot; its number may be handed out again by `add`. */
  remove(s: number): void {
    const index = this.index, mask = this.imask;
    let i = this.slotHash(s) & mask;
    while (index[i] !== s) i = (i + 1) & mask;
    // Backward-shift deletion: pull later entries of the probe run into the gap.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const t = index[j]!;
      if (t < 0) break;
      const home = this.slotHash(t) & mask;
      // t may move to i if its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[i] = t;
        i = j;
      }
    }
    index[i] = -1;
    this.meta[s] = 0;
    this.pfx[s] = undefined;
    this.freeList.push(s);
    this.count--;
  }

  private grow(cap: number): void {
    this.k0 = growInt32(this.k0, cap);
    this.meta = growInt32(this.meta, cap);
    this.pid = growInt32(this.pid, cap);
    this.capacity = cap;
  }

  private rehash(size: number): void {
    this.index = new Int32Array(size).fill(-1);
    this.imask = size - 1;
    for (let s = 0; s < this.top; s++) if (this.isLive(s)) this.place(s, this.slotHash(s));
  }

  clear(): void {
    this.meta.fill(0, 0, this.top);
    this.pfx = [];
    this.freeList = [];
    this.top = 0;
    this.count = 0;
    this.index.fill(-1);
  }

  /** An independent copy with the same slot numbers. */
  copy(): PrefixSlots<P> {
    const c = new PrefixSlots<P>(4);
    c.capacity = this.capacity;
    c.k0 = this.k0.slice();
    c.meta = this.meta.slice();
    c.pid = this.pid.slice();
    c.pfx = this.pfx.slice();
    c.index = this.index.slice();
    c.imask = this.imask;
    c.freeList = this.freeList.slice();
    c.top = this.top;
    c.count = this.count;
    return c;
  }
}

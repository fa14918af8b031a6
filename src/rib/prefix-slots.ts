// Dense slot numbers for (prefix, path id) keys: the index under a peer's Adj-RIB-In and
// Adj-RIB-Out. Each key gets a small integer (its slot); callers keep what they store per
// key in their own columns indexed by slot (typed arrays, or plain arrays of pointers),
// sized to `capacity`. Against a JS Map with one entry object per key this holds a million
// keys in about 30 bytes each (IPv6: 12 more) and gives the garbage collector nothing per
// key to trace: no Prefix object is kept. The key is stored as words, and `prefixAt`
// builds an Nlri4 / Nlri6 from them on demand (a young object that dies with its caller's
// work).
//
//   slot s:  key[3s]     IPv4: the address; IPv6: its first 32 bits
//            key[3s+1]   prefix length | V6 | LIVE
//            key[3s+2]   path id (RFC 7911; 0 without ADD-PATH)
//            ext[3s..3s+2]  IPv6 only: address words 1..3. The column is allocated when
//                         the first IPv6 key is added: an IPv4-only index has none.
//   index:   open addressing, linear probing, (hash, slot) pairs with slot -1 for empty;
//            deletion by backward shift (no tombstones), kept at most half full. A probe
//            touches the index pair and, on a hash match, the slot's three key words (and
//            the three ext words for IPv6): two cache lines (IPv6: three) for a table far
//            bigger than the cache, where separate arrays per field cost one each.
//
// Free slots are reused (last freed, first reused). Walks go by slot number: a walk that
// keeps a slot cursor across event-loop turns sees keys removed behind its back as not
// live and may miss keys added meanwhile (callers rely on exactly that, see
// AdjRibOut.sentWalk).
//
// Leaves out: ordered walks and longest match (that is the trie's job, rib/trie.ts).

import { Afi, Nlri4, Nlri6, addrWord, type Nlri, type Prefix } from './prefix.js';
import { putNlriWords } from '../bgp/codec/nlri.js';
import { grown, retire } from './columns.js';

const V6 = 0x100;
const LIVE = 0x200;
const LEN = 0xff;

/**
 * Slot numbers for (prefix, path id) keys, as an Adj-RIB-Out uses them: PrefixSlots (its own
 * index) or NetSlots (the routing table's net numbers, rib/net-slots.ts). `net`, when a
 * caller knows it, is the key's net number in the table (NetSlots needs no lookup then).
 */
export interface SlotIndex {
  readonly capacity: number;
  readonly added: boolean;
  readonly size: number;
  readonly end: number;
  readonly byteLength: number;
  find(p: Prefix, pathId: number, net?: number): number;
  findOrAdd(p: Prefix, pathId: number, net?: number): number;
  remove(s: number): void;
  isLive(s: number): boolean;
  pathId(s: number): number;
  afi(s: number): Afi;
  prefixAt(s: number): Nlri;
  /** Writes live slot s's prefix in wire form at b[p] (putNlriWords); returns the next offset. */
  putNlri(s: number, b: Uint8Array, p: number, addPath: boolean): number;
  /** The slot here holding the key of `other`'s live slot s, or -1. */
  findSlotOf(other: SlotIndex, s: number): number;
  clear(): void;
  copy(): SlotIndex;
}

export class PrefixSlots implements SlotIndex {
  /** Slots callers may address: columns are sized to this. Grows by doubling. */
  capacity: number;
  /** Set by findOrAdd: whether the slot it returned is new. */
  added = false;
  private key: Int32Array;
  /** IPv6 address words 1..3 per slot; null until an IPv6 key is added. */
  private ext: Int32Array | null = null;
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

  /** Bytes held in typed arrays (key words, IPv6 words, index), for memory statistics. */
  get byteLength(): number {
    return this.key.byteLength + (this.ext === null ? 0 : this.ext.byteLength) + this.index.byteLength;
  }

  isLive(s: number): boolean {
    return (this.key[s * 3 + 1]! & LIVE) !== 0;
  }

  pathId(s: number): number {
    return this.key[s * 3 + 2]! >>> 0;
  }

  /** The address family of live slot s (no object made). */
  afi(s: number): Afi {
    return (this.key[s * 3 + 1]! & V6) !== 0 ? Afi.IPV6 : Afi.IPV4;
  }

  /**
   * The key of live slot s as a new NLRI object (Nlri4 / Nlri6) carrying the slot's path
   * id. Nothing here keeps it.
   */
  prefixAt(s: number): Nlri {
    const key = this.key, o = 3 * s;
    const meta = key[o + 1]!;
    const len = meta & LEN, pid = key[o + 2]! >>> 0;
    if ((meta & V6) === 0) return new Nlri4(key[o]!, len, pid);
    const ext = this.ext!;
    return new Nlri6(key[o]!, ext[o]!, ext[o + 1]!, ext[o + 2]!, len, pid);
  }

  putNlri(s: number, b: Uint8Array, p: number, addPath: boolean): number {
    const key = this.key, o = 3 * s;
    const meta = key[o + 1]!;
    if ((meta & V6) === 0) return putNlriWords(b, p, addPath, key[o + 2]! >>> 0, meta & LEN, key[o]!, 0, 0, 0);
    const ext = this.ext!;
    return putNlriWords(b, p, addPath, key[o + 2]! >>> 0, meta & LEN, key[o]!, ext[o]!, ext[o + 1]!, ext[o + 2]!);
  }

  /** Hash of a key: k0, meta and path id as stored, w1..w3 the IPv6 words (0 for IPv4). */
  private static hash(k0: number, meta: number, pid: number, w1: number, w2: number, w3: number): number {
    let h = Math.imul(meta ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k0, 0xcc9e2d51);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    if (pid !== 0) h ^= Math.imul(pid, 0x1b873593);
    if ((meta & V6) !== 0) {
      h ^= Math.imul(w1, 0xcc9e2d51);
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
      h ^= Math.imul(w2, 0xcc9e2d51);
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
      h ^= Math.imul(w3, 0xcc9e2d51);
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h;
  }

  /**
   * Probes for a key: the slot (≥ 0), or, when absent, -(i + 1) for the empty index pair i
   * where it would go.
   */
  private probe(k0: number, meta: number, pid: number, w1: number, w2: number, w3: number, h: number): number {
    const index = this.index, mask = this.imask, key = this.key;
    const v6 = (meta & V6) !== 0;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = index[2 * i + 1]!;
      if (s < 0) return -(i + 1);
      const o = 3 * s;
      if (index[2 * i] === h && key[o] === k0 && key[o + 1] === meta && key[o + 2] === pid) {
        // A V6 meta matched a stored slot's, so the ext column exists.
        if (!v6) return s;
        const ext = this.ext!;
        if (ext[o] === w1 && ext[o + 1] === w2 && ext[o + 2] === w3) return s;
      }
    }
  }

  /** The slot of (p, pathId), or -1. */
  find(p: Prefix, pathId: number): number {
    const k0 = addrWord(p, 0);
    if (p.afi === Afi.IPV4) {
      const meta = p.len | LIVE, pid = pathId | 0;
      const r = this.probe(k0, meta, pid, 0, 0, 0, PrefixSlots.hash(k0, meta, pid, 0, 0, 0));
      return r >= 0 ? r : -1;
    }
    const meta = p.len | V6 | LIVE, pid = pathId | 0;
    const w1 = addrWord(p, 1), w2 = addrWord(p, 2), w3 = addrWord(p, 3);
    const r = this.probe(k0, meta, pid, w1, w2, w3, PrefixSlots.hash(k0, meta, pid, w1, w2, w3));
    return r >= 0 ? r : -1;
  }

  /**
   * The slot in this index holding the key of `other`'s live slot s (another index, or
   * this one), or -1. Reads the words: no prefix object is made.
   */
  findSlotOf(other: SlotIndex, s: number): number {
    if (!(other instanceof PrefixSlots)) return this.find(other.prefixAt(s), other.pathId(s));
    const okey = other.key, o = 3 * s;
    const k0 = okey[o]!, meta = okey[o + 1]!, pid = okey[o + 2]!;
    let w1 = 0, w2 = 0, w3 = 0;
    if ((meta & V6) !== 0) {
      const ext = other.ext!;
      w1 = ext[o]!;
      w2 = ext[o + 1]!;
      w3 = ext[o + 2]!;
    }
    const r = this.probe(k0, meta, pid, w1, w2, w3, PrefixSlots.hash(k0, meta, pid, w1, w2, w3));
    return r >= 0 ? r : -1;
  }

  /**
   * The slot of (p, pathId), made if absent (then `added` is true; the key's words are
   * stored, `p` itself is not kept). May raise `capacity`: callers grow their columns
   * after it.
   */
  findOrAdd(p: Prefix, pathId: number): number {
    const k0 = addrWord(p, 0);
    const pid = pathId | 0;
    let meta: number, w1 = 0, w2 = 0, w3 = 0;
    if (p.afi === Afi.IPV4) meta = p.len | LIVE;
    else {
      meta = p.len | V6 | LIVE;
      w1 = addrWord(p, 1);
      w2 = addrWord(p, 2);
      w3 = addrWord(p, 3);
    }
    const h = PrefixSlots.hash(k0, meta, pid, w1, w2, w3);
    const r = this.probe(k0, meta, pid, w1, w2, w3, h);
    if (r >= 0) {
      this.added = false;
      return r;
    }
    this.added = true;
    return this.insert(k0, meta, pid, w1, w2, w3, h, -r - 1);
  }

  /**
   * A new slot for (p, pathId), which must not be present. May raise `capacity`: callers
   * grow their columns after it.
   */
  add(p: Prefix, pathId: number): number {
    const s = this.findOrAdd(p, pathId);
    if (!this.added) throw new RangeError('PrefixSlots.add: key present');
    return s;
  }

  private insert(k0: number, meta: number, pid: number, w1: number, w2: number, w3: number, h: number, at: number): number {
    let s: number;
    if (this.freeList.length > 0) s = this.freeList.pop()!;
    else {
      if (this.top === this.capacity) this.grow(this.capacity * 2);
      s = this.top++;
    }
    const key = this.key, o = 3 * s;
    key[o] = k0;
    key[o + 1] = meta;
    key[o + 2] = pid;
    if ((meta & V6) !== 0) {
      let ext = this.ext;
      if (ext === null) this.ext = ext = new Int32Array(this.capacity * 3);
      ext[o] = w1;
      ext[o + 1] = w2;
      ext[o + 2] = w3;
    }
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
    this.freeList.push(s);
    this.count--;
  }

  /** The index pair holding slot s (live). */
  private indexOf(s: number): number {
    const key = this.key, o = 3 * s;
    const meta = key[o + 1]!;
    let h: number;
    if ((meta & V6) === 0) h = PrefixSlots.hash(key[o]!, meta, key[o + 2]!, 0, 0, 0);
    else {
      const ext = this.ext!;
      h = PrefixSlots.hash(key[o]!, meta, key[o + 2]!, ext[o]!, ext[o + 1]!, ext[o + 2]!);
    }
    const index = this.index, mask = this.imask;
    let i = h & mask;
    while (index[2 * i + 1] !== s) i = (i + 1) & mask;
    return i;
  }

  private grow(cap: number): void {
    this.key = grown(this.key, cap * 3);
    if (this.ext !== null) this.ext = grown(this.ext, cap * 3);
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
    retire(old);
  }

  clear(): void {
    this.key.fill(0, 0, this.top * 3);
    this.ext = null;
    this.freeList = [];
    this.top = 0;
    this.count = 0;
    this.index = PrefixSlots.emptyIndex(this.imask + 1);
  }

  /** An independent copy with the same slot numbers. */
  copy(): PrefixSlots {
    const c = new PrefixSlots(4);
    c.capacity = this.capacity;
    c.key = this.key.slice();
    c.ext = this.ext === null ? null : this.ext.slice();
    c.index = this.index.slice();
    c.imask = this.imask;
    c.freeList = this.freeList.slice();
    c.top = this.top;
    c.count = this.count;
    return c;
  }
}

// A prefix trie for one address family: the index under every routing table (Loc-RIB,
// Adj-RIB-In/Out), for exact match (a net's candidates), longest match (next-hop
// resolution, `show route for <ip>`) and ordered subtree walks with a cursor that
// survives modification (time-sliced table dumps, route refresh, `show route`).
//
// Structure: a binary path-compressed (PATRICIA-style) trie. Every node is a prefix; a
// node either holds a value ("valued") or is a glue node where two branches diverge. The
// root is the permanent /0 node. Nodes live in typed arrays (struct of arrays, indices
// instead of pointers), so a million prefixes cost no per-node JS objects and nothing for
// the garbage collector to trace. Keys are 32-bit words: one word for IPv4 (a `W === 1`
// fast path everywhere), four for IPv6. No Prefix object is kept: walks, cursors and
// longest match return a new Nlri4 / Nlri6 (path id 0) built from the node's key words,
// equal by value to the prefix given to `set` but not the same object.
//
//   node n:  key[n*W .. n*W+W-1]  address bits, host bits zero
//            len[n]               prefix length (0..32 / 0..128)
//            c0[n], c1[n]         children by the bit at position len[n] (-1: none)
//            parent[n]            -1 for the root
//            hv[n]                1 when the node holds a value
//            val[n]               the value (values are 32-bit integers: the routing table
//                                 stores net numbers; no JS array of values)
//
// Order: every walk visits prefixes in "preorder", which is (address, length)
// lexicographic: 10.0.0.0/8 < 10.0.0.0/16 < 10.1.0.0/16 < 11.0.0.0/8. A prefix comes
// before its more-specifics, and a subtree (all prefixes covered by P) is one contiguous
// range of that order.
//
// Cursor semantics (TrieCursor): a cursor remembers the last prefix it returned (the
// prefix built from that node's key words, kept when a step ends), not a node. Each
// `next(n)` resumes at the first prefix strictly after that one in the order above, in
// the trie as it is at the time of the call. Hence, for modifications between
// calls: entries added or removed behind the cursor are not visited; no entry is visited
// twice (returned prefixes are strictly increasing); every entry present ahead of the
// cursor at the time of a call is reached (added ahead ⇒ visited, removed ahead ⇒ not).
// Once a call returns fewer than n entries the cursor is finished and returns [] forever.
// If the trie did not change since the previous call, the cursor resumes from the node it
// stopped at without searching.
//
// Leaves out: multibit strides (measured: see bench/rib.ts), concurrent iteration inside
// `walk` callbacks (use a cursor when modifying), keys other than unicast prefixes.

import { Afi, Nlri4, Nlri6, addrBytes, addrWord, type Prefix } from './prefix.js';
import { WrenError } from '../bgp/errors.js';
import { grown, retire } from './columns.js';

/**
 * One entry as a walk or cursor returns it: the prefix (a new Nlri4 / Nlri6 with path id 0,
 * built from the stored key), and its value.
 */
export interface TrieEntry<V> {
  readonly prefix: Prefix;
  readonly value: V;
}

const ROOT = 0;
const NONE = -1;

const HAS_VALUE = 0x100;
/** A valued node in the hash index but not yet linked into the tree (see `settle`). */
const PENDING = 0x200;
const LEN_MASK = 0xff;
/**
 * Unlinked prefixes past which a query does not link them all in one call: longest match
 * probes the index length by length instead, a table cursor links them in slices.
 */
export const LINK_BACKLOG = 16384;
/** Entries of pending list kept after a settle (a bigger one is dropped). */
const PEND_KEEP = 4096;

export class PrefixTrie<V extends number = number> {
  readonly afi: Afi;
  /** Maximum prefix length: 32 or 128. */
  readonly maxLen: number;
  /** 32-bit words per key: 1 for IPv4, 4 for IPv6. */
  private readonly W: number;
  /** Words per node: W + 5 (key, length and flags, two children, parent, value). */
  private readonly S: number;
  private cap = 0;
  /** Nodes ever allocated (high-water mark); indices below it are live or on the free list. */
  private top = 0;
  private nodes!: Int32Array;
  private free: number[] = [];
  private count = 0;
  /**
   * Hash index of valued nodes, open addressing with linear probing, one 32-bit entry a
   * slot: the node number + 1 in the low bits (`nmask`), the high bits of the key's hash
   * above them, 0 for an empty slot. The hash bits spare reading a node's key (a cache miss
   * in a big table) for all but about one in a thousand probes that pass over another key;
   * at a million prefixes the index takes 8 MiB where (hash, node) pairs took 16. Hashes are
   * not kept whole, so a rebuild (bigger index, more node bits) hashes the nodes' keys again,
   * reading the nodes in order (rebuildIndex).
   */
  private index = new Int32Array(0);
  /** Slots - 1 (a power of two minus one). */
  private imask = 0;
  /** Mask of an entry's node bits: 2^B - 1 >= the node capacity, so node + 1 fits. */
  private nmask = 0;
  /** Bumped on every insertion of a new prefix and every deletion (cursors check it). */
  private version = 0;
  /** Scratch: the query key as words (no allocation per lookup). */
  private readonly q: Int32Array;
  /** Scratch: the unmasked query of lpmByProbes. */
  private readonly qFull: Int32Array;
  /** Valued nodes not yet linked into the tree, in insertion order (may hold stale entries): pend[0 .. npend-1]. */
  private pend = new Int32Array(64);
  private npend = 0;
  /** Pending nodes taken from `pend` in address order, linked up to sorted[sortedPos] (settleSome). */
  private sorted: Int32Array | null = null;
  private sortedPos = 0;

  constructor(afi: Afi, initialCapacity = 1024) {
    this.afi = afi;
    this.maxLen = addrBytes(afi) * 8;
    this.W = afi === Afi.IPV4 ? 1 : 4;
    this.S = this.W + 5;
    this.q = new Int32Array(this.W);
    this.qFull = new Int32Array(this.W);
    this.grow(Math.max(4, initialCapacity));
    this.rebuildIndex(Math.max(16, initialCapacity * 2));
    this.alloc(0); // the root, /0, permanent
  }

  /** Number of prefixes holding a value. */
  get size(): number {
    return this.count;
  }

  /** Bytes of storage: the node, index and pending arrays. */
  get byteLength(): number {
    return this.nodes.byteLength + this.index.byteLength + this.pend.byteLength + (this.sorted?.byteLength ?? 0);
  }

  private val(n: number): V {
    return this.nodes[n * this.S + this.W + 4] as V;
  }
  private setVal(n: number, v: V): void {
    this.nodes[n * this.S + this.W + 4] = v;
  }
  private addPending(m: number): void {
    if (this.npend === this.pend.length) this.pend = grown(this.pend, this.pend.length * 2);
    this.pend[this.npend++] = m;
  }

  /** Allocated nodes (valued + glue), for memory statistics. */
  get nodeCount(): number {
    return this.top - this.free.length;
  }

  // ---- storage ---------------------------------------------------------------------------

  private grow(cap: number): void {
    this.nodes = this.cap > 0 ? grown(this.nodes, cap * this.S) : new Int32Array(cap * this.S);
    this.cap = cap;
    // Node numbers need another bit in the index entries.
    if (cap > this.nmask && this.index.length > 0) this.rebuildIndex(this.imask + 1);
  }

  /** A new node with the query key `q` masked to `l` bits, no value, no links. */
  private alloc(l: number): number {
    let n: number;
    if (this.free.length > 0) n = this.free.pop()!;
    else {
      if (this.top === this.cap) this.grow(this.cap * 2);
      n = this.top++;
    }
    const W = this.W, nodes = this.nodes, q = this.q, o = n * this.S;
    for (let w = 0; w < W; w++) {
      const bits = l - w * 32;
      nodes[o + w] = bits >= 32 ? q[w]! : bits <= 0 ? 0 : q[w]! & (0xffffffff << (32 - bits));
    }
    nodes[o + W] = l;
    nodes[o + W + 1] = NONE;
    nodes[o + W + 2] = NONE;
    nodes[o + W + 3] = NONE;
    nodes[o + W + 4] = 0;
    return n;
  }

  private release(n: number): void {
    const o = n * this.S + this.W;
    this.nodes[o] = 0;
    this.nodes[o + 1] = NONE;
    this.nodes[o + 2] = NONE;
    this.nodes[o + 3] = NONE;
    this.free.push(n);
  }

  /** Node n's prefix as a new Nlri4 / Nlri6 (path id 0), built from its key words. */
  private prefixOf(n: number): Prefix {
    const nodes = this.nodes, o = n * this.S, W = this.W;
    const l = nodes[o + W]! & LEN_MASK;
    if (W === 1) return new Nlri4(nodes[o]!, l, 0);
    return new Nlri6(nodes[o]!, nodes[o + 1]!, nodes[o + 2]!, nodes[o + 3]!, l, 0);
  }

  private len(n: number): number {
    return this.nodes[n * this.S + this.W]! & LEN_MASK;
  }
  private hasValue(n: number): boolean {
    return (this.nodes[n * this.S + this.W]! & HAS_VALUE) !== 0;
  }
  private child0(n: number): number {
    return this.nodes[n * this.S + this.W + 1]!;
  }
  private child1(n: number): number {
    return this.nodes[n * this.S + this.W + 2]!;
  }
  private parentOf(n: number): number {
    return this.nodes[n * this.S + this.W + 3]!;
  }
  private setChild(p: number, bit: number, child: number): void {
    this.nodes[p * this.S + this.W + 1 + bit] = child;
  }

  // ---- hash index of valued nodes --------------------------------------------------------------

  /** Hash of the key words a[off .. off+W-1] with length l (murmur3-style mixing). */
  private hashWords(a: Int32Array, off: number, l: number): number {
    let h = Math.imul(l + 0x9e3779b9, 0x85ebca6b);
    for (let w = 0; w < this.W; w++) {
      h ^= Math.imul(a[off + w]!, 0xcc9e2d51);
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h;
  }

  private qhash(l: number): number {
    return this.hashWords(this.q, 0, l);
  }

  /** The query key with length l equals node n's. */
  private keyEq(n: number, l: number): boolean {
    const nodes = this.nodes, o = n * this.S, W = this.W;
    if ((nodes[o + W]! & LEN_MASK) !== l) return false;
    for (let w = 0; w < W; w++) if (nodes[o + w] !== this.q[w]) return false;
    return true;
  }

  /** The hash bits an index entry keeps of hash h (all but its node bits). */
  private tag(h: number): number {
    return h & ~this.nmask;
  }

  /** Valued node holding the query (q, l), or -1. */
  private lookup(l: number): number {
    const index = this.index, mask = this.imask, nmask = this.nmask;
    const h = this.qhash(l), t = h & ~nmask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[i]!;
      if (e === 0) return NONE;
      if ((e & ~nmask) === t && this.keyEq((e & nmask) - 1, l)) return (e & nmask) - 1;
    }
  }

  /** The index slot holding node n, whose key is the query with length l. */
  private slotOf(n: number, l: number): number {
    const index = this.index, mask = this.imask, nmask = this.nmask;
    let i = this.qhash(l) & mask;
    while ((index[i]! & nmask) !== n + 1) i = (i + 1) & mask;
    return i;
  }

  /** Adds valued node n (whose key is the query, length l) to the index. */
  private indexAdd(n: number, l: number): void {
    if ((this.count + 1) * 2 > this.imask + 1) this.rebuildIndex((this.imask + 1) * 2);
    const index = this.index, mask = this.imask;
    const h = this.qhash(l);
    let i = h & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = this.tag(h) | (n + 1);
  }

  /** Removes node n (key = the query, length l) from the index: backward-shift deletion. */
  private indexRemove(n: number, l: number): void {
    const index = this.index, mask = this.imask, nmask = this.nmask;
    let i = this.slotOf(n, l);
    // Shift later members of the probe run back so that no lookup stops early.
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.nodeHash((index[j]! & nmask) - 1) & mask;
      // The entry at j may move to i if its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
  }

  /** The hash of node n's key and length. */
  private nodeHash(n: number): number {
    return this.hashWords(this.nodes, n * this.S, this.len(n));
  }

  /**
   * A new index of at least `size` slots (a power of two) holding every node with a value,
   * its entries made for the current node capacity. The nodes are read in order (their keys
   * hashed again), not the old index.
   */
  private rebuildIndex(size: number): void {
    let sz = 16;
    while (sz < size) sz *= 2;
    // Node bits for twice the slots as well: the nodes (valued ones and glue) then rarely
    // outgrow them before the index itself grows, so growing nodes seldom rebuilds the index.
    let nmask = 1;
    while (nmask < this.cap || nmask < 2 * sz) nmask = nmask * 2 + 1;
    const old = this.index;
    const index = new Int32Array(sz);
    const mask = sz - 1, nodes = this.nodes, S = this.S, W = this.W;
    for (let n = 0; n < this.top; n++) {
      if ((nodes[n * S + W]! & HAS_VALUE) === 0) continue;
      const h = this.hashWords(nodes, n * S, nodes[n * S + W]! & LEN_MASK);
      let i = h & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = (h & ~nmask) | (n + 1);
    }
    this.index = index;
    this.imask = mask;
    this.nmask = nmask;
    retire(old);
  }

  // ---- key helpers -------------------------------------------------------------------------

  /** Loads a prefix's address into the scratch query key (an Nlri4's or Nlri6's without its bytes). */
  private loadPrefix(p: Prefix): void {
    if (p.afi !== this.afi) throw familyError(this.afi, p.addr);
    const q = this.q;
    for (let w = 0; w < this.W; w++) q[w] = addrWord(p, w);
  }

  /** Loads address bytes into the scratch query key. */
  private load(addr: Uint8Array): void {
    const q = this.q;
    if (this.W === 1) {
      if (addr.length !== 4) throw familyError(this.afi, addr);
      q[0] = (addr[0]! << 24) | (addr[1]! << 16) | (addr[2]! << 8) | addr[3]!;
      return;
    }
    if (addr.length !== 16) throw familyError(this.afi, addr);
    for (let w = 0; w < 4; w++) {
      const i = w * 4;
      q[w] = (addr[i]! << 24) | (addr[i + 1]! << 16) | (addr[i + 2]! << 8) | addr[i + 3]!;
    }
  }

  /** Bit i (0 = most significant) of the query key. */
  private qbit(i: number): number {
    return (this.q[i >>> 5]! >>> (31 - (i & 31))) & 1;
  }

  /** Bit i of node n's key. */
  private nbit(n: number, i: number): number {
    return (this.nodes[n * this.S + (i >>> 5)]! >>> (31 - (i & 31))) & 1;
  }

  /** First bit where node n's key and the query differ, or `limit` if none before it. */
  private diff(n: number, limit: number): number {
    if (this.W === 1) {
      const d = Math.clz32(this.nodes[n * 6]! ^ this.q[0]!);
      return d < limit ? d : limit;
    }
    const base = n * this.S;
    for (let w = 0; w < 4; w++) {
      const x = this.nodes[base + w]! ^ this.q[w]!;
      if (x !== 0) {
        const d = w * 32 + Math.clz32(x);
        return d < limit ? d : limit;
      }
    }
    return limit;
  }

  /** Node n is inside the subtree of the prefix (words, l): n's first l bits equal it. */
  private within(n: number, words: Int32Array, l: number): boolean {
    if (this.len(n) < l) return false;
    const W = this.W, base = n * this.S;
    for (let w = 0; w < W; w++) {
      const bits = l - w * 32;
      if (bits <= 0) return true;
      const x = this.nodes[base + w]! ^ words[w]!;
      if (bits >= 32 ? x !== 0 : x >>> (32 - bits) !== 0) return false;
    }
    return true;
  }

  // ---- exact match -------------------------------------------------------------------------

  get(p: Prefix): V | undefined {
    if (p.len > this.maxLen || p.afi !== this.afi) return undefined;
    this.loadPrefix(p);
    const n = this.lookup(p.len);
    return n === NONE ? undefined : this.val(n);
  }

  /** True if the prefix holds a value. */
  has(p: Prefix): boolean {
    if (p.len > this.maxLen || p.afi !== this.afi) return false;
    this.loadPrefix(p);
    return this.lookup(p.len) !== NONE;
  }

  /**
   * Sets the value of a prefix (inserting it if new). Only the prefix's key words are kept,
   * not `p` itself. Host bits must be zero.
   */
  set(p: Prefix, value: V): void {
    const L = p.len;
    if (p.afi !== this.afi || L > this.maxLen || L < 0) throw familyError(this.afi, p.addr, L);
    this.loadPrefix(p);
    const hit = this.lookup(L);
    if (hit !== NONE) {
      this.setVal(hit, value);
      return;
    }
    // A new prefix goes into the hash index now and into the tree at the next `settle`.
    const m = this.alloc(L);
    this.setValue(m, L, value);
    this.nodes[m * this.S + this.W] |= PENDING;
    this.addPending(m);
  }

  /**
   * Reads the index slots where lookups of these prefixes will start, one after another
   * before any of them is needed. In a big table each is a cache miss (nearly all of
   * getOrSet's time at a million prefixes); issued back to back they overlap, where the
   * lookups, each waiting for its own, would take them one at a time. Returns what it read
   * only so that the reads are kept; the caller need not look at it.
   */
  touch(list: readonly Prefix[]): number {
    const index = this.index, mask = this.imask;
    let x = 0;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.afi !== this.afi || p.len > this.maxLen) continue;
      this.loadPrefix(p);
      x ^= index[this.qhash(p.len) & mask]!;
    }
    return x;
  }

  /**
   * The value of `p` when it has one; otherwise gives it `value` (as `set` does) and returns
   * undefined. One hash probe where get() then set() take three: a new prefix of a big table
   * misses the cache on the index at each.
   */
  getOrSet(p: Prefix, value: V): V | undefined {
    const L = p.len;
    if (p.afi !== this.afi || L > this.maxLen || L < 0) throw familyError(this.afi, p.addr, L);
    this.loadPrefix(p);
    const h = this.qhash(L);
    const index = this.index, mask = this.imask, nmask = this.nmask, t = h & ~nmask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const e = index[i]!;
      if (e === 0) break;
      if ((e & ~nmask) === t && this.keyEq((e & nmask) - 1, L)) return this.val((e & nmask) - 1);
    }
    const m = this.alloc(L);
    // alloc may have grown the nodes and rebuilt the index with wider entries: then, or when
    // the index is due to grow, probe again.
    if (this.index !== index || (this.count + 1) * 2 > this.imask + 1) this.indexAdd(m, L);
    else index[i] = t | (m + 1);
    this.nodes[m * this.S + this.W] |= HAS_VALUE | PENDING;
    this.setVal(m, value);
    this.count++;
    this.version++;
    this.addPending(m);
    return undefined;
  }

  /**
   * Links the pending nodes into the tree. Inserting one prefix at a time into a large
   * trie misses the cache at nearly every level of its path (measured: about 1.2 µs per
   * prefix at a million); inserting a batch in address order walks the same upper paths
   * again and again while they are still cached. Exact match never needs the tree, so
   * only walks, cursors, longest match and deletes of linked nodes settle first — and
   * whoever owns the trie may link ahead of them, in slices, while it is idle (settleSome).
   */
  private settle(): void {
    this.settleSome(Infinity);
  }

  /** Nodes waiting to be linked into the tree (settle). */
  get pendingCount(): number {
    return this.npend + (this.sorted === null ? 0 : this.sorted.length - this.sortedPos);
  }

  /**
   * Links up to `max` pending nodes, in address order, and returns how many are still
   * pending: a slice of `settle`, so that a big load's linking (0.66 s at a million
   * prefixes) can be done in the background instead of at the first walk, all at once.
   */
  settleSome(max: number): number {
    let left = max;
    while (left > 0) {
      let order = this.sorted;
      if (order === null) {
        const count = this.npend;
        if (count === 0) break;
        this.npend = 0;
        order = this.sorted = count > 64 ? this.byFirstWord(this.pend.subarray(0, count)) : this.pend.slice(0, count);
        this.sortedPos = 0;
        // A full table's insertion leaves a pending list of a million entries.
        if (this.pend.length > PEND_KEEP) {
          retire(this.pend);
          this.pend = new Int32Array(64);
        }
      }
      const S = this.S, W = this.W;
      const end = Math.min(order.length, this.sortedPos + left);
      for (let i = this.sortedPos; i < end; i++) {
        const m = order[i]!;
        const o = m * S + W;
        // this.nodes each time: a glue node allocated by linkPending may grow the storage.
        if ((this.nodes[o]! & PENDING) === 0) continue; // deleted (and maybe reused) since
        this.nodes[o] &= ~PENDING;
        this.linkPending(m);
      }
      left -= end - this.sortedPos;
      this.sortedPos = end;
      if (end === order.length) {
        this.sorted = null;
        retire(order);
      }
    }
    return this.pendingCount;
  }

  /** Node indices sorted by their first key word, unsigned (two 16-bit radix passes). */
  private byFirstWord(list: Int32Array): Int32Array {
    const n = list.length, nodes = this.nodes, S = this.S;
    const a = list.slice();
    const b = new Int32Array(n);
    const count = new Int32Array(65537);
    for (let pass = 0; pass < 2; pass++) {
      const shift = pass === 0 ? 0 : 16;
      const src = pass === 0 ? a : b, dst = pass === 0 ? b : a;
      count.fill(0);
      for (let i = 0; i < n; i++) count[((nodes[src[i]! * S]! >>> shift) & 0xffff) + 1]!++;
      for (let d = 1; d <= 65536; d++) count[d]! += count[d - 1]!;
      for (let i = 0; i < n; i++) dst[count[(nodes[src[i]! * S]! >>> shift) & 0xffff]!++] = src[i]!;
    }
    retire(b);
    return a;
  }

  /** Links valued node m (not in the tree) below the node covering it. */
  private linkPending(m: number): void {
    const S = this.S, W = this.W, q = this.q, nodes = this.nodes;
    for (let w = 0; w < W; w++) q[w] = nodes[m * S + w]!;
    const L = this.len(m);
    let n = ROOT;
    for (;;) {
      // Invariant: node n covers the query on len(n) bits and len(n) <= L.
      const ln = this.len(n);
      if (ln === L) {
        // An existing glue node (or the root) with this key takes m's value; m goes.
        this.adopt(n, m);
        return;
      }
      const b = this.qbit(ln);
      const c = b ? this.child1(n) : this.child0(n);
      if (c === NONE) {
        this.link(n, b, m);
        return;
      }
      const lc = this.len(c);
      const lim = lc < L ? lc : L;
      const d = this.diff(c, lim);
      if (d === lc) {
        n = c; // c covers the query and is not longer than it
        continue;
      }
      if (d === L) {
        // The query is a proper prefix of c: m goes between n and c.
        this.link(n, b, m);
        this.link(m, this.nbit(c, L), c);
        return;
      }
      // They diverge at bit d, shorter than both: a glue node of length d.
      const g = this.alloc(d);
      this.link(n, b, g);
      const cb = this.nbit(c, d);
      this.link(g, cb, c);
      this.link(g, cb ^ 1, m);
      return;
    }
  }

  /** Glue node n (key = the query) takes over valued, unlinked node m's value and index slot. */
  private adopt(n: number, m: number): void {
    const i = this.slotOf(m, this.len(m));
    this.index[i] = (this.index[i]! & ~this.nmask) | (n + 1);
    this.nodes[n * this.S + this.W] |= HAS_VALUE;
    this.setVal(n, this.val(m));
    this.release(m);
  }

  private link(p: number, bit: number, child: number): void {
    this.setChild(p, bit, child);
    this.nodes[child * this.S + this.W + 3] = p;
  }

  /** Gives node n (whose key is the query) a value: it was a new or glue node. */
  private setValue(n: number, l: number, value: V): void {
    this.indexAdd(n, l); // before the flag: a resize re-adds the flagged nodes
    this.nodes[n * this.S + this.W] |= HAS_VALUE;
    this.setVal(n, value);
    this.count++;
    this.version++;
  }

  /** Removes a prefix; returns whether it was present. */
  delete(p: Prefix): boolean {
    if (p.afi !== this.afi || p.len > this.maxLen) return false;
    this.loadPrefix(p);
    const n = this.lookup(p.len);
    if (n === NONE) return false;
    this.indexRemove(n, p.len);
    const pending = (this.nodes[n * this.S + this.W]! & PENDING) !== 0;
    this.nodes[n * this.S + this.W] &= ~(HAS_VALUE | PENDING);
    this.count--;
    this.version++;
    if (pending) this.release(n); // never linked: nothing to compact
    else if (n !== ROOT) this.compact(n);
    return true;
  }

  /** Removes node n if it no longer earns its place (no value, fewer than two children). */
  private compact(n: number): void {
    const a = this.child0(n), b = this.child1(n);
    if (a !== NONE && b !== NONE) return; // stays as a glue node
    const p = this.parentOf(n);
    const side = this.child0(p) === n ? 0 : 1;
    const only = a !== NONE ? a : b;
    if (only !== NONE) {
      // Splice n out: its only child takes its place under p.
      this.link(p, side, only);
      this.release(n);
      return;
    }
    this.setChild(p, side, NONE);
    this.release(n);
    // p may now be a glue node with a single child.
    if (p !== ROOT && !this.hasValue(p)) this.compact(p);
  }

  /** Removes every prefix (the default route too). Storage is kept for reuse. */
  clear(): void {
    this.top = 0;
    this.free = [];
    this.npend = 0;
    this.sorted = null;
    this.count = 0;
    this.version++;
    this.index.fill(0);
    this.q.fill(0);
    this.alloc(0);
  }

  // ---- longest match -----------------------------------------------------------------------

  /**
   * Node of the longest valued prefix covering (query, l) whose value `accept` takes (every
   * one without), or -1. Query loaded by the caller.
   */
  private lpm(l: number, accept?: (v: V) => boolean): number {
    let n = ROOT, best = NONE;
    while (n !== NONE) {
      const ln = this.len(n);
      if (ln > l || this.diff(n, ln) !== ln) break;
      if (this.hasValue(n) && (accept === undefined || accept(this.val(n)))) best = n;
      if (ln === l) break;
      n = this.qbit(ln) ? this.child1(n) : this.child0(n);
    }
    return best;
  }

  /**
   * Value of the longest prefix that covers `target`: an address (4 or 16 bytes, as a /32
   * or /128) or a prefix (a covering prefix is itself or shorter).
   */
  longestMatch(target: Prefix | Uint8Array): V | undefined {
    const n = this.lpmOf(target);
    return n === NONE ? undefined : this.val(n);
  }

  /**
   * Like longestMatch, with the matching prefix (built from the node's key words); with
   * `accept`, the longest whose value it takes.
   */
  longestMatchEntry(target: Prefix | Uint8Array, accept?: (v: V) => boolean): TrieEntry<V> | undefined {
    const n = this.lpmOf(target, accept);
    return n === NONE ? undefined : { prefix: this.prefixOf(n), value: this.val(n) };
  }

  private lpmOf(target: Prefix | Uint8Array, accept?: (v: V) => boolean): number {
    // A big load not linked yet: probe the index rather than link it all in this call.
    const byProbes = this.pendingCount > LINK_BACKLOG;
    if (!byProbes) this.settle();
    let l: number;
    if (target instanceof Uint8Array) {
      this.load(target);
      l = this.maxLen;
    } else {
      this.loadPrefix(target);
      l = target.len;
    }
    return byProbes ? this.lpmByProbes(l, accept) : this.lpm(l, accept);
  }

  /**
   * Longest match through the hash index alone: one exact lookup per length, from l down to
   * 0 (at most 33 / 129), the query masked to each. Query loaded by the caller.
   */
  private lpmByProbes(l: number, accept?: (v: V) => boolean): number {
    const q = this.q, full = this.qFull, W = this.W;
    full.set(q);
    for (let len = l; len >= 0; len--) {
      for (let w = 0; w < W; w++) {
        const bits = len - w * 32;
        q[w] = bits >= 32 ? full[w]! : bits <= 0 ? 0 : full[w]! & (0xffffffff << (32 - bits));
      }
      const n = this.lookup(len);
      if (n !== NONE && (accept === undefined || accept(this.val(n)))) return n;
    }
    return NONE;
  }

  // ---- walks -------------------------------------------------------------------------------

  /** Next node in preorder after n's whole subtree, or -1. */
  private skip(n: number): number {
    while (n !== ROOT) {
      const p = this.parentOf(n);
      if (this.child0(p) === n) {
        const b = this.child1(p);
        if (b !== NONE) return b;
      }
      n = p;
    }
    return NONE;
  }

  /** Next node in preorder after n (into n's subtree first), or -1. */
  private succ(n: number): number {
    const a = this.child0(n);
    if (a !== NONE) return a;
    const b = this.child1(n);
    if (b !== NONE) return b;
    return this.skip(n);
  }

  /** First valued node at or after n in preorder, or -1. */
  private valuedFrom(n: number): number {
    while (n !== NONE && !this.hasValue(n)) n = this.succ(n);
    return n;
  }

  /**
   * First valued node whose prefix is after the query (q, L) in preorder — or equal to
   * it when `inclusive`. Query loaded by the caller.
   */
  private seek(L: number, inclusive: boolean): number {
    let n = ROOT;
    for (;;) {
      const ln = this.len(n);
      const lim = ln < L ? ln : L;
      const d = this.diff(n, lim);
      if (d < lim) {
        // Diverge at bit d: n's whole subtree is after the query (bit 1) or before it.
        return this.nbit(n, d) ? this.valuedFrom(n) : this.valuedFrom(this.skip(n));
      }
      if (ln > L) return this.valuedFrom(n); // the query is a proper prefix of n
      if (ln === L) {
        if (inclusive && this.hasValue(n)) return n;
        return this.valuedFrom(this.succ(n));
      }
      // n is a proper prefix of the query, so n itself is before it.
      const a = this.child0(n), b = this.child1(n);
      if (this.qbit(ln) === 0) {
        if (a !== NONE) n = a;
        else if (b !== NONE) return this.valuedFrom(b);
        else return this.valuedFrom(this.skip(n));
      } else {
        if (b !== NONE) n = b;
        else return this.valuedFrom(this.skip(n));
      }
    }
  }

  /**
   * Calls fn for every prefix (inside `within` if given) in preorder. The trie must not be
   * modified from fn: use a cursor for that.
   */
  walk(fn: (prefix: Prefix, value: V) => void, within?: Prefix): void {
    this.settle();
    let m: number;
    let words: Int32Array | undefined;
    let wl = 0;
    if (within) {
      if (within.afi !== this.afi || within.len > this.maxLen) throw familyError(this.afi, within.addr, within.len);
      this.loadPrefix(within);
      words = Int32Array.from(this.q);
      wl = within.len;
      m = this.seek(wl, true);
    } else m = this.valuedFrom(ROOT);
    const version = this.version;
    while (m !== NONE) {
      if (words && !this.within(m, words, wl)) return;
      fn(this.prefixOf(m), this.val(m));
      if (this.version !== version) {
        throw new WrenError('ERR_RIB_WALK_MODIFIED', 'trie modified during walk(): use a cursor');
      }
      m = this.valuedFrom(this.succ(m));
    }
  }

  /** All entries (inside `within` if given) in preorder, as an array. */
  entries(within?: Prefix): TrieEntry<V>[] {
    const out: TrieEntry<V>[] = [];
    this.walk((prefix, value) => out.push({ prefix, value }), within);
    return out;
  }

  /** A resumable cursor over the prefixes inside `within` (default: all). See file header. */
  cursor(within?: Prefix): TrieCursor<V> {
    if (within && (within.afi !== this.afi || within.len > this.maxLen)) throw familyError(this.afi, within.addr, within.len);
    return new TrieCursor(this, within);
  }

  /** @internal cursor support */
  _cursorStep(c: CursorState, n: number, out: TrieEntry<V>[]): void {
    this.settle();
    let m: number;
    if (c.last === undefined) {
      if (c.bound) {
        this.q.set(c.bound.words);
        m = this.seek(c.bound.len, true);
      } else m = this.valuedFrom(ROOT);
    } else if (c.version === this.version && c.node !== NONE) {
      m = this.valuedFrom(this.succ(c.node));
    } else {
      this.loadPrefix(c.last);
      m = this.seek(c.last.len, false);
    }
    const bound = c.bound;
    let last = NONE;
    while (out.length < n && m !== NONE) {
      if (bound && !this.within(m, bound.words, bound.len)) {
        m = NONE;
        break;
      }
      out.push({ prefix: this.prefixOf(m), value: this.val(m) });
      last = m;
      m = this.valuedFrom(this.succ(m));
    }
    if (last !== NONE) {
      c.node = last;
      // The entry's own prefix object: equal to a fresh one, and no second object made.
      c.last = out[out.length - 1]!.prefix;
    }
    c.version = this.version;
    if (out.length < n) c.done = true;
  }

  /** @internal key words of a prefix, for cursor bounds. */
  _words(p: Prefix): Int32Array {
    this.loadPrefix(p);
    return Int32Array.from(this.q);
  }
}

/** @internal */
interface CursorState {
  bound: { words: Int32Array; len: number } | undefined;
  last: Prefix | undefined;
  node: number;
  version: number;
  done: boolean;
}

/** A resumable, modification-tolerant walk over a trie (semantics in the file header). */
export class TrieCursor<V extends number = number> {
  private readonly state: CursorState;

  constructor(private readonly trie: PrefixTrie<V>, within?: Prefix) {
    this.state = {
      bound: within ? { words: trie._words(within), len: within.len } : undefined,
      last: undefined,
      node: NONE,
      version: -1,
      done: false,
    };
  }

  /** Up to n next entries in preorder; fewer than n means the walk is finished. */
  next(n: number): TrieEntry<V>[] {
    const out: TrieEntry<V>[] = [];
    if (this.state.done || n <= 0) return out;
    this.trie._cursorStep(this.state, n, out);
    return out;
  }

  /** The walk has reached its end. */
  get done(): boolean {
    return this.state.done;
  }

  /** The last prefix returned, if any (a position to report or to restart from). */
  get position(): Prefix | undefined {
    return this.state.last;
  }
}

/** Separate tries for IPv4 and IPv6, picked by a prefix's family. */
export class FamilyTries<V extends number = number> {
  readonly v4 = new PrefixTrie<V>(Afi.IPV4);
  readonly v6 = new PrefixTrie<V>(Afi.IPV6);

  of(afi: Afi): PrefixTrie<V> {
    return afi === Afi.IPV4 ? this.v4 : this.v6;
  }

  get size(): number {
    return this.v4.size + this.v6.size;
  }
}

function familyError(afi: Afi, addr: Uint8Array, len?: number): WrenError {
  return new WrenError(
    'ERR_RIB_FAMILY',
    `prefix of ${addr.length} bytes${len === undefined ? '' : ` /${len}`} does not fit an ${afi === Afi.IPV4 ? 'IPv4' : 'IPv6'} trie`,
  );
}

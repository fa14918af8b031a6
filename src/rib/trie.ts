// A prefix index for one address family: the index under every routing table (Loc-RIB,
// Adj-RIB-In/Out), for exact match (a net's candidates), longest match (next-hop
// resolution, `show route for <ip>`) and ordered subtree walks with a cursor that
// survives modification (time-sliced table dumps, route refresh, `show route`).
//
// Structure: every prefix is a node in typed arrays (struct of arrays, indices instead of
// pointers), found by a hash index; the order of the walks is a list of sorted blocks of
// node numbers (a one-level B-tree), not a tree of links. A million prefixes cost no
// per-node JS objects and nothing for the garbage collector to trace. Keys are 32-bit
// words: one word for IPv4 (a `W === 1` fast path where it matters), four for IPv6. No
// Prefix object is kept: walks, cursors and longest match return a new Nlri4 / Nlri6
// (path id 0) built from the node's key words, equal by value to the prefix given to `set`
// but not the same object.
//
//   node n:  key[n*S .. n*S+W-1]  address bits, host bits zero     (S = W + 2 words)
//            meta[n*S+W]          prefix length (0..32 / 0..128) and flags
//            val[n*S+W+1]         the value (values are 32-bit integers: the routing table
//                                 stores net numbers; no JS array of values)
//
// Why no PATRICIA tree (what this file was until session 7): a binary tree needs glue
// nodes where branches diverge (nearly one per prefix in a full table) and three links a
// node, so a linked million-prefix IPv4 tree took ~57 MiB more than its keys; the sorted
// blocks take 4 bytes a prefix (at 50–100 % fill). Longest match, the one thing a tree did
// better, is one hash probe per prefix length present in the table, longest first (a full
// IPv4 table uses ~25 lengths): BIRD's FIB (nest/rt-fib.c) is a hash table with no tree at
// all, and its `net_route` probes length by length the same way.
//
// Order: every walk visits prefixes in "preorder", which is (address, length)
// lexicographic: 10.0.0.0/8 < 10.0.0.0/16 < 10.1.0.0/16 < 11.0.0.0/8. A prefix comes
// before its more-specifics, and a subtree (all prefixes covered by P) is one contiguous
// range of that order, starting at P's own place: the blocks' binary search finds it.
//
// Deferred ordering: a new prefix goes into the hash index at once (exact match needs no
// more) and onto a pending list; walks and cursors first put the pending prefixes into the
// blocks (`settle`), sorted first (in runs, natively, then merged), so that a big load is
// appended to the end of the blocks in order instead of searched for one by one. The
// owner may settle ahead, in slices, while idle (settleSome; rib/idle-order.ts). Deleted
// prefixes already in the order stay there, marked dead, until a sweep (also settleSome).
//
// Cursor semantics (TrieCursor): a cursor remembers the last prefix it returned (the
// prefix built from that node's key words, kept when a step ends), not a node. Each
// `next(n)` resumes at the first prefix strictly after that one in the order above, in
// the trie as it is at the time of the call. Hence, for modifications between
// calls: entries added or removed behind the cursor are not visited; no entry is visited
// twice (returned prefixes are strictly increasing); every entry present ahead of the
// cursor at the time of a call is reached (added ahead ⇒ visited, removed ahead ⇒ not).
// Once a call returns fewer than n entries the cursor is finished and returns [] forever.
// If the blocks did not change since the previous call, the cursor resumes from the
// position it stopped at without searching.
//
// Leaves out: concurrent iteration inside `walk` callbacks (use a cursor when modifying),
// keys other than unicast prefixes.

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

const NONE = -1;

const HAS_VALUE = 0x100;
/** In the hash index but not yet in the ordered blocks (see `settle`). */
const PENDING = 0x200;
/** Deleted, but still in the ordered blocks until a sweep (see `delete`): key and length kept. */
const DEAD = 0x400;
const LEN_MASK = 0xff;
/**
 * Unsettled prefixes past which a table cursor settles them in slices instead of in one
 * call (rib/table.ts).
 */
export const ORDER_BACKLOG = 16384;
/** Entries of pending list kept after a settle (a bigger one is dropped). */
const PEND_KEEP = 4096;
/** The low and high 32-bit halves of a 64-bit typed array element, in this machine's byte order. */
const LO = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
/** Entries of a pending list sorted by one native sort (~1.5 ms for IPv4). */
const RUN = 16384;
/** Node numbers a block of the order holds at most. */
const BLOCK = 512;

export class PrefixTrie<V extends number = number> {
  readonly afi: Afi;
  /** Maximum prefix length: 32 or 128. */
  readonly maxLen: number;
  /** 32-bit words per key: 1 for IPv4, 4 for IPv6. */
  private readonly W: number;
  /** Words per node: W + 2 (key, length and flags, value). */
  private readonly S: number;
  private cap = 0;
  /** Nodes ever allocated (high-water mark); indices below it are live or on the free list. */
  private top = 0;
  private nodes!: Int32Array;
  private free: number[] = [];
  private count = 0;
  /**
   * Hash index of the nodes, open addressing with linear probing, one 32-bit entry a
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
  /** Bumped on every insertion of a new prefix and every deletion (walks check it). */
  private version = 0;
  /** Bumped on every change of the blocks (cursors resume by position while it holds). */
  private shape = 0;
  /** Scratch: the query key as words (no allocation per lookup). */
  private readonly q: Int32Array;
  /** Scratch: the unmasked query of a longest match. */
  private readonly qFull: Int32Array;
  /** Prefixes per length (longest match probes only the lengths in use). */
  private readonly lenCount: Int32Array;
  /** The lengths in use, longest first; null when lenCount changed between zero and not. */
  private lens: Int32Array | null = null;
  /** Nodes not yet in the blocks, in insertion order (may hold stale entries): pend[0 .. npend-1]. */
  private pend = new Int32Array(64);
  private npend = 0;
  /** Pending nodes taken from `pend`, being sorted and put into the order (settleSome). */
  private job: SortJob | null = null;
  /** A run's 64-bit sort keys as 32-bit halves (LO, HI), made with the first run sorted. */
  private runKeys = new Uint32Array(0);
  /**
   * The order: blocks of node numbers, each sorted, every node of block b before every node
   * of block b + 1; blocks[b][0 .. blen[b]-1] are used (never 0 of them), up to `blockSize`.
   */
  private blocks: Int32Array[] = [];
  private blen: number[] = [];
  private readonly blockSize: number;
  /** Dead nodes still in the blocks (delete). */
  private dead = 0;
  /** The sweep of dead nodes goes down the blocks from here (-1: not under way). */
  private sweepAt = -1;
  /** Nodes put into the order by a search rather than appended (a sorted load has none). */
  private searched = 0;
  /** Position found by `seekPos`: block and index in it (pb === blocks.length: the end). */
  private pb = 0;
  private pi = 0;

  /** `blockSize` is for tests (small blocks split and merge often). */
  constructor(afi: Afi, initialCapacity = 1024, blockSize = BLOCK) {
    this.afi = afi;
    this.maxLen = addrBytes(afi) * 8;
    this.W = afi === Afi.IPV4 ? 1 : 4;
    this.S = this.W + 2;
    this.q = new Int32Array(this.W);
    this.qFull = new Int32Array(this.W);
    this.lenCount = new Int32Array(this.maxLen + 1);
    this.blockSize = Math.max(4, blockSize);
    this.grow(Math.max(4, initialCapacity));
    this.rebuildIndex(Math.max(16, initialCapacity * 2));
  }

  /** Number of prefixes holding a value. */
  get size(): number {
    return this.count;
  }

  /** Bytes of storage: the node, index, pending and order arrays. */
  get byteLength(): number {
    return this.nodes.byteLength + this.index.byteLength + this.pend.byteLength + (this.job === null ? 0 : this.job.list.byteLength + this.job.first.byteLength) + this.runKeys.byteLength + this.blocks.length * this.blockSize * 4;
  }

  /** Nodes put into the order by a search, not appended (statistics; tests of the load sort). */
  get searchedCount(): number {
    return this.searched;
  }

  /** Allocated nodes, for memory statistics (one per prefix). */
  get nodeCount(): number {
    return this.top - this.free.length;
  }

  private val(n: number): V {
    return this.nodes[n * this.S + this.W + 1] as V;
  }
  private addPending(m: number): void {
    if (this.npend === this.pend.length) this.pend = grown(this.pend, this.pend.length * 2);
    this.pend[this.npend++] = m;
  }

  // ---- storage ---------------------------------------------------------------------------

  private grow(cap: number): void {
    this.nodes = this.cap > 0 ? grown(this.nodes, cap * this.S) : new Int32Array(cap * this.S);
    this.cap = cap;
    // Node numbers need another bit in the index entries.
    if (cap > this.nmask && this.index.length > 0) this.rebuildIndex(this.imask + 1);
  }

  /**
   * A new node with the query key `q` (length l), flagged pending, holding v. The caller
   * adds it to the index, then flags it valued (`added`): an index rebuild on the way adds
   * every node flagged valued, so one flagged before would be added twice.
   */
  private alloc(l: number, v: V): number {
    let n: number;
    if (this.free.length > 0) n = this.free.pop()!;
    else {
      if (this.top === this.cap) this.grow(this.cap * 2);
      n = this.top++;
    }
    const W = this.W, nodes = this.nodes, q = this.q, o = n * this.S;
    for (let w = 0; w < W; w++) nodes[o + w] = q[w]!;
    nodes[o + W] = l | PENDING;
    nodes[o + W + 1] = v;
    return n;
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

  private countLen(l: number, d: number): void {
    const c = (this.lenCount[l]! += d);
    if (c === 0 || c === d) this.lens = null;
  }

  // ---- hash index --------------------------------------------------------------------------

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

  /** Node holding the query (q, l), or -1. */
  private lookup(l: number): number {
    const index = this.index, mask = this.imask, nmask = this.nmask;
    const h = this.qhash(l), t = h & ~nmask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[i]!;
      if (e === 0) return NONE;
      if ((e & ~nmask) === t && this.keyEq((e & nmask) - 1, l)) return (e & nmask) - 1;
    }
  }

  /** Adds node n (whose key is the query, length l) to the index. */
  private indexAdd(n: number, l: number): void {
    if ((this.count + 1) * 2 > this.imask + 1) this.rebuildIndex((this.imask + 1) * 2);
    const index = this.index, mask = this.imask;
    const h = this.qhash(l);
    let i = h & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = (h & ~this.nmask) | (n + 1);
  }

  /** Removes node n (key = the query, length l) from the index: backward-shift deletion. */
  private indexRemove(n: number, l: number): void {
    const index = this.index, mask = this.imask, nmask = this.nmask;
    let i = this.qhash(l) & mask;
    while ((index[i]! & nmask) !== n + 1) i = (i + 1) & mask;
    // Shift later members of the probe run back so that no lookup stops early.
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const m = (index[j]! & nmask) - 1;
      const home = this.hashWords(this.nodes, m * this.S, this.len(m)) & mask;
      // The entry at j may move to i if its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
  }

  /**
   * A new index of at least `size` slots (a power of two) holding every node, its entries
   * made for the current node capacity. The nodes are read in order (their keys hashed
   * again), not the old index.
   */
  private rebuildIndex(size: number): void {
    let sz = 16;
    while (sz < size) sz *= 2;
    // Node bits for twice the slots as well: the nodes then rarely outgrow them before the
    // index itself grows, so growing nodes seldom rebuilds the index.
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

  /** Loads node n's key into the scratch query key; returns its length. */
  private loadNode(n: number): number {
    const nodes = this.nodes, o = n * this.S, q = this.q;
    for (let w = 0; w < this.W; w++) q[w] = nodes[o + w]!;
    return nodes[o + this.W]! & LEN_MASK;
  }

  /** The query (q, L) against node n in preorder: < 0 before it, 0 the same, > 0 after it. */
  private cmpQ(n: number, L: number): number {
    const nodes = this.nodes, o = n * this.S, q = this.q;
    for (let w = 0; w < this.W; w++) {
      const a = q[w]! >>> 0, b = nodes[o + w]! >>> 0;
      if (a !== b) return a < b ? -1 : 1;
    }
    return L - (nodes[o + this.W]! & LEN_MASK);
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
      this.nodes[hit * this.S + this.W + 1] = value;
      return;
    }
    const m = this.alloc(L, value);
    this.indexAdd(m, L);
    this.added(m, L);
  }

  /** Node m of length L, new in the index: flagged valued, counted, and pending. */
  private added(m: number, L: number): void {
    this.nodes[m * this.S + this.W] |= HAS_VALUE;
    this.count++;
    this.version++;
    this.countLen(L, 1);
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
   * undefined. One hash probe where get() then set() take two.
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
    const m = this.alloc(L, value);
    // alloc may have grown the nodes and rebuilt the index with wider entries: then, or when
    // the index is due to grow, probe again.
    if (this.index !== index || (this.count + 1) * 2 > this.imask + 1) this.indexAdd(m, L);
    else index[i] = t | (m + 1);
    this.added(m, L);
    return undefined;
  }

  /** Removes a prefix; returns whether it was present. */
  delete(p: Prefix): boolean {
    if (p.afi !== this.afi || p.len > this.maxLen) return false;
    const L = p.len;
    this.loadPrefix(p);
    const n = this.lookup(L);
    if (n === NONE) return false;
    this.indexRemove(n, L);
    const o = n * this.S + this.W;
    if ((this.nodes[o]! & PENDING) !== 0) {
      // No place in the blocks; its entry in the pending list goes stale.
      this.nodes[o] = 0;
      this.free.push(n);
    } else {
      // Taking it out of its block would cost a search (cache misses all the way down) and
      // a shift, per prefix of a session going down: it stays, marked, until a sweep
      // takes the dead out of each block in one pass (settleSome).
      this.nodes[o] = L | DEAD;
      this.dead++;
    }
    this.count--;
    this.version++;
    this.countLen(L, -1);
    return true;
  }

  /** Removes every prefix. Storage is kept for reuse, but for the blocks. */
  clear(): void {
    this.top = 0;
    this.free = [];
    this.npend = 0;
    this.job = null;
    this.count = 0;
    this.version++;
    this.shape++;
    this.index.fill(0);
    this.lenCount.fill(0);
    this.lens = null;
    this.blocks = [];
    this.blen = [];
    this.dead = 0;
    this.sweepAt = -1;
  }

  // ---- the order: sorted blocks -----------------------------------------------------------

  /**
   * Puts the pending nodes into the blocks. Exact match never needs the order, so only
   * walks and cursors settle first — and whoever owns the trie may settle ahead of them,
   * in slices, while it is idle (settleSome).
   */
  private settle(): void {
    this.settleSome(Infinity);
  }

  /** Nodes waiting to be put into the order, or (dead) taken out of it (settle). */
  get pendingCount(): number {
    return this.npend + (this.job === null ? 0 : this.job.left) + this.dead;
  }

  /**
   * Puts up to `max` pending nodes into the order, sorted first (so that a big load is
   * appended), then sweeps dead nodes out of blocks holding up to `max` nodes in all,
   * and returns how many are still waiting: a slice of `settle`, so that a big load's or
   * teardown's settling can be done in the background instead of at the first walk.
   */
  settleSome(max: number): number {
    let left = max;
    // With prefixes to order as well, the sweep takes half the slice: deletes coming all the
    // time (each a dead node) would otherwise keep it sweeping, and the ordering waiting.
    if (this.dead > 0) left -= this.sweepSome(this.npend > 0 || this.job !== null ? Math.ceil(max / 2) : max);
    while (left > 0) {
      let job = this.job;
      if (job === null) {
        const count = this.npend;
        if (count === 0) break;
        this.npend = 0;
        // A full table's insertion leaves a pending list of a million entries: the job
        // takes it as it is (no copy), and a new one starts small.
        let list = this.pend;
        if (list.length > PEND_KEEP) this.pend = new Int32Array(64);
        else list = list.slice(0, count);
        job = this.job = this.sortJob(list, count);
      }
      // Runs are sorted one a slice's worth at a time; once all are, the merge hands out
      // nodes in preorder.
      while (job.sortedRuns < job.runs && left > 0) left -= this.sortRun(job, job.sortedRuns++);
      if (job.sortedRuns < job.runs) break;
      if (job.heapLen === 0 && job.left > 0) startMerge(job);
      const S = this.S, W = this.W, nodes = this.nodes;
      for (; left > 0 && job.left > 0; left--) {
        const m = job.list[this.nextSorted(job)]!;
        job.left--;
        const o = m * S + W;
        if ((nodes[o]! & PENDING) === 0) continue; // deleted (and maybe reused) since
        nodes[o] &= ~PENDING;
        this.order(m);
      }
      if (job.left === 0) {
        this.job = null;
        retire(job.list);
        retire(job.first);
      }
    }
    return this.pendingCount;
  }

  /**
   * Sweeps dead nodes out of blocks, from the last block down, until blocks holding `max`
   * nodes have been swept or none is dead; frees them. Returns the nodes swept over.
   */
  private sweepSome(max: number): number {
    let swept = 0;
    const blocks = this.blocks, blen = this.blen, nodes = this.nodes, S = this.S, W = this.W, B = this.blockSize;
    while (this.dead > 0 && swept < max) {
      if (this.sweepAt < 0 || this.sweepAt >= blocks.length) this.sweepAt = blocks.length - 1;
      const b = this.sweepAt--;
      const blk = blocks[b]!, n = blen[b]!;
      swept += n;
      let k = 0;
      for (let i = 0; i < n; i++) {
        const m = blk[i]!;
        if ((nodes[m * S + W]! & DEAD) === 0) blk[k++] = m;
        else {
          nodes[m * S + W] = 0;
          this.free.push(m);
          this.dead--;
        }
      }
      if (k === n) continue;
      this.shape++;
      blen[b] = k;
      if (k === 0) {
        blocks.splice(b, 1);
        blen.splice(b, 1);
      } else if (k <= B >>> 2 && b + 1 < blocks.length && k + blen[b + 1]! <= B >>> 1) {
        // A block down to a quarter merges with its next neighbour when both fit in half a
        // block, so that deletions do not leave many nearly empty blocks behind.
        blk.set(blocks[b + 1]!.subarray(0, blen[b + 1]!), k);
        blen[b] = k + blen[b + 1]!;
        blocks.splice(b + 1, 1);
        blen.splice(b + 1, 1);
      }
    }
    if (this.dead === 0) this.sweepAt = -1;
    return swept;
  }

  /**
   * A sort of `list`'s first n entries (node numbers) into preorder, in slices: runs of RUN
   * entries, each sorted by one native sort of 64-bit keys (sortRun), then merged as they
   * are taken (nextSorted, entryLess). IPv4 packs the address, the length and the node
   * number into a key; IPv6 packs the first key word and the node number, and a run's
   * entries with equal first words are then sorted by the whole key. One native sort of a million keys took 0.11 s,
   * all in one call; a radix over the nodes missed the cache at every read of a key.
   */
  private sortJob(list: Int32Array, n: number): SortJob {
    const job: SortJob = {
      list, n, first: new Uint32Array(n),
      // Node numbers below 2^26 leave 6 bits for an IPv4 length (0..32).
      withLen: this.W === 1 && this.top <= 1 << 26,
      runs: Math.ceil(n / RUN), sortedRuns: 0,
      heads: new Int32Array(Math.ceil(n / RUN)), heap: new Int32Array(Math.ceil(n / RUN)), heapLen: 0,
      left: n,
      less: (i, j) => this.entryLess(job, i, j),
    };
    return job;
  }

  /** Sorts run r of the job in place; returns its length. */
  private sortRun(job: SortJob, r: number): number {
    const { list, withLen } = job, nodes = this.nodes, S = this.S, W = this.W;
    const a = r * RUN, b = Math.min(job.n, a + RUN);
    if (this.runKeys.length === 0) this.runKeys = new Uint32Array(2 * RUN);
    const u = this.runKeys;
    for (let i = a; i < b; i++) {
      const m = list[i]!, k = 2 * (i - a);
      u[k + LO] = withLen ? ((nodes[m * S + W]! & LEN_MASK) << 26) | m : m;
      u[k + HI] = nodes[m * S]!;
    }
    new BigUint64Array(u.buffer, 0, b - a).sort();
    const nodeBits = withLen ? (1 << 26) - 1 : -1;
    const first = job.first;
    for (let i = a; i < b; i++) {
      list[i] = u[2 * (i - a) + LO]! & nodeBits;
      first[i] = u[2 * (i - a) + HI]!;
    }
    if (!withLen) {
      const cmp = (x: number, y: number): number => this.cmpNodes(x, y);
      for (let i = a; i < b; ) {
        let j = i + 1;
        while (j < b && u[2 * (j - a) + HI] === u[2 * (i - a) + HI]) j++;
        if (j - i > 1) list.subarray(i, j).sort(cmp);
        i = j;
      }
    }
    job.heads[r] = a;
    return b - a;
  }

  /**
   * Entry i of the job's list comes before entry j (both in sorted runs): by first key word,
   * then off the nodes, so that only the first words of a run's keys are kept once it is
   * sorted (whole keys took 8 MB at the end of a full table's load; none at all made the
   * merge read a node per entry taken, 20% slower); ties (a prefix deleted and added again
   * while waiting, two nodes) by node number, as the sort keys have them.
   */
  private entryLess(job: SortJob, i: number, j: number): boolean {
    const x = job.first[i]!, y = job.first[j]!;
    if (x !== y) return x < y;
    const a = job.list[i]!, b = job.list[j]!, c = this.cmpNodes(a, b);
    return c !== 0 ? c < 0 : a < b;
  }

  /** Index in the job's list of the next entry in preorder (one must be left). */
  private nextSorted(job: SortJob): number {
    const { heap, heads } = job, r = heap[0]!, i = heads[r]!;
    heads[r] = i + 1;
    if (i + 1 >= Math.min(job.n, (r + 1) * RUN)) heap[0] = heap[--job.heapLen]!;
    siftDown(job, 0);
    return i;
  }

  /** Node a against node b in preorder (as cmpQ). */
  private cmpNodes(a: number, b: number): number {
    const nodes = this.nodes, oa = a * this.S, ob = b * this.S;
    for (let w = 0; w < this.W; w++) {
      const x = nodes[oa + w]! >>> 0, y = nodes[ob + w]! >>> 0;
      if (x !== y) return x < y ? -1 : 1;
    }
    return (nodes[oa + this.W]! & LEN_MASK) - (nodes[ob + this.W]! & LEN_MASK);
  }

  /**
   * Position of the first ordered node not before the query (q, L) — strictly after it
   * when `after` — into pb / pi (pb === blocks.length when there is none).
   */
  private seekPos(L: number, after: boolean): void {
    const blocks = this.blocks, blen = this.blen;
    let lo = 0, hi = blocks.length;
    // The first block whose last node is not before the query (after it, with `after`).
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.cmpQ(blocks[mid]![blen[mid]! - 1]!, L);
      if (after ? c < 0 : c <= 0) hi = mid;
      else lo = mid + 1;
    }
    this.pb = lo;
    if (lo === blocks.length) {
      this.pi = 0;
      return;
    }
    const blk = blocks[lo]!;
    let i = 0, j = blen[lo]! - 1; // blk[j] qualifies
    while (i < j) {
      const mid = (i + j) >>> 1;
      const c = this.cmpQ(blk[mid]!, L);
      if (after ? c < 0 : c <= 0) j = mid;
      else i = mid + 1;
    }
    this.pi = i;
  }

  /** Puts node m, not in the order, into its place. */
  private order(m: number): void {
    this.shape++;
    const blocks = this.blocks, blen = this.blen, last = blocks.length - 1, B = this.blockSize;
    const L = this.loadNode(m);
    // A sorted load comes in order: after the last node, it is appended.
    if (last < 0 || this.cmpQ(blocks[last]![blen[last]! - 1]!, L) > 0) {
      if (last >= 0 && blen[last]! < B) blocks[last]![blen[last]!++] = m;
      else {
        const blk = new Int32Array(B);
        blk[0] = m;
        blocks.push(blk);
        blen.push(1);
      }
      return;
    }
    this.searched++;
    this.seekPos(L, false);
    const b = this.pb, i = this.pi, blk = blocks[b]!, n = blen[b]!;
    if (n < B) {
      blk.copyWithin(i + 1, i, n);
      blk[i] = m;
      blen[b] = n + 1;
      return;
    }
    // A full block splits in two halves; m goes into the one covering its place.
    const half = B >>> 1;
    const right = new Int32Array(B);
    right.set(blk.subarray(half, n));
    blocks.splice(b + 1, 0, right);
    blen.splice(b + 1, 0, n - half);
    blen[b] = half;
    const [tb, ti] = i <= half ? [b, i] : [b + 1, i - half];
    const t = blocks[tb]!, tn = blen[tb]!;
    t.copyWithin(ti + 1, ti, tn);
    t[ti] = m;
    blen[tb] = tn + 1;
  }

  // ---- longest match -----------------------------------------------------------------------

  /** The lengths in use, longest first. */
  private lengths(): Int32Array {
    if (this.lens === null) {
      const out: number[] = [];
      for (let l = this.maxLen; l >= 0; l--) if (this.lenCount[l]! > 0) out.push(l);
      this.lens = Int32Array.from(out);
    }
    return this.lens;
  }

  /**
   * Node of the longest prefix covering (query, l) whose value `accept` takes (every one
   * without), or -1: one exact lookup per length in use, from l down, the query masked to
   * each. Query loaded by the caller.
   */
  private lpm(l: number, accept?: (v: V) => boolean): number {
    const q = this.q, full = this.qFull, W = this.W, lens = this.lengths();
    full.set(q);
    let found = NONE;
    for (let k = 0; k < lens.length; k++) {
      const len = lens[k]!;
      if (len > l) continue;
      for (let w = 0; w < W; w++) {
        const bits = len - w * 32;
        q[w] = bits >= 32 ? full[w]! : bits <= 0 ? 0 : full[w]! & (0xffffffff << (32 - bits));
      }
      const n = this.lookup(len);
      if (n !== NONE && (accept === undefined || accept(this.val(n)))) {
        found = n;
        break;
      }
    }
    q.set(full);
    return found;
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
    if (target instanceof Uint8Array) {
      this.load(target);
      return this.lpm(this.maxLen, accept);
    }
    if (target.len > this.maxLen) return NONE;
    this.loadPrefix(target);
    return this.lpm(target.len, accept);
  }

  // ---- walks -------------------------------------------------------------------------------

  /**
   * Calls fn for every prefix (inside `within` if given) in preorder. The trie must not be
   * modified from fn: use a cursor for that.
   */
  walk(fn: (prefix: Prefix, value: V) => void, within?: Prefix): void {
    this.settle();
    let words: Int32Array | undefined;
    let wl = 0;
    if (within) {
      if (within.afi !== this.afi || within.len > this.maxLen) throw familyError(this.afi, within.addr, within.len);
      this.loadPrefix(within);
      words = Int32Array.from(this.q);
      wl = within.len;
      this.seekPos(wl, false);
    } else {
      this.pb = 0;
      this.pi = 0;
    }
    const version = this.version, blocks = this.blocks, blen = this.blen;
    for (let b = this.pb, i = this.pi; b < blocks.length; b++, i = 0) {
      const blk = blocks[b]!, n = blen[b]!;
      for (; i < n; i++) {
        const m = blk[i]!;
        if (words && !this.within(m, words, wl)) return;
        if ((this.nodes[m * this.S + this.W]! & DEAD) !== 0) continue;
        fn(this.prefixOf(m), this.val(m));
        if (this.version !== version) {
          throw new WrenError('ERR_RIB_WALK_MODIFIED', 'trie modified during walk(): use a cursor');
        }
      }
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
    let b: number, i: number;
    if (c.last === undefined) {
      if (c.bound) {
        this.q.set(c.bound.words);
        this.seekPos(c.bound.len, false);
        b = this.pb;
        i = this.pi;
      } else b = i = 0;
    } else if (c.shape === this.shape) {
      b = c.block;
      i = c.pos + 1;
    } else {
      this.loadPrefix(c.last);
      this.seekPos(c.last.len, true);
      b = this.pb;
      i = this.pi;
    }
    const bound = c.bound, blocks = this.blocks, blen = this.blen;
    let lb = -1, li = -1;
    scan: for (; b < blocks.length; b++, i = 0) {
      const blk = blocks[b]!, len = blen[b]!;
      for (; i < len; i++) {
        if (out.length >= n) break scan;
        const m = blk[i]!;
        if (bound && !this.within(m, bound.words, bound.len)) {
          b = blocks.length;
          break scan;
        }
        if ((this.nodes[m * this.S + this.W]! & DEAD) !== 0) continue;
        out.push({ prefix: this.prefixOf(m), value: this.val(m) });
        lb = b;
        li = i;
      }
    }
    if (lb >= 0) {
      c.block = lb;
      c.pos = li;
      // The entry's own prefix object: equal to a fresh one, and no second object made.
      c.last = out[out.length - 1]!.prefix;
    }
    c.shape = this.shape;
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
  /** Block and index of `last` while `shape` is the trie's. */
  block: number;
  pos: number;
  shape: number;
  done: boolean;
}

/** A resumable, modification-tolerant walk over a trie (semantics in the file header). */
export class TrieCursor<V extends number = number> {
  private readonly state: CursorState;

  constructor(private readonly trie: PrefixTrie<V>, within?: Prefix) {
    this.state = {
      bound: within ? { words: trie._words(within), len: within.len } : undefined,
      last: undefined,
      block: 0,
      pos: -1,
      shape: -1,
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

/** See PrefixTrie.sortJob. */
interface SortJob {
  /** Node numbers (the first n entries); each run list[r*RUN .. (r+1)*RUN - 1] sorted once sortRun has run. */
  readonly list: Int32Array;
  readonly n: number;
  /** Each sorted entry's first key word (its address, or the first 32 bits of it). */
  readonly first: Uint32Array;
  readonly withLen: boolean;
  readonly runs: number;
  sortedRuns: number;
  /** Next entry of each run; the heap holds the runs not yet drained, by their next entry. */
  readonly heads: Int32Array;
  readonly heap: Int32Array;
  heapLen: number;
  /** Entries not yet taken. */
  left: number;
  /** Entry i comes before entry j (PrefixTrie.entryLess). */
  readonly less: (i: number, j: number) => boolean;
}

/** Builds the job's heap of runs (every run sorted, none taken from). */
function startMerge(job: SortJob): void {
  for (let r = 0; r < job.runs; r++) job.heap[r] = r;
  job.heapLen = job.runs;
  for (let k = (job.heapLen >> 1) - 1; k >= 0; k--) siftDown(job, k);
}

/** Restores the heap below position k (runs compared by their next entries). */
function siftDown(job: SortJob, k: number): void {
  const { heap, heads, less } = job, n = job.heapLen;
  for (;;) {
    const l = 2 * k + 1;
    if (l >= n) return;
    const r = l + 1;
    const c = r < n && less(heads[heap[r]!]!, heads[heap[l]!]!) ? r : l;
    if (!less(heads[heap[c]!]!, heads[heap[k]!]!)) return;
    const t = heap[k]!;
    heap[k] = heap[c]!;
    heap[c] = t;
    k = c;
  }
}

function familyError(afi: Afi, addr: Uint8Array, len?: number): WrenError {
  return new WrenError(
    'ERR_RIB_FAMILY',
    `prefix of ${addr.length} bytes${len === undefined ? '' : ` /${len}`} does not fit an ${afi === Afi.IPV4 ? 'IPv4' : 'IPv6'} trie`,
  );
}

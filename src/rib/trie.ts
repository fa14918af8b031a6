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
// fast path everywhere), four for IPv6.
//
//   node n:  key[n*W .. n*W+W-1]  address bits, host bits zero
//            len[n]               prefix length (0..32 / 0..128)
//            c0[n], c1[n]         children by the bit at position len[n] (-1: none)
//            parent[n]            -1 for the root
//            hv[n]                1 when the node holds a value (vals[n], pfx[n])
//
// Order: every walk visits prefixes in "preorder", which is (address, length)
// lexicographic: 10.0.0.0/8 < 10.0.0.0/16 < 10.1.0.0/16 < 11.0.0.0/8. A prefix comes
// before its more-specifics, and a subtree (all prefixes covered by P) is one contiguous
// range of that order.
//
// Cursor semantics (TrieCursor): a cursor remembers the last prefix it returned, not a
// node. Each `next(n)` resumes at the first prefix strictly after that one in the order
// above, in the trie as it is at the time of the call. Hence, for modifications between
// calls: entries added or removed behind the cursor are not visited; no entry is visited
// twice (returned prefixes are strictly increasing); every entry present ahead of the
// cursor at the time of a call is reached (added ahead ⇒ visited, removed ahead ⇒ not).
// Once a call returns fewer than n entries the cursor is finished and returns [] forever.
// If the trie did not change since the previous call, the cursor resumes from the node it
// stopped at without searching.
//
// Leaves out: multibit strides (measured: see bench/rib.ts), concurrent iteration inside
// `walk` callbacks (use a cursor when modifying), keys other than unicast prefixes.

import { Afi, addrBytes, type Prefix } from './prefix.js';
import { WrenError } from '../bgp/errors.js';

/** One entry as a walk or cursor returns it: the Prefix object given to `set`, and its value. */
export interface TrieEntry<V> {
  readonly prefix: Prefix;
  readonly value: V;
}

const ROOT = 0;
const NONE = -1;

export class PrefixTrie<V> {
  readonly afi: Afi;
  /** Maximum prefix length: 32 or 128. */
  readonly maxLen: number;
  /** 32-bit words per key: 1 for IPv4, 4 for IPv6. */
  private readonly W: number;
  private cap = 0;
  /** Nodes ever allocated (high-water mark); indices below it are live or on the free list. */
  private top = 0;
  private key!: Uint32Array;
  private len!: Uint8Array;
  private c0!: Int32Array;
  private c1!: Int32Array;
  private parent!: Int32Array;
  private hv!: Uint8Array;
  private vals: (V | undefined)[] = [];
  private pfx: (Prefix | undefined)[] = [];
  private free: number[] = [];
  private count = 0;
  /** Bumped on every insertion of a new prefix and every deletion (cursors check it). */
  private version = 0;
  /** Scratch: the query key as words (no allocation per lookup). */
  private readonly q: Uint32Array;

  constructor(afi: Afi, initialCapacity = 1024) {
    this.afi = afi;
    this.maxLen = addrBytes(afi) * 8;
    this.W = afi === Afi.IPV4 ? 1 : 4;
    this.q = new Uint32Array(this.W);
    this.grow(Math.max(4, initialCapacity));
    this.alloc(0); // the root, /0, permanent
  }

  /** Number of prefixes holding a value. */
  get size(): number {
    return this.count;
  }

  /** Allocated nodes (valued + glue), for memory statistics. */
  get nodeCount(): number {
    return this.top - this.free.length;
  }

  // ---- storage ---------------------------------------------------------------------------

  private grow(cap: number): void {
    const W = this.W;
    const key = new Uint32Array(cap * W);
    const len = new Uint8Array(cap);
    const c0 = new Int32Array(cap);
    const c1 = new Int32Array(cap);
    const parent = new Int32Array(cap);
    const hv = new Uint8Array(cap);
    if (this.cap > 0) {
      key.set(this.key);
      len.set(this.len);
      c0.set(this.c0);
      c1.set(this.c1);
      parent.set(this.parent);
      hv.set(this.hv);
    }
    this.key = key;
    this.len = len;
    this.c0 = c0;
    this.c1 = c1;
    this.parent = parent;
    this.hv = hv;
    this.cap = cap;
  }

  /** A new node with the query key `q` masked to `l` bits, no value, no links. */
  private alloc(l: number): number {
    let n: number;
    if (this.free.length > 0) n = this.free.pop()!;
    else {
      if (this.top === this.cap) this.grow(this.cap * 2);
      n = this.top++;
      this.vals.push(undefined);
      this.pfx.push(undefined);
    }
    const W = this.W, key = this.key, q = this.q;
    for (let w = 0; w < W; w++) {
      const bits = l - w * 32;
      key[n * W + w] = bits >= 32 ? q[w]! : bits <= 0 ? 0 : (q[w]! & (0xffffffff << (32 - bits))) >>> 0;
    }
    this.len[n] = l;
    this.c0[n] = NONE;
    this.c1[n] = NONE;
    this.parent[n] = NONE;
    this.hv[n] = 0;
    return n;
  }

  private release(n: number): void {
    this.vals[n] = undefined;
    this.pfx[n] = undefined;
    this.hv[n] = 0;
    this.c0[n] = NONE;
    this.c1[n] = NONE;
    this.parent[n] = NONE;
    this.free.push(n);
  }

  // ---- key helpers -------------------------------------------------------------------------

  /** Loads address bytes into the scratch query key. */
  private load(addr: Uint8Array): void {
    const q = this.q;
    if (this.W === 1) {
      if (addr.length !== 4) throw familyError(this.afi, addr);
      q[0] = ((addr[0]! << 24) | (addr[1]! << 16) | (addr[2]! << 8) | addr[3]!) >>> 0;
      return;
    }
    if (addr.length !== 16) throw familyError(this.afi, addr);
    for (let w = 0; w < 4; w++) {
      const i = w * 4;
      q[w] = ((addr[i]! << 24) | (addr[i + 1]! << 16) | (addr[i + 2]! << 8) | addr[i + 3]!) >>> 0;
    }
  }

  /** Bit i (0 = most significant) of the query key. */
  private qbit(i: number): number {
    return (this.q[i >>> 5]! >>> (31 - (i & 31))) & 1;
  }

  /** Bit i of node n's key. */
  private nbit(n: number, i: number): number {
    return (this.key[n * this.W + (i >>> 5)]! >>> (31 - (i & 31))) & 1;
  }

  /** First bit where node n's key and the query differ, or `limit` if none before it. */
  private diff(n: number, limit: number): number {
    if (this.W === 1) {
      const d = Math.clz32(this.key[n]! ^ this.q[0]!);
      return d < limit ? d : limit;
    }
    const base = n * 4;
    for (let w = 0; w < 4; w++) {
      const x = this.key[base + w]! ^ this.q[w]!;
      if (x !== 0) {
        const d = w * 32 + Math.clz32(x);
        return d < limit ? d : limit;
      }
    }
    return limit;
  }

  /** Node n's prefix covers the query (the query's first len[n] bits equal n's key). */
  private covers(n: number): boolean {
    const l = this.len[n]!;
    if (this.W === 1) return l === 0 || ((this.key[n]! ^ this.q[0]!) >>> (32 - l)) === 0;
    return this.diff(n, l) === l;
  }

  /** Node n is inside the subtree of the prefix (words, l): n's first l bits equal it. */
  private within(n: number, words: Uint32Array, l: number): boolean {
    if (this.len[n]! < l) return false;
    const W = this.W, base = n * W;
    for (let w = 0; w < W; w++) {
      const bits = l - w * 32;
      if (bits <= 0) return true;
      const x = this.key[base + w]! ^ words[w]!;
      if (bits >= 32 ? x !== 0 : x >>> (32 - bits) !== 0) return false;
    }
    return true;
  }

  // ---- exact match -------------------------------------------------------------------------

  /** Node holding exactly this prefix (valued or glue), or -1. */
  private find(p: Prefix): number {
    this.load(p.addr);
    const L = p.len;
    const len = this.len, c0 = this.c0, c1 = this.c1;
    let n = ROOT;
    // Descend on bits alone (path compression skips bits); verify the key once at the end.
    while (n !== NONE) {
      const ln = len[n]!;
      if (ln >= L) return ln === L && this.covers(n) ? n : NONE;
      n = this.qbit(ln) ? c1[n]! : c0[n]!;
    }
    return NONE;
  }

  get(p: Prefix): V | undefined {
    if (p.len > this.maxLen) return undefined;
    const n = this.find(p);
    return n !== NONE && this.hv[n] ? this.vals[n] : undefined;
  }

  /** True if the prefix holds a value. */
  has(p: Prefix): boolean {
    if (p.len > this.maxLen) return false;
    const n = this.find(p);
    return n !== NONE && this.hv[n] === 1;
  }

  /**
   * Sets the value of a prefix (inserting it if new). The Prefix object is kept and
   * returned by walks and longestMatchEntry: it must not be mutated afterwards (prefix.ts
   * already says addresses are owned). Host bits must be zero.
   */
  set(p: Prefix, value: V): void {
    const L = p.len;
    if (p.afi !== this.afi || L > this.maxLen || L < 0) throw familyError(this.afi, p.addr, L);
    this.load(p.addr);
    const len = this.len;
    let n = ROOT;
    for (;;) {
      // Invariant: node n covers the query on len[n] bits and len[n] <= L.
      const ln = len[n]!;
      if (ln === L) {
        if (!this.hv[n]) {
          this.hv[n] = 1;
          this.count++;
          this.version++;
        }
        this.vals[n] = value;
        this.pfx[n] = p;
        return;
      }
      const b = this.qbit(ln);
      const c = b ? this.c1[n]! : this.c0[n]!;
      if (c === NONE) {
        const m = this.alloc(L);
        this.link(n, b, m);
        this.setValue(m, p, value);
        return;
      }
      const lc = len[c]!;
      const lim = lc < L ? lc : L;
      const d = this.diff(c, lim);
      if (d === lc) {
        n = c; // c covers the query and is not longer than it
        continue;
      }
      if (d === L) {
        // The query is a proper prefix of c: a new valued node between n and c.
        const m = this.alloc(L);
        this.link(n, b, m);
        this.link(m, this.nbit(c, L), c);
        this.setValue(m, p, value);
        return;
      }
      // They diverge at bit d, shorter than both: a glue node of length d.
      const g = this.alloc(d);
      const m = this.alloc(L);
      this.link(n, b, g);
      const cb = this.nbit(c, d);
      this.link(g, cb, c);
      this.link(g, cb ^ 1, m);
      this.setValue(m, p, value);
      return;
    }
  }

  private link(p: number, bit: number, child: number): void {
    if (bit) this.c1[p] = child;
    else this.c0[p] = child;
    this.parent[child] = p;
  }

  private setValue(n: number, p: Prefix, value: V): void {
    this.hv[n] = 1;
    this.vals[n] = value;
    this.pfx[n] = p;
    this.count++;
    this.version++;
  }

  /** Removes a prefix; returns whether it was present. */
  delete(p: Prefix): boolean {
    if (p.afi !== this.afi || p.len > this.maxLen) return false;
    const n = this.find(p);
    if (n === NONE || !this.hv[n]) return false;
    this.hv[n] = 0;
    this.vals[n] = undefined;
    this.pfx[n] = undefined;
    this.count--;
    this.version++;
    if (n !== ROOT) this.compact(n);
    return true;
  }

  /** Removes node n if it no longer earns its place (no value, fewer than two children). */
  private compact(n: number): void {
    const c0 = this.c0, c1 = this.c1;
    const a = c0[n]!, b = c1[n]!;
    if (a !== NONE && b !== NONE) return; // stays as a glue node
    const p = this.parent[n]!;
    const only = a !== NONE ? a : b;
    if (only !== NONE) {
      // Splice n out: its only child takes its place under p.
      if (c0[p] === n) c0[p] = only;
      else c1[p] = only;
      this.parent[only] = p;
      this.release(n);
      return;
    }
    if (c0[p] === n) c0[p] = NONE;
    else c1[p] = NONE;
    this.release(n);
    // p may now be a glue node with a single child.
    if (p !== ROOT && !this.hv[p]) this.compact(p);
  }

  /** Removes every prefix (the default route too). Storage is kept for reuse. */
  clear(): void {
    this.top = 0;
    this.free = [];
    this.vals = [];
    this.pfx = [];
    this.count = 0;
    this.version++;
    this.q.fill(0);
    this.alloc(0);
  }

  // ---- longest match -----------------------------------------------------------------------

  /** Node of the longest valued prefix covering (addr, l), or -1. Query loaded by the caller. */
  private lpm(l: number): number {
    const len = this.len, hv = this.hv, c0 = this.c0, c1 = this.c1;
    let n = ROOT, best = NONE;
    while (n !== NONE) {
      const ln = len[n]!;
      if (ln > l || !this.covers(n)) break;
      if (hv[n]) best = n;
      if (ln === l) break;
      n = this.qbit(ln) ? c1[n]! : c0[n]!;
    }
    return best;
  }

  /**
   * Value of the longest prefix that covers `target`: an address (4 or 16 bytes, as a /32
   * or /128) or a prefix (a covering prefix is itself or shorter).
   */
  longestMatch(target: Prefix | Uint8Array): V | undefined {
    const n = this.lpmOf(target);
    return n === NONE ? undefined : this.vals[n];
  }

  /** Like longestMatch, with the matching prefix. */
  longestMatchEntry(target: Prefix | Uint8Array): TrieEntry<V> | undefined {
    const n = this.lpmOf(target);
    return n === NONE ? undefined : { prefix: this.pfx[n]!, value: this.vals[n] as V };
  }

  private lpmOf(target: Prefix | Uint8Array): number {
    if (target instanceof Uint8Array) {
      this.load(target);
      return this.lpm(this.maxLen);
    }
    if (target.afi !== this.afi) throw familyError(this.afi, target.addr);
    this.load(target.addr);
    return this.lpm(target.len);
  }

  // ---- walks -------------------------------------------------------------------------------

  /** Next node in preorder after n's whole subtree, or -1. */
  private skip(n: number): number {
    const c0 = this.c0, c1 = this.c1, parent = this.parent;
    while (n !== ROOT) {
      const p = parent[n]!;
      if (c0[p] === n && c1[p] !== NONE) return c1[p]!;
      n = p;
    }
    return NONE;
  }

  /** Next node in preorder after n (into n's subtree first), or -1. */
  private succ(n: number): number {
    const a = this.c0[n]!;
    if (a !== NONE) return a;
    const b = this.c1[n]!;
    if (b !== NONE) return b;
    return this.skip(n);
  }

  /** First valued node at or after n in preorder, or -1. */
  private valuedFrom(n: number): number {
    const hv = this.hv;
    while (n !== NONE && !hv[n]) n = this.succ(n);
    return n;
  }

  /**
   * First valued node whose prefix is after the query (q, L) in preorder — or equal to
   * it when `inclusive`. Query loaded by the caller.
   */
  private seek(L: number, inclusive: boolean): number {
    const len = this.len;
    let n = ROOT;
    for (;;) {
      const ln = len[n]!;
      const lim = ln < L ? ln : L;
      const d = this.diff(n, lim);
      if (d < lim) {
        // Diverge at bit d: n's whole subtree is after the query (bit 1) or before it.
        return this.nbit(n, d) ? this.valuedFrom(n) : this.valuedFrom(this.skip(n));
      }
      if (ln > L) return this.valuedFrom(n); // the query is a proper prefix of n
      if (ln === L) {
        if (inclusive && this.hv[n]) return n;
        return this.valuedFrom(this.succ(n));
      }
      // n is a proper prefix of the query, so n itself is before it.
      const a = this.c0[n]!, b = this.c1[n]!;
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
    let m: number;
    let words: Uint32Array | undefined;
    let wl = 0;
    if (within) {
      if (within.afi !== this.afi || within.len > this.maxLen) throw familyError(this.afi, within.addr, within.len);
      this.load(within.addr);
      words = Uint32Array.from(this.q);
      wl = within.len;
      m = this.seek(wl, true);
    } else m = this.valuedFrom(ROOT);
    const version = this.version;
    while (m !== NONE) {
      if (words && !this.within(m, words, wl)) return;
      fn(this.pfx[m]!, this.vals[m] as V);
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
    let m: number;
    if (c.last === undefined) {
      if (c.bound) {
        this.q.set(c.bound.words);
        m = this.seek(c.bound.len, true);
      } else m = this.valuedFrom(ROOT);
    } else if (c.version === this.version && c.node !== NONE) {
      m = this.valuedFrom(this.succ(c.node));
    } else {
      this.load(c.last.addr);
      m = this.seek(c.last.len, false);
    }
    const bound = c.bound;
    let last = NONE;
    while (out.length < n && m !== NONE) {
      if (bound && !this.within(m, bound.words, bound.len)) {
        m = NONE;
        break;
      }
      out.push({ prefix: this.pfx[m]!, value: this.vals[m] as V });
      last = m;
      m = this.valuedFrom(this.succ(m));
    }
    if (last !== NONE) {
      c.node = last;
      c.last = this.pfx[last]!;
    }
    c.version = this.version;
    if (out.length < n) c.done = true;
  }

  /** @internal key words of a prefix, for cursor bounds. */
  _words(p: Prefix): Uint32Array {
    this.load(p.addr);
    return Uint32Array.from(this.q);
  }
}

/** @internal */
interface CursorState {
  bound: { words: Uint32Array; len: number } | undefined;
  last: Prefix | undefined;
  node: number;
  version: number;
  done: boolean;
}

/** A resumable, modification-tolerant walk over a trie (semantics in the file header). */
export class TrieCursor<V> {
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
export class FamilyTries<V> {
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

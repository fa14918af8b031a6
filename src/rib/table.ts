// A routing table (BIRD's `rtable`, the Loc-RIB of RFC 4271 §3.2): for every net, the
// candidate routes that protocols imported through their channels, and the best of them
// chosen by best-path.ts. Changes go out synchronously to every subscribed channel, the
// way BIRD's rte_announce does: `best` subscribers hear {net, new best, old best} when the
// winner changes (the kernel, BGP without ADD-PATH); `any` subscribers hear every
// candidate that appears, changes or goes (BGP with ADD-PATH tx, RFC 7911).
//
// Identity of a candidate within a net: its source (one RouteSource object per protocol
// instance, per BGP session) and its path id. A route replaces the one with the same
// identity; undefined withdraws it.
//
// Storage: no JS object per net or per route. The trie maps a prefix to a net number; nets
// and candidates live in typed columns indexed by slot number (struct of arrays), so a full
// table of a million prefixes gives the garbage collector no pointer column to scan and
// nothing per prefix to copy or mark (Node 20's V8 has no pointer compression: a pointer
// column would cost 8 bytes a slot and a scan per major GC):
//
//   slot s as a candidate:  attrs[s]            id of its interned attribute set (AttrSet.id,
//                                               read through attrSets.get; the column holds
//                                               one reference, so the id stays valid)
//                           src[s]              id of its route source (below; 16-bit)
//                           pathId[s], meta[s]  (preference | REACHABLE), igp[s], time[s]
//                                               (pathId and igp: no column until one is not 0)
//                           next[s]             the net's next candidate in arrival order, or -1
//                           tag[s]              an integer the importing protocol keeps with its
//                                               route (BGP: the session generation that last
//                                               announced it, for stale sweeps; rib/adj-rib-in.ts)
//                           netOf[s]            its net (no column while every candidate is its
//                                               net's first slot, as in a table with one route a net)
//   slot n as a net:        head[n]             the first candidate (usually n itself); -1 for
//                                               a net kept only for its pins (below)
//                           best[n], reason[n]  the winner and why (a code into `reasons`)
//                           key0[n], keyMeta[n] its prefix: address word 0, length | V6; IPv6
//                                               words 1..3 in keyExt[3n..3n+2] (made with the
//                                               first IPv6 net), so that netPrefix(n) answers
//                           pins[n]             Adj-RIB-Outs holding an entry for the net (16-bit)
//
// Net numbers outside the table: a subscriber may keep state by net number (an Adj-RIB-Out's
// columns, rib/adj-rib-out.ts) and `pin` the net while it does. A net whose last candidate
// goes while pinned stays in the trie without candidates ("kept"): invisible to every query,
// walk and count, its number unchanged, so that the Adj-RIB-Out can still send the
// withdrawal, and a route for the same prefix arriving meanwhile takes the same number. The
// last `unpin` of a kept net frees it.
//
// Route sources have small ids in a registry of the table: `sources` by id, `sourceIds` by
// object and `sourceUses` (candidates holding the id). An id is freed when its last
// candidate goes and reused by the next new source, so sessions that flap, each with a new
// RouteSource, do not grow the registry. Lookups by source (find, remove, flush) map the
// source to its id once; a source without an id has no candidate. One source's candidates
// are found by a scan of the `src` column (forEachOf, flushSome), as BIRD walks its whole
// table to prune a protocol's routes: a chain per source took two more columns (8 MiB at a
// million slots), and a scan reads 4 bytes a slot in order (~2 ms at a million).
//
// A net's number is the slot of its first candidate, so a net with one route (nearly every
// net of a full table) costs one slot. Route and NetEntry objects are made on demand, as
// views, for the subscribers, filters, best path among several candidates, and the CLI: a
// view is a snapshot, and two views of one candidate are equal but not the same object.
//
// Leaves out: next-hop resolution (rib/nexthop.ts re-selects nets when a resolving route
// changes), sorted candidate lists (nets have one or a handful of candidates; selection is
// a linear fold over views), and tables other than one per daemon ("master").

import { FamilyTries, ORDER_BACKLOG, type TrieCursor, type TrieEntry } from './trie.js';
import { WrenError } from '../bgp/errors.js';
import { selectBest, mergedPaths, DEFAULT_BEST_PATH_OPTIONS, type BestPathOptions } from './best-path.js';
import { attrSets, unref, type AttrSet } from './attr-set.js';
import { Afi, Nlri4, Nlri6, addrWord, type Nlri, type Prefix } from './prefix.js';
import { putNlriWords } from '../bgp/codec/nlri.js';
import { grown } from './columns.js';
import type { Route, RouteSource } from './route.js';

/**
 * One net of the table and its candidates, as a view made when asked for (a snapshot: it
 * does not follow later changes). A net with one candidate holds the route without an array.
 */
export class NetEntry {
  /** One candidate, or several in arrival order (none: the net has just gone). */
  private r: Route | readonly Route[];

  constructor(
    readonly prefix: Prefix,
    routes: Route | readonly Route[],
    /** The best candidate (undefined when the net has no route left). */
    readonly best: Route | undefined,
    /** Why `best` won (a best-path step name), for `show route all`. */
    readonly reason: string,
    /** The table's number for the net (see RoutingTable.pin); -1 for a view of no table's net. */
    readonly id = -1,
  ) {
    this.r = routes;
  }

  /** Candidates in arrival order (for a net with one, a new array each time). */
  /** @internal The table's reusable view of a net with one candidate (see TableSubscriber). */
  static reuse(e: NetEntry, prefix: Prefix, r: Route, reason: string, id: number): NetEntry {
    const w = e as { -readonly [K in 'prefix' | 'best' | 'reason' | 'id']: NetEntry[K] };
    w.prefix = prefix;
    e.r = r;
    w.best = r;
    w.reason = reason;
    w.id = id;
    return e;
  }

  get routes(): readonly Route[] {
    const r = this.r;
    return Array.isArray(r) ? r : [r as Route];
  }

  get count(): number {
    const r = this.r;
    return Array.isArray(r) ? r.length : 1;
  }

  /** Index of the candidate of `source` with `pathId`, or -1. */
  indexOf(source: RouteSource, pathId: number): number {
    const rs = this.routes;
    for (let i = 0; i < rs.length; i++) if (rs[i]!.source === source && rs[i]!.pathId === pathId) return i;
    return -1;
  }

  at(i: number): Route | undefined {
    return this.routes[i];
  }
}

export type ExportMode = 'best' | 'any';

/** What an update did to the source's candidate. */
export const enum UpdateResult {
  NONE = 0,
  ADDED = 1,
  REPLACED = 2,
  REMOVED = 3,
}

/**
 * What a table calls on a change; channels implement it. The NetEntry and Route objects it
 * hands over are valid during the call only: for a net with one candidate (nearly every
 * change of a full table) the table reuses the same two objects from one change to the next,
 * so that a million changes make no million views for the garbage collector. A subscriber
 * that keeps something beyond the call keeps the parts (prefix, attributes, source), not
 * the views.
 */
export interface TableSubscriber {
  readonly exportMode: ExportMode;
  /**
   * 'best': `now`/`old` are the net's best route after/before the change.
   * 'any': `now`/`old` are the candidate with one identity after/before the change.
   * `now`, when present, is one of `net.routes` (the same object).
   */
  tableChanged(net: NetEntry, now: Route | undefined, old: Route | undefined): void;
}

export interface TableStats {
  readonly nets: number;
  readonly routes: number;
}

/** Two views of one candidate (same source, same path id). */
export const sameCandidate = (a: Route, b: Route): boolean => a.source === b.source && a.pathId === b.pathId;

/** A table walk's entry: the net's prefix and its view. */
export interface TableEntry {
  readonly prefix: Prefix;
  readonly value: NetEntry;
}

/** Prefixes put into (or swept out of) the tries' order per slice: TableCursor, IdleOrderer. */
export const ORDER_SLICE = 8192;

/** A resumable walk over one family's nets (TrieCursor semantics, rib/trie.ts), yielding views. */
export class TableCursor {
  constructor(
    private readonly table: RoutingTable,
    private readonly cursor: TrieCursor<number>,
  ) {}

  /**
   * Up to n nets, in prefix order. While a big load's prefixes wait to be put into the
   * trie's order (more than ORDER_BACKLOG), a call orders a slice of them and returns nothing yet,
   * `done` still false: a consumer that goes on while `!done`, in time slices, then yields
   * between those slices instead of ordering them all in its first call. Test `done`, not
   * the batch's length, for the end.
   */
  next(n: number): TableEntry[] {
    if (this.table.pendingOrder > ORDER_BACKLOG) {
      this.table.orderSome(ORDER_SLICE);
      return [];
    }
    const out: TableEntry[] = [];
    // Kept nets (RoutingTable.pin) are skipped: ask again until n, or the trie's end.
    while (out.length < n) {
      const want = n - out.length;
      const batch: TrieEntry<number>[] = this.cursor.next(want);
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        if (this.table.hasRoutes(e.value)) out.push({ prefix: e.prefix, value: this.table.view(e.value, e.prefix) });
      }
      if (batch.length < want) break;
    }
    return out;
  }

  get done(): boolean {
    return this.cursor.done;
  }

  get position(): Prefix | undefined {
    return this.cursor.position;
  }
}

const NONE = -1;
/** No source (the src column's empty value); source ids are below it. */
const NO_SRC = 0xffff;
/** Most Adj-RIB-Outs that can pin one net (the pins column is 16-bit). */
const MAX_PINS = 0xffff;
const REACHABLE = 0x10000;
const PREF_MASK = 0xffff;
/** Slot roles. */
const NET = 1;
const CAND = 2;
/** keyMeta: an IPv6 net. */
const KEY_V6 = 0x100;

export class RoutingTable {
  private readonly nets = new FamilyTries<number>();
  private readonly subscribers: TableSubscriber[] = [];
  private routeCount = 0;

  // ---- slots (see the file header) ----
  private cap = 0;
  private top = 0;
  private freeSlots: number[] = [];
  /** Attribute-set id per candidate slot (NONE: not a candidate). */
  private attrs = new Int32Array(0);
  /** Route-source id per candidate slot (NO_SRC: not a candidate); 16-bit, see useSource. */
  private src = new Uint16Array(0);
  /** Path ids and IGP metrics: empty (all 0) until a candidate has one, as few do. */
  private pathIds = new Uint32Array(0);
  private meta = new Int32Array(0);
  private igp = new Uint32Array(0);
  private time = new Int32Array(0);
  private tags = new Int32Array(0);
  private next = new Int32Array(0);
  private head = new Int32Array(0);
  private bestOf = new Int32Array(0);
  private reasonOf = new Uint8Array(0);
  private roles = new Uint8Array(0);
  private key0 = new Int32Array(0);
  private keyMeta = new Uint16Array(0);
  private keyExt: Int32Array | null = null;
  private pins = new Uint16Array(0);
  private netOf = new Int32Array(0);
  /** Where flushSome goes on scanning for each source id's candidates. */
  private readonly flushAt = new Map<number, number>();
  /** What touch() read (kept so that its reads are not optimized away). */
  private touched = 0;
  /** Nets kept without candidates for their pins. */
  private kept = 0;
  // ---- the views handed to subscribers (see TableSubscriber and announced()) ----
  private readonly scratchRoute: Route = { prefix: undefined as unknown as Prefix, pathId: 0, attrs: undefined as unknown as AttrSet, source: undefined as unknown as RouteSource, preference: 0, reachable: false, igpMetric: 0, learnedAt: 0 };
  private readonly scratchNet = new NetEntry(undefined as unknown as Prefix, this.scratchRoute, this.scratchRoute, '', NONE);
  /** Subscriber calls under way (announce in announce: fresh views). */
  private announcing = 0;
  /** Reason strings by code (reasonOf); code 0 is ''. */
  private readonly reasons: string[] = ['', 'only route'];
  private readonly reasonCodes = new Map<string, number>([['', 0], ['only route', 1]]);
  // ---- route sources by id (see the file header) ----
  private readonly sources: (RouteSource | undefined)[] = [];
  private readonly sourceIds = new Map<RouteSource, number>();
  /** Candidates holding each source id; 0 for a free id. */
  private readonly sourceUses: number[] = [];
  /** Nets whose best candidate has each source id (BIRD's pref_routes, kept as routes change). */
  private readonly preferredBy: number[] = [];
  private readonly freeSourceIds: number[] = [];

  constructor(
    readonly name = 'master',
    public bestPathOptions: BestPathOptions = DEFAULT_BEST_PATH_OPTIONS,
  ) {
    this.grow(1024);
  }

  subscribe(s: TableSubscriber): void {
    this.subscribers.push(s);
  }

  unsubscribe(s: TableSubscriber): void {
    const i = this.subscribers.indexOf(s);
    if (i >= 0) this.subscribers.splice(i, 1);
  }

  // ---- storage ---------------------------------------------------------------------------

  private grow(cap: number): void {
    this.attrs = grown(this.attrs, cap, NONE);
    this.src = grown(this.src, cap, NO_SRC);
    if (this.pathIds.length !== 0) this.pathIds = grown(this.pathIds, cap);
    this.meta = grown(this.meta, cap);
    if (this.igp.length !== 0) this.igp = grown(this.igp, cap);
    this.time = grown(this.time, cap);
    this.tags = grown(this.tags, cap);
    this.next = grown(this.next, cap);
    this.head = grown(this.head, cap);
    this.bestOf = grown(this.bestOf, cap);
    this.reasonOf = grown(this.reasonOf, cap);
    this.roles = grown(this.roles, cap);
    this.key0 = grown(this.key0, cap);
    this.keyMeta = grown(this.keyMeta, cap);
    if (this.keyExt !== null) this.keyExt = grown(this.keyExt, cap * 3);
    this.pins = grown(this.pins, cap);
    if (this.netOf.length !== 0) this.netOf = grown(this.netOf, cap);
    this.cap = cap;
  }

  private allocSlot(): number {
    if (this.freeSlots.length > 0) return this.freeSlots.pop()!;
    if (this.top === this.cap) this.grow(this.cap * 2);
    return this.top++;
  }

  /** Drops a role of slot s; the slot is free once it has none. */
  private dropRole(s: number, role: number): void {
    const r = (this.roles[s] = this.roles[s]! & ~role);
    if (role === CAND) {
      // A best candidate leaving stops counting for its source now (setBest skips it then).
      if (this.bestOf[this.netOfCand(s)] === s) this.preferredBy[this.src[s]!]!--;
      this.releaseSource(this.src[s]!);
      this.attrs[s] = NONE;
      this.src[s] = NO_SRC;
    }
    if (r === 0) this.freeSlots.push(s);
  }

  /** Candidate slot c (just written) belongs to net n. */
  private placed(c: number, n: number): void {
    if (c !== n || this.netOf.length !== 0) this.setNetOf(c, n);
  }

  /** The id of `source`, made if it has none, with one more candidate using it. */
  private useSource(source: RouteSource): number {
    let id = this.sourceIds.get(source);
    if (id === undefined) {
      id = this.freeSourceIds.length > 0 ? this.freeSourceIds.pop()! : this.sources.length;
      this.sources[id] = source;
      this.sourceUses[id] = 0;
      this.preferredBy[id] = 0;
      this.sourceIds.set(source, id);
    }
    this.sourceUses[id]!++;
    return id;
  }

  /**
   * Throws unless `source` has an id or one can be made: 65,535 sources with routes in one
   * table at once (protocols, BGP sessions) is far beyond any deployment, and the src column
   * stays 16-bit (2 MiB less at a million slots). Called before put changes anything.
   */
  private checkSourceRoom(source: RouteSource): void {
    if (this.freeSourceIds.length === 0 && this.sources.length >= NO_SRC && !this.sourceIds.has(source)) {
      throw new WrenError('ERR_RIB_SOURCES', `table ${this.name}: more than ${NO_SRC} route sources with routes at once`);
    }
  }

  /** One candidate fewer uses source id `id`; the id is freed at none. */
  private releaseSource(id: number): void {
    if (--this.sourceUses[id]! > 0) return;
    this.flushAt.delete(id);
    this.sourceIds.delete(this.sources[id]!);
    this.sources[id] = undefined;
    this.freeSourceIds.push(id);
  }

  /** Source ids in use (the registry's live entries), for tests. */
  get sourceCount(): number {
    return this.sourceIds.size;
  }

  private write(s: number, sourceId: number, pathId: number, attrs: AttrSet, preference: number, reachable: boolean, igpMetric: number, learnedAt: number, tag: number | undefined): void {
    if (tag !== undefined) this.tags[s] = tag;
    this.attrs[s] = attrs.id;
    this.src[s] = sourceId;
    if (pathId !== 0 && this.pathIds.length === 0) this.pathIds = new Uint32Array(this.cap);
    if (this.pathIds.length !== 0) this.pathIds[s] = pathId;
    this.meta[s] = (preference & PREF_MASK) | (reachable ? REACHABLE : 0);
    if (igpMetric !== 0 && this.igp.length === 0) this.igp = new Uint32Array(this.cap);
    if (this.igp.length !== 0) this.igp[s] = igpMetric;
    this.time[s] = learnedAt;
  }

  /** The net of candidate slot c. */
  private netOfCand(c: number): number {
    const a = this.netOf;
    return c < a.length ? a[c]! : c;
  }
  private setNetOf(c: number, n: number): void {
    let a = this.netOf;
    if (a.length === 0) {
      // The first candidate outside its net's slot: every earlier one is in its own.
      a = this.netOf = new Int32Array(this.cap);
      for (let i = 0; i < this.top; i++) a[i] = i;
    }
    a[c] = n;
  }

  private pathIdOf(s: number): number {
    const a = this.pathIds;
    return s < a.length ? a[s]! : 0;
  }
  private igpOf(s: number): number {
    const a = this.igp;
    return s < a.length ? a[s]! : 0;
  }

  /** A view of candidate slot s. */
  private route(s: number, prefix: Prefix): Route {
    const m = this.meta[s]!;
    return {
      prefix,
      pathId: this.pathIdOf(s),
      attrs: attrSets.get(this.attrs[s]!)!,
      source: this.sources[this.src[s]!]!,
      preference: m & PREF_MASK,
      reachable: (m & REACHABLE) !== 0,
      igpMetric: this.igpOf(s),
      learnedAt: this.time[s]!,
    };
  }

  /**
   * The view of net n for its subscribers: for a net with one candidate the reused pair
   * (see TableSubscriber) unless a subscriber's call is under way (a change made from inside
   * one must not overwrite what the others are about to read).
   */
  private announced(n: number, prefix: Prefix): NetEntry {
    const h = this.head[n]!;
    if (this.next[h] !== NONE || this.announcing > 0) return this.view(n, prefix);
    const m = this.meta[h]!;
    const r = this.scratchRoute as { -readonly [K in keyof Route]: Route[K] };
    // Written in route()'s order: the same hidden class as every other view.
    r.prefix = prefix;
    r.pathId = this.pathIdOf(h);
    r.attrs = attrSets.get(this.attrs[h]!)!;
    r.source = this.sources[this.src[h]!]!;
    r.preference = m & PREF_MASK;
    r.reachable = (m & REACHABLE) !== 0;
    r.igpMetric = this.igpOf(h);
    r.learnedAt = this.time[h]!;
    return NetEntry.reuse(this.scratchNet, prefix, r, this.reasons[this.reasonOf[n]!]!, n);
  }

  /** Candidate slots of net n in arrival order. */
  private candidates(n: number): number[] {
    const out: number[] = [];
    for (let c = this.head[n]!; c !== NONE; c = this.next[c]!) out.push(c);
    return out;
  }

  /** @internal A view of net n (TableCursor). */
  view(n: number, prefix: Prefix): NetEntry {
    const h = this.head[n]!;
    const b = this.bestOf[n]!;
    const reason = this.reasons[this.reasonOf[n]!]!;
    if (this.next[h] === NONE) {
      const r = this.route(h, prefix);
      return new NetEntry(prefix, r, r, reason, n);
    }
    const rs: Route[] = [];
    let best: Route | undefined;
    for (let c = h; c !== NONE; c = this.next[c]!) {
      const r = this.route(c, prefix);
      rs.push(r);
      if (c === b) best = r;
    }
    return new NetEntry(prefix, rs, best, reason, n);
  }

  private reasonCode(reason: string): number {
    let c = this.reasonCodes.get(reason);
    if (c === undefined) {
      if (this.reasons.length > 255) throw new WrenError('ERR_TABLE', `too many best-path reasons (${reason})`);
      c = this.reasons.length;
      this.reasons.push(reason);
      this.reasonCodes.set(reason, c);
    }
    return c;
  }

  // ---- queries -----------------------------------------------------------------------------

  get(prefix: Prefix): NetEntry | undefined {
    const n = this.nets.of(prefix.afi).get(prefix);
    return n === undefined || this.head[n] === NONE ? undefined : this.view(n, prefix);
  }

  /** @internal Net n has candidates (is not only kept for its pins). */
  hasRoutes(n: number): boolean {
    return this.head[n] !== NONE;
  }

  /** The most specific net covering `addr` (4 or 16 bytes) that has a best route. */
  longestMatch(addr: Uint8Array): NetEntry | undefined {
    const trie = this.nets.of(addr.length === 4 ? Afi.IPV4 : Afi.IPV6);
    const e = this.kept === 0 ? trie.longestMatchEntry(addr) : trie.longestMatchEntry(addr, (n) => this.head[n] !== NONE);
    return e === undefined ? undefined : this.view(e.value, e.prefix);
  }

  // ---- net numbers (see the file header) -------------------------------------------------

  /** The number of the net of `prefix` (kept nets too), or -1. */
  netId(prefix: Prefix): number {
    return this.nets.of(prefix.afi).get(prefix) ?? NONE;
  }

  /** The prefix of net n (a new Nlri4 / Nlri6, path id 0). */
  netPrefix(n: number): Nlri {
    const m = this.keyMeta[n]!;
    if ((m & KEY_V6) === 0) return new Nlri4(this.key0[n]!, m & 0xff, 0);
    const e = this.keyExt!, o = 3 * n;
    return new Nlri6(this.key0[n]!, e[o]!, e[o + 1]!, e[o + 2]!, m & 0xff, 0);
  }

  /** Writes net n's prefix in wire form at b[p] (path id 0 with `addPath`); returns the next offset. */
  putNetNlri(n: number, b: Uint8Array, p: number, addPath: boolean): number {
    const m = this.keyMeta[n]!;
    if ((m & KEY_V6) === 0) return putNlriWords(b, p, addPath, 0, m & 0xff, this.key0[n]!, 0, 0, 0);
    const e = this.keyExt!, o = 3 * n;
    return putNlriWords(b, p, addPath, 0, m & 0xff, this.key0[n]!, e[o]!, e[o + 1]!, e[o + 2]!);
  }

  netAfi(n: number): Afi {
    return (this.keyMeta[n]! & KEY_V6) === 0 ? Afi.IPV4 : Afi.IPV6;
  }

  /** Someone keeps state by net n's number: the number stays n's until the matching unpin. */
  pin(n: number): void {
    if (this.pins[n] === MAX_PINS) throw new WrenError('ERR_RIB_PINS', `table ${this.name}: more than ${MAX_PINS} Adj-RIB-Outs pin one net`);
    this.pins[n]!++;
  }

  unpin(n: number): void {
    if (--this.pins[n]! === 0 && this.head[n] === NONE) this.release(n, this.netPrefix(n));
  }

  /** Net n, without candidates and pins, leaves the trie; its slot is free. */
  private release(n: number, prefix: Prefix): void {
    this.nets.of(prefix.afi).delete(prefix);
    this.kept--;
    this.dropRole(n, NET);
  }

  private setKey(n: number, p: Prefix): void {
    this.key0[n] = addrWord(p, 0);
    if (p.afi === Afi.IPV4) {
      this.keyMeta[n] = p.len;
      return;
    }
    this.keyMeta[n] = p.len | KEY_V6;
    const e = this.keyExt ?? (this.keyExt = new Int32Array(this.cap * 3)), o = 3 * n;
    e[o] = addrWord(p, 1);
    e[o + 1] = addrWord(p, 2);
    e[o + 2] = addrWord(p, 3);
  }

  /** Whether `source` has a candidate with `pathId` for `prefix`. */
  has(prefix: Prefix, source: RouteSource, pathId: number): boolean {
    const sid = this.sourceIds.get(source);
    if (sid === undefined) return false;
    const n = this.nets.of(prefix.afi).get(prefix);
    return n !== undefined && this.find(n, sid, pathId) !== NONE;
  }

  /** Candidates of `source` in the table now. */
  countOf(source: RouteSource): number {
    const sid = this.sourceIds.get(source);
    return sid === undefined ? 0 : this.sourceUses[sid]!;
  }

  /**
   * Calls fn for every candidate of `source`: its net's prefix (a new Nlri4 / Nlri6, path id
   * 0), path id, attributes and tag (see put), in slot order, by a scan of the table's
   * slots (see the file header). fn may not change the table (collect first).
   */
  forEachOf(source: RouteSource, fn: (prefix: Prefix, pathId: number, attrs: AttrSet, tag: number) => void): void {
    const sid = this.sourceIds.get(source);
    if (sid === undefined) return;
    const src = this.src, top = this.top;
    for (let c = 0; c < top; c++) if (src[c] === sid) fn(this.netPrefix(this.netOfCand(c)), this.pathIdOf(c), attrSets.get(this.attrs[c]!)!, this.tags[c]!);
  }

  // ---- changes -----------------------------------------------------------------------------

  /**
   * Imports, replaces or (route undefined) withdraws the candidate of `source` with
   * `pathId` for `prefix`. The table takes over the caller's AttrSet reference of `route`
   * and drops the one of the route it replaces.
   */
  update(prefix: Prefix, source: RouteSource, pathId: number, route: Route | undefined): UpdateResult {
    if (route === undefined) return this.remove(prefix, source, pathId);
    return this.put(prefix, source, pathId, route.attrs, route.preference, route.reachable, route.igpMetric, route.learnedAt);
  }

  /**
   * update() without a Route object (the channels' import path): imports or replaces the
   * candidate of `source` / `pathId` for `prefix`, taking over the caller's reference to
   * `attrs`. `tag` is stored with the candidate (see forEachOf), also when nothing else
   * changed; undefined keeps the one it had (0 for a new candidate).
   */
  put(prefix: Prefix, source: RouteSource, pathId: number, attrs: AttrSet, preference: number, reachable: boolean, igpMetric: number, learnedAt: number, tag?: number): UpdateResult {
    this.checkSourceRoom(source);
    // The slot a new net gets: the trie takes it in the same probe that finds an old net.
    const fresh = this.freeSlots.length > 0 ? this.freeSlots[this.freeSlots.length - 1]! : this.top;
    const n = this.nets.of(prefix.afi).getOrSet(prefix, fresh);
    if (n === undefined) {
      const s = this.allocSlot();
      this.write(s, this.useSource(source), pathId, attrs, preference, reachable, igpMetric, learnedAt, tag ?? 0);
      this.roles[s] = NET | CAND;
      this.placed(s, s);
      this.setKey(s, prefix);
      this.next[s] = NONE;
      this.head[s] = s;
      this.bestOf[s] = NONE; // a new slot: whatever it held before is no best
      this.setBest(s, s);
      this.reasonOf[s] = 1;
      this.routeCount++;
      this.announce(s, prefix, NONE, s, undefined);
      return UpdateResult.ADDED;
    }
    if (this.head[n] === NONE) {
      // A kept net (see pin) has a route again: slot n is its first candidate once more
      // (its candidate role is free: a kept net has none).
      this.write(n, this.useSource(source), pathId, attrs, preference, reachable, igpMetric, learnedAt, tag ?? 0);
      this.roles[n] = NET | CAND;
      this.placed(n, n);
      this.next[n] = NONE;
      this.head[n] = n;
      this.setBest(n, n);
      this.reasonOf[n] = 1;
      this.kept--;
      this.routeCount++;
      this.announce(n, prefix, NONE, n, undefined);
      return UpdateResult.ADDED;
    }
    const known = this.sourceIds.get(source);
    const c = known === undefined ? NONE : this.find(n, known, pathId);
    if (c === NONE) {
      const s = this.allocSlot();
      this.write(s, this.useSource(source), pathId, attrs, preference, reachable, igpMetric, learnedAt, tag ?? 0);
      this.roles[s] = CAND;
      this.placed(s, n);
      this.next[s] = NONE;
      let t = this.head[n]!;
      while (this.next[t] !== NONE) t = this.next[t]!;
      this.next[t] = s;
      this.routeCount++;
      this.reselect(n, prefix, s, undefined);
      return UpdateResult.ADDED;
    }
    // BIRD rte_same: an update that changes nothing is not a change; the route keeps its
    // time (RFC 5004 `prefer older`) and nobody hears of it.
    if (this.attrs[c] === attrs.id && this.meta[c] === ((preference & PREF_MASK) | (reachable ? REACHABLE : 0)) && this.igpOf(c) === igpMetric >>> 0) {
      if (tag !== undefined) this.tags[c] = tag;
      unref(attrs);
      return UpdateResult.NONE;
    }
    const old = this.route(c, prefix);
    this.write(c, known!, pathId, attrs, preference, reachable, igpMetric, learnedAt, tag);
    this.reselect(n, prefix, c, old);
    unref(old.attrs);
    return UpdateResult.REPLACED;
  }

  /** Withdraws the candidate of `source` / `pathId` for `prefix`. */
  remove(prefix: Prefix, source: RouteSource, pathId: number): UpdateResult {
    const sid = this.sourceIds.get(source);
    if (sid === undefined) return UpdateResult.NONE;
    const trie = this.nets.of(prefix.afi);
    const n = trie.get(prefix);
    if (n === undefined) return UpdateResult.NONE;
    const c = this.find(n, sid, pathId);
    if (c === NONE) return UpdateResult.NONE;
    this.removeAt(n, c, prefix);
    return UpdateResult.REMOVED;
  }

  /** Withdraws candidate slot c of net n (whose prefix is `prefix`). */
  private removeAt(n: number, c: number, prefix: Prefix): void {
    const old = this.route(c, prefix);
    this.routeCount--;
    const h = this.head[n]!;
    if (c === h && this.next[c] === NONE) {
      // The last candidate went: the net leaves the table, at once unless pinned (kept).
      const before = this.bestOf[n]!;
      this.dropRole(c, CAND);
      this.head[n] = NONE;
      this.setBest(n, NONE);
      this.kept++;
      this.announceGone(n, prefix, old, before === c);
      if (this.pins[n] === 0 && this.head[n] === NONE) this.release(n, prefix);
      unref(old.attrs);
      return;
    }
    if (c === h) this.head[n] = this.next[c]!;
    else {
      let p = h;
      while (this.next[p] !== c) p = this.next[p]!;
      this.next[p] = this.next[c]!;
    }
    this.next[c] = NONE;
    this.dropRole(c, CAND);
    this.reselect(n, prefix, c, old);
    unref(old.attrs);
  }

  /** The candidate slot of net n with source id `sid` and `pathId`, or NONE. */
  private find(n: number, sid: number, pathId: number): number {
    for (let c = this.head[n]!; c !== NONE; c = this.next[c]!) if (this.src[c] === sid && this.pathIdOf(c) === pathId) return c;
    return NONE;
  }

  /** Net n's best candidate is c now (NONE: none), and the preferred counts follow. */
  private setBest(n: number, c: number): void {
    const b = this.bestOf[n]!;
    // A best that left its net was uncounted by dropRole (its source is NO_SRC now).
    if (b !== NONE && this.src[b] !== NO_SRC) this.preferredBy[this.src[b]!]!--;
    this.bestOf[n] = c;
    if (c !== NONE) this.preferredBy[this.src[c]!]!++;
  }

  /**
   * Nets whose best route comes from a source named `name` (`show protocols all`:
   * "preferred"), whichever of the protocol's sessions it came by (a session going down or
   * restarting leaves its routes under its old source for a while).
   */
  preferredCount(name: string): number {
    let k = 0;
    for (let id = 0; id < this.sources.length; id++) if (this.sources[id]?.name === name) k += this.preferredBy[id]!;
    return k;
  }

  /** Runs best path again for a net (after a next-hop change) and announces the result. */
  recompute(prefix: Prefix): void {
    const n = this.nets.of(prefix.afi).get(prefix);
    if (n !== undefined && this.head[n] !== NONE) this.reselect(n, prefix, NONE, undefined);
  }

  /**
   * Chooses net n's best candidate again after candidate slot `changed` (NONE: none) was
   * added, replaced (its previous version `old`) or removed (`old`, slot no longer in the
   * net), then announces.
   */
  private reselect(n: number, prefix: Prefix, changed: number, old: Route | undefined): void {
    const before = this.bestOf[n]!;
    const h = this.head[n]!;
    if (this.next[h] === NONE) {
      this.setBest(n, h);
      this.reasonOf[n] = 1;
    } else {
      const cs = this.candidates(n);
      const rs = cs.map((c) => this.route(c, prefix));
      const sel = selectBest(rs, this.bestPathOptions);
      this.setBest(n, cs[rs.indexOf(sel.best!)]!);
      this.reasonOf[n] = this.reasonCode(sel.reason);
    }
    this.announce(n, prefix, before, changed, old);
  }

  /**
   * Tells the subscribers of a change of net n: its best was slot `before` (NONE: a new
   * net); candidate slot `changed` appeared, changed (its previous version `old`) or went
   * (`old`, no longer in the net).
   */
  private announce(n: number, prefix: Prefix, before: number, changed: number, old: Route | undefined): void {
    const subs = this.subscribers;
    if (subs.length === 0) return;
    const best = this.bestOf[n]!;
    const present = changed !== NONE && (this.roles[changed]! & CAND) !== 0;
    // The best changed if another candidate won, or the winner itself was replaced.
    const bestChanged = best !== before || (changed === best && old !== undefined);
    if (!bestChanged && changed === NONE) return;
    const view = this.announced(n, prefix);
    let now: Route | undefined;
    if (present && view.count === 1) now = view.best;
    else if (present) {
      const rs = view.routes;
      const source = this.sources[this.src[changed]!];
      for (let i = 0; i < rs.length; i++) if (rs[i]!.source === source && rs[i]!.pathId === this.pathIdOf(changed)) now = rs[i];
    }
    let beforeRoute: Route | undefined;
    if (before !== NONE) {
      if (before === changed) beforeRoute = old;
      else {
        const rs = view.routes;
        const source = this.sources[this.src[before]!];
        for (let i = 0; i < rs.length; i++) if (rs[i]!.source === source && rs[i]!.pathId === this.pathIdOf(before)) beforeRoute = rs[i];
      }
    }
    this.announcing++;
    try {
      for (let i = 0; i < subs.length; i++) {
        const s = subs[i]!;
        if (s.exportMode === 'any') {
          if (changed !== NONE) s.tableChanged(view, now, old);
        } else if (bestChanged) s.tableChanged(view, view.best, beforeRoute);
      }
    } finally {
      this.announcing--;
    }
  }

  /** The last candidate `old` of a net went (it was the best if `wasBest`, always so). */
  private announceGone(n: number, prefix: Prefix, old: Route, wasBest: boolean): void {
    const subs = this.subscribers;
    if (subs.length === 0) return;
    const view = new NetEntry(prefix, [], undefined, '', n);
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!;
      if (s.exportMode === 'any') s.tableChanged(view, undefined, old);
      else if (wasBest) s.tableChanged(view, undefined, old);
    }
  }

  /** ECMP: the best route and its equals, for `merge paths on` (kernel export). */
  mergedRoutes(net: NetEntry, limit = 16): Route[] {
    if (net.best === undefined) return [];
    if (net.count === 1) return [net.best];
    return mergedPaths(net.routes, selectBest(net.routes, this.bestPathOptions), this.bestPathOptions, limit);
  }

  /** Walks nets in prefix order: a resumable cursor for time-sliced dumps. */
  cursor(afi: Afi, within?: Prefix): TableCursor {
    return new TableCursor(this, this.nets.of(afi).cursor(within));
  }

  walk(fn: (net: NetEntry) => void): void {
    const visit = (p: Prefix, n: number): void => {
      if (this.head[n] !== NONE) fn(this.view(n, p));
    };
    this.nets.v4.walk(visit);
    this.nets.v6.walk(visit);
  }

  /**
   * Before a batch of changes to these prefixes (one UPDATE's NLRI, all of one family): warms
   * the cache lines their lookups start at (PrefixTrie.touch).
   */
  touch(list: readonly Prefix[]): void {
    if (list.length > 1) this.touched ^= this.nets.of(list[0]!.afi).touch(list);
  }

  /** Prefixes the tries have not put into their order yet, or not swept out of it (PrefixTrie.settleSome). */
  get pendingOrder(): number {
    return this.nets.v4.pendingCount + this.nets.v6.pendingCount;
  }

  /** Settles up to `max` of them (IPv4 first); returns how many are still waiting. */
  orderSome(max: number): number {
    const left = this.nets.v4.settleSome(max);
    return left > 0 ? left + this.nets.v6.pendingCount : this.nets.v6.settleSome(max);
  }

  /** Withdraws every route of `source` (a protocol going down). */
  flush(source: RouteSource): number {
    return this.flushSome(source, Infinity);
  }

  /**
   * Withdraws up to `limit` routes of `source` and returns how many went (0: none was
   * left). A protocol going down flushes a full table in time slices this way: each call
   * goes on scanning the slots where the last one stopped (wrapping round while the source
   * has candidates), so nothing is collected beforehand (a list of a million prefixes took
   * ~100 MiB of heap) and a flush scans each slot once (more only if the source gets new
   * routes behind the scan meanwhile).
   */
  flushSome(source: RouteSource, limit: number): number {
    const sid = this.sourceIds.get(source);
    if (sid === undefined) return 0;
    let k = 0, c = this.flushAt.get(sid) ?? 0;
    // The id is freed with the source's last candidate (and may be reused from a subscriber):
    // until then the source has a candidate somewhere, so the scan finds one.
    while (k < limit && this.sources[sid] === source) {
      if (c >= this.top) c = 0;
      if (this.src[c] === sid) {
        const n = this.netOfCand(c);
        this.removeAt(n, c, this.netPrefix(n));
        k++;
      }
      c++;
    }
    if (this.sources[sid] === source) this.flushAt.set(sid, c);
    return k;
  }

  stats(): TableStats {
    return { nets: this.nets.size - this.kept, routes: this.routeCount };
  }

  /**
   * Bytes of storage (`show memory`): the tries, the typed columns and the source registry
   * (its arrays at 8 bytes an element, its map at about 40 bytes an entry).
   */
  get byteLength(): number {
    const registry = (this.sources.length + this.sourceUses.length + this.preferredBy.length + this.freeSourceIds.length) * 8 + this.sourceIds.size * 40;
    const typed = this.attrs.byteLength + this.src.byteLength + this.pathIds.byteLength + this.meta.byteLength + this.igp.byteLength + this.time.byteLength + this.tags.byteLength + this.next.byteLength
      + this.head.byteLength + this.bestOf.byteLength + this.reasonOf.byteLength + this.roles.byteLength
      + this.key0.byteLength + this.keyMeta.byteLength + (this.keyExt?.byteLength ?? 0) + this.pins.byteLength
      + this.netOf.byteLength;
    return this.nets.v4.byteLength + this.nets.v6.byteLength + typed + registry;
  }
}

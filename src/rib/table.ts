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
// Leaves out: next-hop resolution (rib/nexthop.ts re-selects nets when a resolving route
// changes), sorted candidate lists (nets have one or a handful of candidates; selection is
// a linear fold), and tables other than one per daemon ("master").

import { FamilyTries, type TrieCursor } from './trie.js';
import { WrenError } from '../bgp/errors.js';
import { selectBest, mergedPaths, DEFAULT_BEST_PATH_OPTIONS, type BestPathOptions } from './best-path.js';
import { unref } from './attr-set.js';
import { Afi, type Prefix } from './prefix.js';
import type { Route, RouteSource } from './route.js';

/**
 * One net of the table and its candidates. A net with one candidate (nearly every net of a
 * full table) holds the route itself, not an array of one: that saves an object per prefix.
 */
export class NetEntry {
  /** The best candidate (undefined only while the table is changing it). */
  best: Route | undefined = undefined;
  /** Why `best` won (a best-path step name), for `show route all`. */
  reason = '';
  /** One candidate, or several in arrival order. */
  private r: Route | Route[];

  constructor(
    readonly prefix: Prefix,
    first: Route,
  ) {
    this.r = first;
  }

  /** Candidates in arrival order (for a net with one, a new array each time). */
  get routes(): readonly Route[] {
    const r = this.r;
    return Array.isArray(r) ? r : [r];
  }

  get count(): number {
    const r = this.r;
    return Array.isArray(r) ? r.length : 1;
  }

  /** Index of the candidate of `source` with `pathId`, or -1. */
  indexOf(source: RouteSource, pathId: number): number {
    const r = this.r;
    if (!Array.isArray(r)) return r.source === source && r.pathId === pathId ? 0 : -1;
    for (let i = 0; i < r.length; i++) if (r[i]!.source === source && r[i]!.pathId === pathId) return i;
    return -1;
  }

  at(i: number): Route | undefined {
    const r = this.r;
    return Array.isArray(r) ? r[i] : i === 0 ? r : undefined;
  }

  /** The table's edit: replaces candidate i, appends (i = -1), or removes (route undefined). Not for the last one. */
  put(i: number, route: Route | undefined): void {
    const r = this.r;
    if (!Array.isArray(r)) {
      if (route === undefined) throw new WrenError('ERR_TABLE', 'removing the last candidate of a net');
      this.r = i === 0 ? route : [r, route];
    } else if (route === undefined) {
      r.splice(i, 1);
      if (r.length === 1) this.r = r[0]!;
    } else if (i < 0) r.push(route);
    else r[i] = route;
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

/** What a table calls on a change; channels implement it. */
export interface TableSubscriber {
  readonly exportMode: ExportMode;
  /**
   * 'best': `now`/`old` are the net's best route after/before the change.
   * 'any': `now`/`old` are the candidate with one identity after/before the change.
   */
  tableChanged(net: NetEntry, now: Route | undefined, old: Route | undefined): void;
}

export interface TableStats {
  readonly nets: number;
  readonly routes: number;
}

export class RoutingTable {
  private readonly nets = new FamilyTries<NetEntry>();
  private readonly subscribers: TableSubscriber[] = [];
  private routeCount = 0;

  constructor(
    readonly name = 'master',
    public bestPathOptions: BestPathOptions = DEFAULT_BEST_PATH_OPTIONS,
  ) {}

  subscribe(s: TableSubscriber): void {
    this.subscribers.push(s);
  }

  unsubscribe(s: TableSubscriber): void {
    const i = this.subscribers.indexOf(s);
    if (i >= 0) this.subscribers.splice(i, 1);
  }

  get(prefix: Prefix): NetEntry | undefined {
    return this.nets.of(prefix.afi).get(prefix);
  }

  /** The most specific net covering `addr` (4 or 16 bytes) that has a best route. */
  longestMatch(addr: Uint8Array): NetEntry | undefined {
    const trie = this.nets.of(addr.length === 4 ? Afi.IPV4 : Afi.IPV6);
    const e = trie.longestMatch(addr);
    // Nets without a best route are removed at once, so the first match has one.
    return e?.best ? e : undefined;
  }

  /**
   * Imports, replaces or (route undefined) withdraws the candidate of `source` with
   * `pathId` for `prefix`. The table takes over the caller's AttrSet reference of `route`
   * and drops the one of the route it replaces.
   */
  update(prefix: Prefix, source: RouteSource, pathId: number, route: Route | undefined): UpdateResult {
    const trie = this.nets.of(prefix.afi);
    const net = trie.get(prefix);
    if (net === undefined) {
      if (route === undefined) return UpdateResult.NONE;
      const fresh = new NetEntry(route.prefix, route);
      trie.set(fresh.prefix, fresh);
      this.routeCount++;
      this.reselect(fresh, route, undefined);
      return UpdateResult.ADDED;
    }
    const i = net.indexOf(source, pathId);
    const old = i < 0 ? undefined : net.at(i);
    if (old === undefined && route === undefined) return UpdateResult.NONE;
    let result: UpdateResult;
    if (route === undefined) {
      this.routeCount--;
      result = UpdateResult.REMOVED;
      if (net.count === 1) {
        this.gone(net, old);
        unref(old!.attrs);
        return result;
      }
      net.put(i, undefined);
    } else if (old === undefined) {
      net.put(-1, route);
      this.routeCount++;
      result = UpdateResult.ADDED;
    } else {
      if (sameRoute(old, route)) {
        // BIRD rte_same: an update that changes nothing is not a change; the route keeps its
        // time (RFC 5004 `prefer older`) and nobody hears of it.
        unref(route.attrs);
        return UpdateResult.NONE;
      }
      net.put(i, route);
      result = UpdateResult.REPLACED;
    }
    this.reselect(net, route, old);
    if (old !== undefined) unref(old.attrs);
    return result;
  }

  /** Runs best path again for a net (after a next-hop change) and announces the result. */
  recompute(prefix: Prefix): void {
    const net = this.get(prefix);
    if (net) this.reselect(net, undefined, undefined);
  }

  private reselect(net: NetEntry, now: Route | undefined, old: Route | undefined): void {
    const before = net.best;
    if (net.count === 1) {
      net.best = net.at(0);
      net.reason = 'only route';
    } else {
      const sel = selectBest(net.routes, this.bestPathOptions);
      net.best = sel.best;
      net.reason = sel.reason;
    }
    this.announce(net, before, now, old);
  }

  /** The last candidate of a net went: the net leaves the table. */
  private gone(net: NetEntry, old: Route | undefined): void {
    const before = net.best;
    net.best = undefined;
    net.reason = '';
    this.nets.of(net.prefix.afi).delete(net.prefix);
    this.announce(net, before, undefined, old);
  }

  private announce(net: NetEntry, before: Route | undefined, now: Route | undefined, old: Route | undefined): void {
    const subs = this.subscribers;
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!;
      if (s.exportMode === 'any') {
        if (now !== old) s.tableChanged(net, now, old);
      } else if (net.best !== before) {
        // The winner changed, or the winning route was replaced by a new version of itself
        // (a new Route object either way).
        s.tableChanged(net, net.best, before);
      }
    }
  }

  /** ECMP: the best route and its equals, for `merge paths on` (kernel export). */
  mergedRoutes(net: NetEntry, limit = 16): Route[] {
    if (net.best === undefined) return [];
    if (net.count === 1) return [net.best];
    return mergedPaths(net.routes, selectBest(net.routes, this.bestPathOptions), this.bestPathOptions, limit);
  }

  /** Walks nets in prefix order: a resumable cursor for time-sliced dumps. */
  cursor(afi: Afi, within?: Prefix): TrieCursor<NetEntry> {
    return this.nets.of(afi).cursor(within);
  }

  walk(fn: (net: NetEntry) => void): void {
    this.nets.v4.walk((_p, n) => fn(n));
    this.nets.v6.walk((_p, n) => fn(n));
  }

  /** Withdraws every route of `source` (a protocol going down). */
  flush(source: RouteSource): number {
    const victims: [Prefix, number][] = [];
    this.walk((net) => {
      for (const r of net.routes) if (r.source === source) victims.push([net.prefix, r.pathId]);
    });
    for (const [p, id] of victims) this.update(p, source, id, undefined);
    return victims.length;
  }

  stats(): TableStats {
    return { nets: this.nets.size, routes: this.routeCount };
  }
}

/** Two versions of one candidate (same source and path id) that say the same thing. */
const sameRoute = (a: Route, b: Route): boolean =>
  a.attrs === b.attrs && a.preference === b.preference && a.reachable === b.reachable && a.igpMetric === b.igpMetric;

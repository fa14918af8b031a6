// Recursive next-hop resolution (BIRD's hostentry cache, nest/rt-table.c rt_update_hostentry;
// RFC 4271 §9.1.2.1 "route resolvability"): a BGP route with `gateway recursive` is usable
// only if the table has a route towards its NEXT_HOP. The resolving route is the best route
// of the most specific net covering the address; it must not itself be a recursive route.
// A device route makes the next hop directly reachable (gateway = the next hop itself, and
// `onLink` set: BIRD then routes via the link-local address that came with the next hop,
// rt_update_hostentry `he->gw = he->link`, which the BGP protocol substitutes); a gateway
// route lends its gateway and interface; blackhole/unreachable/prohibit lend their type. No
// resolving route ⇒ unreachable (the route stays, loses best path to resolvable ones, and
// shows as unreachable).
//
// Each distinct next-hop address has one host entry. The resolver watches the table: when
// a net covering a host entry's address changes, the entry is resolved again, and if the
// answer changed, every protocol that depends on it is told to re-import its routes with
// that next hop (BIRD's rt_notify_hostcache). The entries are also kept sorted by address,
// per family, so that a table change finds the ones its net covers by binary search: a route
// reflector has a host entry per client, and a change to a net that covers none of them
// (nearly every change) costs a few comparisons, not a pass over every entry (BIRD keeps a
// trie of the nets that matter to its host cache for the same reason).
//
// A multipath resolving route (a learned ECMP route, say a default via two ToRs) makes the
// resolved route multipath over the same next hops, as BIRD 1.6 does.
//
// Leaves out: IGP metrics from protocols that have one (OSPF/RIP are not in Wren; device
// routes count 0, anything else "unknown").

import { RouteDest, type RouteNextHop } from './attr-set.js';
import type { Route, RouteSource } from './route.js';
import type { NetEntry, RoutingTable, TableSubscriber } from './table.js';
import { Afi, addrWord, type Prefix } from './prefix.js';
import { rd32 } from '../bgp/codec/reader.js';

/** BIRD's IGP_METRIC_UNKNOWN. */
export const IGP_METRIC_UNKNOWN = 0x80000000;

export interface Resolution {
  readonly reachable: boolean;
  readonly dest: RouteDest;
  /** Where packets go: the resolving route's gateway, or the next hop itself. */
  readonly gateway: Uint8Array | undefined;
  readonly ifname: string | undefined;
  readonly igpMetric: number;
  /** dest MULTIPATH: the resolving route's next hops. */
  readonly nextHops?: readonly RouteNextHop[];
  /** Resolved by a device route: the next hop sits on a connected network of `ifname`. */
  readonly onLink?: boolean;
}

export interface NextHopDependent {
  /** The resolution of `addr` changed: re-import the routes that use it. */
  nextHopChanged(addr: Uint8Array): void;
}

interface HostEntry {
  readonly addr: Uint8Array;
  /** The address as unsigned 32-bit words, most significant first (1 for IPv4, 4 for IPv6). */
  readonly words: readonly number[];
  res: Resolution;
  readonly deps: Set<NextHopDependent>;
}

/** The address's unsigned 32-bit words; undefined for a length that is no address. */
function wordsOf(a: Uint8Array): number[] | undefined {
  if (a.length !== 4 && a.length !== 16) return undefined;
  const w: number[] = [];
  for (let o = 0; o < a.length; o += 4) w.push(rd32(a, o));
  return w;
}

/** Unsigned lexicographic order of two word lists of one length. */
function compareWords(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/** The first index of `sorted` whose words are not below `w`. */
function lowerBound(sorted: readonly HostEntry[], w: readonly number[]): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareWords(sorted[mid]!.words, w) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const UNREACHABLE: Resolution = Object.freeze({ reachable: false, dest: RouteDest.UNREACHABLE, gateway: undefined, ifname: undefined, igpMetric: IGP_METRIC_UNKNOWN });

const keyOf = (a: Uint8Array): string => String.fromCharCode(...a);

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && keyOf(a) === keyOf(b));

const sameHops = (a: readonly RouteNextHop[] | undefined, b: readonly RouteNextHop[] | undefined): boolean =>
  a === b ||
  (a !== undefined && b !== undefined && a.length === b.length &&
    a.every((h, i) => h.ifname === b[i]!.ifname && h.weight === b[i]!.weight && sameBytes(h.gateway, b[i]!.gateway)));

const sameResolution = (x: Resolution, y: Resolution): boolean =>
  x.reachable === y.reachable && x.dest === y.dest && x.ifname === y.ifname && x.igpMetric === y.igpMetric && x.onLink === y.onLink &&
  sameBytes(x.gateway, y.gateway) && sameHops(x.nextHops, y.nextHops);

export class NextHopResolver implements TableSubscriber {
  readonly exportMode = 'best' as const;
  private readonly hosts = new Map<string, HostEntry>();
  /** The host entries by address, per family (see the file header). */
  private readonly sorted4: HostEntry[] = [];
  private readonly sorted6: HostEntry[] = [];
  private readonly first = [0, 0, 0, 0];
  private readonly last = [0, 0, 0, 0];
  /** Sources whose routes are themselves recursive (BGP with `gateway recursive`). */
  private readonly recursive = new WeakSet<RouteSource>();
  private readonly pending = new Set<HostEntry>();
  private flushQueued = false;

  constructor(private readonly table: RoutingTable) {
    table.subscribe(this);
  }

  markRecursive(source: RouteSource): void {
    this.recursive.add(source);
  }

  /** Resolves `addr` now and records that `dep` depends on it. */
  resolve(addr: Uint8Array, dep: NextHopDependent): Resolution {
    const k = keyOf(addr);
    let h = this.hosts.get(k);
    if (h === undefined) {
      const words = wordsOf(addr);
      h = { addr: addr.slice(), words: words ?? [], res: UNREACHABLE, deps: new Set() };
      h.res = this.lookup(h.addr);
      this.hosts.set(k, h);
      // An address of another length can never be covered by a net: it stays unsorted.
      if (words !== undefined) {
        const list = words.length === 1 ? this.sorted4 : this.sorted6;
        list.splice(lowerBound(list, words), 0, h);
      }
    }
    h.deps.add(dep);
    return h.res;
  }

  /** `dep` no longer uses any next hop (protocol down). */
  forget(dep: NextHopDependent): void {
    let dropped = false;
    for (const [k, h] of this.hosts) {
      h.deps.delete(dep);
      if (h.deps.size === 0) {
        this.hosts.delete(k);
        dropped = true;
      }
    }
    if (!dropped) return;
    for (const list of [this.sorted4, this.sorted6]) {
      let n = 0;
      for (const h of list) if (h.deps.size > 0) list[n++] = h;
      list.length = n;
    }
  }

  get size(): number {
    return this.hosts.size;
  }

  private lookup(addr: Uint8Array): Resolution {
    const net = this.table.longestMatch(addr);
    const r: Route | undefined = net?.best;
    if (r === undefined || this.recursive.has(r.source)) return UNREACHABLE;
    const a = r.attrs;
    const dest = a.dest ?? RouteDest.ROUTER;
    if (dest === RouteDest.DEVICE) {
      return { reachable: true, dest: RouteDest.ROUTER, gateway: addr, ifname: a.ifname, igpMetric: 0, onLink: true };
    }
    if (dest === RouteDest.ROUTER) {
      const gw = a.gateway ?? a.nextHop;
      // A connected-subnet route without a gateway (BIRD: device route) reaches it directly.
      if (gw === undefined) return { reachable: true, dest, gateway: addr, ifname: a.ifname, igpMetric: 0, onLink: true };
      return { reachable: true, dest, gateway: gw, ifname: a.ifname, igpMetric: IGP_METRIC_UNKNOWN };
    }
    if (dest === RouteDest.MULTIPATH && a.nextHops !== undefined && a.nextHops.length > 0) {
      return { reachable: true, dest, gateway: undefined, ifname: undefined, igpMetric: IGP_METRIC_UNKNOWN, nextHops: a.nextHops };
    }
    return { reachable: false, dest, gateway: undefined, ifname: undefined, igpMetric: IGP_METRIC_UNKNOWN };
  }

  tableChanged(net: NetEntry, _now: Route | undefined, _old: Route | undefined): void {
    const p = net.prefix;
    const list = p.afi === Afi.IPV4 ? this.sorted4 : this.sorted6;
    if (list.length === 0) return;
    // The addresses the net covers run from its first (host bits zero) to its last (ones).
    // (Scratch lists: comparisons run over the entry's words, 1 or 4.)
    const first = this.first, last = this.last;
    for (let i = 0; i < (p.afi === Afi.IPV4 ? 1 : 4); i++) {
      const bits = Math.min(32, Math.max(0, p.len - 32 * i));
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      const w = addrWord(p, i) & mask;
      first[i] = w >>> 0;
      last[i] = (w | ~mask) >>> 0;
    }
    let changed: HostEntry[] | undefined;
    for (let i = lowerBound(list, first); i < list.length && compareWords(list[i]!.words, last) <= 0; i++) {
      const h = list[i]!;
      const res = this.lookup(h.addr);
      if (sameResolution(res, h.res)) continue;
      h.res = res;
      (changed ??= []).push(h);
    }
    if (changed === undefined) return;
    // Tell the dependents once the table has finished announcing this change: their
    // re-imports change the table again.
    for (const h of changed) this.pending.add(h);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        const hs = [...this.pending];
        this.pending.clear();
        for (const h of hs) for (const d of [...h.deps]) d.nextHopChanged(h.addr);
      });
    }
  }
}

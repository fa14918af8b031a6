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
// that next hop (BIRD's rt_notify_hostcache).
//
// A multipath resolving route (a learned ECMP route, say a default via two ToRs) makes the
// resolved route multipath over the same next hops, as BIRD 1.6 does.
//
// Leaves out: IGP metrics from protocols that have one (OSPF/RIP are not in Wren; device
// routes count 0, anything else "unknown").

import { RouteDest, type RouteNextHop } from './attr-set.js';
import type { Route, RouteSource } from './route.js';
import type { NetEntry, RoutingTable, TableSubscriber } from './table.js';
import type { Prefix } from './prefix.js';

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
  res: Resolution;
  readonly deps: Set<NextHopDependent>;
}

const UNREACHABLE: Resolution = Object.freeze({ reachable: false, dest: RouteDest.UNREACHABLE, gateway: undefined, ifname: undefined, igpMetric: IGP_METRIC_UNKNOWN });

const keyOf = (a: Uint8Array): string => String.fromCharCode(...a);

function covers(p: Prefix, a: Uint8Array): boolean {
  if (p.addr.length !== a.length) return false;
  const full = p.len >> 3, rest = p.len & 7;
  for (let i = 0; i < full; i++) if (p.addr[i] !== a[i]) return false;
  return rest === 0 || ((p.addr[full]! ^ a[full]!) & (0xff << (8 - rest)) & 0xff) === 0;
}

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
      h = { addr: addr.slice(), res: UNREACHABLE, deps: new Set() };
      h.res = this.lookup(h.addr);
      this.hosts.set(k, h);
    }
    h.deps.add(dep);
    return h.res;
  }

  /** `dep` no longer uses any next hop (protocol down). */
  forget(dep: NextHopDependent): void {
    for (const [k, h] of this.hosts) {
      h.deps.delete(dep);
      if (h.deps.size === 0) this.hosts.delete(k);
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
    if (this.hosts.size === 0) return;
    let changed: HostEntry[] | undefined;
    for (const h of this.hosts.values()) {
      if (!covers(net.prefix, h.addr)) continue;
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

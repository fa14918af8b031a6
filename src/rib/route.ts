// A route as the routing tables present it: one candidate path for one prefix from one
// protocol (BIRD's `rte`). Plain readonly data. The table keeps its routes in columns and
// makes these objects on demand (rib/table.ts): a Route is a snapshot, compared by source
// and path id (sameCandidate), never by object identity.
//
// What lives where:
// - `attrs` (AttrSet, interned): what the route says — BGP path attributes, destination,
//   kernel attributes. Shared between routes.
// - `source` (RouteSource): who said it — the protocol instance, one object per protocol
//   (per BGP session, since the peer's router id belongs to the session). Shared too.
// - the rest is per route: `preference` (BIRD: per route, a filter may set it), and for BGP
//   the next-hop resolution results `reachable` and `igpMetric` (RFC 4271 §9.1.2.1 and
//   §9.1.2.2 (e)), which change without the peer sending anything.
//
// Leaves out: filter-visible extras beyond the AttrSet. GR staleness is not a route flag:
// it lives in the BGP protocol's Adj-RIB-In generations, and LLGR staleness is the LLGR_STALE
// community on the route's attributes (bgp/protocol.ts).

import type { Prefix } from './prefix.js';
import type { AttrSet } from './attr-set.js';
import type { BestPathOptions } from './best-path.js';

export type RouteSourceKind = 'direct' | 'static' | 'kernel' | 'bgp';

/** BIRD's default protocol preferences (birdc-protocol.md: direct 240, static 200, BGP 100, kernel 10). */
export const DEFAULT_PREFERENCE: Readonly<Record<RouteSourceKind, number>> = {
  direct: 240,
  static: 200,
  bgp: 100,
  kernel: 10,
};

/** The BGP session a route was learned from. */
export interface BgpPeerInfo {
  /** Neighbour address (4 or 16 bytes): RFC 4271 §9.1.2.2 (g); `from` in `show route`. */
  readonly address: Uint8Array;
  /** The peer's BGP Identifier from its OPEN, unsigned 32-bit. */
  readonly routerId: number;
  readonly peerAs: number;
  readonly localAs: number;
  /** External session (peerAs !== localAs, confederations aside). */
  readonly ebgp: boolean;
  /**
   * The protocol's decision options (`path metric`, `med metric`, `igp metric`, `prefer
   * older`, `deterministic med`, `default bgp_med` / `bgp_local_pref`), which the decision
   * process applies per route as BIRD 1.6's bgp_rte_better does; absent: the table's.
   */
  readonly options?: BestPathOptions;
}

/** The protocol instance a route came from. */
export interface RouteSource {
  /** Protocol name as BIRD prints it: "Mesh_192_0_2_12", "kernel1", "static1". */
  readonly name: string;
  readonly kind: RouteSourceKind;
  /** Present iff kind === 'bgp'. */
  readonly bgp?: BgpPeerInfo;
}

export interface Route {
  readonly prefix: Prefix;
  /** RFC 7911 path identifier as received (0 without ADD-PATH). */
  readonly pathId: number;
  readonly attrs: AttrSet;
  readonly source: RouteSource;
  /** Protocol preference (BIRD's `preference`): higher wins before anything else. */
  readonly preference: number;
  /** Next hop resolvable (RFC 4271 §9.1.2.1); true for non-BGP routes. */
  readonly reachable: boolean;
  /** IGP cost to the next hop (RFC 4271 §9.1.2.2 (e)); 0 when unknown or non-BGP. */
  readonly igpMetric: number;
  /**
   * When the route last changed (BIRD's lastmod), on routeClock(): whole seconds, 0 when
   * unknown (the CLI then shows when its protocol came up). RFC 5004 `prefer older` and
   * `show route` read it.
   */
  readonly learnedAt: number;
}

/**
 * The route clock: 1 + whole seconds of the daemon's monotonic clock (BIRD 1.6 keeps route
 * times in seconds too). A small integer for V8, so a Route holds it without a box.
 */
export const routeClock = (): number => 1 + Math.floor(performance.now() / 1000);

/** A routeClock() value as epoch milliseconds (for display). */
export const routeClockToEpochMs = (t: number): number => performance.timeOrigin + (t - 1) * 1000;

/** Builds a Route with the defaults above (reachable, igpMetric 0, the kind's default preference). */
export function makeRoute(r: {
  prefix: Prefix;
  attrs: AttrSet;
  source: RouteSource;
  pathId?: number;
  preference?: number;
  reachable?: boolean;
  igpMetric?: number;
  learnedAt?: number;
}): Route {
  return {
    prefix: r.prefix,
    pathId: r.pathId ?? 0,
    attrs: r.attrs,
    source: r.source,
    preference: r.preference ?? DEFAULT_PREFERENCE[r.source.kind],
    reachable: r.reachable ?? true,
    igpMetric: r.igpMetric ?? 0,
    learnedAt: r.learnedAt ?? 0,
  };
}

/**
 * The neighbour AS for MED comparison (RFC 4271 §9.1.2.2 (c)) and deterministic-MED groups:
 * BIRD's bgp_get_neighbor — the first AS of the AS_PATH's leading AS_SEQUENCE, else the
 * peer's AS (so an iBGP route with an empty path belongs to our own AS). -1 for non-BGP.
 */
export function neighbourAs(r: Route): number {
  const a = r.attrs.neighbourAs;
  if (a >= 0) return a;
  return r.source.bgp ? r.source.bgp.peerAs : -1;
}

// The route as a filter sees it, and what a filter run gives back. This is the whole
// interface between compiled filters (conf/filter/compile.ts) and the routing tables and
// protocols: the table builds a FilterRoute for a candidate route, calls
// `filter.run(route)`, and keeps `result.attrs` / `result.preference` when accepted.
//
// Attributes use the field names of the codec's PathAttributes (src/bgp/codec/types.ts) so
// decoded BGP attributes can be passed as they are; the kernel attributes (krt_*) sit in the
// same record. The record is never mutated: a filter that writes an attribute copies the
// record once (copy on write) and returns the copy; when it writes nothing,
// `result.attrs === route.attrs`, so interned attribute sets stay shared.
// BIRD semantics kept: `source`, `ifname`, `net`, `gw`, `dest`, `proto`, `preference`
// always read as defined; an absent bgp_community / bgp_large_community reads as an
// empty list; any other absent attribute reads as undefined (`defined(x)` false).
// Leaves out: extended communities, bgp_atomic_aggr, bgp_aggregator, `from`, `scope`, `cast`.

import type { Prefix } from '../../src/rib/prefix.js';
import type { AsPathSegment, LargeCommunity, Origin } from '../../src/bgp/codec/types.js';

/** BIRD 1.6 route sources (nest/route.h RTS_*), the values of the `source` attribute. */
export const enum RouteSource {
  RTS_DUMMY = 0,
  RTS_STATIC = 1,
  /** Learned from the kernel (alien routes). */
  RTS_INHERIT = 2,
  /** `direct` protocol. */
  RTS_DEVICE = 3,
  RTS_STATIC_DEVICE = 4,
  RTS_REDIRECT = 5,
  RTS_RIP = 6,
  RTS_OSPF = 7,
  RTS_OSPF_IA = 8,
  RTS_OSPF_EXT1 = 9,
  RTS_OSPF_EXT2 = 10,
  RTS_BGP = 11,
  RTS_PIPE = 12,
  RTS_BABEL = 13,
}

/** BIRD 1.6 destination types (RTD_*), the values of the `dest` attribute. */
export const enum RouteDest {
  RTD_ROUTER = 0,
  RTD_DEVICE = 1,
  RTD_BLACKHOLE = 2,
  RTD_UNREACHABLE = 3,
  RTD_PROHIBIT = 4,
  RTD_MULTIPATH = 5,
  RTD_NONE = 6,
}

/** Route attributes a filter can read and write (BIRD's "extended attributes"). */
export interface FilterAttrs {
  /** bgp_origin */
  readonly origin?: Origin;
  /** bgp_path, 4-octet view. */
  readonly asPath?: readonly AsPathSegment[];
  /**
   * bgp_next_hop, 4 or 16 bytes. Writing it also drops the link-local address that came
   * beside an IPv6 next hop (`nextHopLinkLocal` of the route's attributes, which a filter
   * cannot name): BIRD 1.6 replaces the whole 32-octet attribute with one address.
   */
  readonly nextHop?: Uint8Array;
  /** bgp_med */
  readonly med?: number;
  /** bgp_local_pref */
  readonly localPref?: number;
  /** bgp_community, each `asn << 16 | value` (unsigned). */
  readonly communities?: readonly number[];
  /** bgp_large_community */
  readonly largeCommunities?: readonly LargeCommunity[];
  /** bgp_originator_id (router id as u32). */
  readonly originatorId?: number;
  /** bgp_cluster_list */
  readonly clusterList?: readonly number[];
  /** krt_metric: RTA_PRIORITY of learned routes, the metric of exported ones. */
  readonly krtMetric?: number;
  /** krt_source: rtm_protocol of learned kernel routes. */
  readonly krtSource?: number;
  /** krt_tunnel (Calico fork): interface to install the route through, '' for none. */
  readonly krtTunnel?: string;
  /** krt_prefsrc */
  readonly krtPrefsrc?: Uint8Array;
  /** krt_realm */
  readonly krtRealm?: number;
  /** krt_scope */
  readonly krtScope?: number;
  /** krt_mtu … krt_quickack, krt_lock_*, krt_feature_*: RTA_METRICS, RTAX id → value (src/rib/krt-metrics.ts). */
  readonly krtMetrics?: Readonly<Record<number, number>>;
}

/** What a filter reads. Plain data: the table may reuse one object per call. */
export interface FilterRoute {
  /** `net` */
  readonly net: Prefix;
  /** `source` */
  readonly source: RouteSource;
  /** `proto`: name of the protocol the route came from. */
  readonly proto: string;
  /** `preference` as the route has it now (filters may change it). */
  readonly preference: number;
  /** `gw`: the gateway, undefined for routes without one (reads as the zero address). */
  readonly gw?: Uint8Array;
  /** `from`: the BGP neighbour's address, undefined for other protocols' routes (reads as the zero address). */
  readonly from?: Uint8Array;
  /** `ifname`: output interface name, '' when none (blackholes). */
  readonly ifname: string;
  /** `dest` */
  readonly dest: RouteDest;
  readonly attrs: FilterAttrs;
}

export interface FilterResult {
  readonly accepted: boolean;
  /** The attributes after the filter: `=== route.attrs` when the filter wrote none. */
  readonly attrs: FilterAttrs;
  readonly preference: number;
  /**
   * Set when the route was rejected by a runtime error (BIRD logs these and drops the
   * route): e.g. `Filter calico_x did not return accept nor reject. Make up your mind`.
   */
  readonly error?: string;
}

/** What `import …;` / `export …;` resolved to. */
export type FilterKind = 'all' | 'none' | 'named' | 'inline' | 'where';

export interface CompiledFilter {
  readonly kind: FilterKind;
  /** Filter name for 'named'; 'all', 'none', or '(unnamed)' otherwise. */
  readonly name: string;
  /** Canonical source text (`all`, `none`, `filter x`, or the inline body). */
  readonly text: string;
  /**
   * Canonical text of the filter and of every function it calls, transitively. Two
   * filters with equal fingerprints behave the same: the reload plan compares these.
   */
  readonly fingerprint: string;
  /** Runs the filter on one route. Never throws for route data; see FilterResult.error. */
  run(route: FilterRoute): FilterResult;
}

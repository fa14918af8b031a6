// The route attributes the filter language knows, one row each (DESIGN.md §4: one
// descriptor table per registry). BIRD splits them into "static" attributes, fields of the
// route itself (nest/route.h: net, source, proto, preference, gw, ifname, dest), and
// "dynamic"/extended ones kept in the attribute list (bgp_* from proto/bgp/attrs.c,
// krt_* from sysdep/linux/netlink.Y, krt_tunnel from Calico's fork). `key` names the
// FilterAttrs field a dynamic attribute lives in.
// `from` is the address of the BGP neighbour a route came from (BIRD's rta->from), the zero
// address for routes of other protocols; like `gw` and `dest` it is read-only here.
// Leaves out: scope, cast, ifindex, bgp_atomic_aggr, bgp_aggregator, bgp_ext_community.

import type { FType } from './ast.js';
import type { FilterAttrs } from './route.js';
import { METRIC_NAMES, FEATURE_NAMES, LOCK_NAMED, RTAX_LOCK, RTAX_FEATURES } from '../../src/rib/krt-metrics.js';

export interface AttrDesc {
  readonly name: string;
  readonly type: FType;
  /** Static attributes: read from FilterRoute (`preference` is writable). */
  readonly static?: 'net' | 'source' | 'proto' | 'preference' | 'from' | 'gw' | 'ifname' | 'dest';
  /** Dynamic attributes: the FilterAttrs field. */
  readonly key?: keyof FilterAttrs;
  readonly writable: boolean;
  /** An absent list attribute reads as an empty list (BIRD 1.6 filter.c, 'ea'). */
  readonly emptyWhenAbsent?: boolean;
  /** Kernel metrics (key krtMetrics): the RTAX id, and for a bool the bit of that bit field. */
  readonly rtax?: number;
  readonly bit?: number;
}

const ROWS: readonly AttrDesc[] = [
  { name: 'net', type: 'prefix', static: 'net', writable: false },
  { name: 'source', type: 'enum_rts', static: 'source', writable: false },
  { name: 'proto', type: 'string', static: 'proto', writable: false },
  { name: 'preference', type: 'int', static: 'preference', writable: true },
  { name: 'from', type: 'ip', static: 'from', writable: false },
  { name: 'gw', type: 'ip', static: 'gw', writable: false },
  { name: 'ifname', type: 'string', static: 'ifname', writable: false },
  { name: 'dest', type: 'enum_rtd', static: 'dest', writable: false },
  { name: 'bgp_origin', type: 'enum_origin', key: 'origin', writable: true },
  { name: 'bgp_path', type: 'path', key: 'asPath', writable: true },
  { name: 'bgp_next_hop', type: 'ip', key: 'nextHop', writable: true },
  { name: 'bgp_med', type: 'int', key: 'med', writable: true },
  { name: 'bgp_local_pref', type: 'int', key: 'localPref', writable: true },
  { name: 'bgp_community', type: 'clist', key: 'communities', writable: true, emptyWhenAbsent: true },
  { name: 'bgp_large_community', type: 'lclist', key: 'largeCommunities', writable: true, emptyWhenAbsent: true },
  { name: 'bgp_originator_id', type: 'quad', key: 'originatorId', writable: true },
  { name: 'bgp_cluster_list', type: 'clist', key: 'clusterList', writable: true, emptyWhenAbsent: true },
  { name: 'krt_metric', type: 'int', key: 'krtMetric', writable: true },
  { name: 'krt_source', type: 'int', key: 'krtSource', writable: true },
  { name: 'krt_tunnel', type: 'string', key: 'krtTunnel', writable: true },
  { name: 'krt_prefsrc', type: 'ip', key: 'krtPrefsrc', writable: true },
  { name: 'krt_realm', type: 'int', key: 'krtRealm', writable: true },
  { name: 'krt_scope', type: 'int', key: 'krtScope', writable: true },
  ...krtMetricRows(),
];

/**
 * BIRD 1.6's RTA_METRICS attributes (sysdep/linux/netlink.Y): krt_<metric> ints, krt_lock_<metric>
 * bits of RTAX_LOCK (1.6 names only mtu … hoplimit and rto_min), krt_feature_ecn / _allfrag
 * bits of RTAX_FEATURES. (1.6 spells RTAX_SSTHRESH `sstresh`; BIRD 2's `ssthresh` is not taken.)
 */
function krtMetricRows(): AttrDesc[] {
  const rows: AttrDesc[] = [];
  METRIC_NAMES.forEach((name, id) => {
    if (name === undefined || id === RTAX_LOCK || id === RTAX_FEATURES) return;
    rows.push({ name: `krt_${name}`, type: 'int', key: 'krtMetrics', rtax: id, writable: true });
    if (LOCK_NAMED.has(id)) rows.push({ name: `krt_lock_${name}`, type: 'bool', key: 'krtMetrics', rtax: RTAX_LOCK, bit: id, writable: true });
  });
  FEATURE_NAMES.forEach((name, bit) => {
    if (name !== undefined) rows.push({ name: `krt_feature_${name}`, type: 'bool', key: 'krtMetrics', rtax: RTAX_FEATURES, bit, writable: true });
  });
  return rows;
}

export const ATTRIBUTES: ReadonlyMap<string, AttrDesc> = new Map(ROWS.map((r) => [r.name, r]));

/** Named constants of the enum types (BIRD keywords RTS_*, RTD_*, ORIGIN_*). */
export const ENUM_CONSTANTS: ReadonlyMap<string, { readonly t: 'enum_rts' | 'enum_rtd' | 'enum_origin'; readonly v: number }> =
  new Map([
    ['RTS_DUMMY', { t: 'enum_rts', v: 0 }],
    ['RTS_STATIC', { t: 'enum_rts', v: 1 }],
    ['RTS_INHERIT', { t: 'enum_rts', v: 2 }],
    ['RTS_DEVICE', { t: 'enum_rts', v: 3 }],
    ['RTS_STATIC_DEVICE', { t: 'enum_rts', v: 4 }],
    ['RTS_REDIRECT', { t: 'enum_rts', v: 5 }],
    ['RTS_RIP', { t: 'enum_rts', v: 6 }],
    ['RTS_OSPF', { t: 'enum_rts', v: 7 }],
    ['RTS_OSPF_IA', { t: 'enum_rts', v: 8 }],
    ['RTS_OSPF_EXT1', { t: 'enum_rts', v: 9 }],
    ['RTS_OSPF_EXT2', { t: 'enum_rts', v: 10 }],
    ['RTS_BGP', { t: 'enum_rts', v: 11 }],
    ['RTS_PIPE', { t: 'enum_rts', v: 12 }],
    ['RTS_BABEL', { t: 'enum_rts', v: 13 }],
    ['RTD_ROUTER', { t: 'enum_rtd', v: 0 }],
    ['RTD_DEVICE', { t: 'enum_rtd', v: 1 }],
    ['RTD_BLACKHOLE', { t: 'enum_rtd', v: 2 }],
    ['RTD_UNREACHABLE', { t: 'enum_rtd', v: 3 }],
    ['RTD_PROHIBIT', { t: 'enum_rtd', v: 4 }],
    ['RTD_MULTIPATH', { t: 'enum_rtd', v: 5 }],
    ['ORIGIN_IGP', { t: 'enum_origin', v: 0 }],
    ['ORIGIN_EGP', { t: 'enum_origin', v: 1 }],
    ['ORIGIN_INCOMPLETE', { t: 'enum_origin', v: 2 }],
  ]);

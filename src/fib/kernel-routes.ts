// Pure translations between kernel routes (src/fib/netlink/route.ts KernelRoute) and the
// routing table (RouteAttributes), with BIRD 1.6's rules (contract.md §4.2, sysdep/linux/
// netlink.c nl_parse_route / nl_send_route, lib/ip.c ipa_classify, Calico's fork for
// krt_tunnel and the 240/4 classification):
//   - which kernel routes the kernel protocol learns (`learnable`): main table (or the
//     configured one), rtm_protocol not 0/2 and not ours (12), IPv4 TOS 0, no IPv6 RTA_IIF,
//     unicast/blackhole/unreachable/prohibit, and a destination the 1.6 classifier accepts;
//   - the attributes of a learned route (`learnedAttributes`): dest, gateway, ifname, every
//     next hop of a multipath route (RouteDest.MULTIPATH + nextHops), krt_source, krt_metric,
//     krt_prefsrc (RTA_PREFSRC), krt_realm (RTA_FLOW), krt_scope (rtm_scope when it is not
//     the default: link for a device route, universe otherwise), krt_mtu & co. (RTA_METRICS
//     members 1–15, src/rib/krt-metrics.ts);
//   - the kernel route we install for an exported route (`exportRoute`): protocol 12, metric
//     krt_metric (0 when unset, which IPv6 turns into 1024), via/dev/multipath, blackhole,
//     unreachable, prohibit, krt_tunnel ⇒ `via <bgp next hop> dev <tunnel> onlink`, and
//     krt_prefsrc / krt_realm / krt_scope as RTA_PREFSRC / RTA_FLOW / rtm_scope, the metrics as
//     RTA_METRICS;
//   - the comparison that decides whether the kernel already has what we want
//     (`sameKernelRoute`), lenient about what the kernel fills in itself (an output
//     interface we left to it, LINKDOWN flags, `dev lo` of IPv6 blackholes);
//   - the strict comparison of two exports (`sameExport`: an unchanged re-export keeps its object);
//   - numeric/string keys per prefix for the syncer's maps (`prefixKey`).
// Multipath: BIRD 1.6 learns IPv4 multipath routes only, and refuses one whose next hop has no
// gateway ("strange multipath route"); Wren learns both families' (modern kernels report
// IPv6 ECMP as RTA_MULTIPATH too, BIRD 2 style) and refuses the same ones.
// Leaves out: per-next-hop flags of learned multipath routes (1.6 keeps none), MPLS and
// nexthop objects.

import { Afi, type Prefix } from '../rib/prefix.js';
import { RouteDest, type RouteAttributes } from '../rib/attr-set.js';
import { learnedMetrics, metricsEqual, sameKernelMetrics, sameLearnedMetrics } from '../rib/krt-metrics.js';
import {
  RouteFlag,
  RouteProtocol,
  RouteScope,
  defaultScope,
  RouteTable,
  RouteType,
  type KernelRoute,
  type NextHop,
  type RouteInput,
} from './netlink/route.js';

/** Map key of a prefix: a number for IPv4 (address·64 + length), a string for IPv6. */
export type PKey = number | string;

export function prefixKey(p: Prefix): PKey {
  const a = p.addr;
  if (p.afi === Afi.IPV4) return (((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0) * 64 + p.len;
  let s = '';
  for (let i = 0; i < 16; i += 2) s += String.fromCharCode((a[i]! << 8) | a[i + 1]!);
  return s + String.fromCharCode(p.len);
}

/** The metric the kernel files a route under: IPv6 turns 0 into 1024 (IP6_RT_PRIO_USER). */
export const effectivePriority = (afi: Afi, priority: number | undefined): number =>
  afi === Afi.IPV6 && !priority ? 1024 : priority ?? 0;

// ---- what BIRD 1.6 learns ----------------------------------------------------------------

/**
 * BIRD 1.6's ipa_classify (lib/ip.c, with the fork's 240/4 change) reduced to the question
 * nl_parse_route asks: is this destination a usable unicast host address of more than link
 * scope? The default route (length 0) is always accepted.
 */
export function classifiable(dst: Prefix): boolean {
  if (dst.len === 0) return true;
  const a = dst.addr;
  if (dst.afi === Afi.IPV4) {
    if (a[0] === 255 && a[1] === 255 && a[2] === 255 && a[3] === 255) return false; // broadcast
    const b = a[0]!;
    if (b === 0) return false; // 0/8: invalid
    if (b === 127) return false; // host scope
    if (b >= 224 && b <= 239) return false; // multicast
    return true; // 240/4 is site scope in the fork; 169.254/16 is universe in 1.6
  }
  if (a[0] === 0xff) return false; // multicast
  if (a[0] === 0xfe && (a[1]! & 0xc0) === 0x80) return false; // fe80::/10 link-local
  let zero = true;
  for (let i = 0; i < 15; i++) if (a[i] !== 0) zero = false;
  if (zero && (a[15] === 0 || a[15] === 1)) return false; // :: unspecified, ::1 loopback
  return true;
}

/** How a kernel route matters to the kernel protocol. */
export const enum RouteKind {
  /** Not ours and not learnable: ignore. */
  IGNORE = 0,
  /** rtm_protocol 12 in our table: ours (from this run or a previous one). */
  OURS = 1,
  /** An alien route BIRD 1.6 would learn. */
  ALIEN = 2,
}

const LEARNABLE_TYPES = new Set<number>([RouteType.RTN_UNICAST, RouteType.RTN_BLACKHOLE, RouteType.RTN_UNREACHABLE, RouteType.RTN_PROHIBIT]);

/** Sorts a kernel route (from a dump or an event) for the kernel protocol of `table`. */
export function classifyRoute(r: KernelRoute, table: number = RouteTable.RT_TABLE_MAIN): RouteKind {
  if (r.table !== table) return RouteKind.IGNORE;
  if (r.dst.afi === Afi.IPV4 && r.tos !== 0) return RouteKind.IGNORE;
  if (r.src !== undefined && r.src.len > 0) return RouteKind.IGNORE; // source-specific (IPv6 subtrees)
  if (r.protocol === RouteProtocol.RTPROT_BIRD) return RouteKind.OURS;
  if (r.protocol === RouteProtocol.RTPROT_UNSPEC || r.protocol === RouteProtocol.RTPROT_KERNEL || r.protocol === RouteProtocol.RTPROT_REDIRECT) return RouteKind.IGNORE;
  if (r.dst.afi === Afi.IPV6 && r.iif !== undefined) return RouteKind.IGNORE;
  if (!LEARNABLE_TYPES.has(r.type)) return RouteKind.IGNORE;
  if (r.nhId !== undefined && !r.gateway && !r.oif && !r.multipath) return RouteKind.IGNORE; // nexthop objects: not decoded
  if (r.multipath !== undefined && r.multipath.length > 1 && r.type === RouteType.RTN_UNICAST) {
    for (const h of r.multipath) if (h.gateway === undefined || !h.oif) return RouteKind.IGNORE; // 1.6: "strange multipath route"
  }
  if (!classifiable(r.dst)) return RouteKind.IGNORE;
  return RouteKind.ALIEN;
}

const DEST_OF_TYPE: Readonly<Record<number, RouteDest>> = {
  [RouteType.RTN_BLACKHOLE]: RouteDest.BLACKHOLE,
  [RouteType.RTN_UNREACHABLE]: RouteDest.UNREACHABLE,
  [RouteType.RTN_PROHIBIT]: RouteDest.PROHIBIT,
};

/**
 * The table attributes of a learned alien route: BIRD 1.6 nl_parse_route (dest, gw, iface or
 * the multipath next hops, krt_source = rtm_protocol, krt_metric = RTA_PRIORITY when
 * present, krt_prefsrc, krt_realm, krt_scope when not the default scope, the metrics). `ifname` maps an
 * ifindex to a name (undefined: unknown yet; a multipath next hop then has ifname '').
 */
export function learnedAttributes(r: KernelRoute, ifname: (index: number) => string | undefined): RouteAttributes {
  const base: { -readonly [K in keyof RouteAttributes]: RouteAttributes[K] } = { krtSource: r.protocol };
  if (r.priority !== undefined) base.krtMetric = r.priority;
  if (r.prefsrc !== undefined) base.krtPrefsrc = r.prefsrc;
  if (r.realm !== undefined) base.krtRealm = r.realm;
  const metrics = learnedMetrics(r.metrics);
  if (metrics !== undefined) base.krtMetrics = metrics;
  let defScope: number = RouteScope.RT_SCOPE_UNIVERSE;
  const special = DEST_OF_TYPE[r.type];
  if (special !== undefined) base.dest = special;
  else if (r.multipath !== undefined && r.multipath.length > 1) {
    base.dest = RouteDest.MULTIPATH;
    base.nextHops = r.multipath.map((h) => ({ gateway: h.gateway!, ifname: ifname(h.oif) ?? '', weight: h.weight }));
  } else {
    const hop: { gateway?: Uint8Array; oif?: number } = r.multipath && r.multipath.length ? r.multipath[0]! : r;
    const name = hop.oif ? ifname(hop.oif) : undefined;
    if (name !== undefined) base.ifname = name;
    if (hop.gateway) {
      base.dest = RouteDest.ROUTER;
      base.gateway = hop.gateway;
    } else {
      base.dest = RouteDest.DEVICE;
      defScope = RouteScope.RT_SCOPE_LINK;
    }
  }
  if (r.scope !== defScope) base.krtScope = r.scope;
  return base;
}

/** A learned route still waiting for an interface name (single path or any next hop). */
export function lacksIfname(a: RouteAttributes): boolean {
  if (a.dest === RouteDest.MULTIPATH) return a.nextHops!.some((h) => h.ifname === '');
  return a.ifname === undefined && (a.dest === RouteDest.ROUTER || a.dest === RouteDest.DEVICE);
}

/** Output interfaces a kernel route uses (for link-down bookkeeping). */
export function routeOifs(r: RouteInput): number[] {
  if (r.multipath && r.multipath.length) return r.multipath.map((h) => h.oif).filter((x) => x > 0);
  return r.oif ? [r.oif] : [];
}

// ---- what we install ---------------------------------------------------------------------

const TYPE_OF_DEST: Readonly<Record<number, RouteType>> = {
  [RouteDest.BLACKHOLE]: RouteType.RTN_BLACKHOLE,
  [RouteDest.UNREACHABLE]: RouteType.RTN_UNREACHABLE,
  [RouteDest.PROHIBIT]: RouteType.RTN_PROHIBIT,
};

export interface ExportContext {
  /** ifindex of an existing interface, undefined if there is none of that name. */
  readonly ifindex: (name: string) => number | undefined;
  /** `kernel table` (default main). */
  readonly table?: number;
}

/**
 * One next hop of an exported route, or undefined if it cannot be installed. Calico's fork
 * (nl_send_route): `krt_tunnel` naming an existing interface + a BGP next hop ⇒ via the BGP
 * next hop, out of that interface, onlink. Otherwise the resolved gateway and interface.
 */
export function exportHop(a: RouteAttributes, ctx: ExportContext): NextHop | undefined {
  if (a.dest === RouteDest.MULTIPATH) return exportHops(a, ctx)[0];
  if (a.krtTunnel && a.nextHop !== undefined) {
    const t = ctx.ifindex(a.krtTunnel);
    if (t !== undefined) return { gateway: a.nextHop, oif: t, flags: RouteFlag.RTNH_F_ONLINK, weight: 1 };
  }
  const dest = a.dest ?? RouteDest.ROUTER;
  const oif = a.ifname ? ctx.ifindex(a.ifname) ?? 0 : 0;
  if (dest === RouteDest.DEVICE) return oif ? { oif, flags: 0, weight: 1 } : undefined;
  if (dest !== RouteDest.ROUTER) return undefined;
  const gw = a.gateway ?? a.nextHop;
  if (gw === undefined) return undefined;
  return { gateway: gw, oif, flags: 0, weight: 1 };
}

/** The next hops of an exported route: a multipath route's (those whose interface exists), else exportHop's. */
export function exportHops(a: RouteAttributes, ctx: ExportContext): NextHop[] {
  if (a.dest !== RouteDest.MULTIPATH || a.nextHops === undefined) {
    const h = exportHop(a, ctx);
    return h === undefined ? [] : [h];
  }
  const out: NextHop[] = [];
  for (const nh of a.nextHops) {
    const oif = nh.ifname ? ctx.ifindex(nh.ifname) : undefined;
    if (oif === undefined) continue;
    out.push({ gateway: nh.gateway, oif, flags: 0, weight: nh.weight });
  }
  return out;
}

/**
 * The kernel route for an exported route: `best` is the best route's attributes after the
 * export filter, `others` the filtered attributes of its equal-cost companions (`merge
 * paths on`). Undefined when nothing can be installed (no gateway, unknown device).
 */
export function exportRoute(dst: Prefix, best: RouteAttributes, ctx: ExportContext, others?: readonly RouteAttributes[]): RouteInput | undefined {
  const priority = effectivePriority(dst.afi, best.krtMetric);
  const table = ctx.table ?? RouteTable.RT_TABLE_MAIN;
  const special = best.dest !== undefined ? TYPE_OF_DEST[best.dest] : undefined;
  if (special !== undefined) return withKrt({ dst, type: special, priority, table, protocol: RouteProtocol.RTPROT_BIRD }, best);
  const multi = best.dest === RouteDest.MULTIPATH;
  const first = multi ? undefined : exportHop(best, ctx);
  if (!multi && first === undefined) return undefined;
  if (multi || (others && others.length)) {
    const hops: NextHop[] = first ? [first] : exportHops(best, ctx);
    if (others) {
      for (const o of others) {
        for (const h of exportHops(o, ctx)) {
          if (h.gateway === undefined) continue;
          if (hops.some((x) => x.oif === h.oif && sameBytes(x.gateway, h.gateway))) continue;
          hops.push(h);
        }
      }
    }
    if (hops.length > 1 && hops.every((h) => h.gateway !== undefined)) {
      return withKrt({ dst, type: RouteType.RTN_UNICAST, priority, table, protocol: RouteProtocol.RTPROT_BIRD, multipath: hops }, best);
    }
    if (multi) return hops.length ? singlePath(dst, priority, table, hops[0]!, best) : undefined;
  }
  return singlePath(dst, priority, table, first!, best);
}

/**
 * The common export (one per route of a bulk): built as one literal of fixed shape, absent
 * fields undefined, so that the object has all its fields inline (no property array added
 * field by field) and every such route shares one hidden class.
 */
function singlePath(dst: Prefix, priority: number, table: number, hop: NextHop, a: RouteAttributes): RouteInput {
  return {
    dst,
    type: RouteType.RTN_UNICAST,
    priority,
    table,
    protocol: RouteProtocol.RTPROT_BIRD,
    gateway: hop.gateway,
    oif: hop.oif || undefined,
    flags: hop.flags || undefined,
    prefsrc: a.krtPrefsrc,
    realm: a.krtRealm,
    scope: a.krtScope,
    metrics: a.krtMetrics,
  };
}

/** BIRD 1.6 nl_send_route: krt_scope → rtm_scope, krt_prefsrc → RTA_PREFSRC, krt_realm → RTA_FLOW, metrics → RTA_METRICS. */
function withKrt(r: { -readonly [K in keyof RouteInput]: RouteInput[K] }, a: RouteAttributes): RouteInput {
  if (a.krtPrefsrc !== undefined) r.prefsrc = a.krtPrefsrc;
  if (a.krtRealm !== undefined) r.realm = a.krtRealm;
  if (a.krtScope !== undefined) r.scope = a.krtScope;
  if (a.krtMetrics !== undefined) r.metrics = a.krtMetrics;
  return r;
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const hopsOf = (r: RouteInput): readonly NextHop[] =>
  r.multipath && r.multipath.length ? r.multipath : [{ ...(r.gateway ? { gateway: r.gateway } : {}), oif: r.oif ?? 0, flags: r.flags ?? 0, weight: 1 }];

/**
 * Whether `have` (as the kernel reports it, or as we wrote it) already is `want`: same type,
 * same metric, and for unicast the same next hops — gateway, onlink, and the output
 * interface when `want` names one (the kernel picks it otherwise). Flags the kernel sets
 * itself (LINKDOWN, DEAD) and the `dev lo` of IPv6 blackholes do not count.
 */
export function sameKernelRoute(have: RouteInput, want: RouteInput): boolean {
  const ht = have.type ?? RouteType.RTN_UNICAST, wt = want.type ?? RouteType.RTN_UNICAST;
  if (ht !== wt) return false;
  if (effectivePriority(have.dst.afi, have.priority) !== effectivePriority(want.dst.afi, want.priority)) return false;
  if ((have.prefsrc !== undefined || want.prefsrc !== undefined) && !sameBytes(have.prefsrc, want.prefsrc)) return false;
  if ((have.realm ?? 0) !== (want.realm ?? 0)) return false;
  if ((have.metrics !== undefined || want.metrics !== undefined) && !sameKernelMetrics(have.metrics, want.metrics)) return false;
  // (IPv6 has no route scopes: the kernel reports universe whatever was written.)
  if (want.dst.afi === Afi.IPV4 && (have.scope !== undefined || want.scope !== undefined) && (have.scope ?? defaultScope(have)) !== (want.scope ?? defaultScope(want))) return false;
  if (wt !== RouteType.RTN_UNICAST) return true;
  const hm = have.multipath !== undefined && have.multipath.length > 0;
  const wm = want.multipath !== undefined && want.multipath.length > 0;
  if (!hm && !wm) {
    // Single path (the common case), without building next-hop objects.
    if (!sameBytes(have.gateway, want.gateway)) return false;
    if (want.oif && have.oif !== want.oif) return false;
    return ((want.flags ?? 0) & RouteFlag.RTNH_F_ONLINK) === ((have.flags ?? 0) & RouteFlag.RTNH_F_ONLINK);
  }
  const hh = hopsOf(have), wh = hopsOf(want);
  if (hh.length !== wh.length) return false;
  for (const w of wh) {
    let found = false;
    for (const h of hh) {
      if (!sameBytes(h.gateway, w.gateway)) continue;
      if (w.oif && h.oif !== w.oif) continue;
      if ((w.flags & RouteFlag.RTNH_F_ONLINK) !== (h.flags & RouteFlag.RTNH_F_ONLINK)) continue;
      if (hm && wm && h.weight !== w.weight) continue;
      found = true;
      break;
    }
    if (!found) return false;
  }
  return true;
}

/**
 * Two routes of ours that encode the same request (same prefix assumed): every field
 * exportRoute sets, compared strictly (sameKernelRoute is lenient about what the kernel fills
 * in). The syncer keeps its old object when a re-export gives an equal one.
 */
export function sameExport(a: RouteInput, b: RouteInput): boolean {
  if (a.type !== b.type || a.priority !== b.priority || a.table !== b.table || a.protocol !== b.protocol || a.tos !== b.tos || a.flags !== b.flags ||
    a.scope !== b.scope || a.realm !== b.realm || a.oif !== b.oif || a.src !== b.src || !metricsEqual(a.metrics, b.metrics) || a.pref !== b.pref || a.iif !== b.iif ||
    a.nhId !== b.nhId || a.dst.len !== b.dst.len || a.dst.afi !== b.dst.afi) return false;
  if (!sameBytes(a.gateway, b.gateway) || !sameBytes(a.prefsrc, b.prefsrc)) return false;
  const am = a.multipath, bm = b.multipath;
  if (am === bm) return true;
  if (am === undefined || bm === undefined || am.length !== bm.length) return false;
  for (let i = 0; i < am.length; i++) {
    const x = am[i]!, y = bm[i]!;
    if (x.oif !== y.oif || x.flags !== y.flags || x.weight !== y.weight || !sameBytes(x.gateway, y.gateway)) return false;
  }
  return true;
}

/** Two learned routes that would give the same table attributes (dump vs. what we hold). */
export function sameAlien(a: KernelRoute, b: KernelRoute): boolean {
  if (!(a.protocol === b.protocol && a.priority === b.priority && a.type === b.type && a.oif === b.oif && a.scope === b.scope && a.realm === b.realm &&
    sameBytes(a.gateway, b.gateway) && sameBytes(a.prefsrc, b.prefsrc) && sameLearnedMetrics(a.metrics, b.metrics) &&
    (a.multipath?.length ?? 0) === (b.multipath?.length ?? 0))) return false;
  if (a.multipath === undefined) return true;
  for (let i = 0; i < a.multipath.length; i++) {
    const x = a.multipath[i]!, y = b.multipath![i]!;
    if (x.oif !== y.oif || x.weight !== y.weight || !sameBytes(x.gateway, y.gateway)) return false;
  }
  return true;
}

// Routes over rtnetlink (rtnetlink(7), linux/rtnetlink.h; RFC 3549 §3.1.1): the rtmsg
// header, the RTA_* descriptor table, RTA_MULTIPATH (struct rtnexthop list, IPv4 and IPv6),
// RTA_VIA (an IPv4 route via an IPv6 gateway, RFC 5549 style), RTA_METRICS (nested RTAX_*),
// RTA_TABLE for tables above 255, and the KernelRoute plain-data type that the kernel
// syncer compares against its desired FIB. Encoders write RTM_NEWROUTE (add / replace) and
// RTM_DELROUTE into a caller's buffer so that batch.ts can pack hundreds per datagram.
// Leaves out: MPLS and multicast (IPMR) families (decodeRoute returns undefined), nexthop
// objects (RTA_NH_ID is reported, not resolved), lightweight tunnels (RTA_ENCAP),
// RTA_CACHEINFO/RTA_EXPIRES, RTAX_CC_ALGO (a string metric).

import { Afi, maskHostBits, type Prefix } from '../../rib/prefix.js';
import {
  ADDR,
  NESTED_U32,
  NLA_F_NESTED,
  RTA_HDRLEN,
  U8,
  U32,
  attrSize,
  attrTable,
  beginNested,
  decodeAttrsInto,
  endNested,
  forEachAttr,
  malformedAttr,
  putBytes,
  putHeader,
  putU8,
  putU32,
  row,
  type ValueCodec,
} from './attributes.js';
import { MsgType, NLMSG_HDRLEN, NlmFlag, RequestFlags, align4, setU32, writeHeader, type NlMessage } from './message.js';

/** Address families (linux/socket.h). */
export const enum AddressFamily {
  AF_UNSPEC = 0,
  AF_INET = 2,
  AF_INET6 = 10,
}

export const familyOf = (afi: Afi): number => (afi === Afi.IPV4 ? AddressFamily.AF_INET : AddressFamily.AF_INET6);
/** Afi for AF_INET / AF_INET6, undefined for other families. */
export const afiOfFamily = (family: number): Afi | undefined =>
  family === AddressFamily.AF_INET ? Afi.IPV4 : family === AddressFamily.AF_INET6 ? Afi.IPV6 : undefined;

/** rtm_type (enum in linux/rtnetlink.h). */
export const enum RouteType {
  RTN_UNSPEC = 0,
  RTN_UNICAST = 1,
  RTN_LOCAL = 2,
  RTN_BROADCAST = 3,
  RTN_ANYCAST = 4,
  RTN_MULTICAST = 5,
  RTN_BLACKHOLE = 6,
  RTN_UNREACHABLE = 7,
  RTN_PROHIBIT = 8,
  RTN_THROW = 9,
  RTN_NAT = 10,
  RTN_XRESOLVE = 11,
}

/** Route type registry: `ip route` names. */
export const ROUTE_TYPE_NAMES: readonly string[] = [
  'unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast',
  'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve',
];

/** rtm_protocol values (linux/rtnetlink.h, /etc/iproute2/rt_protos). */
export const enum RouteProtocol {
  RTPROT_UNSPEC = 0,
  RTPROT_REDIRECT = 1,
  RTPROT_KERNEL = 2,
  RTPROT_BOOT = 3,
  RTPROT_STATIC = 4,
  RTPROT_RA = 9,
  RTPROT_ZEBRA = 11,
  RTPROT_BIRD = 12,
  RTPROT_DHCP = 16,
  RTPROT_KEEPALIVED = 18,
  RTPROT_BABEL = 42,
  /** Calico Felix's DeviceRouteProtocol-derived value for the routes it owns (not a kernel name). */
  FELIX = 80,
  RTPROT_BGP = 186,
  RTPROT_ISIS = 187,
  RTPROT_OSPF = 188,
  RTPROT_RIP = 189,
}

export const ROUTE_PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 8: 'gated', 9: 'ra', 10: 'mrt',
  11: 'zebra', 12: 'bird', 13: 'dnrouted', 14: 'xorp', 15: 'ntk', 16: 'dhcp', 17: 'mrouted',
  18: 'keepalived', 42: 'babel', 99: 'openr', 186: 'bgp', 187: 'isis', 188: 'ospf', 189: 'rip', 192: 'eigrp',
};

/** rtm_scope (enum rt_scope_t). */
export const enum RouteScope {
  RT_SCOPE_UNIVERSE = 0,
  RT_SCOPE_SITE = 200,
  RT_SCOPE_LINK = 253,
  RT_SCOPE_HOST = 254,
  RT_SCOPE_NOWHERE = 255,
}

/** Reserved table ids (enum rt_class_t). */
export const enum RouteTable {
  RT_TABLE_UNSPEC = 0,
  RT_TABLE_COMPAT = 252,
  RT_TABLE_DEFAULT = 253,
  RT_TABLE_MAIN = 254,
  RT_TABLE_LOCAL = 255,
}

/** rtm_flags: the low byte holds RTNH_F_* (per next hop in rtnh_flags too), then RTM_F_*. */
export const enum RouteFlag {
  RTNH_F_DEAD = 0x1,
  RTNH_F_PERVASIVE = 0x2,
  RTNH_F_ONLINK = 0x4,
  RTNH_F_OFFLOAD = 0x8,
  RTNH_F_LINKDOWN = 0x10,
  RTNH_F_UNRESOLVED = 0x20,
  RTNH_F_TRAP = 0x40,
  RTM_F_NOTIFY = 0x100,
  RTM_F_CLONED = 0x200,
  RTM_F_EQUALIZE = 0x400,
  RTM_F_PREFIX = 0x800,
  RTM_F_LOOKUP_TABLE = 0x1000,
  RTM_F_FIB_MATCH = 0x2000,
  RTM_F_OFFLOAD = 0x4000,
  RTM_F_TRAP = 0x8000,
}

/** enum rtattr_type_t. */
export const enum Rta {
  RTA_DST = 1,
  RTA_SRC = 2,
  RTA_IIF = 3,
  RTA_OIF = 4,
  RTA_GATEWAY = 5,
  RTA_PRIORITY = 6,
  RTA_PREFSRC = 7,
  RTA_METRICS = 8,
  RTA_MULTIPATH = 9,
  RTA_PROTOINFO = 10,
  RTA_FLOW = 11,
  RTA_CACHEINFO = 12,
  RTA_TABLE = 15,
  RTA_MARK = 16,
  RTA_MFC_STATS = 17,
  RTA_VIA = 18,
  RTA_NEWDST = 19,
  RTA_PREF = 20,
  RTA_ENCAP_TYPE = 21,
  RTA_ENCAP = 22,
  RTA_EXPIRES = 23,
  RTA_PAD = 24,
  RTA_UID = 25,
  RTA_TTL_PROPAGATE = 26,
  RTA_IP_PROTO = 27,
  RTA_SPORT = 28,
  RTA_DPORT = 29,
  RTA_NH_ID = 30,
}

/** RTAX_* members of RTA_METRICS. */
export const enum Rtax {
  RTAX_LOCK = 1,
  RTAX_MTU = 2,
  RTAX_WINDOW = 3,
  RTAX_RTT = 4,
  RTAX_RTTVAR = 5,
  RTAX_SSTHRESH = 6,
  RTAX_CWND = 7,
  RTAX_ADVMSS = 8,
  RTAX_REORDERING = 9,
  RTAX_HOPLIMIT = 10,
  RTAX_INITCWND = 11,
  RTAX_FEATURES = 12,
  RTAX_RTO_MIN = 13,
  RTAX_INITRWND = 14,
  RTAX_QUICKACK = 15,
  RTAX_CC_ALGO = 16,
  RTAX_FASTOPEN_NO_COOKIE = 17,
}

/** One next hop of a multipath route. */
export interface NextHop {
  /** 4 or 16 bytes; a 16-byte gateway of an IPv4 route travels as RTA_VIA. Absent: a device next hop. */
  readonly gateway?: Uint8Array;
  /** Output interface index (0 = none). */
  readonly oif: number;
  /** RTNH_F_* (RTNH_F_ONLINK, and RTNH_F_DEAD / RTNH_F_LINKDOWN as reported by the kernel). */
  readonly flags: number;
  /** 1..256: rtnh_hops + 1. */
  readonly weight: number;
}

/** A route as the kernel reports it (decoded RTM_NEWROUTE / RTM_DELROUTE). Plain data. */
export interface KernelRoute {
  readonly dst: Prefix;
  /** Source prefix of a source-specific (IPv6 subtree) route: rtm_src_len + RTA_SRC. */
  readonly src?: Prefix;
  readonly tos: number;
  /** RTA_TABLE when present, else rtm_table. */
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  /** rtm_flags (RTNH_F_ONLINK of a single-path route lives here). */
  readonly flags: number;
  /** RTA_PRIORITY (the metric); absent when the kernel sent none. */
  readonly priority?: number;
  readonly prefsrc?: Uint8Array;
  /** RTA_GATEWAY, or the address of RTA_VIA (then of the other family). */
  readonly gateway?: Uint8Array;
  readonly oif?: number;
  /** RTA_MULTIPATH next hops. */
  readonly multipath?: readonly NextHop[];
  /** RTA_IIF (BIRD 1.6 skips IPv6 routes carrying it). */
  readonly iif?: number;
  /** RTA_METRICS: RTAX_* → value. */
  readonly metrics?: Readonly<Record<number, number>>;
  /** RTA_PREF: IPv6 router preference (ICMPV6_ROUTER_PREF_*). */
  readonly pref?: number;
  /** RTA_FLOW: the realm (BIRD's krt_realm). */
  readonly realm?: number;
  /** RTA_NH_ID: the route uses a nexthop object. */
  readonly nhId?: number;
}

/** What an encoder needs: a destination; everything else has a default (see encodeRoute). */
export type RouteInput = Partial<Omit<KernelRoute, 'dst'>> & { readonly dst: Prefix };

// ---- RTA_VIA and RTA_MULTIPATH codecs -----------------------------------------------------

/*
 * RTA_VIA value, struct rtvia:      RTA_MULTIPATH value, a list of struct rtnexthop, each
 *  +---------------+-----------+     followed by its own attributes (RTA_GATEWAY / RTA_VIA):
 *  | family (u16)  | addr ...  |     +--------------+-----------+-----------+
 *  +---------------+-----------+     | rtnh_len u16 | flags u8  | hops u8   |  0
 *                                    +--------------+-----------+-----------+
 *                                    |          rtnh_ifindex (s32)          |  4
 *                                    +--------------------------------------+
 *                                    |  attributes (rtnh_len - 8 bytes)     |  8
 *                                    +--------------------------------------+
 * rtnexthops are 4-byte aligned (RTNH_ALIGN); rtnh_len includes the attributes.
 */
export const VIA: ValueCodec<Uint8Array> = {
  kind: 'rtvia',
  read: (b, s, e) => {
    if (e - s < 2) throw malformedAttr(`RTA_VIA of ${e - s} bytes`);
    return ADDR.read(b, s + 2, e);
  },
  size: (v) => 2 + v.length,
  write: (b, o, v) => {
    b.writeUInt16LE(v.length === 4 ? AddressFamily.AF_INET : AddressFamily.AF_INET6, o);
    b.set(v, o + 2);
  },
};

const RTNH_LEN = 8;

export const MULTIPATH: ValueCodec<readonly NextHop[]> = {
  kind: 'rtnexthop list',
  read: (b, s, e) => {
    const out: NextHop[] = [];
    let off = s;
    while (off + RTNH_LEN <= e) {
      const len = b.readUInt16LE(off);
      if (len < RTNH_LEN || off + len > e) throw malformedAttr(`rtnh_len ${len} at offset ${off}`);
      let gateway: Uint8Array | undefined;
      forEachAttr(b, off + RTNH_LEN, off + len, (t, vs, ve) => {
        if (t === Rta.RTA_GATEWAY) gateway = ADDR.read(b, vs, ve);
        else if (t === Rta.RTA_VIA) gateway = VIA.read(b, vs, ve);
      });
      const nh = { oif: b.readInt32LE(off + 4), flags: b[off + 2]!, weight: b[off + 3]! + 1 };
      out.push(gateway ? { gateway, ...nh } : nh);
      off += align4(len);
    }
    return out;
  },
  // As if every gateway were of the route's own family (RTA_GATEWAY); encodeRoute sizes
  // RTA_VIA gateways itself (routeMessageSize), and writes the list.
  size: (v) => {
    let n = 0;
    for (const nh of v) n += RTNH_LEN + (nh.gateway ? attrSize(nh.gateway.length) : 0);
    return n;
  },
  write: () => {
    throw new Error('MULTIPATH is written by encodeRoute (the gateway kind depends on the route family)');
  },
};

// ---- the RTA descriptor table ------------------------------------------------------------

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type RouteDraft = Mutable<KernelRoute>;

/** Owned copy of an address, host bits masked, checked against the route's family. */
function prefixFrom(draft: RouteDraft, v: Uint8Array, len: number): Prefix {
  const afi = draft.dst.afi;
  if (v.length !== (afi === Afi.IPV4 ? 4 : 16)) throw malformedAttr(`address of ${v.length} bytes in an ${afi === Afi.IPV4 ? 'IPv4' : 'IPv6'} route`);
  maskHostBits(v, len);
  return { afi, len, addr: v };
}

/** The RTA_* registry: one row per attribute (name, value codec, where it goes in KernelRoute). */
export const RTA_TABLE = attrTable<RouteDraft>('RTA', [
  row(Rta.RTA_DST, 'RTA_DST', ADDR, (d, v) => (d.dst = prefixFrom(d, v, d.dst.len))),
  row(Rta.RTA_SRC, 'RTA_SRC', ADDR, (d, v) => (d.src = prefixFrom(d, v, d.src?.len ?? 0))),
  row(Rta.RTA_IIF, 'RTA_IIF', U32, (d, v) => (d.iif = v)),
  row(Rta.RTA_OIF, 'RTA_OIF', U32, (d, v) => (d.oif = v)),
  row(Rta.RTA_GATEWAY, 'RTA_GATEWAY', ADDR, (d, v) => (d.gateway = v)),
  row(Rta.RTA_PRIORITY, 'RTA_PRIORITY', U32, (d, v) => (d.priority = v)),
  row(Rta.RTA_PREFSRC, 'RTA_PREFSRC', ADDR, (d, v) => (d.prefsrc = v)),
  row(Rta.RTA_METRICS, 'RTA_METRICS', NESTED_U32, (d, v) => (d.metrics = v), NLA_F_NESTED),
  row(Rta.RTA_MULTIPATH, 'RTA_MULTIPATH', MULTIPATH, (d, v) => (d.multipath = v)),
  row(Rta.RTA_FLOW, 'RTA_FLOW', U32, (d, v) => (d.realm = v)),
  row(Rta.RTA_CACHEINFO, 'RTA_CACHEINFO', { kind: 'rta_cacheinfo', read: () => undefined, size: () => 0, write: () => {} }),
  row(Rta.RTA_TABLE, 'RTA_TABLE', U32, (d, v) => (d.table = v)),
  row(Rta.RTA_MARK, 'RTA_MARK', U32),
  row(Rta.RTA_VIA, 'RTA_VIA', VIA, (d, v) => (d.gateway = v)),
  row(Rta.RTA_PREF, 'RTA_PREF', U8, (d, v) => (d.pref = v)),
  row(Rta.RTA_EXPIRES, 'RTA_EXPIRES', U32),
  row(Rta.RTA_UID, 'RTA_UID', U32),
  row(Rta.RTA_NH_ID, 'RTA_NH_ID', U32, (d, v) => (d.nhId = v)),
]);

// ---- rtmsg -----------------------------------------------------------------------------------

/*
 * struct rtmsg (12 bytes), then RTA_* attributes:
 *
 *  +------------+------------+------------+------------+
 *  | rtm_family | rtm_dst_len| rtm_src_len|  rtm_tos   |  0
 *  +------------+------------+------------+------------+
 *  | rtm_table  |rtm_protocol| rtm_scope  |  rtm_type  |  4
 *  +------------+------------+------------+------------+
 *  |                rtm_flags (u32)                    |  8
 *  +---------------------------------------------------+
 */
export const RTMSG_LEN = 12;

/** Placeholder until RTA_DST is seen (a default route has none); never handed out. */
const NO_ADDR = new Uint8Array(0);

/**
 * Decodes an RTM_NEWROUTE / RTM_DELROUTE payload. Returns undefined for families other than
 * AF_INET / AF_INET6. Throws WrenError('NETLINK_MALFORMED') on a truncated message.
 */
export function decodeRoute(m: NlMessage): KernelRoute | undefined {
  const { buf, start, end } = m;
  if (end - start < RTMSG_LEN) throw malformedAttr(`rtmsg of ${end - start} bytes`);
  const afi = afiOfFamily(buf[start]!);
  if (afi === undefined) return undefined;
  const dstLen = buf[start + 1]!;
  const srcLen = buf[start + 2]!;
  if (dstLen > (afi === Afi.IPV4 ? 32 : 128) || srcLen > (afi === Afi.IPV4 ? 32 : 128)) throw malformedAttr(`prefix length ${dstLen}/${srcLen}`);
  const d: RouteDraft = {
    dst: { afi, len: dstLen, addr: NO_ADDR },
    tos: buf[start + 3]!,
    table: buf[start + 4]!,
    protocol: buf[start + 5]!,
    scope: buf[start + 6]!,
    type: buf[start + 7]!,
    flags: buf.readUInt32LE(start + 8),
  };
  if (srcLen > 0) d.src = { afi, len: srcLen, addr: NO_ADDR };
  decodeAttrsInto(RTA_TABLE, buf, start + RTMSG_LEN, end, d);
  if (d.dst.addr === NO_ADDR) d.dst = { afi, len: dstLen, addr: new Uint8Array(afi === Afi.IPV4 ? 4 : 16) };
  if (d.src && d.src.addr === NO_ADDR) d.src = { afi, len: srcLen, addr: new Uint8Array(afi === Afi.IPV4 ? 4 : 16) };
  return d;
}

/** What a request does: RTM_NEWROUTE with CREATE|EXCL, with CREATE|REPLACE, or RTM_DELROUTE. */
export const enum RouteOp {
  ADD = 0,
  REPLACE = 1,
  DELETE = 2,
}

export const ROUTE_OPS: readonly { readonly name: string; readonly type: number; readonly flags: number }[] = [
  { name: 'add', type: MsgType.RTM_NEWROUTE, flags: RequestFlags.ADD },
  { name: 'replace', type: MsgType.RTM_NEWROUTE, flags: RequestFlags.REPLACE },
  { name: 'delete', type: MsgType.RTM_DELROUTE, flags: RequestFlags.DELETE },
];

/** Default scope for an add: link for a unicast route without gateway, host for local, else universe. */
export function defaultScope(r: RouteInput): number {
  const type = r.type ?? RouteType.RTN_UNICAST;
  if (type === RouteType.RTN_LOCAL) return RouteScope.RT_SCOPE_HOST;
  if (type === RouteType.RTN_UNICAST && !r.gateway && !r.multipath?.some((nh) => nh.gateway)) return RouteScope.RT_SCOPE_LINK;
  return RouteScope.RT_SCOPE_UNIVERSE;
}

const addrLen = (afi: Afi): number => (afi === Afi.IPV4 ? 4 : 16);
const gatewayAttrSize = (r: RouteInput, gw: Uint8Array): number => attrSize(gw.length === addrLen(r.dst.afi) ? gw.length : 2 + gw.length);

/** Bytes of the whole message (header included, aligned) that encodeRoute writes for `r`. */
export function routeMessageSize(op: RouteOp, r: RouteInput): number {
  const al = addrLen(r.dst.afi);
  let n = NLMSG_HDRLEN + RTMSG_LEN;
  if (r.dst.len > 0) n += attrSize(al);
  if (r.table !== undefined && r.table > 255) n += 8;
  if (r.priority !== undefined) n += 8;
  if (op === RouteOp.DELETE) return n;
  if (r.src && r.src.len > 0) n += attrSize(al);
  if (r.prefsrc) n += attrSize(r.prefsrc.length);
  if (r.gateway) n += gatewayAttrSize(r, r.gateway);
  if (r.oif) n += 8;
  if (r.multipath && r.multipath.length) {
    n += RTA_HDRLEN;
    for (const nh of r.multipath) n += RTNH_LEN + (nh.gateway ? gatewayAttrSize(r, nh.gateway) : 0);
  }
  if (r.metrics) n += RTA_HDRLEN + NESTED_U32.size(r.metrics);
  if (r.realm !== undefined) n += 8;
  if (r.pref !== undefined) n += 8;
  if (r.iif !== undefined) n += 8;
  return n;
}

function putGateway(buf: Buffer, off: number, r: RouteInput, gw: Uint8Array): number {
  if (gw.length === addrLen(r.dst.afi)) return putBytes(buf, off, Rta.RTA_GATEWAY, gw);
  const v = putHeader(buf, off, Rta.RTA_VIA, 2 + gw.length);
  VIA.write(buf, v, gw);
  return align4(v + 2 + gw.length);
}

/**
 * Writes one route request at `off` (4-byte aligned; room for routeMessageSize bytes is the caller's
 * business) and returns the offset after it. `extraFlags` adds NLM_F_ACK (or ECHO).
 * Defaults: table main, protocol 12 (RTPROT_BIRD: Wren's routes, as BIRD's), type unicast,
 * tos 0, scope per defaultScope. A delete is by key only (dst, tos, table, protocol and,
 * if given, priority) with scope NOWHERE and type UNSPEC, as `ip route del` sends it,
 * so it removes only a route of that protocol.
 */
export function encodeRoute(buf: Buffer, off: number, op: RouteOp, seq: number, r: RouteInput, extraFlags = 0, pid = 0): number {
  const spec = ROUTE_OPS[op]!;
  const afi = r.dst.afi;
  const del = op === RouteOp.DELETE;
  const table = r.table ?? RouteTable.RT_TABLE_MAIN;
  const b = off + NLMSG_HDRLEN;
  buf[b] = familyOf(afi);
  buf[b + 1] = r.dst.len;
  buf[b + 2] = del ? 0 : r.src?.len ?? 0;
  buf[b + 3] = r.tos ?? 0;
  buf[b + 4] = table > 255 ? RouteTable.RT_TABLE_COMPAT : table;
  buf[b + 5] = r.protocol ?? RouteProtocol.RTPROT_BIRD;
  buf[b + 6] = del ? r.scope ?? RouteScope.RT_SCOPE_NOWHERE : r.scope ?? defaultScope(r);
  buf[b + 7] = del ? RouteType.RTN_UNSPEC : r.type ?? RouteType.RTN_UNICAST;
  setU32(buf, b + 8, del ? 0 : (r.flags ?? 0) >>> 0);
  let p = b + RTMSG_LEN;
  if (r.dst.len > 0) p = putBytes(buf, p, Rta.RTA_DST, r.dst.addr);
  if (table > 255) p = putU32(buf, p, Rta.RTA_TABLE, table);
  if (r.priority !== undefined) p = putU32(buf, p, Rta.RTA_PRIORITY, r.priority);
  if (!del) {
    if (r.src && r.src.len > 0) p = putBytes(buf, p, Rta.RTA_SRC, r.src.addr);
    if (r.prefsrc) p = putBytes(buf, p, Rta.RTA_PREFSRC, r.prefsrc);
    if (r.gateway) p = putGateway(buf, p, r, r.gateway);
    if (r.oif) p = putU32(buf, p, Rta.RTA_OIF, r.oif);
    if (r.multipath && r.multipath.length) {
      const start = putHeader(buf, p, Rta.RTA_MULTIPATH, 0) - RTA_HDRLEN;
      p = start + RTA_HDRLEN;
      for (const nh of r.multipath) {
        const nhStart = p;
        buf[p + 2] = nh.flags & 0xff;
        buf[p + 3] = Math.min(Math.max(nh.weight, 1), 256) - 1;
        buf.writeInt32LE(nh.oif | 0, p + 4);
        p += RTNH_LEN;
        if (nh.gateway) p = putGateway(buf, p, r, nh.gateway);
        buf.writeUInt16LE(p - nhStart, nhStart);
      }
      buf.writeUInt16LE(p - start, start);
    }
    if (r.metrics) {
      const start = beginNested(buf, p, Rta.RTA_METRICS);
      NESTED_U32.write(buf, start + RTA_HDRLEN, r.metrics);
      p = endNested(buf, start, start + RTA_HDRLEN + NESTED_U32.size(r.metrics));
    }
    if (r.realm !== undefined) p = putU32(buf, p, Rta.RTA_FLOW, r.realm);
    if (r.pref !== undefined) p = putU8(buf, p, Rta.RTA_PREF, r.pref);
    if (r.iif !== undefined) p = putU32(buf, p, Rta.RTA_IIF, r.iif);
  }
  writeHeader(buf, off, p - off, spec.type, spec.flags | extraFlags, seq, pid);
  return p;
}

/** One route request as its own buffer (NLM_F_ACK set): for single requests and tests. */
export function buildRouteRequest(op: RouteOp, seq: number, r: RouteInput, extraFlags: number = NlmFlag.ACK): Buffer {
  const buf = Buffer.alloc(routeMessageSize(op, r));
  const end = encodeRoute(buf, 0, op, seq, r, extraFlags);
  return end === buf.length ? buf : buf.subarray(0, end);
}

/** RTM_GETROUTE dump request for one family (AF_UNSPEC: both). */
export function buildRouteDump(seq: number, family: number = AddressFamily.AF_UNSPEC): Buffer {
  const buf = Buffer.alloc(NLMSG_HDRLEN + RTMSG_LEN);
  writeHeader(buf, 0, buf.length, MsgType.RTM_GETROUTE, RequestFlags.DUMP, seq);
  buf[NLMSG_HDRLEN] = family;
  return buf;
}

/** True when the two routes have the same next hops (gateway, oif, onlink, weight), order-insensitive. */
export function sameNextHops(a: KernelRoute, b: KernelRoute): boolean {
  const hops = (r: KernelRoute): NextHop[] =>
    r.multipath && r.multipath.length
      ? [...r.multipath]
      : r.gateway || r.oif
        ? [{ ...(r.gateway ? { gateway: r.gateway } : {}), oif: r.oif ?? 0, flags: r.flags & 0xff, weight: 1 }]
        : [];
  const key = (nh: NextHop): string =>
    `${nh.gateway ? Buffer.from(nh.gateway).toString('hex') : '-'}/${nh.oif}/${nh.flags & RouteFlag.RTNH_F_ONLINK}/${nh.weight}`;
  const ka = hops(a).map(key).sort();
  const kb = hops(b).map(key).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

// Interfaces over rtnetlink (rtnetlink(7) RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK;
// linux/if_link.h, linux/if.h; RFC 3549 §3.1.1): the ifinfomsg header, the IFLA_* descriptor
// table, IFLA_LINKINFO's kind (veth, dummy, ipip, vxlan, wireguard ...), and the
// KernelLink plain-data type the device protocol tracks (index, name, up/running, MTU,
// operational state). An encoder exists for tests and fake kernels (round trips).
// Leaves out: statistics (IFLA_STATS*), IFLA_INFO_DATA of each kind, VF info, AF_SPEC,
// and link changes (Wren never configures interfaces).

import {
  BYTES,
  NLA_F_NESTED,
  RTA_HDRLEN,
  STRING,
  U8,
  U32,
  attrTable,
  beginNested,
  decodeAttrsInto,
  endNested,
  forEachAttr,
  malformedAttr,
  attrSize,
  putBytes,
  putString,
  putU8,
  putU32,
  row,
  type ValueCodec,
} from './attributes.js';
import { MsgType, NLMSG_HDRLEN, RequestFlags, writeHeader, type NlMessage } from './message.js';

/** ifi_flags (linux/if.h, net_device_flags). */
export const enum LinkFlag {
  IFF_UP = 0x1,
  IFF_BROADCAST = 0x2,
  IFF_LOOPBACK = 0x8,
  IFF_POINTOPOINT = 0x10,
  IFF_RUNNING = 0x40,
  IFF_NOARP = 0x80,
  IFF_PROMISC = 0x100,
  IFF_MULTICAST = 0x1000,
  IFF_LOWER_UP = 0x10000,
  IFF_DORMANT = 0x20000,
}

/** IFLA_OPERSTATE values (RFC 2863 ifOperStatus, minus one). */
export const enum OperState {
  IF_OPER_UNKNOWN = 0,
  IF_OPER_NOTPRESENT = 1,
  IF_OPER_DOWN = 2,
  IF_OPER_LOWERLAYERDOWN = 3,
  IF_OPER_TESTING = 4,
  IF_OPER_DORMANT = 5,
  IF_OPER_UP = 6,
}

export const OPER_STATE_NAMES: readonly string[] = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

/** IFLA_* (enum in linux/if_link.h). */
export const enum Ifla {
  IFLA_ADDRESS = 1,
  IFLA_BROADCAST = 2,
  IFLA_IFNAME = 3,
  IFLA_MTU = 4,
  IFLA_LINK = 5,
  IFLA_QDISC = 6,
  IFLA_MASTER = 10,
  IFLA_TXQLEN = 13,
  IFLA_OPERSTATE = 16,
  IFLA_LINKMODE = 17,
  IFLA_LINKINFO = 18,
  IFLA_IFALIAS = 20,
  IFLA_GROUP = 27,
  IFLA_CARRIER = 33,
  IFLA_MIN_MTU = 50,
  IFLA_MAX_MTU = 51,
}

/** IFLA_INFO_* members of IFLA_LINKINFO. */
export const enum IflaInfo {
  IFLA_INFO_KIND = 1,
  IFLA_INFO_DATA = 2,
  IFLA_INFO_SLAVE_KIND = 4,
}

/** ARPHRD_* link types seen on a Calico node. */
export const enum LinkType {
  ARPHRD_ETHER = 1,
  ARPHRD_TUNNEL = 768,
  ARPHRD_TUNNEL6 = 769,
  ARPHRD_LOOPBACK = 772,
  ARPHRD_SIT = 776,
  ARPHRD_IPGRE = 778,
  ARPHRD_NONE = 0xfffe,
}

/** An interface as the kernel reports it. Plain data. */
export interface KernelLink {
  readonly index: number;
  /** ifi_type (ARPHRD_*). */
  readonly type: number;
  /** ifi_flags (IFF_*). */
  readonly flags: number;
  readonly name: string;
  readonly mtu?: number;
  readonly operState?: number;
  /** IFLA_LINKINFO / IFLA_INFO_KIND: 'veth', 'dummy', 'ipip', 'vxlan', ... */
  readonly kind?: string;
  /** Hardware address (IFLA_ADDRESS). */
  readonly address?: Uint8Array;
  /** Bond/bridge master index (IFLA_MASTER). */
  readonly master?: number;
  /** The lower link (IFLA_LINK: a veth's peer index, a tunnel's underlay). */
  readonly link?: number;
  readonly carrier?: number;
}

export const isUp = (l: KernelLink): boolean => (l.flags & LinkFlag.IFF_UP) !== 0;
export const isRunning = (l: KernelLink): boolean => (l.flags & LinkFlag.IFF_RUNNING) !== 0;
export const isLoopback = (l: KernelLink): boolean => (l.flags & LinkFlag.IFF_LOOPBACK) !== 0;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type LinkDraft = Mutable<KernelLink>;

/** IFLA_LINKINFO → its IFLA_INFO_KIND string ('' when absent). */
export const LINKINFO_KIND: ValueCodec<string> = {
  kind: 'linkinfo',
  read: (b, s, e) => {
    let kind = '';
    forEachAttr(b, s, e, (t, vs, ve) => {
      if (t === IflaInfo.IFLA_INFO_KIND) kind = STRING.read(b, vs, ve);
    });
    return kind;
  },
  size: (v) => attrSize(STRING.size(v)),
  write: (b, o, v) => void putString(b, o, IflaInfo.IFLA_INFO_KIND, v),
};

/** The IFLA_* registry. */
export const IFLA_TABLE = attrTable<LinkDraft>('IFLA', [
  row(Ifla.IFLA_ADDRESS, 'IFLA_ADDRESS', BYTES, (d, v) => (d.address = v)),
  row(Ifla.IFLA_BROADCAST, 'IFLA_BROADCAST', BYTES),
  row(Ifla.IFLA_IFNAME, 'IFLA_IFNAME', STRING, (d, v) => (d.name = v)),
  row(Ifla.IFLA_MTU, 'IFLA_MTU', U32, (d, v) => (d.mtu = v)),
  row(Ifla.IFLA_LINK, 'IFLA_LINK', U32, (d, v) => (d.link = v)),
  row(Ifla.IFLA_QDISC, 'IFLA_QDISC', STRING),
  row(Ifla.IFLA_MASTER, 'IFLA_MASTER', U32, (d, v) => (d.master = v)),
  row(Ifla.IFLA_TXQLEN, 'IFLA_TXQLEN', U32),
  row(Ifla.IFLA_OPERSTATE, 'IFLA_OPERSTATE', U8, (d, v) => (d.operState = v)),
  row(Ifla.IFLA_LINKMODE, 'IFLA_LINKMODE', U8),
  row(Ifla.IFLA_LINKINFO, 'IFLA_LINKINFO', LINKINFO_KIND, (d, v) => {
    if (v) d.kind = v;
  }, NLA_F_NESTED),
  row(Ifla.IFLA_IFALIAS, 'IFLA_IFALIAS', STRING),
  row(Ifla.IFLA_GROUP, 'IFLA_GROUP', U32),
  row(Ifla.IFLA_CARRIER, 'IFLA_CARRIER', U8, (d, v) => (d.carrier = v)),
  row(Ifla.IFLA_MIN_MTU, 'IFLA_MIN_MTU', U32),
  row(Ifla.IFLA_MAX_MTU, 'IFLA_MAX_MTU', U32),
]);

/*
 * struct ifinfomsg (16 bytes), then IFLA_* attributes:
 *
 *  +-------------+-------------+---------------------------+
 *  | ifi_family  | (pad)       |  ifi_type (u16, ARPHRD_*) |  0
 *  +-------------+-------------+---------------------------+
 *  |                ifi_index (s32)                        |  4
 *  +-------------------------------------------------------+
 *  |                ifi_flags (u32, IFF_*)                 |  8
 *  +-------------------------------------------------------+
 *  |                ifi_change (u32)                       | 12
 *  +-------------------------------------------------------+
 */
export const IFINFOMSG_LEN = 16;

/** Decodes an RTM_NEWLINK / RTM_DELLINK payload. */
export function decodeLink(m: NlMessage): KernelLink {
  const { buf, start, end } = m;
  if (end - start < IFINFOMSG_LEN) throw malformedAttr(`ifinfomsg of ${end - start} bytes`);
  const d: LinkDraft = {
    index: buf.readInt32LE(start + 4),
    type: buf.readUInt16LE(start + 2),
    flags: buf.readUInt32LE(start + 8),
    name: '',
  };
  decodeAttrsInto(IFLA_TABLE, buf, start + IFINFOMSG_LEN, end, d);
  return d;
}

/** An RTM_NEWLINK message for `l` (what the kernel sends): for tests and fake kernels. */
export function buildLinkMessage(type: number, flags: number, seq: number, l: KernelLink): Buffer {
  const buf = Buffer.alloc(1024 + (l.address?.length ?? 0) + Buffer.byteLength(l.name) + Buffer.byteLength(l.kind ?? ''));
  const b = NLMSG_HDRLEN;
  buf.writeUInt16LE(l.type, b + 2);
  buf.writeInt32LE(l.index, b + 4);
  buf.writeUInt32LE(l.flags >>> 0, b + 8);
  let p = b + IFINFOMSG_LEN;
  p = putString(buf, p, Ifla.IFLA_IFNAME, l.name);
  if (l.address) p = putBytes(buf, p, Ifla.IFLA_ADDRESS, l.address);
  if (l.mtu !== undefined) p = putU32(buf, p, Ifla.IFLA_MTU, l.mtu);
  if (l.link !== undefined) p = putU32(buf, p, Ifla.IFLA_LINK, l.link);
  if (l.master !== undefined) p = putU32(buf, p, Ifla.IFLA_MASTER, l.master);
  if (l.operState !== undefined) p = putU8(buf, p, Ifla.IFLA_OPERSTATE, l.operState);
  if (l.carrier !== undefined) p = putU8(buf, p, Ifla.IFLA_CARRIER, l.carrier);
  if (l.kind !== undefined) {
    const start = beginNested(buf, p, Ifla.IFLA_LINKINFO);
    p = endNested(buf, start, putString(buf, start + RTA_HDRLEN, IflaInfo.IFLA_INFO_KIND, l.kind));
  }
  writeHeader(buf, 0, p, type, flags, seq);
  return buf.subarray(0, p);
}

/** RTM_GETLINK dump request (all interfaces). */
export function buildLinkDump(seq: number): Buffer {
  const buf = Buffer.alloc(NLMSG_HDRLEN + IFINFOMSG_LEN);
  writeHeader(buf, 0, buf.length, MsgType.RTM_GETLINK, RequestFlags.DUMP, seq);
  return buf;
}

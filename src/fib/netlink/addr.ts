// Interface addresses over rtnetlink (rtnetlink(7) RTM_NEWADDR / RTM_DELADDR /
// RTM_GETADDR; linux/if_addr.h; RFC 3549 §3.1.2): the ifaddrmsg header, the IFA_*
// descriptor table and the KernelAddr plain-data type the device and direct protocols use
// (connected prefixes, source addresses for next-hop resolution). IFA_FLAGS (u32), when
// present, supersedes the 8-bit ifa_flags. An encoder exists for tests and fake kernels.
// Leaves out: IFA_CACHEINFO lifetimes, multicast/anycast addresses, address changes
// (Wren never configures addresses).

import { Afi, type Prefix } from '../../rib/prefix.js';
import { ADDR, STRING, U32, attrTable, decodeAttrsInto, malformedAttr, putBytes, putString, putU32, row } from './attributes.js';
import { MsgType, NLMSG_HDRLEN, RequestFlags, writeHeader, type NlMessage } from './message.js';
import { AddressFamily, afiOfFamily, familyOf } from './route.js';

/** IFA_F_* (linux/if_addr.h). */
export const enum AddrFlag {
  IFA_F_SECONDARY = 0x01,
  IFA_F_NODAD = 0x02,
  IFA_F_OPTIMISTIC = 0x04,
  IFA_F_DADFAILED = 0x08,
  IFA_F_HOMEADDRESS = 0x10,
  IFA_F_DEPRECATED = 0x20,
  IFA_F_TENTATIVE = 0x40,
  IFA_F_PERMANENT = 0x80,
  IFA_F_MANAGETEMPADDR = 0x100,
  IFA_F_NOPREFIXROUTE = 0x200,
  IFA_F_MCAUTOJOIN = 0x400,
  IFA_F_STABLE_PRIVACY = 0x800,
}

/** IFA_* (enum in linux/if_addr.h). */
export const enum Ifa {
  IFA_ADDRESS = 1,
  IFA_LOCAL = 2,
  IFA_LABEL = 3,
  IFA_BROADCAST = 4,
  IFA_ANYCAST = 5,
  IFA_CACHEINFO = 6,
  IFA_MULTICAST = 7,
  IFA_FLAGS = 8,
  IFA_RT_PRIORITY = 9,
  IFA_TARGET_NETNSID = 10,
  IFA_PROTO = 11,
}

/** An interface address as the kernel reports it. Plain data. */
export interface KernelAddr {
  readonly afi: Afi;
  readonly prefixLen: number;
  /** IFA_FLAGS if present, else ifa_flags. */
  readonly flags: number;
  readonly scope: number;
  readonly index: number;
  /** IFA_ADDRESS: the address (the peer's on a point-to-point link). */
  readonly address?: Uint8Array;
  /** IFA_LOCAL: the local address (IPv4; equal to IFA_ADDRESS except on point-to-point). */
  readonly local?: Uint8Array;
  readonly label?: string;
  readonly broadcast?: Uint8Array;
}

/** The local address: IFA_LOCAL when present (IPv4), else IFA_ADDRESS. */
export const localAddress = (a: KernelAddr): Uint8Array | undefined => a.local ?? a.address;

/** The connected prefix of an address (IFA_ADDRESS masked to the prefix length). */
export function connectedPrefix(a: KernelAddr): Prefix | undefined {
  const base = a.address ?? a.local;
  if (!base) return undefined;
  const addr = Uint8Array.from(base);
  for (let i = 0; i < addr.length; i++) {
    const bits = a.prefixLen - i * 8;
    if (bits < 8) addr[i] = bits <= 0 ? 0 : addr[i]! & (0xff << (8 - bits));
  }
  return { afi: a.afi, len: a.prefixLen, addr };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type AddrDraft = Mutable<KernelAddr>;

/** The IFA_* registry. */
export const IFA_TABLE = attrTable<AddrDraft>('IFA', [
  row(Ifa.IFA_ADDRESS, 'IFA_ADDRESS', ADDR, (d, v) => (d.address = v)),
  row(Ifa.IFA_LOCAL, 'IFA_LOCAL', ADDR, (d, v) => (d.local = v)),
  row(Ifa.IFA_LABEL, 'IFA_LABEL', STRING, (d, v) => (d.label = v)),
  row(Ifa.IFA_BROADCAST, 'IFA_BROADCAST', ADDR, (d, v) => (d.broadcast = v)),
  row(Ifa.IFA_FLAGS, 'IFA_FLAGS', U32, (d, v) => (d.flags = v)),
  row(Ifa.IFA_RT_PRIORITY, 'IFA_RT_PRIORITY', U32),
]);

/*
 * struct ifaddrmsg (8 bytes), then IFA_* attributes:
 *
 *  +-------------+---------------+-------------+-------------+
 *  | ifa_family  | ifa_prefixlen | ifa_flags   | ifa_scope   |  0
 *  +-------------+---------------+-------------+-------------+
 *  |                 ifa_index (u32)                         |  4
 *  +---------------------------------------------------------+
 */
export const IFADDRMSG_LEN = 8;

/** Decodes an RTM_NEWADDR / RTM_DELADDR payload; undefined for families other than IPv4/IPv6. */
export function decodeAddr(m: NlMessage): KernelAddr | undefined {
  const { buf, start, end } = m;
  if (end - start < IFADDRMSG_LEN) throw malformedAttr(`ifaddrmsg of ${end - start} bytes`);
  const afi = afiOfFamily(buf[start]!);
  if (afi === undefined) return undefined;
  const d: AddrDraft = {
    afi,
    prefixLen: buf[start + 1]!,
    flags: buf[start + 2]!,
    scope: buf[start + 3]!,
    index: buf.readUInt32LE(start + 4),
  };
  decodeAttrsInto(IFA_TABLE, buf, start + IFADDRMSG_LEN, end, d);
  return d;
}

/** An RTM_NEWADDR message for `a` (what the kernel sends): for tests and fake kernels. */
export function buildAddrMessage(type: number, flags: number, seq: number, a: KernelAddr): Buffer {
  const buf = Buffer.alloc(256 + Buffer.byteLength(a.label ?? ''));
  const b = NLMSG_HDRLEN;
  buf[b] = familyOf(a.afi);
  buf[b + 1] = a.prefixLen;
  buf[b + 2] = a.flags & 0xff;
  buf[b + 3] = a.scope;
  buf.writeUInt32LE(a.index >>> 0, b + 4);
  let p = b + IFADDRMSG_LEN;
  if (a.address) p = putBytes(buf, p, Ifa.IFA_ADDRESS, a.address);
  if (a.local) p = putBytes(buf, p, Ifa.IFA_LOCAL, a.local);
  if (a.label !== undefined) p = putString(buf, p, Ifa.IFA_LABEL, a.label);
  if (a.broadcast) p = putBytes(buf, p, Ifa.IFA_BROADCAST, a.broadcast);
  p = putU32(buf, p, Ifa.IFA_FLAGS, a.flags);
  writeHeader(buf, 0, p, type, flags, seq);
  return buf.subarray(0, p);
}

/** RTM_GETADDR dump request for one family (AF_UNSPEC: both). */
export function buildAddrDump(seq: number, family: number = AddressFamily.AF_UNSPEC): Buffer {
  const buf = Buffer.alloc(NLMSG_HDRLEN + IFADDRMSG_LEN);
  writeHeader(buf, 0, buf.length, MsgType.RTM_GETADDR, RequestFlags.DUMP, seq);
  buf[NLMSG_HDRLEN] = family;
  return buf;
}

// Netlink message framing (netlink(7), RFC 3549 §2.3.2): the nlmsghdr, walking the
// messages of one received datagram, NLMSG_ERROR / NLMSG_DONE decoding (with the
// NETLINK_EXT_ACK TLVs of linux/netlink.h: message text, offset, missing attribute), the
// flags that matter to Wren (NLM_F_MULTI, NLM_F_DUMP_INTR, request/ACK/dump/create/replace/
// excl) and request builders. rtnetlink payloads (rtmsg, ifinfomsg, ifaddrmsg) live in
// route.ts, link.ts and addr.ts; attributes in attributes.ts.
//
// Netlink is host byte order. Wren reads it with Buffer's little-endian accessors, so it
// supports little-endian hosts only (x86-64, arm64); loading on a big-endian host throws.
// Leaves out: generic netlink, NLMSG_OVERRUN (never sent by Linux), NLMSGERR_ATTR_POLICY
// decoding (kept as raw bytes is not needed: the text message says it all).

import { constants as osConstants, endianness } from 'node:os';
import { WrenError } from '../../bgp/errors.js';

if (endianness() !== 'LE') {
  throw new WrenError('UNSUPPORTED_HOST', 'the rtnetlink codec supports little-endian hosts only');
}

/** Length of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;

/** NLMSG_ALIGN: messages and attributes are padded to 4 bytes. */
export const align4 = (n: number): number => (n + 3) & ~3;

/** Control message types (linux/netlink.h) and the rtnetlink types Wren uses (linux/rtnetlink.h). */
export const enum MsgType {
  NLMSG_NOOP = 1,
  NLMSG_ERROR = 2,
  NLMSG_DONE = 3,
  NLMSG_OVERRUN = 4,
  RTM_NEWLINK = 16,
  RTM_DELLINK = 17,
  RTM_GETLINK = 18,
  RTM_NEWADDR = 20,
  RTM_DELADDR = 21,
  RTM_GETADDR = 22,
  RTM_NEWROUTE = 24,
  RTM_DELROUTE = 25,
  RTM_GETROUTE = 26,
}

/** The message-type registry: one row per type Wren knows (names for logs and tests). */
export const MSG_TYPES: Readonly<Record<number, { readonly name: string; readonly payload: 'control' | 'link' | 'addr' | 'route' }>> = {
  1: { name: 'NLMSG_NOOP', payload: 'control' },
  2: { name: 'NLMSG_ERROR', payload: 'control' },
  3: { name: 'NLMSG_DONE', payload: 'control' },
  4: { name: 'NLMSG_OVERRUN', payload: 'control' },
  16: { name: 'RTM_NEWLINK', payload: 'link' },
  17: { name: 'RTM_DELLINK', payload: 'link' },
  18: { name: 'RTM_GETLINK', payload: 'link' },
  20: { name: 'RTM_NEWADDR', payload: 'addr' },
  21: { name: 'RTM_DELADDR', payload: 'addr' },
  22: { name: 'RTM_GETADDR', payload: 'addr' },
  24: { name: 'RTM_NEWROUTE', payload: 'route' },
  25: { name: 'RTM_DELROUTE', payload: 'route' },
  26: { name: 'RTM_GETROUTE', payload: 'route' },
};

export const msgTypeName = (type: number): string => MSG_TYPES[type]?.name ?? `type ${type}`;

/** nlmsg_flags (linux/netlink.h). The same bits mean different things by message kind. */
export const enum NlmFlag {
  REQUEST = 0x01,
  MULTI = 0x02,
  ACK = 0x04,
  ECHO = 0x08,
  DUMP_INTR = 0x10,
  DUMP_FILTERED = 0x20,
  // GET requests
  ROOT = 0x100,
  MATCH = 0x200,
  ATOMIC = 0x400,
  DUMP = 0x300,
  // NEW requests
  REPLACE = 0x100,
  EXCL = 0x200,
  CREATE = 0x400,
  APPEND = 0x800,
  // NLMSG_ERROR (acknowledgements)
  CAPPED = 0x100,
  ACK_TLVS = 0x200,
}

/** Flag sets of the requests Wren sends. */
export const RequestFlags = {
  /** A dump: RTM_GET* for every object. */
  DUMP: NlmFlag.REQUEST | NlmFlag.DUMP,
  /** Create; fail with EEXIST if the route exists. */
  ADD: NlmFlag.REQUEST | NlmFlag.CREATE | NlmFlag.EXCL,
  /** Create or replace (the way to change a next hop without a window without a route). */
  REPLACE: NlmFlag.REQUEST | NlmFlag.CREATE | NlmFlag.REPLACE,
  DELETE: NlmFlag.REQUEST,
} as const;

/*
 * struct nlmsghdr, host byte order, followed by the payload; the next message starts at
 * the 4-byte aligned end of this one:
 *
 *   0               1               2               3
 *  +---------------+---------------+---------------+---------------+
 *  |                    nlmsg_len (u32, header included)           |  0
 *  +-------------------------------+-------------------------------+
 *  |       nlmsg_type (u16)        |      nlmsg_flags (u16)        |  4
 *  +-------------------------------+-------------------------------+
 *  |                        nlmsg_seq (u32)                        |  8
 *  +---------------------------------------------------------------+
 *  |                 nlmsg_pid (u32, sender port id)               | 12
 *  +---------------------------------------------------------------+
 *  |                payload (nlmsg_len - 16 bytes) ...             | 16
 */

/** One message of a datagram: header fields and where its payload lies in `buf`. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** The datagram; the payload is buf[start, end). A view, valid while the caller holds the datagram. */
  readonly buf: Buffer;
  readonly start: number;
  readonly end: number;
}

const malformed = (what: string): WrenError => new WrenError('NETLINK_MALFORMED', `malformed netlink message: ${what}`);

/**
 * Calls `visit` for each message in a datagram, in order. Stops early when `visit`
 * returns false. Throws WrenError('NETLINK_MALFORMED') on a length that does not fit.
 * The NlMessage object is fresh per message (cheap, short-lived), the payload a view.
 */
export function forEachMessage(datagram: Buffer, visit: (m: NlMessage) => boolean | void): void {
  let off = 0;
  const n = datagram.length;
  while (off + NLMSG_HDRLEN <= n) {
    const len = datagram.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > n) throw malformed(`nlmsg_len ${len} at offset ${off} of ${n}`);
    const m: NlMessage = {
      type: datagram.readUInt16LE(off + 4),
      flags: datagram.readUInt16LE(off + 6),
      seq: datagram.readUInt32LE(off + 8),
      pid: datagram.readUInt32LE(off + 12),
      buf: datagram,
      start: off + NLMSG_HDRLEN,
      end: off + len,
    };
    if (visit(m) === false) return;
    off += align4(len);
  }
  if (off < n && n - off >= 4) throw malformed(`${n - off} trailing bytes`);
}

/** All messages of a datagram (convenience over forEachMessage). */
export function parseMessages(datagram: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  forEachMessage(datagram, (m) => {
    out.push(m);
  });
  return out;
}

/** Writes an nlmsghdr at `off`. */
export function writeHeader(buf: Buffer, off: number, len: number, type: number, flags: number, seq: number, pid = 0): void {
  // Plain byte stores (little-endian host order): this runs per route on the batch hot path.
  setU32(buf, off, len >>> 0);
  buf[off + 4] = type & 0xff;
  buf[off + 5] = type >>> 8;
  buf[off + 6] = flags & 0xff;
  buf[off + 7] = (flags >>> 8) & 0xff;
  setU32(buf, off + 8, seq >>> 0);
  setU32(buf, off + 12, pid >>> 0);
}

/** Host-order (little-endian) u32 store without Buffer's argument checks. */
export function setU32(buf: Buffer, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = v >>> 24;
}

/** A whole message: header + payload (padded to 4 bytes). */
export function buildMessage(type: number, flags: number, seq: number, payload: Uint8Array, pid = 0): Buffer {
  const len = NLMSG_HDRLEN + payload.length;
  const buf = Buffer.alloc(align4(len));
  writeHeader(buf, 0, len, type, flags, seq, pid);
  buf.set(payload, NLMSG_HDRLEN);
  return buf;
}

// ---- NLMSG_ERROR --------------------------------------------------------------------------

/*
 * struct nlmsgerr, the payload of NLMSG_ERROR (an ACK when error is 0):
 *
 *  +---------------------------------------------------------------+
 *  |                 error (s32, -errno, 0 = ACK)                  |  0
 *  +---------------------------------------------------------------+
 *  |   the request's nlmsghdr (16 bytes): len, type, flags, seq    |  4
 *  +---------------------------------------------------------------+
 *  |   the request's payload, unless NLM_F_CAPPED in the outer     | 20
 *  |   flags (NETLINK_CAP_ACK, or any ACK with error 0)            |
 *  +---------------------------------------------------------------+
 *  |   with NLM_F_ACK_TLVS: struct nlattr TLVs (NLMSGERR_ATTR_*)   |
 *  +---------------------------------------------------------------+
 */

/** enum nlmsgerr_attrs: the NETLINK_EXT_ACK TLVs. */
export const enum NlmsgerrAttr {
  MSG = 1,
  OFFS = 2,
  COOKIE = 3,
  POLICY = 4,
  MISS_TYPE = 5,
  MISS_NEST = 6,
}

export interface NlError {
  /** Positive errno; 0 for an ACK. */
  readonly errno: number;
  /** errno name ('EEXIST'), '' for an ACK. */
  readonly code: string;
  /** Sequence number of the request this answers. */
  readonly seq: number;
  /** Type and flags of the request this answers. */
  readonly requestType: number;
  readonly requestFlags: number;
  /** NLMSGERR_ATTR_MSG: the kernel's text, when NETLINK_EXT_ACK is on. */
  readonly message?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute within the request. */
  readonly offset?: number;
  /** NLMSGERR_ATTR_MISS_TYPE: the attribute type that was missing. */
  readonly missingType?: number;
}

const ERRNO_NAMES: Record<number, string> = (() => {
  const out: Record<number, string> = {};
  for (const [name, num] of Object.entries(osConstants.errno)) if (!(num in out)) out[num] = name;
  // Aliases: use the names the kernel sources use.
  for (const name of ['EOPNOTSUPP', 'EAGAIN', 'EDEADLK']) {
    const num = (osConstants.errno as Record<string, number>)[name];
    if (num !== undefined) out[num] = name;
  }
  return out;
})();

/** 'EEXIST' for 17, 'errno 999' for unknown numbers. */
export const errnoName = (errno: number): string => (errno === 0 ? '' : ERRNO_NAMES[errno] ?? `errno ${errno}`);

/** Decodes the payload of an NLMSG_ERROR message. */
export function decodeError(m: NlMessage): NlError {
  const { buf, start, end } = m;
  if (end - start < 4 + NLMSG_HDRLEN) throw malformed(`NLMSG_ERROR payload of ${end - start} bytes`);
  const errno = (0 - buf.readInt32LE(start)) | 0;
  const origLen = buf.readUInt32LE(start + 4);
  const requestType = buf.readUInt16LE(start + 8);
  const requestFlags = buf.readUInt16LE(start + 10);
  const seq = buf.readUInt32LE(start + 12);
  let message: string | undefined;
  let offset: number | undefined;
  let missingType: number | undefined;
  if (m.flags & NlmFlag.ACK_TLVS) {
    // The request is echoed whole unless capped; the TLVs follow it.
    let off = start + 4 + (m.flags & NlmFlag.CAPPED ? NLMSG_HDRLEN : align4(Math.max(origLen, NLMSG_HDRLEN)));
    while (off + 4 <= end) {
      const len = buf.readUInt16LE(off);
      const type = buf.readUInt16LE(off + 2) & 0x3fff;
      if (len < 4 || off + len > end) throw malformed(`ext-ack TLV length ${len}`);
      const v = off + 4;
      if (type === NlmsgerrAttr.MSG) {
        let e = off + len;
        while (e > v && buf[e - 1] === 0) e--;
        message = buf.toString('utf8', v, e);
      } else if (type === NlmsgerrAttr.OFFS && len >= 8) {
        offset = buf.readUInt32LE(v);
      } else if (type === NlmsgerrAttr.MISS_TYPE && len >= 8) {
        missingType = buf.readUInt32LE(v);
      }
      off += align4(len);
    }
  }
  const out: { -readonly [K in keyof NlError]: NlError[K] } = { errno, code: errnoName(errno), seq, requestType, requestFlags };
  if (message !== undefined) out.message = message;
  if (offset !== undefined) out.offset = offset;
  if (missingType !== undefined) out.missingType = missingType;
  return out;
}

/** Writes an NLMSG_ERROR (what the kernel sends); for tests and fake kernels. */
export function buildError(
  errno: number,
  request: { readonly type: number; readonly flags: number; readonly seq: number; readonly pid?: number },
  ext: { readonly message?: string; readonly offset?: number } = {},
  pid = 0,
): Buffer {
  const tlvs: Buffer[] = [];
  if (ext.message !== undefined) {
    const text = Buffer.from(ext.message + '\0', 'utf8');
    const t = Buffer.alloc(align4(4 + text.length));
    t.writeUInt16LE(4 + text.length, 0);
    t.writeUInt16LE(NlmsgerrAttr.MSG, 2);
    text.copy(t, 4);
    tlvs.push(t);
  }
  if (ext.offset !== undefined) {
    const t = Buffer.alloc(8);
    t.writeUInt16LE(8, 0);
    t.writeUInt16LE(NlmsgerrAttr.OFFS, 2);
    t.writeUInt32LE(ext.offset, 4);
    tlvs.push(t);
  }
  const payload = Buffer.alloc(4 + NLMSG_HDRLEN);
  payload.writeInt32LE(-errno, 0);
  writeHeader(payload, 4, NLMSG_HDRLEN, request.type, request.flags, request.seq, request.pid ?? 0);
  const flags = NlmFlag.CAPPED | (tlvs.length ? NlmFlag.ACK_TLVS : 0);
  return buildMessage(MsgType.NLMSG_ERROR, flags, request.seq, Buffer.concat([payload, ...tlvs]), pid);
}

/** An NLMSG_ERROR with errno ≠ 0 turned into a WrenError (code = errno name). */
export class NetlinkRequestError extends WrenError {
  constructor(readonly error: NlError) {
    super(error.code, `netlink ${msgTypeName(error.requestType)} seq ${error.seq}: ${error.code}${error.message ? ` (${error.message})` : ''}`);
  }
  get errno(): number {
    return this.error.errno;
  }
}

/** NLMSG_DONE carries an s32 status (a dump that failed half-way reports -errno here). */
export function decodeDone(m: NlMessage): number {
  return m.end - m.start >= 4 ? (0 - m.buf.readInt32LE(m.start)) | 0 : 0;
}

/** True when a dump part says the dump was interrupted by a concurrent change: redo it. */
export const isDumpInterrupted = (m: NlMessage): boolean => (m.flags & NlmFlag.DUMP_INTR) !== 0;

/** True for a part of a multipart reply (a dump), which ends with NLMSG_DONE. */
export const isMultipart = (m: NlMessage): boolean => (m.flags & NlmFlag.MULTI) !== 0;

/**
 * A sequence-number source: one per socket, shared by every user of it (batch writer,
 * dumps) so that replies can be told apart. Wraps at 2^32, skips 0.
 */
export function makeSeq(start = 1): () => number {
  let seq = start >>> 0;
  return () => {
    seq = (seq + 1) >>> 0;
    if (seq === 0) seq = 1;
    return seq;
  };
}

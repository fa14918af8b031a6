// Netlink attributes (rtattr / nlattr, netlink(7), rtnetlink(7), RFC 3549 §2.3.2.2):
// iteration with bounds checks, writers for the value kinds rtnetlink uses, nested
// attributes, and the descriptor-table machinery: each message kind (route, link, address,
// route metrics, link info) has ONE table, type → { name, codec, set }, where `codec`
// reads/writes/sizes the value and `set` stores a decoded value into the object being
// built. Unknown types are skipped (the kernel adds attributes over time).
// Leaves out: NLA_F_NET_BYTEORDER values (rtnetlink never sets it for what Wren reads),
// policy validation beyond lengths.

import { WrenError } from '../../bgp/errors.js';
import { align4, setU32 } from './message.js';

/*
 * struct rtattr (= struct nlattr), host byte order; attributes follow each other at
 * 4-byte aligned offsets; a nested attribute's value is itself a list of attributes:
 *
 *  +-------------------------------+-------------------------------+
 *  |  rta_len (u16, 4 + value len) |  rta_type (u16, bit 15 nested)|  0
 *  +-------------------------------+-------------------------------+
 *  |                 value (rta_len - 4 bytes), padded to 4        |  4
 *  +---------------------------------------------------------------+
 */
export const RTA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

export const malformedAttr = (what: string): WrenError => new WrenError('NETLINK_MALFORMED', `malformed netlink attribute: ${what}`);

/**
 * Calls visit(type, valueStart, valueEnd) for each attribute in buf[start, end). The type
 * has the NESTED / NET_BYTEORDER bits masked off. Throws on a length that does not fit.
 */
export function forEachAttr(buf: Buffer, start: number, end: number, visit: (type: number, vs: number, ve: number) => void): void {
  let off = start;
  while (off + RTA_HDRLEN <= end) {
    const len = buf.readUInt16LE(off);
    if (len < RTA_HDRLEN || off + len > end) throw malformedAttr(`rta_len ${len} at offset ${off}, end ${end}`);
    visit(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, off + RTA_HDRLEN, off + len);
    off += align4(len);
  }
}

/** Bytes an attribute with a value of `valueLen` bytes occupies (header + padding). */
export const attrSize = (valueLen: number): number => align4(RTA_HDRLEN + valueLen);

/** Writes an attribute header; returns the value offset. Padding is zeroed by the writer. */
export function putHeader(buf: Buffer, off: number, type: number, valueLen: number): number {
  // Plain byte stores: this runs per attribute per route on the batch hot path.
  const len = RTA_HDRLEN + valueLen;
  buf[off] = len & 0xff;
  buf[off + 1] = len >>> 8;
  buf[off + 2] = type & 0xff;
  buf[off + 3] = type >>> 8;
  return off + RTA_HDRLEN;
}


/** Zeroes the padding after a value that ended at `valueEnd`; returns the next attribute offset. */
function pad(buf: Buffer, valueEnd: number): number {
  const next = align4(valueEnd);
  for (let i = valueEnd; i < next; i++) buf[i] = 0;
  return next;
}

export function putU8(buf: Buffer, off: number, type: number, v: number): number {
  buf[putHeader(buf, off, type, 1)] = v;
  return pad(buf, off + 5);
}
export function putU16(buf: Buffer, off: number, type: number, v: number): number {
  buf.writeUInt16LE(v, putHeader(buf, off, type, 2));
  return pad(buf, off + 6);
}
export function putU32(buf: Buffer, off: number, type: number, v: number): number {
  setU32(buf, putHeader(buf, off, type, 4), v >>> 0);
  return off + 8;
}
export function putS32(buf: Buffer, off: number, type: number, v: number): number {
  buf.writeInt32LE(v | 0, putHeader(buf, off, type, 4));
  return off + 8;
}
export function putBytes(buf: Buffer, off: number, type: number, v: Uint8Array): number {
  const n = v.length;
  const vs = putHeader(buf, off, type, n);
  if (n <= 16) for (let i = 0; i < n; i++) buf[vs + i] = v[i]!; // addresses: a loop beats set() at this size
  else buf.set(v, vs);
  return pad(buf, vs + n);
}
/** A NUL-terminated string (IFLA_IFNAME, IFA_LABEL, IFLA_INFO_KIND). */
export function putString(buf: Buffer, off: number, type: number, s: string): number {
  const vs = off + RTA_HDRLEN;
  const n = buf.write(s, vs, 'utf8');
  buf[vs + n] = 0;
  putHeader(buf, off, type, n + 1);
  return pad(buf, vs + n + 1);
}
/** Opens a nested attribute: returns its start; close it with endNested. */
export function beginNested(buf: Buffer, off: number, type: number): number {
  putHeader(buf, off, type | NLA_F_NESTED, 0);
  return off;
}
/** Closes a nested attribute opened at `start` whose last member ended at `end`. */
export function endNested(buf: Buffer, start: number, end: number): number {
  buf.writeUInt16LE(end - start, start);
  return end;
}

// ---- value codecs ----------------------------------------------------------------------

/** How one attribute's value is read, sized and written. */
export interface ValueCodec<V> {
  readonly kind: string;
  read(buf: Buffer, start: number, end: number): V;
  /** Value length in bytes (without header and padding). */
  size(v: V): number;
  write(buf: Buffer, off: number, v: V): void;
}

function need(start: number, end: number, n: number, kind: string): void {
  if (end - start < n) throw malformedAttr(`${kind} value of ${end - start} bytes`);
}

export const U8: ValueCodec<number> = {
  kind: 'u8',
  read: (b, s, e) => (need(s, e, 1, 'u8'), b[s]!),
  size: () => 1,
  write: (b, o, v) => void (b[o] = v),
};
export const U16: ValueCodec<number> = {
  kind: 'u16',
  read: (b, s, e) => (need(s, e, 2, 'u16'), b.readUInt16LE(s)),
  size: () => 2,
  write: (b, o, v) => void b.writeUInt16LE(v, o),
};
export const U32: ValueCodec<number> = {
  kind: 'u32',
  read: (b, s, e) => (need(s, e, 4, 'u32'), b.readUInt32LE(s)),
  size: () => 4,
  write: (b, o, v) => void b.writeUInt32LE(v >>> 0, o),
};
export const S32: ValueCodec<number> = {
  kind: 's32',
  read: (b, s, e) => (need(s, e, 4, 's32'), b.readInt32LE(s)),
  size: () => 4,
  write: (b, o, v) => void b.writeInt32LE(v | 0, o),
};
/** Raw bytes, copied out of the datagram (owned). */
export const BYTES: ValueCodec<Uint8Array> = {
  kind: 'bytes',
  read: (b, s, e) => copyBytes(b, s, e),
  size: (v) => v.length,
  write: (b, o, v) => b.set(v, o),
};
/** An IPv4 (4 bytes) or IPv6 (16 bytes) address in network order. */
export const ADDR: ValueCodec<Uint8Array> = {
  kind: 'addr',
  read: (b, s, e) => {
    if (e - s !== 4 && e - s !== 16) throw malformedAttr(`address of ${e - s} bytes`);
    return copyBytes(b, s, e);
  },
  size: (v) => v.length,
  write: (b, o, v) => b.set(v, o),
};
/** A NUL-terminated string; reading stops at the first NUL. */
export const STRING: ValueCodec<string> = {
  kind: 'string',
  read: (b, s, e) => {
    const z = b.indexOf(0, s);
    return b.toString('utf8', s, z < 0 || z > e ? e : z);
  },
  size: (v) => Buffer.byteLength(v, 'utf8') + 1,
  write: (b, o, v) => {
    const n = b.write(v, o, 'utf8');
    b[o + n] = 0;
  },
};

export function copyBytes(b: Buffer, s: number, e: number): Uint8Array {
  const out = new Uint8Array(e - s);
  for (let i = 0; i < out.length; i++) out[i] = b[s + i]!;
  return out;
}

/**
 * A nested attribute list of u32 values (RTA_METRICS: RTAX_MTU, RTAX_ADVMSS, ...), as a
 * plain record type → value. Members that are not 4 bytes (RTAX_CC_ALGO, a string) are left out.
 */
export const NESTED_U32: ValueCodec<Readonly<Record<number, number>>> = {
  kind: 'nested u32',
  read: (b, s, e) => {
    const out: Record<number, number> = {};
    forEachAttr(b, s, e, (t, vs, ve) => {
      if (ve - vs === 4) out[t] = b.readUInt32LE(vs);
    });
    return out;
  },
  size: (v) => Object.keys(v).length * 8,
  write: (b, o, v) => {
    let off = o;
    for (const k of Object.keys(v)) off = putU32(b, off, Number(k), v[Number(k)]!);
  },
};

// ---- descriptor tables -----------------------------------------------------------------

/** One row of a descriptor table: everything about one attribute type. */
export interface AttrRow<D> {
  readonly type: number;
  /** The kernel's name (RTA_GATEWAY), so a grep for it finds the row. */
  readonly name: string;
  readonly codec: ValueCodec<any>;
  /** Stores the decoded value into the object being decoded; absent: recognised, not kept. */
  readonly set?: (draft: D, value: any) => void;
  /** Attribute type flags to OR in when encoding (NLA_F_NESTED for nested lists). */
  readonly typeFlags?: number;
}

/** Descriptor table of one message kind: rows indexed by attribute type. */
export interface AttrTable<D> {
  readonly name: string;
  readonly rows: ReadonlyArray<AttrRow<D> | undefined>;
  readonly byName: Readonly<Record<string, AttrRow<D>>>;
}

/** Builds a row with a typed codec/setter pair. */
export function row<D, V>(type: number, name: string, codec: ValueCodec<V>, set?: (draft: D, value: V) => void, typeFlags = 0): AttrRow<D> {
  return set ? { type, name, codec, set, typeFlags } : { type, name, codec, typeFlags };
}

export function attrTable<D>(name: string, rows: readonly AttrRow<D>[]): AttrTable<D> {
  const arr: (AttrRow<D> | undefined)[] = [];
  const byName: Record<string, AttrRow<D>> = {};
  for (const r of rows) {
    if (arr[r.type]) throw new Error(`${name}: duplicate attribute type ${r.type}`);
    arr[r.type] = r;
    byName[r.name] = r;
  }
  return { name, rows: arr, byName };
}

/** Decodes every known attribute of buf[start, end) into `draft` through the table's setters. */
export function decodeAttrsInto<D>(table: AttrTable<D>, buf: Buffer, start: number, end: number, draft: D): void {
  const rows = table.rows;
  let off = start;
  while (off + RTA_HDRLEN <= end) {
    const len = buf.readUInt16LE(off);
    if (len < RTA_HDRLEN || off + len > end) throw malformedAttr(`${table.name}: rta_len ${len} at offset ${off}, end ${end}`);
    const r = rows[buf.readUInt16LE(off + 2) & NLA_TYPE_MASK];
    if (r?.set) r.set(draft, r.codec.read(buf, off + RTA_HDRLEN, off + len));
    off += align4(len);
  }
}

/** Size of one attribute of `type` holding `value`, per the table's codec. */
export function encodedAttrSize<D>(table: AttrTable<D>, type: number, value: unknown): number {
  const r = table.rows[type];
  if (!r) throw new Error(`${table.name}: no attribute type ${type}`);
  return attrSize(r.codec.size(value));
}

/** Writes one attribute of `type` per the table's codec; returns the next offset. */
export function encodeAttr<D>(table: AttrTable<D>, buf: Buffer, off: number, type: number, value: unknown): number {
  const r = table.rows[type];
  if (!r) throw new Error(`${table.name}: no attribute type ${type}`);
  const n = r.codec.size(value);
  putHeader(buf, off, type | (r.typeFlags ?? 0), n);
  r.codec.write(buf, off + RTA_HDRLEN, value);
  return pad(buf, off + RTA_HDRLEN + n);
}

/** Every attribute with its table name and decoded value (unknown ones as raw bytes): for logs and tests. */
export function describeAttrs<D>(table: AttrTable<D>, buf: Buffer, start: number, end: number): { type: number; name: string; value: unknown }[] {
  const out: { type: number; name: string; value: unknown }[] = [];
  forEachAttr(buf, start, end, (type, vs, ve) => {
    const r = table.rows[type];
    out.push(r ? { type, name: r.name, value: r.codec.read(buf, vs, ve) } : { type, name: `${table.name}#${type}`, value: copyBytes(buf, vs, ve) });
  });
  return out;
}

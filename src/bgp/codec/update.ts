// UPDATE (RFC 4271 §4.3) decode with RFC 7606 error handling, encode of one message, and
// packing of many prefixes sharing one attribute set into as few messages as fit, plus
// End-of-RIB (RFC 4724 §2).
//
//   +-----------------------------------------------------+
//   |   Withdrawn Routes Length (2 octets)                |
//   |   Withdrawn Routes (variable, IPv4 NLRI)            |
//   |   Total Path Attribute Length (2 octets)            |
//   |   Path Attributes (variable)                        |
//   |   Network Layer Reachability Information (IPv4)     |  runs to the end of the message
//   +-----------------------------------------------------+
//
// Decode rules, in the order applied:
//  - Withdrawn Routes Length or Total Path Attribute Length overrunning the message →
//    3/1 Malformed Attribute List (RFC 4271 §6.3; RFC 7606 §4 keeps it a reset because the
//    NLRI cannot be located).
//  - The NLRI is located from Total Path Attribute Length, never from where attribute
//    parsing stopped (RFC 7606 §4). Withdrawn routes and NLRI must parse completely, else
//    3/10 (RFC 7606 §5.3, §3 (j): treat-as-withdraw needs the NLRI).
//  - Attribute header truncated, or an attribute length overrunning the attribute field →
//    treat-as-withdraw, stop parsing attributes (RFC 7606 §4).
//  - Duplicate attribute → keep the first, discard the rest; duplicate MP_REACH_NLRI or
//    MP_UNREACH_NLRI → 3/1 (RFC 7606 §3 (g)).
//  - Optional/Transitive flags not as the attribute's row says → treat-as-withdraw
//    (RFC 7606 §3 (c)); MP attributes are still decoded so their NLRI can be withdrawn.
//  - Unknown attribute: well-known (O=0) → 3/2 with the attribute as data (RFC 4271 §6.3);
//    optional transitive → kept in `unknown`; optional non-transitive → dropped (§5).
//  - eBGP: LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST discarded (RFC 7606 §7.5, §7.9, §7.10).
//  - A malformed value → the action in its attributes.ts row (RFC 7606 §7).
//  - Missing ORIGIN / AS_PATH when there is NLRI (field or MP_REACH), missing NEXT_HOP when
//    the NLRI field is not empty → treat-as-withdraw (RFC 7606 §3 (d), RFC 4760 §3).
//  - 2-octet session: AS4_PATH / AS4_AGGREGATOR merged (RFC 6793 §4.2.3, as-path.ts).
// The strongest action wins (UpdateAction order). Session reset is thrown as BgpError;
// treat-as-withdraw still returns every NLRI so the RIB can withdraw them.
// Leaves out: semantic checks that need session state (next hop martians, first AS, RR loops).

import { Afi, IPV4_UNICAST, type Nlri, Safi, afiSafi } from '../../rib/prefix.js';
import { BgpError, ErrorCode, describeError, UpdateAction, type UpdateErrorInfo, UpdateSubcode, WrenError } from '../errors.js';
import { mergeAs4Path } from './as-path.js';
import { ATTRS, type AttrDecodeState, AttrFlag, AttrType, IGNORED, beginAttr, endAttr, writeAttributes } from './attributes.js';
import { finishHeader, putHeader, writeHeader } from './header.js';
import { mpReachHeadSize, putMpReachHead } from './mp.js';
import { decodeNlri, nlriListSize, NlriRun, putNlri } from './nlri.js';
import { rd16, copyBytes } from './reader.js';
import {
  AS_TRANS, type CodecContext, MessageType, type MpReach, type MpUnreach, type NextHop,
  type PathAttributes, type RawAttribute, type UpdateMessage,
} from './types.js';
import { Writer, putBytes, wr16 } from './writer.js';

const NO_ERRORS: readonly UpdateErrorInfo[] = Object.freeze([]);
const EMPTY = new Uint8Array(0);

/** Generation stamps for duplicate detection: STAMP[type] === gen means "seen". */
const STAMP = new Uint32Array(256);
let gen = 0;

function malformedList(detail: string): BgpError {
  return new BgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, EMPTY, detail);
}

function note(
  errors: UpdateErrorInfo[] | null, action: UpdateAction, subcode: UpdateSubcode, attrType: number, reason: string,
): UpdateErrorInfo[] {
  const list = errors ?? [];
  list.push({ action, subcode, attrType, reason });
  return list;
}

type MutableUpdate = { -readonly [K in keyof UpdateMessage]: UpdateMessage[K] };

/** Decodes an UPDATE; `b` is the whole message including the 19-byte header. */
export function decodeUpdate(b: Uint8Array, ctx: CodecContext): UpdateMessage {
  const end = b.length;
  const wlen = rd16(b, 19);
  const wEnd = 21 + wlen;
  if (wEnd + 2 > end) throw malformedList(`withdrawn routes length ${wlen} overruns the message`);
  const alen = rd16(b, wEnd);
  const aStart = wEnd + 2;
  const aEnd = aStart + alen;
  if (aEnd > end) throw malformedList(`total path attribute length ${alen} overruns the message`);

  const v4AddPath = ctx.addPathRx.has(IPV4_UNICAST);
  const withdrawn: Nlri[] = [];
  if (wlen > 0) decodeNlri(b, 21, wEnd, Afi.IPV4, v4AddPath, withdrawn);
  const nlri: Nlri[] = [];
  if (aEnd < end) decodeNlri(b, aEnd, end, Afi.IPV4, v4AddPath, nlri);

  const s: AttrDecodeState = { ctx, attrs: {}, as4Path: null, as4Aggregator: null, mpReach: null, mpUnreach: null };
  let action: UpdateAction = UpdateAction.NONE;
  let errors: UpdateErrorInfo[] | null = null;
  let unknown: RawAttribute[] | null = null;
  gen = (gen + 1) >>> 0;
  if (gen === 0) {
    STAMP.fill(0);
    gen = 1;
  }
  const g = gen;

  let p = aStart;
  while (p < aEnd) {
    // RFC 7606 §4, second case: not enough octets left for an attribute header.
    if (aEnd - p < 3) {
      errors = note(errors, UpdateAction.TREAT_AS_WITHDRAW, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, -1, 'attribute header truncated');
      if (action < UpdateAction.TREAT_AS_WITHDRAW) action = UpdateAction.TREAT_AS_WITHDRAW;
      break;
    }
    const flags = b[p]!;
    const type = b[p + 1]!;
    let len: number, v: number;
    if (flags & AttrFlag.EXTENDED_LENGTH) {
      if (aEnd - p < 4) {
        errors = note(errors, UpdateAction.TREAT_AS_WITHDRAW, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, type, 'attribute header truncated');
        if (action < UpdateAction.TREAT_AS_WITHDRAW) action = UpdateAction.TREAT_AS_WITHDRAW;
        break;
      }
      len = rd16(b, p + 2);
      v = p + 4;
    } else {
      len = b[p + 2]!;
      v = p + 3;
    }
    // RFC 7606 §4, first case: the attribute overruns Total Path Attribute Length.
    if (v + len > aEnd) {
      errors = note(errors, UpdateAction.TREAT_AS_WITHDRAW, UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, type, 'attribute overruns the path attributes');
      if (action < UpdateAction.TREAT_AS_WITHDRAW) action = UpdateAction.TREAT_AS_WITHDRAW;
      break;
    }
    const next = v + len;
    const desc = ATTRS[type];
    const isMp = type === AttrType.MP_REACH_NLRI || type === AttrType.MP_UNREACH_NLRI;

    if (STAMP[type] === g) {
      // RFC 7606 §3 (g)
      if (isMp) throw new BgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, copyBytes(b, p, next), `duplicate ${desc!.name}`);
      errors = note(errors, UpdateAction.ATTRIBUTE_DISCARD, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, type, 'duplicate attribute discarded');
      if (action < UpdateAction.ATTRIBUTE_DISCARD) action = UpdateAction.ATTRIBUTE_DISCARD;
      p = next;
      continue;
    }
    STAMP[type] = g;

    if (desc === undefined) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        throw new BgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, copyBytes(b, p, next), `attribute type ${type}`);
      }
      if (flags & AttrFlag.TRANSITIVE) {
        (unknown ??= []).push({ flags: flags & ~AttrFlag.EXTENDED_LENGTH, type, value: copyBytes(b, v, next) });
      }
      p = next;
      continue;
    }

    let decodeIt = true;
    if (((flags ^ desc.flags) & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) !== 0) {
      // RFC 7606 §3 (c)
      errors = note(errors, UpdateAction.TREAT_AS_WITHDRAW, UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, type, `${desc.name}: conflicting flags 0x${flags.toString(16)}`);
      if (action < UpdateAction.TREAT_AS_WITHDRAW) action = UpdateAction.TREAT_AS_WITHDRAW;
      decodeIt = isMp;
    } else if (desc.ebgpDiscard && ctx.ebgp) {
      errors = note(errors, UpdateAction.ATTRIBUTE_DISCARD, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, type, `${desc.name} from an external peer discarded`);
      if (action < UpdateAction.ATTRIBUTE_DISCARD) action = UpdateAction.ATTRIBUTE_DISCARD;
      decodeIt = false;
    }
    if (decodeIt) {
      let r: number;
      if (isMp) {
        try {
          r = desc.decode(b, v, len, s);
        } catch (e) {
          if (e instanceof BgpError && e.data.length === 0) {
            const prefix = describeError(e.code, e.subcode) + ': ';
            const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
            throw new BgpError(e.code, e.subcode, copyBytes(b, p, next), detail);
          }
          throw e;
        }
      } else {
        r = desc.decode(b, v, len, s);
      }
      if (r !== 0) {
        if (r === IGNORED) {
          if (isMp) {
            errors = note(errors, UpdateAction.ATTRIBUTE_DISCARD, UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, type, `${desc.name}: address family not handled`);
            if (action < UpdateAction.ATTRIBUTE_DISCARD) action = UpdateAction.ATTRIBUTE_DISCARD;
          }
        } else {
          const a = desc.onError;
          if (a === UpdateAction.SESSION_RESET) {
            throw new BgpError(ErrorCode.UPDATE_MESSAGE, r, copyBytes(b, p, next), `malformed ${desc.name}`);
          }
          errors = note(errors, a, r as UpdateSubcode, type, `malformed ${desc.name} (length ${len})`);
          if (action < a) action = a;
        }
      }
    }
    p = next;
  }

  const attrs = s.attrs;
  if (unknown !== null) attrs.unknown = unknown;

  // RFC 6793 §4.2.3: reconstruct 4-octet AGGREGATOR and AS_PATH on a 2-octet session.
  if (!ctx.as4 && (s.as4Path !== null || s.as4Aggregator !== null)) {
    const agg = attrs.aggregator;
    if (agg === undefined || agg.asn === AS_TRANS) {
      if (agg !== undefined && s.as4Aggregator !== null) attrs.aggregator = s.as4Aggregator;
      if (s.as4Path !== null && attrs.asPath !== undefined) attrs.asPath = mergeAs4Path(attrs.asPath, s.as4Path);
    }
    // else: AGGREGATOR holds a real 2-octet AS, so AS4_AGGREGATOR and AS4_PATH are ignored.
  }

  // RFC 7606 §3 (d): missing well-known mandatory attributes.
  if (nlri.length > 0 || s.mpReach !== null) {
    if (STAMP[AttrType.ORIGIN] !== g) errors = missing(errors, AttrType.ORIGIN, 'ORIGIN');
    if (STAMP[AttrType.AS_PATH] !== g) errors = missing(errors, AttrType.AS_PATH, 'AS_PATH');
    if (nlri.length > 0 && STAMP[AttrType.NEXT_HOP] !== g) errors = missing(errors, AttrType.NEXT_HOP, 'NEXT_HOP');
    if (errors !== null && action < UpdateAction.TREAT_AS_WITHDRAW) {
      for (const e of errors) if (e.subcode === UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE) action = UpdateAction.TREAT_AS_WITHDRAW;
    }
  }

  const u: MutableUpdate = { type: MessageType.UPDATE, withdrawn, attributes: attrs, nlri, action, errors: errors ?? NO_ERRORS };
  if (s.mpReach !== null) u.mpReach = s.mpReach;
  if (s.mpUnreach !== null) u.mpUnreach = s.mpUnreach;
  return u;
}

function missing(errors: UpdateErrorInfo[] | null, type: AttrType, name: string): UpdateErrorInfo[] {
  return note(errors, UpdateAction.TREAT_AS_WITHDRAW, UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE, type, `missing ${name}`);
}

// ---- Encoding ------------------------------------------------------------------------

function tooBig(size: number, max: number): WrenError {
  return new WrenError('CODEC_MESSAGE_TOO_BIG', `UPDATE of ${size} bytes exceeds the ${max}-byte limit`);
}

function writeNlriList(w: Writer, list: readonly Nlri[], addPath: boolean): void {
  const size = nlriListSize(list, addPath);
  w.ensure(size);
  let p = w.pos;
  for (let i = 0; i < list.length; i++) p = putNlri(w.buf, p, list[i]!, addPath);
  w.pos = p;
}

/** One UPDATE message. Throws WrenError CODEC_MESSAGE_TOO_BIG above ctx.maxMessageLength. */
export function encodeUpdate(
  u: { withdrawn?: readonly Nlri[]; attributes?: PathAttributes; nlri?: readonly Nlri[]; mpReach?: MpReach; mpUnreach?: MpUnreach },
  ctx: CodecContext,
): Buffer {
  const w = new Writer(1024);
  writeHeader(w, MessageType.UPDATE);
  const v4AddPath = ctx.addPathTx.has(IPV4_UNICAST);
  const wAt = w.reserve(2);
  if (u.withdrawn) writeNlriList(w, u.withdrawn, v4AddPath);
  w.patch(wAt, 2);
  const aAt = w.reserve(2);
  // RFC 7606 §5.1: MP_REACH_NLRI / MP_UNREACH_NLRI SHOULD come first.
  if (u.mpUnreach) {
    const m = u.mpUnreach;
    const at = beginAttr(w, AttrFlag.OPTIONAL, AttrType.MP_UNREACH_NLRI);
    w.u16(m.afi);
    w.u8(m.safi);
    writeNlriList(w, m.withdrawn, ctx.addPathTx.has(afiSafi(m.afi, m.safi)));
    endAttr(w, at);
  }
  if (u.mpReach) {
    const m = u.mpReach;
    const at = beginAttr(w, AttrFlag.OPTIONAL, AttrType.MP_REACH_NLRI);
    const head = mpReachHeadSize(m.nextHop);
    w.ensure(head);
    w.pos = putMpReachHead(w.buf, w.pos, m.afi, m.safi, m.nextHop);
    writeNlriList(w, m.nlri, ctx.addPathTx.has(afiSafi(m.afi, m.safi)));
    endAttr(w, at);
  }
  if (u.attributes) writeAttributes(w, u.attributes, ctx);
  const alen = w.pos - aAt - 2;
  if (alen > 0xffff) throw tooBig(w.pos, ctx.maxMessageLength);
  w.patch(aAt, 2);
  if (u.nlri) writeNlriList(w, u.nlri, v4AddPath);
  if (w.pos > ctx.maxMessageLength) throw tooBig(w.pos, ctx.maxMessageLength);
  finishHeader(w);
  return w.finish();
}

/** The attribute block (all but MP_REACH/MP_UNREACH), encoded once and shared by messages. */
/** One Writer for every block: finish() copies the bytes out. */
const blockWriter = new Writer(1024);

/**
 * The path attributes as they go in an UPDATE (`withNextHop` false leaves NEXT_HOP out, for
 * packUpdates, which writes the next hop itself).
 */
export function encodeAttributeBlock(attrs: PathAttributes, ctx: CodecContext, withNextHop = true): Uint8Array {
  const w = blockWriter.reset();
  writeAttributes(w, attrs, ctx, !withNextHop);
  // A plain copy, not a Buffer: a block of up to 64 octets then lives on the JS heap, with
  // no external backing store (and no slice of Buffer's shared pool) to create.
  return w.buf.slice(0, w.pos);
}

/** Whether an encoded attribute block contains an attribute of this type. */
export function blockHasAttribute(block: Uint8Array, type: number): boolean {
  let p = 0;
  while (p + 3 <= block.length) {
    const ext = (block[p]! & AttrFlag.EXTENDED_LENGTH) !== 0;
    if (block[p + 1] === type) return true;
    p += ext ? 4 + rd16(block, p + 2) : 3 + block[p + 2]!;
  }
  return false;
}

/**
 * Whole messages written back to back into one buffer (an Adj-RIB-Out's drain slice: a few
 * hundred UPDATEs, one socket write), so that packing makes no Buffer per message and no
 * copy to join them. `take` hands the bytes over and starts a fresh buffer.
 */
export class MessageBuffer {
  private buf: Buffer;
  private len = 0;
  /** Messages held. */
  count = 0;

  constructor(private readonly initial = 65536) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Room for one message of `total` bytes: the buffer to write it into and its offset there. */
  alloc(total: number): number {
    const at = this.len;
    if (at + total > this.buf.length) {
      const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, at + total));
      this.buf.copy(b, 0, 0, at);
      this.buf = b;
    }
    this.len = at + total;
    this.count++;
    return at;
  }

  /** The buffer alloc() wrote the last message's room into (read after alloc: it may change). */
  get bytes(): Buffer {
    return this.buf;
  }

  /** Appends an encoded message. */
  append(m: Uint8Array): void {
    const at = this.alloc(m.length);
    this.buf.set(m, at);
  }

  /**
   * The messages held (count of them in `count` before the call), then empty. Exactly their
   * size: a buffer at least half full goes as it is (a new one takes its place), a smaller
   * run is copied out (from Node's pool when small), so that a socket holding a few
   * messages does not hold a mostly empty buffer.
   */
  take(): Buffer {
    const len = this.len;
    this.len = 0;
    this.count = 0;
    if (len * 2 >= this.buf.length) {
      const out = this.buf.subarray(0, len);
      this.buf = Buffer.allocUnsafe(Math.max(this.initial, len));
      return out;
    }
    const out = Buffer.allocUnsafe(len);
    this.buf.copy(out, 0, 0, len);
    return out;
  }

  /**
   * The messages held, each copied into a Buffer of its own (by their header lengths: a
   * caller may keep one without keeping the others), then empty; the buffer stays for reuse.
   */
  split(): Buffer[] {
    const buf = this.buf, out: Buffer[] = [];
    for (let p = 0; p < this.len; ) {
      const n = buf.readUInt16BE(p + 16);
      const m = Buffer.allocUnsafe(n);
      buf.copy(m, 0, p, p + n);
      out.push(m);
      p += n;
    }
    this.len = 0;
    this.count = 0;
    return out;
  }
}

/** Where packUpdates / packWithdrawals pack before split() (empty between calls). */
const scratchOut = new MessageBuffer(16384);

/** Scratch run for the Nlri[] forms of packUpdates / packWithdrawals. */
const scratchRun = new NlriRun();

function runOf(nlri: readonly Nlri[], addPath: boolean): NlriRun {
  const run = scratchRun;
  run.clear();
  for (let i = 0; i < nlri.length; i++) run.add(nlri[i]!, addPath);
  return run;
}

/**
 * Packs prefixes that share one attribute set into as few UPDATEs as fit
 * ctx.maxMessageLength. IPv4 with `nextHop` null: the NEXT_HOP must be in the block; IPv4
 * with a 4-byte `nextHop`: a NEXT_HOP attribute is written before the block (the block must
 * not have one). IPv6, or IPv4 with an IPv6 next hop (RFC 8950): each message carries an
 * MP_REACH_NLRI (first, RFC 7606 §5.1) with as many prefixes as fit. Throws WrenError
 * CODEC_MESSAGE_TOO_BIG when not even one prefix fits.
 *
 *   Header (19) | Withdrawn Len = 0 (2) | Attr Len (2) | [NEXT_HOP | MP_REACH_NLRI] | block | [NLRI]
 */
export function packUpdates(block: Uint8Array, afi: Afi, nextHop: NextHop | null, nlri: readonly Nlri[], ctx: CodecContext): Buffer[] {
  if (nlri.length === 0) return [];
  packUpdateRun(block, afi, nextHop, runOf(nlri, ctx.addPathTx.has(afiSafi(afi, Safi.UNICAST))), ctx, scratchOut);
  return scratchOut.split();
}

/**
 * packUpdates over prefixes in wire form (with path ids when ADD-PATH tx is on for the
 * family), the messages appended to `out`.
 */
export function packUpdateRun(block: Uint8Array, afi: Afi, nextHop: NextHop | null, run: NlriRun, ctx: CodecContext, out: MessageBuffer): void {
  const count = run.count;
  if (count === 0) return;
  const max = ctx.maxMessageLength;
  const classic = afi === Afi.IPV4 && (nextHop === null || (nextHop.global.length === 4 && !nextHop.linkLocal));
  if (!classic && nextHop === null) throw new WrenError('CODEC_NO_NEXT_HOP', 'MP_REACH_NLRI needs a next hop');
  const { bytes, ends } = run;

  if (classic) {
    const nhAttr = nextHop === null ? 0 : 7;
    if (nextHop !== null && blockHasAttribute(block, AttrType.NEXT_HOP)) {
      throw new WrenError('CODEC_DUPLICATE_NEXT_HOP', 'next hop given both in the block and as an argument');
    }
    const fixed = 23 + nhAttr + block.length;
    const space = max - fixed;
    let i = 0;
    while (i < count) {
      const from = i === 0 ? 0 : ends[i - 1]!;
      const j = fitRun(ends, count, i, from + space);
      if (j === i) throw tooBig(fixed + ends[i]! - from, max);
      const size = ends[j - 1]! - from;
      const total = fixed + size;
      const o = out.alloc(total), b = out.bytes;
      putHeader(b, o, total, MessageType.UPDATE);
      wr16(b, o + 19, 0);
      wr16(b, o + 21, nhAttr + block.length);
      let p = o + 23;
      if (nextHop !== null) {
        b[p] = AttrFlag.TRANSITIVE;
        b[p + 1] = AttrType.NEXT_HOP;
        b[p + 2] = 4;
        putBytes(b, p + 3, nextHop.global, 0, 4);
        p += 7;
      }
      putBytes(b, p, block, 0, block.length);
      p += block.length;
      putBytes(b, p, bytes, from, from + size);
      i = j;
    }
    return;
  }

  const nh = nextHop!;
  const head = mpReachHeadSize(nh);
  // MP_REACH_NLRI always with the 2-octet length form: its size is known only once packed.
  const fixed = 23 + 4 + head + block.length;
  const space = Math.min(max - fixed, 0xffff - head);
  let i = 0;
  while (i < count) {
    const from = i === 0 ? 0 : ends[i - 1]!;
    const j = fitRun(ends, count, i, from + space);
    if (j === i) throw tooBig(fixed + ends[i]! - from, max);
    const size = ends[j - 1]! - from;
    const total = fixed + size;
    const o = out.alloc(total), b = out.bytes;
    putHeader(b, o, total, MessageType.UPDATE);
    wr16(b, o + 19, 0);
    wr16(b, o + 21, 4 + head + size + block.length);
    b[o + 23] = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;
    b[o + 24] = AttrType.MP_REACH_NLRI;
    wr16(b, o + 25, head + size);
    const p = putMpReachHead(b, o + 27, afi, Safi.UNICAST, nh);
    putBytes(b, p, bytes, from, from + size);
    putBytes(b, p + size, block, 0, block.length);
    i = j;
  }
}

/** The end (exclusive) of the longest run of prefixes from `i` that ends at or before byte `limit`. */
function fitRun(ends: Int32Array, count: number, i: number, limit: number): number {
  let j = i;
  while (j < count && ends[j]! <= limit) j++;
  return j;
}

/**
 * Packs withdrawals into as few UPDATEs as fit: IPv4 in Withdrawn Routes, IPv6 in
 * MP_UNREACH_NLRI (2-octet length form).
 */
export function packWithdrawals(afi: Afi, nlri: readonly Nlri[], ctx: CodecContext): Buffer[] {
  if (nlri.length === 0) return [];
  packWithdrawalRun(afi, runOf(nlri, ctx.addPathTx.has(afiSafi(afi, Safi.UNICAST))), ctx, scratchOut);
  return scratchOut.split();
}

/** packWithdrawals over prefixes in wire form, the messages appended to `out`. */
export function packWithdrawalRun(afi: Afi, run: NlriRun, ctx: CodecContext, out: MessageBuffer): void {
  const count = run.count;
  if (count === 0) return;
  const v4 = afi === Afi.IPV4;
  const fixed = v4 ? 23 : 23 + 4 + 3;
  const space = Math.min(ctx.maxMessageLength - fixed, 0xffff - 3);
  const { bytes, ends } = run;
  let i = 0;
  while (i < count) {
    const from = i === 0 ? 0 : ends[i - 1]!;
    const j = fitRun(ends, count, i, from + space);
    if (j === i) throw tooBig(fixed + ends[i]! - from, ctx.maxMessageLength);
    const size = ends[j - 1]! - from;
    const total = fixed + size;
    const o = out.alloc(total), b = out.bytes;
    putHeader(b, o, total, MessageType.UPDATE);
    if (v4) {
      wr16(b, o + 19, size);
      putBytes(b, o + 21, bytes, from, from + size);
      wr16(b, o + 21 + size, 0);
    } else {
      wr16(b, o + 19, 0);
      wr16(b, o + 21, 4 + 3 + size);
      b[o + 23] = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;
      b[o + 24] = AttrType.MP_UNREACH_NLRI;
      wr16(b, o + 25, 3 + size);
      wr16(b, o + 27, afi);
      b[o + 29] = Safi.UNICAST;
      putBytes(b, o + 30, bytes, from, from + size);
    }
    i = j;
  }
}

/**
 * RFC 4724 §2 End-of-RIB: for IPv4 unicast an UPDATE with no withdrawn routes, no
 * attributes and no NLRI; for other families an UPDATE holding only an empty
 * MP_UNREACH_NLRI for that AFI/SAFI.
 */
export function encodeEndOfRib(afi: number, safi: number): Buffer {
  if (afi === Afi.IPV4 && safi === Safi.UNICAST) {
    const b = Buffer.allocUnsafe(23);
    putHeader(b, 0, 23, MessageType.UPDATE);
    wr16(b, 19, 0);
    wr16(b, 21, 0);
    return b;
  }
  const b = Buffer.allocUnsafe(29);
  putHeader(b, 0, 29, MessageType.UPDATE);
  wr16(b, 19, 0);
  wr16(b, 21, 6);
  b[23] = AttrFlag.OPTIONAL;
  b[24] = AttrType.MP_UNREACH_NLRI;
  b[25] = 3;
  wr16(b, 26, afi);
  b[28] = safi;
  return b;
}

function attributesEmpty(a: PathAttributes): boolean {
  for (const k in a) if ((a as Record<string, unknown>)[k] !== undefined) return false;
  return true;
}

/** The family this UPDATE is the End-of-RIB marker of (RFC 4724 §2), or null. */
export function isEndOfRib(u: UpdateMessage): number | null {
  if (u.withdrawn.length !== 0 || u.nlri.length !== 0 || u.mpReach !== undefined || u.errors.length !== 0) return null;
  if (!attributesEmpty(u.attributes)) return null;
  if (u.mpUnreach === undefined) return IPV4_UNICAST;
  return u.mpUnreach.withdrawn.length === 0 ? afiSafi(u.mpUnreach.afi, u.mpUnreach.safi) : null;
}

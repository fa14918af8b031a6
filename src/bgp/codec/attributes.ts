// Path attributes: THE one descriptor table (RFC 4271 §5; IANA "BGP Path Attributes").
// Each row holds everything about one attribute type: its name, the Optional/Transitive
// flags it must carry (RFC 4271 §4.3), the RFC 7606 action when it is malformed (§7, per
// attribute, cited in the row), whether an eBGP session discards it, and its decode and
// encode. The generic loop in update.ts does framing, flags, duplicates, unknown
// attributes and mandatory checks once for all rows.
//
//   Attribute:  Flags (1: O T P E . . . .) | Type Code (1) | Length (1, or 2 if E) | Value
//
// A row's decode reads b[off, off+len), writes its result into the decode state and
// returns 0, or the UPDATE error subcode (RFC 4271 §6.3) describing the malformation,
// or IGNORED (not an error, but the attribute is not used). It never reads outside its slice.
// Leaves out: attributes we do not model (AIGP, tunnel encapsulation, BGP-LS, prefix SID,
// ATTR_SET...): optional transitive ones pass through as raw `unknown`.

import { UpdateAction, UpdateSubcode } from '../errors.js';
import { asPathWireLength, decodeAsPath, needsAs4Path, stripConfed, writeAsPath } from './as-path.js';
import {
  decodeCommunities, decodeExtCommunities, decodeLargeCommunities,
  writeCommunities, writeExtCommunities, writeLargeCommunities,
} from './communities.js';
import { decodeMpReach, decodeMpUnreach } from './mp.js';
import { rd32, copyBytes, sharedBytes } from './reader.js';
import {
  AS_TRANS, type Aggregator, type AsPathSegment, type CodecContext, type MpReach, type MpUnreach,
  type Origin, type PathAttributes, type RawAttribute,
} from './types.js';
import type { Writer } from './writer.js';

export const enum AttrType {
  ORIGIN = 1,
  AS_PATH = 2,
  NEXT_HOP = 3,
  MULTI_EXIT_DISC = 4,
  LOCAL_PREF = 5,
  ATOMIC_AGGREGATE = 6,
  AGGREGATOR = 7,
  COMMUNITIES = 8,
  ORIGINATOR_ID = 9,
  CLUSTER_LIST = 10,
  MP_REACH_NLRI = 14,
  MP_UNREACH_NLRI = 15,
  EXTENDED_COMMUNITIES = 16,
  AS4_PATH = 17,
  AS4_AGGREGATOR = 18,
  LARGE_COMMUNITY = 32,
  OTC = 35,
}

export const enum AttrFlag {
  OPTIONAL = 0x80,
  TRANSITIVE = 0x40,
  PARTIAL = 0x20,
  EXTENDED_LENGTH = 0x10,
}

/** A decode result meaning "not used, not an error" (e.g. an MP family we do not handle). */
export const IGNORED = -1;

export type MutablePathAttributes = { -readonly [K in keyof PathAttributes]: PathAttributes[K] };

/** What row decoders write into, one per UPDATE. */
export interface AttrDecodeState {
  readonly ctx: CodecContext;
  readonly attrs: MutablePathAttributes;
  as4Path: AsPathSegment[] | null;
  as4Aggregator: Aggregator | null;
  mpReach: MpReach | null;
  mpUnreach: MpUnreach | null;
}

export interface AttrDesc {
  readonly name: string;
  /** Expected OPTIONAL | TRANSITIVE bits (RFC 4271 §4.3; RFC 7606 §3 (c) on conflict). */
  readonly flags: number;
  /** RFC 7606 action when the value is malformed. */
  readonly onError: UpdateAction;
  /** Discarded when received over eBGP (RFC 7606 §7.5, §7.9, §7.10). */
  readonly ebgpDiscard: boolean;
  decode(b: Uint8Array, off: number, len: number, s: AttrDecodeState): number;
  /** Writes the whole attribute(s) (header included) when present in `a`. */
  encode(w: Writer, a: PathAttributes, ctx: CodecContext): void;
}

const WK = AttrFlag.TRANSITIVE; // well-known: O=0 T=1
const OPT = AttrFlag.OPTIONAL; // optional non-transitive
const OPT_T = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE; // optional transitive

const LENGTH = UpdateSubcode.ATTRIBUTE_LENGTH_ERROR;
const OPTIONAL_ERR = UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR;

/** Starts an attribute; always reserves a 2-octet length (fixed up by endAttr). */
export function beginAttr(w: Writer, flags: number, type: number): number {
  w.u8(flags | AttrFlag.EXTENDED_LENGTH);
  w.u8(type);
  return w.reserve(2);
}

/** Ends an attribute: values of ≤ 255 octets get the 1-octet length form. */
export function endAttr(w: Writer, at: number): void {
  const len = w.pos - at - 2;
  if (len <= 255) {
    const b = w.buf;
    b[at - 2] = b[at - 2]! & ~AttrFlag.EXTENDED_LENGTH;
    b[at] = len;
    // At most 255 bytes: a loop is cheaper than copyWithin's native call (profiled).
    const end = w.pos;
    for (let i = at + 1; i < end - 1; i++) b[i] = b[i + 1]!;
    w.pos = end - 1;
  } else {
    w.set16(at, len);
  }
}

/** An attribute header for a value of known length: the 1-octet length form when it fits. */
function attrHeader(w: Writer, flags: number, type: number, len: number): void {
  if (len <= 255) {
    w.u8(flags & ~AttrFlag.EXTENDED_LENGTH);
    w.u8(type);
    w.u8(len);
  } else {
    w.u8(flags | AttrFlag.EXTENDED_LENGTH);
    w.u8(type);
    w.u16(len);
  }
}

function u32Attr(w: Writer, flags: number, type: number, v: number): void {
  w.u8(flags);
  w.u8(type);
  w.u8(4);
  w.u32(v);
}

const TABLE: Readonly<Record<number, AttrDesc>> = {
  // RFC 7606 §7.1: length ≠ 1 or an undefined value → treat-as-withdraw.
  [AttrType.ORIGIN]: {
    name: 'ORIGIN', flags: WK, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (len !== 1) return LENGTH;
      const v = b[off]!;
      if (v > 2) return UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE;
      s.attrs.origin = v as Origin;
      return 0;
    },
    encode: (w, a) => {
      if (a.origin === undefined) return;
      w.u8(WK);
      w.u8(AttrType.ORIGIN);
      w.u8(1);
      w.u8(a.origin);
    },
  },
  // RFC 7606 §7.2: malformed AS_PATH → treat-as-withdraw (subcode 11).
  [AttrType.AS_PATH]: {
    name: 'AS_PATH', flags: WK, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      const path = decodeAsPath(b, off, len, s.ctx.as4 ? 4 : 2);
      if (path === null) return UpdateSubcode.MALFORMED_AS_PATH;
      s.attrs.asPath = path;
      return 0;
    },
    encode: (w, a, ctx) => {
      if (a.asPath === undefined) return;
      const size = ctx.as4 ? 4 : 2;
      attrHeader(w, WK, AttrType.AS_PATH, asPathWireLength(a.asPath, size));
      writeAsPath(w, a.asPath, size);
    },
  },
  // RFC 7606 §7.3: length ≠ 4 → treat-as-withdraw. Semantic checks (martians, our own
  // address) are the protocol's: they need the session's addresses.
  [AttrType.NEXT_HOP]: {
    name: 'NEXT_HOP', flags: WK, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (len !== 4) return LENGTH;
      s.attrs.nextHop = sharedBytes(b, off, off + 4); // read-only, shared (reader.ts)
      return 0;
    },
    encode: (w, a) => {
      if (a.nextHop === undefined) return;
      w.u8(WK);
      w.u8(AttrType.NEXT_HOP);
      w.u8(4);
      w.bytes(a.nextHop);
    },
  },
  // RFC 7606 §7.4: length ≠ 4 → treat-as-withdraw.
  [AttrType.MULTI_EXIT_DISC]: {
    name: 'MULTI_EXIT_DISC', flags: OPT, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (len !== 4) return LENGTH;
      s.attrs.med = rd32(b, off);
      return 0;
    },
    encode: (w, a) => {
      if (a.med !== undefined) u32Attr(w, OPT, AttrType.MULTI_EXIT_DISC, a.med);
    },
  },
  // RFC 7606 §7.5: from an external peer, attribute discard; else length ≠ 4 → withdraw.
  [AttrType.LOCAL_PREF]: {
    name: 'LOCAL_PREF', flags: WK, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: true,
    decode: (b, off, len, s) => {
      if (len !== 4) return LENGTH;
      s.attrs.localPref = rd32(b, off);
      return 0;
    },
    encode: (w, a) => {
      if (a.localPref !== undefined) u32Attr(w, WK, AttrType.LOCAL_PREF, a.localPref);
    },
  },
  // RFC 7606 §7.6: length ≠ 0 → attribute discard.
  [AttrType.ATOMIC_AGGREGATE]: {
    name: 'ATOMIC_AGGREGATE', flags: WK, onError: UpdateAction.ATTRIBUTE_DISCARD, ebgpDiscard: false,
    decode: (_b, _off, len, s) => {
      if (len !== 0) return LENGTH;
      s.attrs.atomicAggregate = true;
      return 0;
    },
    encode: (w, a) => {
      if (!a.atomicAggregate) return;
      w.u8(WK);
      w.u8(AttrType.ATOMIC_AGGREGATE);
      w.u8(0);
    },
  },
  // RFC 7606 §7.7: length ≠ 6 (2-octet session) or 8 (4-octet) → attribute discard;
  // RFC 7607 §2: AS 0 is malformed too. On a 2-octet session an ASN > 65535 is sent as
  // AS_TRANS with AS4_AGGREGATOR (RFC 6793 §4.2.2).
  [AttrType.AGGREGATOR]: {
    name: 'AGGREGATOR', flags: OPT_T, onError: UpdateAction.ATTRIBUTE_DISCARD, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      const as4 = s.ctx.as4;
      if (len !== (as4 ? 8 : 6)) return LENGTH;
      const asn = as4 ? rd32(b, off) : (b[off]! << 8) | b[off + 1]!;
      if (asn === 0) return OPTIONAL_ERR;
      const p = off + (as4 ? 4 : 2);
      s.attrs.aggregator = { asn, address: copyBytes(b, p, p + 4) };
      return 0;
    },
    encode: (w, a, ctx) => {
      const g = a.aggregator;
      if (g === undefined) return;
      w.u8(OPT_T);
      w.u8(AttrType.AGGREGATOR);
      if (ctx.as4) {
        w.u8(8);
        w.u32(g.asn);
      } else {
        w.u8(6);
        w.u16(g.asn > 0xffff ? AS_TRANS : g.asn);
      }
      w.bytes(g.address);
    },
  },
  // RFC 7606 §7.8: length 0 or not a multiple of 4 → treat-as-withdraw.
  [AttrType.COMMUNITIES]: {
    name: 'COMMUNITIES', flags: OPT_T, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (len === 0 || (len & 3) !== 0) return LENGTH;
      s.attrs.communities = decodeCommunities(b, off, len);
      return 0;
    },
    encode: (w, a) => {
      if (a.communities === undefined || a.communities.length === 0) return;
      attrHeader(w, OPT_T, AttrType.COMMUNITIES, 4 * a.communities.length);
      writeCommunities(w, a.communities);
    },
  },
  // RFC 7606 §7.9: from an external peer, discard; length ≠ 4 → treat-as-withdraw.
  [AttrType.ORIGINATOR_ID]: {
    name: 'ORIGINATOR_ID', flags: OPT, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: true,
    decode: (b, off, len, s) => {
      if (len !== 4) return LENGTH;
      s.attrs.originatorId = rd32(b, off);
      return 0;
    },
    encode: (w, a) => {
      if (a.originatorId !== undefined) u32Attr(w, OPT, AttrType.ORIGINATOR_ID, a.originatorId);
    },
  },
  // RFC 7606 §7.10: from an external peer, discard; length 0 or not a multiple of 4 → withdraw.
  [AttrType.CLUSTER_LIST]: {
    name: 'CLUSTER_LIST', flags: OPT, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: true,
    decode: (b, off, len, s) => {
      if (len === 0 || (len & 3) !== 0) return LENGTH;
      s.attrs.clusterList = decodeCommunities(b, off, len);
      return 0;
    },
    encode: (w, a) => {
      if (a.clusterList === undefined || a.clusterList.length === 0) return;
      const at = beginAttr(w, OPT, AttrType.CLUSTER_LIST);
      writeCommunities(w, a.clusterList);
      endAttr(w, at);
    },
  },
  // RFC 7606 §7.11: malformed → AFI/SAFI disable or session reset (we reset; mp.ts throws).
  // Encoded by update.ts (per message), not from PathAttributes.
  [AttrType.MP_REACH_NLRI]: {
    name: 'MP_REACH_NLRI', flags: OPT, onError: UpdateAction.SESSION_RESET, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      const r = decodeMpReach(b, off, len, s.ctx);
      if (r === null) return IGNORED;
      s.mpReach = r;
      return 0;
    },
    encode: () => {},
  },
  // RFC 7606 §7.12: as MP_REACH_NLRI.
  [AttrType.MP_UNREACH_NLRI]: {
    name: 'MP_UNREACH_NLRI', flags: OPT, onError: UpdateAction.SESSION_RESET, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      const r = decodeMpUnreach(b, off, len, s.ctx);
      if (r === null) return IGNORED;
      s.mpUnreach = r;
      return 0;
    },
    encode: () => {},
  },
  // RFC 7606 §7.14: length 0 or not a multiple of 8 → treat-as-withdraw.
  [AttrType.EXTENDED_COMMUNITIES]: {
    name: 'EXTENDED_COMMUNITIES', flags: OPT_T, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (len === 0 || (len & 7) !== 0) return LENGTH;
      s.attrs.extCommunities = decodeExtCommunities(b, off, len);
      return 0;
    },
    encode: (w, a) => {
      if (a.extCommunities === undefined || a.extCommunities.length === 0) return;
      const at = beginAttr(w, OPT_T, AttrType.EXTENDED_COMMUNITIES);
      writeExtCommunities(w, a.extCommunities);
      endAttr(w, at);
    },
  },
  // RFC 6793 §6 (RFC 7606 §7.1 defers to it): malformed AS4_PATH → attribute discard;
  // confederation segments in it are dropped. Ignored on a 4-octet session (§4.1: a NEW
  // speaker "MUST discard" AS4_PATH/AS4_AGGREGATOR from a NEW speaker).
  [AttrType.AS4_PATH]: {
    name: 'AS4_PATH', flags: OPT_T, onError: UpdateAction.ATTRIBUTE_DISCARD, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (s.ctx.as4) return IGNORED;
      const path = decodeAsPath(b, off, len, 4);
      if (path === null) return UpdateSubcode.MALFORMED_AS_PATH;
      s.as4Path = stripConfed(path);
      return 0;
    },
    encode: (w, a, ctx) => {
      if (ctx.as4 || a.asPath === undefined || !needsAs4Path(a.asPath)) return;
      const at = beginAttr(w, OPT_T, AttrType.AS4_PATH);
      writeAsPath(w, a.asPath, 4, true);
      endAttr(w, at);
    },
  },
  // RFC 6793 §6: length ≠ 8 (or AS 0, RFC 7607) → attribute discard.
  [AttrType.AS4_AGGREGATOR]: {
    name: 'AS4_AGGREGATOR', flags: OPT_T, onError: UpdateAction.ATTRIBUTE_DISCARD, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (s.ctx.as4) return IGNORED;
      if (len !== 8) return LENGTH;
      const asn = rd32(b, off);
      if (asn === 0) return OPTIONAL_ERR;
      s.as4Aggregator = { asn, address: copyBytes(b, off + 4, off + 8) };
      return 0;
    },
    encode: (w, a, ctx) => {
      const g = a.aggregator;
      if (ctx.as4 || g === undefined || g.asn <= 0xffff) return;
      w.u8(OPT_T);
      w.u8(AttrType.AS4_AGGREGATOR);
      w.u8(8);
      w.u32(g.asn);
      w.bytes(g.address);
    },
  },
  // RFC 8092 §6: length 0 or not a multiple of 12 → treat-as-withdraw.
  [AttrType.LARGE_COMMUNITY]: {
    name: 'LARGE_COMMUNITY', flags: OPT_T, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (len === 0 || len % 12 !== 0) return LENGTH;
      s.attrs.largeCommunities = decodeLargeCommunities(b, off, len);
      return 0;
    },
    encode: (w, a) => {
      if (a.largeCommunities === undefined || a.largeCommunities.length === 0) return;
      const at = beginAttr(w, OPT_T, AttrType.LARGE_COMMUNITY);
      writeLargeCommunities(w, a.largeCommunities);
      endAttr(w, at);
    },
  },
  // RFC 9234 §5: length ≠ 4 → treat-as-withdraw. (The ingress/egress role rules are the
  // protocol's.)
  [AttrType.OTC]: {
    name: 'OTC', flags: OPT_T, onError: UpdateAction.TREAT_AS_WITHDRAW, ebgpDiscard: false,
    decode: (b, off, len, s) => {
      if (len !== 4) return LENGTH;
      s.attrs.otc = rd32(b, off);
      return 0;
    },
    encode: (w, a) => {
      if (a.otc !== undefined) u32Attr(w, OPT_T, AttrType.OTC, a.otc);
    },
  },
};

/** The descriptor table indexed by type code (undefined for types we do not model). */
export const ATTRS: readonly (AttrDesc | undefined)[] = Array.from({ length: 256 }, (_, i) => TABLE[i]);

/** Type codes written from PathAttributes, ascending (RFC 4271 §5: SHOULD be ordered). */
const ENCODE_ORDER: readonly number[] = Object.keys(TABLE)
  .map(Number)
  .filter((t) => t !== AttrType.MP_REACH_NLRI && t !== AttrType.MP_UNREACH_NLRI)
  .sort((a, b) => a - b);

export function attrName(type: number): string {
  return ATTRS[type]?.name ?? `attribute ${type}`;
}

function writeRaw(w: Writer, u: RawAttribute): void {
  // Passing on an unknown optional transitive attribute: RFC 4271 §5 sets the Partial bit.
  const at = beginAttr(w, (u.flags & ~AttrFlag.EXTENDED_LENGTH) | AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE | AttrFlag.PARTIAL, u.type);
  w.bytes(u.value);
  endAttr(w, at);
}

// One constant per encoder, so that each call in writeKnown has a single target (inlined),
// where a loop over the table makes one call site with a dozen (not inlined).
const encOrigin = TABLE[AttrType.ORIGIN]!.encode, encAsPath = TABLE[AttrType.AS_PATH]!.encode;
const encNextHop = TABLE[AttrType.NEXT_HOP]!.encode, encMed = TABLE[AttrType.MULTI_EXIT_DISC]!.encode;
const encLocalPref = TABLE[AttrType.LOCAL_PREF]!.encode, encAtomic = TABLE[AttrType.ATOMIC_AGGREGATE]!.encode;
const encAggregator = TABLE[AttrType.AGGREGATOR]!.encode, encCommunities = TABLE[AttrType.COMMUNITIES]!.encode;
const encOriginator = TABLE[AttrType.ORIGINATOR_ID]!.encode, encClusterList = TABLE[AttrType.CLUSTER_LIST]!.encode;
const encExtCommunities = TABLE[AttrType.EXTENDED_COMMUNITIES]!.encode, encAs4Path = TABLE[AttrType.AS4_PATH]!.encode;
const encAs4Aggregator = TABLE[AttrType.AS4_AGGREGATOR]!.encode, encLarge = TABLE[AttrType.LARGE_COMMUNITY]!.encode;
const encOtc = TABLE[AttrType.OTC]!.encode;
/** The type codes writeKnown writes, in its order: checked against the table at load. */
const KNOWN_ORDER = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17, 18, 32, 35];
if (KNOWN_ORDER.join() !== ENCODE_ORDER.join()) throw new Error(`writeKnown writes ${KNOWN_ORDER.join()}, the table has ${ENCODE_ORDER.join()}`);

/** Writes the attributes of `a` whose type codes are in [lo, hi), ascending. */
function writeKnown(w: Writer, a: PathAttributes, ctx: CodecContext, skipNextHop: boolean, lo: number, hi: number): void {
  if (lo <= 1 && 1 < hi) encOrigin(w, a, ctx);
  if (lo <= 2 && 2 < hi) encAsPath(w, a, ctx);
  if (lo <= 3 && 3 < hi && !skipNextHop) encNextHop(w, a, ctx);
  if (lo <= 4 && 4 < hi) encMed(w, a, ctx);
  if (lo <= 5 && 5 < hi) encLocalPref(w, a, ctx);
  if (lo <= 6 && 6 < hi) encAtomic(w, a, ctx);
  if (lo <= 7 && 7 < hi) encAggregator(w, a, ctx);
  if (lo <= 8 && 8 < hi) encCommunities(w, a, ctx);
  if (lo <= 9 && 9 < hi) encOriginator(w, a, ctx);
  if (lo <= 10 && 10 < hi) encClusterList(w, a, ctx);
  if (lo <= 16 && 16 < hi) encExtCommunities(w, a, ctx);
  if (lo <= 17 && 17 < hi) encAs4Path(w, a, ctx);
  if (lo <= 18 && 18 < hi) encAs4Aggregator(w, a, ctx);
  if (lo <= 32 && 32 < hi) encLarge(w, a, ctx);
  if (lo <= 35 && 35 < hi) encOtc(w, a, ctx);
}

/**
 * Writes every attribute in `a` (MP_REACH/MP_UNREACH are not in PathAttributes), ordered
 * by type code, unknown ones interleaved at their codes (after a known one of the same code).
 */
export function writeAttributes(w: Writer, a: PathAttributes, ctx: CodecContext, skipNextHop = false): void {
  const un = a.unknown;
  if (un === undefined || un.length === 0) {
    writeKnown(w, a, ctx, skipNextHop, 0, 256);
    return;
  }
  let lo = 0;
  for (const u of [...un].sort((x, y) => x.type - y.type)) {
    writeKnown(w, a, ctx, skipNextHop, lo, u.type + 1);
    writeRaw(w, u);
    lo = u.type + 1;
  }
  writeKnown(w, a, ctx, skipNextHop, lo, 256);
}

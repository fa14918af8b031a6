// MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4) for IPv4 and IPv6 unicast. IPv6 next
// hop is 16 octets (global) or 32 (global + link-local, RFC 2545 §3); IPv4 NLRI may carry
// an IPv6 next hop (16 or 32) when RFC 8950 Extended Next Hop was negotiated for it
// (ctx.extendedNextHop), else its next hop is 4 octets.
//
//   MP_REACH_NLRI                          MP_UNREACH_NLRI
//   +------------------------------+       +------------------------------+
//   | AFI (2) | SAFI (1)           |       | AFI (2) | SAFI (1)           |
//   | Next Hop Length (1)          |       | Withdrawn Routes (variable)  |
//   | Next Hop (variable)          |       +------------------------------+
//   | Reserved (1)                 |
//   | NLRI (variable)              |
//   +------------------------------+
//
// Errors: RFC 7606 §7.11/§7.12 — a malformed MP_REACH/MP_UNREACH (too short, next hop
// length inconsistent with the AFI) calls for AFI/SAFI disable or session reset; we reset
// with 3/9 Optional Attribute Error (RFC 4760 §7); bad prefixes reset with 3/10 (nlri.ts).
// A family we do not decode (not unicast IPv4/IPv6) comes back as null: the caller discards
// the attribute (RFC 4760 §7 allows ignoring a family that was not negotiated).
// Leaves out: SNPAs (RFC 2858; the octet is Reserved since RFC 4760), VPN/labelled families.

import { Afi, IPV4_UNICAST, type Nlri, Safi, afiSafi } from '../../rib/prefix.js';
import { BgpError, ErrorCode, UpdateSubcode } from '../errors.js';
import { decodeNlri } from './nlri.js';
import type { CodecContext, MpReach, MpUnreach, NextHop } from './types.js';
import { sharedBytes } from './reader.js';
import { putBytes } from './writer.js';

function malformed(detail: string): BgpError {
  return new BgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, new Uint8Array(0), detail);
}

const supported = (afi: number, safi: number): boolean => (afi === Afi.IPV4 || afi === Afi.IPV6) && safi === Safi.UNICAST;

/** Which next-hop lengths are valid for this family on this session. */
export function validNextHopLength(afi: number, len: number, ctx: CodecContext): boolean {
  if (afi === Afi.IPV6) return len === 16 || len === 32;
  if (len === 4) return true;
  return (len === 16 || len === 32) && ctx.extendedNextHop.has(IPV4_UNICAST);
}

/** Decodes an MP_REACH_NLRI value; null for a family we do not handle. Throws BgpError. */
export function decodeMpReach(b: Uint8Array, off: number, len: number, ctx: CodecContext): MpReach | null {
  if (len < 5) throw malformed(`MP_REACH_NLRI length ${len}`);
  const end = off + len;
  const afi = (b[off]! << 8) | b[off + 1]!;
  const safi = b[off + 2]!;
  if (!supported(afi, safi)) return null;
  const nhLen = b[off + 3]!;
  if (off + 4 + nhLen + 1 > end) throw malformed(`MP_REACH_NLRI next hop length ${nhLen} overruns the attribute`);
  if (!validNextHopLength(afi, nhLen, ctx)) throw malformed(`MP_REACH_NLRI next hop length ${nhLen} for AFI ${afi}`);
  const nh = off + 4;
  const nextHop: NextHop =
    nhLen === 32
      ? { global: sharedBytes(b, nh, nh + 16), linkLocal: sharedBytes(b, nh + 16, nh + 32) }
      : { global: sharedBytes(b, nh, nh + nhLen) };
  const nlri: Nlri[] = [];
  decodeNlri(b, nh + nhLen + 1, end, afi as Afi, ctx.addPathRx.has(afiSafi(afi, safi)), nlri);
  return { afi: afi as Afi, safi, nextHop, nlri };
}

/** Decodes an MP_UNREACH_NLRI value; null for a family we do not handle. Throws BgpError. */
export function decodeMpUnreach(b: Uint8Array, off: number, len: number, ctx: CodecContext): MpUnreach | null {
  if (len < 3) throw malformed(`MP_UNREACH_NLRI length ${len}`);
  const afi = (b[off]! << 8) | b[off + 1]!;
  const safi = b[off + 2]!;
  if (!supported(afi, safi)) return null;
  const withdrawn: Nlri[] = [];
  decodeNlri(b, off + 3, off + len, afi as Afi, ctx.addPathRx.has(afiSafi(afi, safi)), withdrawn);
  return { afi: afi as Afi, safi, withdrawn };
}

/** Size of the MP_REACH_NLRI value before its NLRI. */
export const mpReachHeadSize = (nh: NextHop): number => 5 + nh.global.length + (nh.linkLocal ? 16 : 0);

/** Writes the MP_REACH_NLRI value head (AFI..Reserved) at b[p]; returns the next offset. */
export function putMpReachHead(b: Uint8Array, p: number, afi: number, safi: number, nh: NextHop): number {
  b[p] = afi >>> 8;
  b[p + 1] = afi;
  b[p + 2] = safi;
  const nhLen = nh.global.length + (nh.linkLocal ? 16 : 0);
  b[p + 3] = nhLen;
  putBytes(b, p + 4, nh.global, 0, nh.global.length);
  if (nh.linkLocal) putBytes(b, p + 4 + nh.global.length, nh.linkLocal, 0, 16);
  b[p + 4 + nhLen] = 0;
  return p + 5 + nhLen;
}

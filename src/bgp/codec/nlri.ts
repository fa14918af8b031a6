// IPv4/IPv6 unicast NLRI (RFC 4271 §4.3 "Network Layer Reachability Information", RFC 4760
// §5 for IPv6), with the RFC 7911 §3 path identifier when ADD-PATH is on for the family.
// A hot path: decoding allocates only the Nlri object (rib/prefix.ts Nlri4 / Nlri6: the
// address as 32-bit words, no byte array), and indexes the bytes directly (bounds checked
// once per prefix).
//
//   [ Path Identifier (4 octets) ]   only with ADD-PATH for this family and direction
//   +---------------------------+
//   |   Length (1 octet)        |   prefix length in bits
//   +---------------------------+
//   |   Prefix (variable)       |   ceil(Length / 8) octets; trailing bits are ignored
//   +---------------------------+
//
// Errors: RFC 7606 §5.3 calls an NLRI or withdrawn-routes field "syntactically incorrect"
// when a length exceeds 32/128 or the last prefix overruns the field; §3 (j) then rules
// out treat-as-withdraw, so it is a session reset: BgpError(3, 10 Invalid Network Field).
// (For MP_REACH/MP_UNREACH that would allow "AFI/SAFI disable"; we reset there too.)
// Trailing host bits past the length are cleared (RFC 4271 §4.3: they are irrelevant).
// Leaves out: labelled, VPN and other SAFIs.

import { Afi, Nlri4, Nlri6, addrWord, maskWord, type Nlri } from '../../rib/prefix.js';
import { BgpError, ErrorCode, UpdateSubcode } from '../errors.js';

function invalid(detail: string): BgpError {
  return new BgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.INVALID_NETWORK_FIELD, new Uint8Array(0), detail);
}

/** Word w of a prefix of `n` octets at b[p] (octets past n are zero), host bits of `len` cleared. */
function addrWordAt(b: Uint8Array, p: number, n: number, w: number, len: number): number {
  let v = 0;
  for (let i = 4 * w; i < 4 * w + 4; i++) v = (v << 8) | (i < n ? b[p + i]! : 0);
  return maskWord(v, w, len);
}

/**
 * Decodes the prefixes in b[start, end) and appends them to `out`. Throws BgpError(3, 10)
 * on a syntactically incorrect field.
 */
export function decodeNlri(b: Uint8Array, start: number, end: number, afi: Afi, addPath: boolean, out: Nlri[]): void {
  const maxBits = afi === Afi.IPV4 ? 32 : 128;
  const addrLen = afi === Afi.IPV4 ? 4 : 16;
  let p = start;
  let pathId = 0;
  while (p < end) {
    if (addPath) {
      if (p + 5 > end) throw invalid('path identifier overruns the field');
      pathId = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      p += 4;
    }
    const len = b[p++]!;
    if (len > maxBits) throw invalid(`prefix length ${len} > ${maxBits}`);
    const n = (len + 7) >> 3;
    if (p + n > end) throw invalid('prefix overruns the field');
    // The address as 32-bit words (rib/prefix.ts Nlri4 / Nlri6), host bits masked off.
    if (addrLen === 4) out.push(new Nlri4(addrWordAt(b, p, n, 0, len), len, pathId));
    else out.push(new Nlri6(addrWordAt(b, p, n, 0, len), addrWordAt(b, p, n, 1, len), addrWordAt(b, p, n, 2, len), addrWordAt(b, p, n, 3, len), len, pathId));
    p += n;
  }
}

/** Encoded size of one prefix. */
export function nlriSize(n: Nlri, addPath: boolean): number {
  return (addPath ? 5 : 1) + ((n.len + 7) >> 3);
}

/** Writes one prefix at b[p] (sized by the caller with nlriSize); returns the next offset. */
export function putNlri(b: Uint8Array, p: number, n: Nlri, addPath: boolean): number {
  if (addPath) {
    const id = n.pathId;
    b[p] = id >>> 24;
    b[p + 1] = id >>> 16;
    b[p + 2] = id >>> 8;
    b[p + 3] = id;
    p += 4;
  }
  const len = n.len;
  b[p++] = len;
  const nb = (len + 7) >> 3;
  for (let i = 0; i < nb; i++) b[p + i] = addrWord(n, i >> 2) >>> (24 - 8 * (i & 3));
  const rem = len & 7;
  if (rem !== 0) b[p + nb - 1] = b[p + nb - 1]! & (0xff << (8 - rem));
  return p + nb;
}

/** Total encoded size of a list of prefixes. */
export function nlriListSize(list: readonly Nlri[], addPath: boolean): number {
  let size = 0;
  for (let i = 0; i < list.length; i++) size += (addPath ? 5 : 1) + ((list[i]!.len + 7) >> 3);
  return size;
}

// IPv4/IPv6 unicast NLRI (RFC 4271 §4.3 "Network Layer Reachability Information", RFC 4760
// §5 for IPv6), with the RFC 7911 §3 path identifier when ADD-PATH is on for the family.
// A hot path: decoding allocates only the Nlri object and its 4- or 16-byte address, and
// indexes the bytes directly (bounds checked once per prefix).
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

import { Afi, Nlri4, type Nlri } from '../../rib/prefix.js';
import { BgpError, ErrorCode, UpdateSubcode } from '../errors.js';

function invalid(detail: string): BgpError {
  return new BgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.INVALID_NETWORK_FIELD, new Uint8Array(0), detail);
}

/**
 * Prefix addresses are views into 4 KiB slabs rather than one Uint8Array each: a typed
 * array of its own costs an ArrayBuffer object (~90 bytes) beside the view, and a full
 * table holds a million of them. A slab lives while any address in it does, so the
 * worst case (one survivor per slab after heavy churn) costs 4 KiB per survivor.
 */
const SLAB = 4096;
let slab = new Uint8Array(new ArrayBuffer(SLAB));
let slabOff = 0;

function slabAddress(len: number): Uint8Array {
  if (slabOff + len > SLAB) {
    slab = new Uint8Array(new ArrayBuffer(SLAB));
    slabOff = 0;
  }
  const a = slab.subarray(slabOff, slabOff + len);
  slabOff += len;
  return a;
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
    if (addrLen === 4) {
      // IPv4: the address as a number (rib/prefix.ts Nlri4), host bits masked off.
      let v = 0;
      for (let i = 0; i < 4; i++) v = (v << 8) | (i < n ? b[p + i]! : 0);
      if (len < 32) v &= len === 0 ? 0 : ~0 << (32 - len);
      p += n;
      out.push(new Nlri4(v | 0, len, pathId));
      continue;
    }
    const addr = slabAddress(addrLen);
    for (let i = 0; i < n; i++) addr[i] = b[p + i]!;
    const rem = len & 7;
    if (rem !== 0) addr[n - 1] = addr[n - 1]! & (0xff << (8 - rem));
    p += n;
    out.push({ afi, len, addr, pathId });
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
  const v = (n as Partial<Nlri4>).v4;
  if (v !== undefined) for (let i = 0; i < nb; i++) b[p + i] = v >>> (24 - 8 * i);
  else {
    const a = n.addr;
    for (let i = 0; i < nb; i++) b[p + i] = a[i]!;
  }
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

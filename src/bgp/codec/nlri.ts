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

/**
 * Writes one prefix given as words at b[p]: `pathId` first when `addPath` (RFC 7911 §3),
 * then the length and the address bytes the length covers (host bits cleared). w1..w3 are
 * IPv6 words 1..3 (ignored for IPv4 lengths up to 32). Returns the next offset; at most 21
 * bytes.
 */
export function putNlriWords(b: Uint8Array, p: number, addPath: boolean, pathId: number, len: number, w0: number, w1: number, w2: number, w3: number): number {
  if (addPath) {
    b[p] = pathId >>> 24;
    b[p + 1] = pathId >>> 16;
    b[p + 2] = pathId >>> 8;
    b[p + 3] = pathId;
    p += 4;
  }
  b[p++] = len;
  const nb = (len + 7) >> 3;
  for (let i = 0; i < nb; i++) {
    const w = i < 4 ? w0 : i < 8 ? w1 : i < 12 ? w2 : w3;
    b[p + i] = w >>> (24 - 8 * (i & 3));
  }
  const rem = len & 7;
  if (rem !== 0) b[p + nb - 1] = b[p + nb - 1]! & (0xff << (8 - rem));
  return p + nb;
}

/** Most bytes one prefix takes on the wire (path id, length, 16 address bytes). */
export const NLRI_MAX_BYTES = 21;

/**
 * Prefixes already in wire form, back to back: the i-th is bytes[ends[i - 1] .. ends[i])
 * (from 0 for the first). Callers that hold prefixes as words (an Adj-RIB-Out) write them
 * here with putNlriWords, so that packing an UPDATE makes no object per prefix. Reused:
 * `clear` and fill again.
 */
export class NlriRun {
  bytes = new Uint8Array(4096);
  ends = new Int32Array(256);
  count = 0;

  clear(): void {
    this.count = 0;
  }

  /** Bytes held. */
  get size(): number {
    return this.count === 0 ? 0 : this.ends[this.count - 1]!;
  }

  /** The offset to write the next prefix at, with room for NLRI_MAX_BYTES (read `bytes` after: it may be replaced). */
  reserve(): number {
    const at = this.size;
    if (at + NLRI_MAX_BYTES > this.bytes.length) {
      const b = new Uint8Array(this.bytes.length * 2);
      b.set(this.bytes.subarray(0, at));
      this.bytes = b;
    }
    if (this.count === this.ends.length) {
      const e = new Int32Array(this.ends.length * 2);
      e.set(this.ends);
      this.ends = e;
    }
    return at;
  }

  /** Ends the prefix written at reserve()'s offset at `end`. */
  commit(end: number): void {
    this.ends[this.count++] = end;
  }

  add(n: Nlri, addPath: boolean): void {
    const at = this.reserve(); // first: it may replace `bytes`
    this.commit(putNlri(this.bytes, at, n, addPath));
  }
}

/** Total encoded size of a list of prefixes. */
export function nlriListSize(list: readonly Nlri[], addPath: boolean): number {
  let size = 0;
  for (let i = 0; i < list.length; i++) size += (addPath ? 5 : 1) + ((list[i]!.len + 7) >> 3);
  return size;
}

// COMMUNITIES (RFC 1997), EXTENDED_COMMUNITIES (RFC 4360 §2) and LARGE_COMMUNITY
// (RFC 8092 §3) values, with the well-known communities and text forms for `show` and
// filters. The attribute framing and RFC 7606 §7.8 / §7.14 / RFC 8092 §6 length rules
// are in attributes.ts; these functions see a value slice whose length is already checked.
// Leaves out: typed views of extended communities (route targets etc.): they stay 8 bytes.

import { rd32, copyBytes } from './reader.js';
import type { LargeCommunity } from './types.js';
import { type Writer, wr32 } from './writer.js';

/** RFC 1997 / RFC 3765 / RFC 7999 / RFC 8326 well-known communities. */
export const enum WellKnownCommunity {
  GRACEFUL_SHUTDOWN = 0xffff0000,
  ACCEPT_OWN = 0xffff0001,
  LLGR_STALE = 0xffff0006,
  NO_LLGR = 0xffff0007,
  BLACKHOLE = 0xffff029a,
  NO_EXPORT = 0xffffff01,
  NO_ADVERTISE = 0xffffff02,
  NO_EXPORT_SUBCONFED = 0xffffff03,
  NO_PEER = 0xffffff04,
}

/** 4-octet communities from b[off, off+len) (len a multiple of 4). */
export function decodeCommunities(b: Uint8Array, off: number, len: number): number[] {
  const out = new Array<number>(len >> 2);
  for (let i = 0, p = off; p < off + len; i++, p += 4) out[i] = rd32(b, p);
  return out;
}

export function writeCommunities(w: Writer, list: readonly number[]): void {
  w.ensure(4 * list.length);
  const b = w.buf;
  let p = w.pos;
  for (let i = 0; i < list.length; i++, p += 4) wr32(b, p, list[i]!); // indexed: for-of allocates an iterator
  w.pos = p;
}

/** 8-octet extended communities, each copied out (len a multiple of 8). */
export function decodeExtCommunities(b: Uint8Array, off: number, len: number): Uint8Array[] {
  const out = new Array<Uint8Array>(len >> 3);
  for (let i = 0, p = off; p < off + len; i++, p += 8) out[i] = copyBytes(b, p, p + 8);
  return out;
}

export function writeExtCommunities(w: Writer, list: readonly Uint8Array[]): void {
  for (const c of list) w.bytes(c);
}

/** 12-octet large communities (len a multiple of 12). */
export function decodeLargeCommunities(b: Uint8Array, off: number, len: number): LargeCommunity[] {
  const out = new Array<LargeCommunity>(len / 12);
  for (let i = 0, p = off; p < off + len; i++, p += 12) {
    out[i] = { global: rd32(b, p), local1: rd32(b, p + 4), local2: rd32(b, p + 8) };
  }
  return out;
}

export function writeLargeCommunities(w: Writer, list: readonly LargeCommunity[]): void {
  for (const c of list) {
    w.u32(c.global);
    w.u32(c.local1);
    w.u32(c.local2);
  }
}

/** "65000:100" (BIRD prints `(65000,100)`; the session layer chooses the wrapping). */
export const formatCommunity = (c: number): string => `${c >>> 16}:${c & 0xffff}`;

export const formatLargeCommunity = (c: LargeCommunity): string => `${c.global}:${c.local1}:${c.local2}`;

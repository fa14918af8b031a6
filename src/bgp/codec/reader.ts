// A bounds-checked big-endian cursor over a received byte slice. The reader never trusts
// the peer: every read checks the end of its slice and, on overrun, throws the BgpError
// the caller named when it made the reader (the same overrun means different subcodes in
// different places: 2/0 in an OPEN, 3/1 in UPDATE framing, 3/9 in MP_REACH, ...).
// `sub(n)` gives a reader confined to the next n bytes, so an attribute decoder cannot
// read into the next attribute. Integers are plain numbers (32-bit values unsigned via
// >>> 0); no bigint. Leaves out: writing (writer.ts), and the per-prefix hot loops in
// nlri.ts, which index the bytes directly with explicit checks.

import { BgpError, type ErrorCode } from '../errors.js';
import { putBytes } from './writer.js';

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    readonly code: ErrorCode,
    readonly subcode: number,
  ) {
    this.pos = start;
  }

  static of(buf: Uint8Array, code: ErrorCode, subcode: number): Reader {
    return new Reader(buf, 0, buf.length, code, subcode);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Throws this reader's BgpError unless n more bytes are available. */
  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`need ${n} bytes, have ${this.end - this.pos}`);
  }

  fail(detail: string): never {
    throw new BgpError(this.code, this.subcode, new Uint8Array(0), detail);
  }

  u8(): number {
    if (this.pos + 1 > this.end) this.fail('truncated (u8)');
    return this.buf[this.pos++]!;
  }

  u16(): number {
    if (this.pos + 2 > this.end) this.fail('truncated (u16)');
    const b = this.buf, p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u24(): number {
    if (this.pos + 3 > this.end) this.fail('truncated (u24)');
    const b = this.buf, p = this.pos;
    this.pos = p + 3;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }

  u32(): number {
    if (this.pos + 4 > this.end) this.fail('truncated (u32)');
    const b = this.buf, p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** The next n bytes copied out (owned, safe to keep after the receive buffer is reused). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = copyBytes(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next n bytes as a view into the receive buffer (do not keep it). */
  view(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A reader over the next n bytes (advancing this one past them), with its own error. */
  sub(n: number, code: ErrorCode = this.code, subcode: number = this.subcode): Reader {
    this.need(n);
    const r = new Reader(this.buf, this.pos, this.pos + n, code, subcode);
    this.pos += n;
    return r;
  }
}

/** Unchecked big-endian reads for callers that have already checked their bounds. */
export const rd16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
export const rd32 = (b: Uint8Array, p: number): number =>
  ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

/**
 * An owned copy of b[start, end) as a plain Uint8Array. (Buffer#slice is a view, not a copy,
 * so `.slice` must never be used on a receive buffer.)
 */
export function copyBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  const out = new Uint8Array(n);
  putBytes(out, 0, b, start, end);
  return out;
}

/** The arrays sharedBytes handed out last, most recent first. */
const recentBytes: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)];

/**
 * b[start, end) as an array that may be shared: one of the last four sharedBytes returned
 * when it holds the same bytes, else a new copy (copyBytes). For values that repeat from
 * UPDATE to UPDATE and nobody writes into (next hops: a session's peer sends one or a few):
 * a full table otherwise made a Uint8Array and its ArrayBuffer per UPDATE for the garbage
 * collector (35 MB per million prefixes). Callers must treat the result as read-only.
 */
export function sharedBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start, r = recentBytes;
  outer: for (let k = 0; k < r.length; k++) {
    const c = r[k]!;
    if (c.length !== n) continue;
    for (let i = 0; i < n; i++) if (c[i] !== b[start + i]) continue outer;
    if (k > 0) {
      r.splice(k, 1);
      r.unshift(c);
    }
    return c;
  }
  const out = copyBytes(b, start, end);
  r.pop();
  r.unshift(out);
  return out;
}

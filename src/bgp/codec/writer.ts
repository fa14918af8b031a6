// A growable big-endian byte writer with length back-patching: reserve a 1- or 2-byte
// length field, write the body, then patch the length in. Used by every encoder. Output is
// copied into an exact-size Buffer by `finish()`. Leaves out: any knowledge of BGP (the
// header lives in header.ts).

export class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf, p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  u24(v: number): void {
    this.ensure(3);
    const b = this.buf, p = this.pos;
    b[p] = v >>> 16;
    b[p + 1] = v >>> 8;
    b[p + 2] = v;
    this.pos = p + 3;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf, p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Writes n zero bytes (fill(0) on a growing buffer is not guaranteed after reset). */
  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  /** Reserves a length field of `size` bytes (1 or 2); returns its position for `patch`. */
  reserve(size: 1 | 2): number {
    const at = this.pos;
    this.ensure(size);
    this.pos += size;
    return at;
  }

  /** Writes the number of bytes written since the reserved field into it. */
  patch(at: number, size: 1 | 2): number {
    const len = this.pos - at - size;
    if (size === 1) this.buf[at] = len;
    else {
      this.buf[at] = len >>> 8;
      this.buf[at + 1] = len;
    }
    return len;
  }

  /** Writes an explicit value at a position already written. */
  set16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v;
  }

  /** An exact-size copy of what was written. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    putBytes(out, 0, this.buf, 0, this.pos);
    return out;
  }

  /** A view of what was written (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * Copies src[from, to) to dst[at...]. Short runs (an attribute block, the prefixes of an
 * UPDATE, a next hop: tens of bytes) by a loop: `dst.set(src.subarray(...))` makes a view
 * object per call, and a packed full table makes one per message (profiled: 30 MB of views
 * per million prefixes).
 */
export function putBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, to: number): void {
  const n = to - from;
  if (n > 64) {
    dst.set(src.subarray(from, to), at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
}

/** Unchecked big-endian writes into a buffer already sized by the caller. */
export function wr16(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 8;
  b[p + 1] = v;
}
export function wr32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

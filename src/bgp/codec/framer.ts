// Cuts a TCP byte stream into whole BGP messages (RFC 4271 §4.1). Messages that lie within
// one received chunk come out as zero-copy `subarray` views of it; a message that spans
// chunks is assembled once, when all of its bytes have arrived (so a peer trickling a
// 64 KiB message byte by byte costs O(n), not O(n²)). The header is checked (header.ts) as
// soon as its 19 bytes are in, before waiting for the body. The session owns one Framer per
// connection; after the first error the connection is to be closed.
// Leaves out: decoding (message.ts), and any limit on how many messages one turn takes
// (the session decides when to yield).

import { checkHeader } from './header.js';
import { BGP_HEADER_LENGTH, BGP_MAX_MESSAGE_LENGTH } from './types.js';

export class Framer {
  #max: number;
  /** Chunks not yet consumed: #chunks[#head ..]; the first is read from #off. */
  #chunks: Buffer[] = [];
  #head = 0;
  #off = 0;
  #total = 0;
  /** A header that spans chunks, copied out to be checked. */
  readonly #hdr = Buffer.alloc(BGP_HEADER_LENGTH);

  constructor(maxMessageLength: number = BGP_MAX_MESSAGE_LENGTH) {
    this.#max = maxMessageLength;
  }

  /** 4096, or 65535 once Extended Message is negotiated (RFC 8654). */
  setMaxMessageLength(n: number): void {
    this.#max = n;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#total += chunk.length;
  }

  /** Bytes received and not yet returned as messages. */
  get buffered(): number {
    return this.#total;
  }

  /**
   * The next whole message (header included), or null until more bytes arrive. Throws
   * BgpError(1, ...) for a bad header (RFC 4271 §6.1).
   */
  next(): Buffer | null {
    if (this.#total < BGP_HEADER_LENGTH) return null;
    const head = this.#chunks[this.#head]!;
    const start = this.#off, avail = head.length - start;
    if (avail >= BGP_HEADER_LENGTH) {
      const len = checkHeader(head, start, this.#max);
      if (this.#total < len) return null;
      if (avail >= len) {
        this.#total -= len;
        if (avail === len) this.#drop();
        else this.#off = start + len;
        return head.subarray(start, start + len);
      }
      return this.#assemble(len);
    }
    this.#copy(this.#hdr, BGP_HEADER_LENGTH, false);
    const len = checkHeader(this.#hdr, 0, this.#max);
    if (this.#total < len) return null;
    return this.#assemble(len);
  }

  /**
   * The next `len` bytes, which span chunks, as one new Buffer: only the message is copied,
   * not whatever else is pending (a reader that fell behind may hold many chunks).
   */
  #assemble(len: number): Buffer {
    const out = Buffer.allocUnsafe(len);
    this.#copy(out, len, true);
    this.#total -= len;
    return out;
  }

  /** Copies the next n bytes into `to`; consumes them when `consume`. */
  #copy(to: Buffer, n: number, consume: boolean): void {
    let i = this.#head, off = this.#off, o = 0;
    while (o < n) {
      const c = this.#chunks[i]!;
      const k = Math.min(c.length - off, n - o);
      c.copy(to, o, off, off + k);
      o += k;
      off += k;
      if (off === c.length) {
        i++;
        off = 0;
      }
    }
    if (!consume) return;
    for (let d = i - this.#head; d > 0; d--) this.#drop(); // (#drop may renumber the chunks)
    this.#off = off;
  }

  /** The first chunk is used up. */
  #drop(): void {
    this.#chunks[this.#head++] = undefined as unknown as Buffer;
    this.#off = 0;
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= 64 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}

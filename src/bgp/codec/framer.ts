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
  /** Chunks not yet consumed; the first is read from #off. */
  #chunks: Buffer[] = [];
  #off = 0;
  #total = 0;

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
    let head = this.#chunks[0]!;
    if (head.length - this.#off < BGP_HEADER_LENGTH) head = this.#coalesce();
    const len = checkHeader(head, this.#off, this.#max);
    if (this.#total < len) return null;
    if (head.length - this.#off < len) head = this.#coalesce();
    const start = this.#off;
    const msg = head.subarray(start, start + len);
    this.#total -= len;
    if (start + len === head.length) {
      this.#chunks.shift();
      this.#off = 0;
    } else {
      this.#off = start + len;
    }
    return msg;
  }

  /** Joins every pending chunk into one (called only when a message spans chunks). */
  #coalesce(): Buffer {
    const first = this.#chunks[0]!;
    const parts = [first.subarray(this.#off), ...this.#chunks.slice(1)];
    const joined = Buffer.concat(parts, this.#total);
    this.#chunks = [joined];
    this.#off = 0;
    return joined;
  }
}

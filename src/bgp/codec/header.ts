// The BGP message header (RFC 4271 §4.1) and its checks (RFC 4271 §6.1), shared by the
// framer (which checks as soon as 19 bytes are in) and decodeMessage (which checks whole
// messages handed to it). RFC 8654: with Extended Message the limit is 65535 for every type
// except OPEN and KEEPALIVE, which stay at 4096. ROUTE-REFRESH length is checked by
// route-refresh.ts (RFC 7313 §5 gives it its own error code), so here it only needs 19.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                          Marker (16 x 0xff)                   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Length               |      Type     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { BgpError, ErrorCode, HeaderSubcode } from '../errors.js';
import { BGP_HEADER_LENGTH, BGP_MAX_MESSAGE_LENGTH, MessageType } from './types.js';
import type { Writer } from './writer.js';

/** Minimum total length per message type (RFC 4271 §4.2–§4.5; RFC 2918 §3 for type 5). */
const MIN_LENGTH: readonly number[] = [0, 29, 23, 21, 19, 19];

const TYPE_NAMES: readonly string[] = ['', 'OPEN', 'UPDATE', 'NOTIFICATION', 'KEEPALIVE', 'ROUTE-REFRESH'];

export function messageTypeName(t: number): string {
  return TYPE_NAMES[t] || `UNKNOWN(${t})`;
}

function badLength(len: number): BgpError {
  // RFC 4271 §6.1: "the Data field MUST contain the erroneous Length field".
  return new BgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, Uint8Array.of(len >>> 8, len & 0xff), `length ${len}`);
}

/**
 * Checks the header at `off` (19 bytes must be present) and returns the message length.
 * Throws BgpError(1, 1|2|3) as RFC 4271 §6.1 says, with the RFC's data.
 */
export function checkHeader(b: Uint8Array, off: number, maxMessageLength: number): number {
  for (let i = 0; i < 16; i++) {
    if (b[off + i] !== 0xff) {
      throw new BgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, new Uint8Array(0), 'marker is not all ones');
    }
  }
  const len = (b[off + 16]! << 8) | b[off + 17]!;
  const type = b[off + 18]!;
  if (len < BGP_HEADER_LENGTH || len > maxMessageLength) throw badLength(len);
  if (type < MessageType.OPEN || type > MessageType.ROUTE_REFRESH) {
    // RFC 4271 §6.1: "the Data field MUST contain the erroneous Type field".
    throw new BgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, Uint8Array.of(type), `type ${type}`);
  }
  if (len < MIN_LENGTH[type]!) throw badLength(len);
  if (type === MessageType.KEEPALIVE && len !== BGP_HEADER_LENGTH) throw badLength(len);
  // RFC 8654 §3: OPEN and KEEPALIVE never exceed 4096 octets.
  if (type === MessageType.OPEN && len > BGP_MAX_MESSAGE_LENGTH) throw badLength(len);
  return len;
}

/** Writes marker, a length placeholder and the type; returns nothing (length at offset 16). */
export function writeHeader(w: Writer, type: MessageType): void {
  w.ensure(BGP_HEADER_LENGTH);
  w.buf.fill(0xff, w.pos, w.pos + 16);
  w.pos += 18;
  w.buf[w.pos++] = type;
}

/** Patches the length of a message started at `start` with writeHeader. */
export function finishHeader(w: Writer, start = 0): number {
  const len = w.pos - start;
  w.set16(start + 16, len);
  return len;
}

/** Marker, length and type into a buffer already sized by the caller. */
export function putHeader(b: Uint8Array, off: number, len: number, type: MessageType): void {
  for (let i = off; i < off + 16; i++) b[i] = 0xff;
  b[off + 16] = len >>> 8;
  b[off + 17] = len;
  b[off + 18] = type;
}

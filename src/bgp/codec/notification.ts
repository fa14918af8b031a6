// NOTIFICATION (RFC 4271 §4.5) and the RFC 9003 shutdown communication carried in Cease /
// Administrative Shutdown (2) and Administrative Reset (4): a length octet and up to 255
// octets of UTF-8. Decoding never fails on the data (a peer's NOTIFICATION is about to
// close the session anyway; RFC 9003 §2 says a malformed communication is just not shown).
//
//   Error code (1) | Error subcode (1) | Data (variable)
//   RFC 9003 data: Length (1) | Shutdown Communication (Length octets, UTF-8)
// Leaves out: the operator-facing catalogue of error names (errors.ts has them).

import { CeaseSubcode, ErrorCode } from '../errors.js';
import { finishHeader, writeHeader } from './header.js';
import { MessageType, type NotificationMessage } from './types.js';
import { Writer } from './writer.js';
import { copyBytes } from './reader.js';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Enc = new TextEncoder();

export const MAX_SHUTDOWN_COMMUNICATION = 255;

/** Decodes a NOTIFICATION; `msg` is the whole message including the header (≥ 21 bytes). */
export function decodeNotification(msg: Uint8Array): NotificationMessage {
  const code = msg[19]!, subcode = msg[20]!;
  const data = copyBytes(msg, 21, msg.length);
  const n: NotificationMessage = { type: MessageType.NOTIFICATION, code, subcode, data };
  if (code === ErrorCode.CEASE && (subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || subcode === CeaseSubcode.ADMINISTRATIVE_RESET)) {
    const text = shutdownCommunication(data);
    if (text !== null) return { ...n, shutdownCommunication: text };
  }
  return n;
}

/** The RFC 9003 text in `data`, or null when there is none or it is malformed. */
export function shutdownCommunication(data: Uint8Array): string | null {
  if (data.length < 1) return null;
  const len = data[0]!;
  if (len === 0 || 1 + len > data.length) return null;
  try {
    return utf8Strict.decode(data.subarray(1, 1 + len));
  } catch {
    return null;
  }
}

export function encodeNotification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  const w = new Writer(21 + data.length);
  writeHeader(w, MessageType.NOTIFICATION);
  w.u8(code);
  w.u8(subcode);
  w.bytes(data);
  finishHeader(w);
  return w.finish();
}

/** UTF-8 of `text`, cut to at most `max` octets on a character boundary. */
export function truncateUtf8(text: string, max: number): Uint8Array {
  const bytes = utf8Enc.encode(text);
  if (bytes.length <= max) return bytes;
  let n = max;
  // Back up over continuation octets (10xxxxxx) so no character is split.
  while (n > 0 && (bytes[n]! & 0xc0) === 0x80) n--;
  return bytes.subarray(0, n);
}

/**
 * Cease with an RFC 9003 shutdown communication (text cut to 255 octets of UTF-8 on a
 * character boundary). Meant for subcodes 2 and 4; other subcodes get the same data.
 */
export function encodeShutdownNotification(subcode: CeaseSubcode, text: string): Buffer {
  const t = truncateUtf8(text, MAX_SHUTDOWN_COMMUNICATION);
  const data = new Uint8Array(1 + t.length);
  data[0] = t.length;
  data.set(t, 1);
  return encodeNotification(ErrorCode.CEASE, subcode, t.length === 0 ? new Uint8Array(0) : data);
}

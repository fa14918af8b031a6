// KEEPALIVE (RFC 4271 §4.4): the header alone, exactly 19 octets (header.ts rejects any
// other length with 1/2). The encoded message never changes, so one copy per call of a
// shared template.

import { putHeader } from './header.js';
import { BGP_HEADER_LENGTH, type KeepaliveMessage, MessageType } from './types.js';

const TEMPLATE = Buffer.alloc(BGP_HEADER_LENGTH);
putHeader(TEMPLATE, 0, BGP_HEADER_LENGTH, MessageType.KEEPALIVE);

export const KEEPALIVE: KeepaliveMessage = Object.freeze({ type: MessageType.KEEPALIVE });

/** A fresh 19-byte KEEPALIVE (a copy: callers may hand it to socket.write). */
export function encodeKeepalive(): Buffer {
  return Buffer.from(TEMPLATE);
}

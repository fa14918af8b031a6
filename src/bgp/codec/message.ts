// decodeMessage: one whole BGP message (header included, as the Framer returns it) to its
// decoded form, with the header re-checked (RFC 4271 §6.1) against the context's length
// limit and the buffer's own length. Errors are BgpError only; UPDATE soft errors come back
// in the UpdateMessage (update.ts).

import { BgpError, ErrorCode, HeaderSubcode } from '../errors.js';
import { checkHeader } from './header.js';
import { KEEPALIVE } from './keepalive.js';
import { decodeNotification } from './notification.js';
import { decodeOpen } from './open.js';
import { decodeRouteRefresh } from './route-refresh.js';
import { type BgpMessage, BGP_HEADER_LENGTH, type CodecContext, MessageType } from './types.js';
import { decodeUpdate } from './update.js';
import { copyBytes } from './reader.js';

export function decodeMessage(msg: Uint8Array, ctx: CodecContext): BgpMessage {
  if (msg.length < BGP_HEADER_LENGTH) {
    throw new BgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, Uint8Array.of(msg.length >>> 8, msg.length & 0xff), 'shorter than a header');
  }
  const len = checkHeader(msg, 0, ctx.maxMessageLength);
  if (len !== msg.length) {
    throw new BgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, copyBytes(msg, 16, 18), `length field ${len}, buffer ${msg.length}`);
  }
  switch (msg[18] as MessageType) {
    case MessageType.UPDATE:
      return decodeUpdate(msg, ctx);
    case MessageType.KEEPALIVE:
      return KEEPALIVE;
    case MessageType.OPEN:
      return decodeOpen(msg);
    case MessageType.NOTIFICATION:
      return decodeNotification(msg);
    case MessageType.ROUTE_REFRESH:
      return decodeRouteRefresh(msg);
  }
  // checkHeader has rejected every other type.
  throw new BgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, Uint8Array.of(msg[18]!));
}

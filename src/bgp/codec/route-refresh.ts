// ROUTE-REFRESH (RFC 2918 §3) with the RFC 7313 §3.2 Message Subtype (formerly Reserved):
// 0 normal request, 1 Beginning of Route Refresh, 2 End of Route Refresh. RFC 7313 §5: a
// ROUTE-REFRESH whose length is not 4 octets past the header → NOTIFICATION 7/1 (Invalid
// Message Length) with the complete message as data. Subtypes 3..255 decode as received;
// RFC 7313 §5 says the session MUST ignore them (it must check `subtype` ≤ 2).
//
//   AFI (2) | Message Subtype (1) | SAFI (1)

import { BgpError, ErrorCode, RouteRefreshSubcode } from '../errors.js';
import { putHeader } from './header.js';
import { MessageType, type RouteRefreshMessage, RouteRefreshSubtype } from './types.js';
import { copyBytes } from './reader.js';

export function decodeRouteRefresh(msg: Uint8Array): RouteRefreshMessage {
  if (msg.length !== 23) {
    throw new BgpError(ErrorCode.ROUTE_REFRESH_MESSAGE, RouteRefreshSubcode.INVALID_MESSAGE_LENGTH, copyBytes(msg, 0, msg.length), `length ${msg.length}`);
  }
  return {
    type: MessageType.ROUTE_REFRESH,
    afi: (msg[19]! << 8) | msg[20]!,
    subtype: msg[21]! as RouteRefreshSubtype,
    safi: msg[22]!,
  };
}

export function encodeRouteRefresh(afi: number, safi: number, subtype: RouteRefreshSubtype = RouteRefreshSubtype.NORMAL): Buffer {
  const b = Buffer.allocUnsafe(23);
  putHeader(b, 0, 23, MessageType.ROUTE_REFRESH);
  b[19] = afi >>> 8;
  b[20] = afi;
  b[21] = subtype;
  b[22] = safi;
  return b;
}

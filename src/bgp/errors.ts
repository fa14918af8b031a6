// BGP errors as typed values. A BgpError is what becomes a NOTIFICATION (RFC 4271 §4.5,
// §6): it carries the error code, subcode and data. The codec throws it for header, OPEN
// and session-reset UPDATE errors; it is caught in exactly one place, the session, which
// sends the NOTIFICATION and closes. UPDATE errors that RFC 7606 handles without a reset
// (treat-as-withdraw, attribute discard) are not thrown: they come back in the decoded
// UPDATE as its `action`. Names follow the IANA "BGP Error (Notification) Codes" and
// subcode registries so a grep for the RFC term finds them.

export const enum ErrorCode {
  MESSAGE_HEADER = 1,
  OPEN_MESSAGE = 2,
  UPDATE_MESSAGE = 3,
  HOLD_TIMER_EXPIRED = 4,
  FSM = 5,
  CEASE = 6,
  ROUTE_REFRESH_MESSAGE = 7,
}

export const enum HeaderSubcode {
  CONNECTION_NOT_SYNCHRONIZED = 1,
  BAD_MESSAGE_LENGTH = 2,
  BAD_MESSAGE_TYPE = 3,
}

export const enum OpenSubcode {
  UNSPECIFIC = 0,
  UNSUPPORTED_VERSION_NUMBER = 1,
  BAD_PEER_AS = 2,
  BAD_BGP_IDENTIFIER = 3,
  UNSUPPORTED_OPTIONAL_PARAMETER = 4,
  UNACCEPTABLE_HOLD_TIME = 6,
  UNSUPPORTED_CAPABILITY = 7,
  ROLE_MISMATCH = 11,
}

export const enum UpdateSubcode {
  MALFORMED_ATTRIBUTE_LIST = 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE = 2,
  MISSING_WELL_KNOWN_ATTRIBUTE = 3,
  ATTRIBUTE_FLAGS_ERROR = 4,
  ATTRIBUTE_LENGTH_ERROR = 5,
  INVALID_ORIGIN_ATTRIBUTE = 6,
  INVALID_NEXT_HOP_ATTRIBUTE = 8,
  OPTIONAL_ATTRIBUTE_ERROR = 9,
  INVALID_NETWORK_FIELD = 10,
  MALFORMED_AS_PATH = 11,
}

export const enum FsmSubcode {
  UNSPECIFIED = 0,
  UNEXPECTED_MESSAGE_IN_OPENSENT = 1,
  UNEXPECTED_MESSAGE_IN_OPENCONFIRM = 2,
  UNEXPECTED_MESSAGE_IN_ESTABLISHED = 3,
}

/** RFC 4486 Cease subcodes. */
export const enum CeaseSubcode {
  MAXIMUM_PREFIXES_REACHED = 1,
  ADMINISTRATIVE_SHUTDOWN = 2,
  PEER_DECONFIGURED = 3,
  ADMINISTRATIVE_RESET = 4,
  CONNECTION_REJECTED = 5,
  OTHER_CONFIGURATION_CHANGE = 6,
  CONNECTION_COLLISION_RESOLUTION = 7,
  OUT_OF_RESOURCES = 8,
  HARD_RESET = 9,
  BFD_DOWN = 10,
}

export const enum RouteRefreshSubcode {
  INVALID_MESSAGE_LENGTH = 1,
}

/** Human names for logs and `show protocols all` ("Last error"), BIRD's wording. */
export const ERROR_NAMES: Readonly<Record<number, { name: string; sub: Readonly<Record<number, string>> }>> = {
  1: { name: 'Message header error', sub: { 1: 'Connection not synchronized', 2: 'Bad message length', 3: 'Bad message type' } },
  2: {
    name: 'OPEN message error',
    sub: {
      1: 'Unsupported version number', 2: 'Bad peer AS', 3: 'Bad BGP identifier',
      4: 'Unsupported optional parameter', 6: 'Unacceptable hold time', 7: 'Unsupported capability',
      11: 'Role mismatch',
    },
  },
  3: {
    name: 'UPDATE message error',
    sub: {
      1: 'Malformed attribute list', 2: 'Unrecognized well-known attribute', 3: 'Missing mandatory attribute',
      4: 'Invalid attribute flags', 5: 'Invalid attribute length', 6: 'Invalid ORIGIN attribute',
      8: 'Invalid NEXT_HOP attribute', 9: 'Optional attribute error', 10: 'Invalid network field',
      11: 'Malformed AS_PATH',
    },
  },
  4: { name: 'Hold timer expired', sub: {} },
  5: { name: 'Finite state machine error', sub: { 1: 'Unexpected message in OpenSent', 2: 'Unexpected message in OpenConfirm', 3: 'Unexpected message in Established' } },
  6: {
    name: 'Cease',
    sub: {
      1: 'Maximum number of prefixes reached', 2: 'Administrative shutdown', 3: 'Peer de-configured',
      4: 'Administrative reset', 5: 'Connection rejected', 6: 'Other configuration change',
      7: 'Connection collision resolution', 8: 'Out of resources', 9: 'Hard reset', 10: 'BFD session down',
    },
  },
  7: { name: 'ROUTE-REFRESH message error', sub: { 1: 'Invalid ROUTE-REFRESH message length' } },
  8: { name: 'Send hold timer expired', sub: {} }, // RFC 9687
};

export function describeError(code: number, subcode: number): string {
  const c = ERROR_NAMES[code];
  if (!c) return `Unknown error ${code}/${subcode}`;
  const s = c.sub[subcode];
  return s ? `${c.name}: ${s}` : subcode ? `${c.name} (${subcode})` : c.name;
}

/** An error that must be reported to the peer as a NOTIFICATION, then the session closed. */
export class BgpError extends Error {
  override readonly name = 'BgpError';
  constructor(
    readonly code: ErrorCode,
    readonly subcode: number,
    readonly data: Uint8Array = new Uint8Array(0),
    detail?: string,
  ) {
    super(detail ? `${describeError(code, subcode)}: ${detail}` : describeError(code, subcode));
  }
}

/**
 * RFC 7606 §2 error-handling approaches, ordered by strength: when several attributes of
 * one UPDATE are malformed, the strongest action applies (§3 (j)).
 */
export const enum UpdateAction {
  NONE = 0,
  ATTRIBUTE_DISCARD = 1,
  TREAT_AS_WITHDRAW = 2,
  AFI_SAFI_DISABLE = 3,
  SESSION_RESET = 4,
}

/** One soft UPDATE error, kept for logs and counters; the UPDATE still decodes. */
export interface UpdateErrorInfo {
  readonly action: UpdateAction;
  readonly subcode: UpdateSubcode;
  /** Attribute type code, or -1 when the error is not about one attribute. */
  readonly attrType: number;
  readonly reason: string;
}

/** Local failures (configuration, sockets, native addon): a stable `code` string. */
export class WrenError extends Error {
  override readonly name = 'WrenError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

// The BGP codec's public API: framing, decodeMessage, the encoders, UPDATE packing and
// End-of-RIB, and everything in types.ts. Sessions, the FSM and Adj-RIB-Out code against
// this file only. See each module's head comment for the RFC sections it implements.

export * from './types.js';
export { Framer } from './framer.js';
export { decodeMessage } from './message.js';
export { messageTypeName, checkHeader } from './header.js';
export { encodeOpen, decodeOpen, checkHoldTime, BGP_VERSION } from './open.js';
export { encodeKeepalive } from './keepalive.js';
export { encodeNotification, encodeShutdownNotification, shutdownCommunication, MAX_SHUTDOWN_COMMUNICATION } from './notification.js';
export { encodeRouteRefresh } from './route-refresh.js';
export {
  encodeUpdate, encodeEndOfRib, isEndOfRib, encodeAttributeBlock, packUpdates, packWithdrawals, packUpdateRun, packWithdrawalRun, MessageBuffer, decodeUpdate,
} from './update.js';
export { NlriRun, putNlriWords, NLRI_MAX_BYTES } from './nlri.js';
export { CAPABILITIES, capabilityName } from './capabilities.js';
export { ATTRS, AttrType, AttrFlag, attrName } from './attributes.js';
export { asPathLength, mergeAs4Path } from './as-path.js';
export { WellKnownCommunity, formatCommunity, formatLargeCommunity } from './communities.js';

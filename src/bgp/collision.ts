// Connection collision detection, RFC 4271 §6.8, with RFC 6286 §2.3 for equal BGP
// Identifiers. A peer may end up with two TCP connections to us (both sides dialled at once);
// when an OPEN arrives on one of them and the other also carries BGP (OpenSent, OpenConfirm
// or Established), one must go, with a NOTIFICATION Cease / Connection Collision Resolution
// (RFC 4486 subcode 7), sent through the FSM's OpenCollisionDump event.
//
// The rule (§6.8): compare the BGP Identifiers as unsigned 32-bit numbers; the connection
// initiated by the speaker with the higher identifier is kept. Equal identifiers (legal
// between eBGP peers, RFC 6286): the connection initiated by the speaker with the larger AS
// number is kept. A connection already Established always wins
// (CollisionDetectEstablishedState = FALSE). The other connection in OpenSent is examined
// too, because the peer's identifier is known from the OPEN just received on this one (§6.8
// allows examining OpenSent when the identifier is known "by means outside the protocol");
// both speakers then pick the same survivor whatever the arrival order.
// Leaves out: more than two connections per peer (the session refuses a third).

import type { StateName } from './fsm.js';

/** Who initiated a connection: we did (outgoing) or the peer did (incoming). */
export type Direction = 'outgoing' | 'incoming';

export interface ConnectionView {
  readonly direction: Direction;
  readonly state: StateName;
}

export interface Identities {
  /** Our BGP Identifier (router id), unsigned 32-bit. */
  readonly localId: number;
  /** The peer's BGP Identifier from its OPEN. */
  readonly peerId: number;
  readonly localAs: number;
  readonly peerAs: number;
}

/** The direction of the connection that survives a collision between us and this peer. */
export function collisionWinner(ids: Identities): Direction {
  const local = ids.localId >>> 0;
  const peer = ids.peerId >>> 0;
  if (local !== peer) return local > peer ? 'outgoing' : 'incoming';
  return ids.localAs >>> 0 > ids.peerAs >>> 0 ? 'outgoing' : 'incoming';
}

/**
 * 'none': no collision; 'dumpThis': the connection that just received the OPEN loses;
 * 'dumpOther': the other connection loses.
 */
export type CollisionVerdict = 'none' | 'dumpThis' | 'dumpOther';

/**
 * Called when a valid OPEN arrives on `thisConn` while the session has `other` (or null).
 * The two connections must have different directions.
 */
export function resolveCollision(thisConn: ConnectionView, other: ConnectionView | null, ids: Identities): CollisionVerdict {
  if (!other) return 'none';
  switch (other.state) {
    case 'Idle':
    case 'Connect':
    case 'Active':
      return 'none';
    case 'Established':
      return 'dumpThis';
    case 'OpenSent':
    case 'OpenConfirm':
      return collisionWinner(ids) === thisConn.direction ? 'dumpOther' : 'dumpThis';
  }
}

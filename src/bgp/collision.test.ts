// RFC 4271 §6.8 collision resolution and RFC 6286 §2.3 tie-break: both speakers must keep
// the same TCP connection whatever the order in which the OPENs arrive.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collisionWinner, resolveCollision, type Direction, type Identities } from './collision.js';
import type { StateName } from './fsm.js';

const ids = (localId: number, peerId: number, localAs = 65000, peerAs = 65000): Identities => ({ localId, peerId, localAs, peerAs });
const flip = (i: Identities): Identities => ({ localId: i.peerId, peerId: i.localId, localAs: i.peerAs, peerAs: i.localAs });
const other = (d: Direction): Direction => (d === 'outgoing' ? 'incoming' : 'outgoing');

test('§6.8: the connection initiated by the higher BGP Identifier is kept (unsigned compare)', () => {
  assert.equal(collisionWinner(ids(0x0a000002, 0x0a000001)), 'outgoing');
  assert.equal(collisionWinner(ids(0x0a000001, 0x0a000002)), 'incoming');
  // 200.0.0.1 > 10.0.0.1 although it is negative as a signed 32-bit number.
  assert.equal(collisionWinner(ids(0xc8000001 | 0, 0x0a000001)), 'outgoing');
});

test('RFC 6286 §2.3: equal identifiers → the larger AS number initiated the survivor', () => {
  assert.equal(collisionWinner(ids(1, 1, 65001, 65000)), 'outgoing');
  assert.equal(collisionWinner(ids(1, 1, 65000, 65001)), 'incoming');
  assert.equal(collisionWinner(ids(1, 1, 4200000000, 65001)), 'outgoing');
});

test('both speakers agree on the surviving TCP connection', () => {
  for (const i of [ids(1, 2), ids(2, 1), ids(0xffffffff, 7), ids(5, 5, 1, 2), ids(5, 5, 2, 1)]) {
    // Our outgoing connection is the peer's incoming one, so the peer's winner must be the opposite direction.
    assert.equal(collisionWinner(flip(i)), other(collisionWinner(i)));
  }
});

test('resolveCollision: verdict per state of the other connection', () => {
  const I = ids(2, 1); // we have the higher id: our outgoing connection survives
  const cases: [Direction, StateName, string][] = [
    ['incoming', 'OpenConfirm', 'dumpThis'],
    ['incoming', 'OpenSent', 'dumpThis'],
    ['outgoing', 'OpenConfirm', 'dumpOther'],
    ['outgoing', 'OpenSent', 'dumpOther'],
    ['outgoing', 'Established', 'dumpThis'], // CollisionDetectEstablishedState = FALSE
    ['incoming', 'Established', 'dumpThis'],
    ['outgoing', 'Connect', 'none'],
    ['outgoing', 'Active', 'none'],
    ['incoming', 'Idle', 'none'],
  ];
  for (const [dir, st, want] of cases) {
    assert.equal(resolveCollision({ direction: dir, state: 'OpenSent' }, { direction: other(dir), state: st }, I), want, `${dir} vs ${st}`);
  }
  assert.equal(resolveCollision({ direction: 'incoming', state: 'OpenSent' }, null, I), 'none');
});

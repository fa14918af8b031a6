// ManualClock: timers fire in due order (ties in arming order), only when time is advanced
// past them, including timers armed by callbacks within the same advance; now() reads each
// timer's due time while it runs. And the real clock's timers fire and can be cancelled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, realClock } from './clock.js';

test('ManualClock fires due timers in order, with now() at each due time', () => {
  const c = new ManualClock(1000);
  const log: string[] = [];
  c.setTimer(30, () => log.push(`b@${c.now()}`));
  c.setTimer(10, () => log.push(`a@${c.now()}`));
  c.setTimer(30, () => log.push(`c@${c.now()}`));
  c.advance(9);
  assert.deepEqual(log, []);
  c.advance(1);
  assert.deepEqual(log, ['a@1010']);
  c.advance(100);
  assert.deepEqual(log, ['a@1010', 'b@1030', 'c@1030']);
  assert.equal(c.now(), 1110);
  assert.equal(c.pending, 0);
});

test('ManualClock: cancelled timers do not fire; timers armed in callbacks fire within the same advance', () => {
  const c = new ManualClock();
  const log: number[] = [];
  const h = c.setTimer(5, () => log.push(-1));
  c.clearTimer(h);
  c.clearTimer(h); // harmless twice
  c.setTimer(5, () => {
    log.push(c.now());
    c.setTimer(5, () => log.push(c.now()));
  });
  assert.equal(c.nextDue(), 5);
  c.advance(20);
  assert.deepEqual(log, [5, 10]);
  assert.equal(c.nextDue(), null);
});

test('realClock timers fire and can be cancelled; now() is monotonic', async () => {
  const t0 = realClock.now();
  let fired = 0;
  const cancelled = realClock.setTimer(5, () => (fired += 100));
  realClock.clearTimer(cancelled);
  await new Promise<void>((resolve) => {
    realClock.setTimer(10, () => {
      fired++;
      resolve();
    });
    setTimeout(() => {}, 50); // keep the loop alive: protocol timers are unref'd
  });
  assert.equal(fired, 1);
  assert.ok(realClock.now() >= t0);
});

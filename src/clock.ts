// Time for the daemon: a monotonic millisecond clock and one-shot timers behind a tiny
// interface, so that protocol code (bgp/session.ts, bgp/fsm.ts tests) can run against a
// ManualClock in tests and never sleep for real. The real clock uses performance.now()
// (monotonic, unaffected by wall-clock steps) and node timers. Leaves out: repeating
// timers (re-arm in the callback), wall-clock time (use Date where text needs it).

import { performance } from 'node:perf_hooks';

/** An armed timer; pass it back to clearTimer. Opaque to callers. */
export interface TimerHandle {
  readonly __timer: true;
}

export interface Clock {
  /** Monotonic milliseconds (arbitrary origin). */
  now(): number;
  /** Calls fn once after ms milliseconds (0 = on a later turn, never synchronously). */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer; harmless on a fired or already cancelled one. */
  clearTimer(h: TimerHandle): void;
}

interface RealHandle extends TimerHandle {
  t: NodeJS.Timeout;
}

/** The process clock: performance.now() and unref'd node timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    // Protocol timers alone must not keep the process alive: sockets and servers do.
    t.unref();
    return { __timer: true, t } as RealHandle;
  },
  clearTimer(h) {
    clearTimeout((h as RealHandle).t);
  },
};

interface ManualTimer extends TimerHandle {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

/**
 * A clock that only moves when told to. advance(ms) fires every timer that falls due, in
 * order of due time (then of arming), with now() set to each timer's due time while it
 * runs; timers armed by a callback fire in the same advance() if they fall due within it.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const h: ManualTimer = { __timer: true, at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(h);
    return h;
  }

  clearTimer(h: TimerHandle): void {
    const m = h as ManualTimer;
    m.live = false;
    const i = this.timers.indexOf(m);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Number of armed timers (for tests). */
  get pending(): number {
    return this.timers.length;
  }

  /** Due time of the next armed timer, or null. */
  nextDue(): number | null {
    const n = this.earliest();
    return n ? n.at : null;
  }

  /** Moves time forward by ms, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + Math.max(0, ms);
    for (;;) {
      const n = this.earliest();
      if (!n || n.at > end) break;
      this.clearTimer(n);
      this.t = n.at;
      n.fn();
    }
    this.t = end;
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const x of this.timers) {
      if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    }
    return best;
  }
}

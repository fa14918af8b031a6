// Puts a routing table's new prefixes into its tries' order while the table is quiet, and
// sweeps deleted ones out of it (rib/trie.ts settle / settleSome), in slices, so that the
// first walk after a big load or teardown (a peer coming up, a route refresh, `show route`)
// does not do it all at once. A load in progress is left alone (a tick that sees new
// prefixes waits for the next one), so the load is sorted in one batch and appended, and
// the load is not slowed. A slice sorts a run of the load or merges the sorted runs into
// the order (at most ~10 ms a slice of 8192 at a million prefixes, ~2 ms typically).
//
// Leaves out: ordering during a long load (a walk then orders what is pending itself).

import { ORDER_SLICE, type RoutingTable } from './table.js';

export class IdleOrderer {
  /** Prefixes waiting (pendingOrder) seen at the last tick or slice. */
  private seen = 0;
  private busy = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly table: RoutingTable,
    /** Prefixes settled per slice. */
    private readonly slice = ORDER_SLICE,
  ) {}

  /** Ticks every `ms` (unref'd: the timer keeps no process alive). */
  start(ms = 50): void {
    this.timer ??= setInterval(() => this.tick(), ms);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts ordering, in slices on the next turns, if nothing was added since the last tick. */
  tick(): void {
    if (this.busy || this.stopped) return;
    const pending = this.table.pendingOrder;
    if (pending > 0 && pending === this.seen) {
      this.busy = true;
      this.step();
    } else this.seen = pending;
  }

  /** One slice; the next one on the next turn, until none is pending or new prefixes come. */
  step(): void {
    if (this.stopped || this.table.pendingOrder > this.seen) {
      this.busy = false;
      return;
    }
    this.seen = this.table.orderSome(this.slice);
    if (this.seen > 0) setImmediate(() => this.step());
    else this.busy = false;
  }

  /** A slice is under way or scheduled. */
  get ordering(): boolean {
    return this.busy;
  }
}

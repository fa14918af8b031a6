// Links a routing table's new prefixes into its tries' trees while the table is quiet
// (rib/trie.ts settle / settleSome), in slices, so that the first walk after a big load
// (a peer coming up, a route refresh, `show route`) does not do it all at once: 0.66 s for a
// million prefixes, measured after `bench/pipeline.ts 1000000 --decode`. A load in progress
// is left alone (a tick that sees new prefixes waits for the next one), so linking in address
// order still gets big batches, and the load is not slowed.
//
// Leaves out: linking during a long load (a walk then links what is pending itself).

import { LINK_SLICE, type RoutingTable } from './table.js';

export class IdleLinker {
  /** Pending links seen at the last tick or slice. */
  private seen = 0;
  private busy = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly table: RoutingTable,
    /** Prefixes linked per slice (~0.7 µs each at a million). */
    private readonly slice = LINK_SLICE,
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

  /** Starts linking, in slices on the next turns, if nothing was added since the last tick. */
  tick(): void {
    if (this.busy || this.stopped) return;
    const pending = this.table.pendingLinks;
    if (pending > 0 && pending === this.seen) {
      this.busy = true;
      this.step();
    } else this.seen = pending;
  }

  /** One slice; the next one on the next turn, until none is pending or new prefixes come. */
  step(): void {
    if (this.stopped || this.table.pendingLinks > this.seen) {
      this.busy = false;
      return;
    }
    this.seen = this.table.linkSome(this.slice);
    if (this.seen > 0) setImmediate(() => this.step());
    else this.busy = false;
  }

  /** A slice is under way or scheduled. */
  get linking(): boolean {
    return this.busy;
  }
}

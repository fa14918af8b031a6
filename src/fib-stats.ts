// FIB counters as the kernel protocol reports them to the metrics (metrics.ts): a
// process-wide set of readers, kept apart from metrics.ts so that the kernel protocol does
// not pull prom-client into a daemon that serves no metrics.

export type FibOp = 'add' | 'replace' | 'delete';
export const FIB_OPS: readonly FibOp[] = ['add', 'replace', 'delete'];

/** What the kernel syncer counts (cumulative except `routes`). */
export interface FibStats {
  /** Routes of ours in the kernel now. */
  readonly routes: number;
  readonly operations: Readonly<Record<FibOp, number>>;
  readonly failures: Readonly<Record<FibOp, number>>;
  /** Full re-dumps and reconciliations (netlink monitor overflow, ENOBUFS). */
  readonly resyncs: number;
}

const fibReaders = new Map<symbol, () => FibStats>();

/**
 * The kernel protocol calls this when it starts, with a function returning its counters;
 * it calls the returned function when it stops.
 */
export function registerFibStats(read: () => FibStats): () => void {
  const key = Symbol('fib');
  fibReaders.set(key, read);
  return () => void fibReaders.delete(key);
}

/** The registered FIB readers' current values. */
export function registeredFibStats(): FibStats[] {
  return [...fibReaders.values()].map((r) => r());
}


// Typed-array columns (struct-of-arrays storage: rib/table.ts, rib/trie.ts, rib/attr-set.ts,
// the Adj-RIBs' slot indexes): growing one keeps its contents, and the storage a column
// leaves behind is given back at once where the runtime allows it.
//
// Why give it back: an ArrayBuffer's memory is freed only when the garbage collector
// collects its (old-generation) wrapper, at the next major GC. A routing table doubles ~15
// columns together when it crosses a power of two, so a 1M-prefix table held the ~35 MiB of
// its previous columns, already copied, until then: they counted in the peak RSS.
// `ArrayBuffer.prototype.transfer` (ES2024) detaches a buffer and, moved into a zero-length
// one, frees its storage immediately. Node 22 has it; Node 20 has it staged behind V8's
// `--harmony-rab-gsab-transfer`, a flag that only decides whether a *new* context gets the
// builtin: so on Node 20 the flag is set for a moment, a context is made to lend its
// builtin (which works on this realm's buffers too; the context costs ~1.6 MiB), and the flag
// is set back. No command-line flag, so no Node version can refuse to start over one.
// Without either, `retire` does nothing and the GC frees the storage as before.
//
// Leaves out: shrinking, growth policy (callers double).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

type Transfer = (this: ArrayBuffer, length: number) => ArrayBuffer;

function findTransfer(): Transfer | undefined {
  const own = (ArrayBuffer.prototype as { transfer?: Transfer }).transfer;
  if (own !== undefined) return own;
  try {
    setFlagsFromString('--harmony-rab-gsab-transfer');
    const lent: unknown = runInNewContext('ArrayBuffer.prototype.transfer');
    setFlagsFromString('--no-harmony-rab-gsab-transfer');
    return typeof lent === 'function' ? (lent as Transfer) : undefined;
  } catch {
    return undefined;
  }
}

const transfer = findTransfer();

/** Whether `retire` frees storage at once (the runtime lends ArrayBuffer.prototype.transfer). */
export const RETIRE_FREES = transfer !== undefined;

/** Columns smaller than this are left to the garbage collector. */
let retireMinBytes = 64 * 1024;

/**
 * For tests: retire columns from `bytes` up (0: every column), so that code holding a
 * column across a growth meets a detached one even in a small table.
 */
export function setRetireThreshold(bytes: number): void {
  retireMinBytes = bytes;
}

/**
 * Frees a column's storage now (see the file header). The caller must hold no other
 * reference to it: every view of the buffer reads as empty afterwards. Only whole-buffer
 * columns made by this module's callers; never a Node Buffer (pooled) or a subarray.
 */
export function retire(a: Column): void {
  if (transfer === undefined || a.byteLength < retireMinBytes) return;
  const b = a.buffer as ArrayBuffer;
  if (a.byteOffset !== 0 || a.byteLength !== b.byteLength) return;
  transfer.call(b, 0);
}

/**
 * `a` itself when it has `cap` entries already; otherwise a column of the same type with
 * `cap` entries, `a`'s contents first and `fill` after, and `a` retired.
 */
export function grown<T extends Column>(a: T, cap: number, fill = 0): T {
  if (a.length >= cap) return a;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  retire(a);
  return b;
}

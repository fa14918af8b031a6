// Typed-array columns (struct-of-arrays storage: rib/table.ts, rib/trie.ts, rib/attr-set.ts,
// the Adj-RIBs' slot indexes): growing one keeps its contents, and the storage a column
// leaves behind is given back at once where the runtime allows it.
//
// Why give it back: an ArrayBuffer's memory is freed only when the garbage collector
// collects its (old-generation) wrapper, at the next major GC. A routing table doubles ~15
// columns together when it crosses a power of two, so a 1M-prefix table held its previous
// columns, already copied, until then: they counted in the peak RSS. `retire` hands the
// old column's whole pages back to the system with madvise(MADV_DONTNEED) (the native
// addon's releasePages); the buffer stays attached and reads as zeros.
//
// Why not detach it (`ArrayBuffer.prototype.transfer(0)`, which frees the storage too): the
// first detach in a process invalidates V8's "no ArrayBuffer was ever detached" protector.
// Every optimised function that touches a typed array is thrown away and compiled again,
// now with a detached-buffer check on each access. Wren used to: the 1M-prefix benchmark
// recompiled ~60 functions mid-load and ran 5–9% slower for it (bench/README.md).
// Tests still detach (`detachOnRetire`), so that code holding a column across a growth
// meets an empty one, even in a small table, instead of silently reading zeros.
// Without the addon, `retire` does nothing and the GC frees the storage as before.
//
// Leaves out: shrinking, growth policy (callers double).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadNative } from '../native.js';

export type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

type Transfer = (this: ArrayBuffer, length: number) => ArrayBuffer;

/**
 * ES2024's ArrayBuffer.prototype.transfer. Node 22 has it; Node 20 has it staged behind
 * V8's `--harmony-rab-gsab-transfer`, a flag that only decides whether a *new* context gets
 * the builtin: so the flag is set for a moment, a context is made to lend its builtin (it
 * works on this realm's buffers too), and the flag is set back.
 */
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

function findRelease(): ((b: ArrayBuffer) => number) | undefined {
  try {
    return loadNative().releasePages;
  } catch {
    return undefined;
  }
}

let release = findRelease();

/** Whether `retire` gives storage back at once (the native addon is built). */
export const RETIRE_FREES = release !== undefined;

/** Columns smaller than this are left to the garbage collector. */
const RETIRE_MIN_BYTES = 64 * 1024;

let detach: { transfer: Transfer; minBytes: number } | undefined;

/**
 * For tests only: from now on `retire` detaches columns from `bytes` up (0: every column),
 * so that code holding a column across a growth meets an empty one even in a small table.
 * It slows every typed-array access in the process (see the file header).
 */
export function detachOnRetire(bytes: number): void {
  const transfer = findTransfer();
  if (transfer === undefined) throw new Error('this Node has no ArrayBuffer.prototype.transfer to lend');
  detach = { transfer, minBytes: bytes };
}

/**
 * Gives a column's storage back now (see the file header). The caller must hold no other
 * reference to it: every view of the buffer reads as zeros afterwards. Only whole-buffer
 * columns made by this module's callers; never a Node Buffer (pooled) or a subarray.
 */
export function retire(a: Column): void {
  const b = a.buffer as ArrayBuffer;
  if (a.byteOffset !== 0 || a.byteLength !== b.byteLength) return;
  if (detach !== undefined) {
    if (a.byteLength >= detach.minBytes) detach.transfer.call(b, 0);
  } else if (release !== undefined && a.byteLength >= RETIRE_MIN_BYTES) {
    // A refused madvise (locked memory: EINVAL) must not fail the growth that retires the
    // column: the GC frees it as before, and retire stops asking.
    try {
      release(b);
    } catch {
      release = undefined;
    }
  }
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

// Typed-array columns (struct-of-arrays storage: rib/table.ts, rib/trie.ts, rib/attr-set.ts,
// the Adj-RIBs' slot indexes): growing one keeps its contents, and the storage a column
// leaves behind is given back at once where the runtime allows it.
//
// Why give it back: an ArrayBuffer's memory is freed only when the garbage collector
// collects its (old-generation) wrapper, at the next major GC. A routing table doubles ~20
// columns together when it crosses a power of two, so a 1M-prefix table held the ~35 MiB of
// its previous columns, already copied, until then: they counted in the peak RSS.
// `ArrayBuffer.prototype.transfer` (ES2024) detaches a buffer and, moved into a zero-length
// one, frees its storage immediately. Node 20 has it behind `--harmony-rab-gsab-transfer`,
// which the daemon runs with (DAEMON_NODE_FLAGS, src/shims.ts); without it `retire` does
// nothing and the GC frees the storage as before.
//
// Leaves out: shrinking, growth policy (callers double).

export type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

type Transfer = (this: ArrayBuffer, length: number) => ArrayBuffer;
const transfer = (ArrayBuffer.prototype as { transfer?: Transfer }).transfer;

/** Whether `retire` frees storage at once (the runtime has ArrayBuffer.prototype.transfer). */
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

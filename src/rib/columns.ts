// Typed-array columns (struct-of-arrays storage, rib/table.ts and rib/attr-set.ts): growing
// one keeps its contents. Leaves out: shrinking, growth policy (callers double).

export type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

/** A column of the same type with `cap` entries, `a`'s contents first, zeros after. */
export function grown<T extends Column>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

// A memo for answers computed per attribute set (BGP export preparation, encoded attribute
// blocks): a direct-mapped cache of `size` entries indexed by the set's id, each entry
// holding the set, a tag (what else the answer depends on, e.g. the route source) and the
// answer. A newer set with the same index replaces the entry.
//
// Why not a WeakMap, which would keep every answer for as long as its set lives: during a
// full-table load each answer is used for the few prefixes of one UPDATE, which arrive one
// after another, and then almost never again. Kept, the answers (an attribute object, its
// encoded block) survive every young-generation collection and are copied into the old
// generation, and the WeakMaps' ephemeron tables grow with them. Measured on the ipv4-1m
// benchmark (bench/propagation.ts, Wren only, 2 runs each): WeakMaps 4.09 s / 545 MiB,
// the last answer only 3.75 s / 456 MiB; a Map cleared at 32 or 256 entries 4.0 s / 530 MiB
// (its tables are rebuilt and its entries allocated). A direct-mapped cache allocates
// nothing and keeps an answer only until a set some `size` ids further on comes: the
// answers that come back soon (another update group exporting the same change, a refeed of
// a table with few attribute sets) are kept, the rest die young.
//
// Leaves out: associativity (a collision just recomputes).

export class SetMemo<K extends { readonly id: number }, T, V> {
  private readonly keys: (K | undefined)[];
  private readonly tags: (T | undefined)[];
  private readonly vals: (V | undefined)[];
  private readonly mask: number;

  /** `size`: a power of two. */
  constructor(size = 64) {
    this.mask = size - 1;
    this.keys = new Array<K | undefined>(size).fill(undefined);
    this.tags = new Array<T | undefined>(size).fill(undefined);
    this.vals = new Array<V | undefined>(size).fill(undefined);
  }

  /** The answer kept for (k, tag), or undefined. */
  get(k: K, tag: T): V | undefined {
    const i = k.id & this.mask;
    return this.keys[i] === k && this.tags[i] === tag ? this.vals[i] : undefined;
  }

  set(k: K, tag: T, v: V): void {
    const i = k.id & this.mask;
    this.keys[i] = k;
    this.tags[i] = tag;
    this.vals[i] = v;
  }

  clear(): void {
    this.keys.fill(undefined);
    this.tags.fill(undefined);
    this.vals.fill(undefined);
  }
}

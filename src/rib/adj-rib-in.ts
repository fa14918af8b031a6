// Adj-RIB-In of one BGP peer (RFC 4271 §3.2): the routes as the peer sent them, before the
// import filter, so that a changed filter or a changed next-hop resolution can be applied
// again without asking the peer (BIRD's `import table`, always on here). The BGP protocol
// stores each route's table view (the received attributes plus the gateway and interface
// it resolved to), from which it derives the view again on a re-import. Entries carry the
// session generation that last announced them, for graceful-restart and enhanced-refresh
// stale sweeps.
//
// Storage: one slot per (prefix, path id) in a PrefixSlots index, which keeps the key as
// words, not the received NLRI object; two Int32Array columns beside it: the id of the
// received attribute set (AttrSet.id, read back through attrSets.get; -1 for a free slot)
// and the generation. The id column holds one reference to its set, so the id stays valid.
// No object per entry and no pointer column for the garbage collector to scan; ADD-PATH
// paths are simply more keys. forEach builds each prefix afresh from the words.

import { PrefixSlots, growInt32, growInt32Filled } from './prefix-slots.js';
import { attrSets, unref, type AttrSet } from './attr-set.js';
import type { Nlri } from './prefix.js';

const NONE = -1;

export class AdjRibIn {
  private slots = new PrefixSlots();
  /** Attribute-set id per slot (NONE: free slot). */
  private attrs = new Int32Array(16).fill(NONE);
  private gens = new Int32Array(16);

  /**
   * Stores a route; takes over the caller's reference to `attrs`, drops the old one. `n` is
   * not kept (only its key words).
   */
  set(n: Nlri, attrs: AttrSet, gen: number): void {
    const slots = this.slots;
    const s = slots.findOrAdd(n, n.pathId);
    if (slots.added) {
      if (slots.capacity > this.gens.length) {
        this.gens = growInt32(this.gens, slots.capacity);
        this.attrs = growInt32Filled(this.attrs, slots.capacity, NONE);
      }
    } else unref(attrSets.get(this.attrs[s]!)!);
    this.attrs[s] = attrs.id;
    this.gens[s] = gen;
  }

  has(n: Nlri): boolean {
    return this.slots.find(n, n.pathId) >= 0;
  }

  /** Removes a route; false if the peer had not announced it. */
  delete(n: Nlri): boolean {
    const s = this.slots.find(n, n.pathId);
    if (s < 0) return false;
    unref(attrSets.get(this.attrs[s]!)!);
    this.attrs[s] = NONE;
    this.slots.remove(s);
    return true;
  }

  /**
   * Calls fn for every route: its prefix (a new Nlri4 / Nlri6 built from the stored key,
   * carrying the path id), path id, received attribute set and generation. fn may not
   * change this Adj-RIB-In (collect first).
   */
  forEach(fn: (prefix: Nlri, pathId: number, attrs: AttrSet, gen: number) => void): void {
    const { slots, attrs, gens } = this;
    for (let s = 0; s < slots.end; s++) {
      const a = attrs[s]!;
      if (a !== NONE) fn(slots.prefixAt(s), slots.pathId(s), attrSets.get(a)!, gens[s]!);
    }
  }

  get size(): number {
    return this.slots.size;
  }

  /** Bytes of storage (`show memory`): the index and the columns. */
  get byteLength(): number {
    return this.slots.byteLength + this.gens.byteLength + this.attrs.byteLength;
  }

  clear(): void {
    const { slots, attrs } = this;
    for (let s = 0; s < slots.end; s++) if (attrs[s] !== NONE) unref(attrSets.get(attrs[s]!)!);
    this.slots = new PrefixSlots();
    this.attrs = new Int32Array(16).fill(NONE);
    this.gens = new Int32Array(16);
  }
}

// Adj-RIB-In of one BGP peer (RFC 4271 §3.2): the routes as the peer sent them, before the
// import filter, so that a changed filter or a changed next-hop resolution can be applied
// again without asking the peer (BIRD's `import table`, always on here). The BGP protocol
// stores each route's table view (the received attributes plus the gateway and interface
// it resolved to), from which it derives the view again on a re-import. Entries carry the
// session generation that last announced them, for graceful-restart and enhanced-refresh
// stale sweeps.
//
// Storage: one slot per (prefix, path id) in a PrefixSlots index, which keeps the key as
// words, not the received NLRI object; two columns beside it: the received attribute set
// and the generation. No object per entry; ADD-PATH paths are simply more keys. forEach
// builds each prefix afresh from the words.

import { PrefixSlots, growInt32 } from './prefix-slots.js';
import { unref, type AttrSet } from './attr-set.js';
import type { Nlri } from './prefix.js';

export class AdjRibIn {
  private slots = new PrefixSlots();
  private attrs: (AttrSet | undefined)[] = [];
  private gens = new Int32Array(16);

  /**
   * Stores a route; takes over the caller's reference to `attrs`, drops the old one. `n` is
   * not kept (only its key words).
   */
  set(n: Nlri, attrs: AttrSet, gen: number): void {
    const slots = this.slots;
    const s = slots.findOrAdd(n, n.pathId);
    if (slots.added) {
      if (slots.capacity > this.gens.length) this.gens = growInt32(this.gens, slots.capacity);
    } else unref(this.attrs[s]!);
    this.attrs[s] = attrs;
    this.gens[s] = gen;
  }

  has(n: Nlri): boolean {
    return this.slots.find(n, n.pathId) >= 0;
  }

  /** Removes a route; false if the peer had not announced it. */
  delete(n: Nlri): boolean {
    const s = this.slots.find(n, n.pathId);
    if (s < 0) return false;
    unref(this.attrs[s]!);
    this.attrs[s] = undefined;
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
      const a = attrs[s];
      if (a !== undefined) fn(slots.prefixAt(s), slots.pathId(s), a, gens[s]!);
    }
  }

  get size(): number {
    return this.slots.size;
  }

  /** Bytes of storage (`show memory`): the index and the columns. */
  get byteLength(): number {
    return this.slots.byteLength + this.gens.byteLength + this.attrs.length * 4;
  }

  clear(): void {
    for (const a of this.attrs) if (a !== undefined) unref(a);
    this.slots = new PrefixSlots();
    this.attrs = [];
    this.gens = new Int32Array(16);
  }
}

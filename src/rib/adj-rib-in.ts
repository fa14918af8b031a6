// Adj-RIB-In of one BGP peer (RFC 4271 §3.2): the routes as the peer sent them, before the
// import filter, so that a changed filter or a changed next-hop resolution can be applied
// again without asking the peer (BIRD's `import table`, always on here). Entries carry the
// session generation that last announced them, for graceful-restart and enhanced-refresh
// stale sweeps. A prefix with one path (no ADD-PATH, the common case) costs one entry
// object; only ADD-PATH prefixes with several paths get a Map.

import { PrefixMap } from './prefix-map.js';
import { unref, type AttrSet } from './attr-set.js';
import type { Nlri, Prefix } from './prefix.js';

export interface RibInEntry {
  readonly prefix: Prefix;
  readonly pathId: number;
  readonly attrs: AttrSet;
  /** The session generation (or refresh) that last announced it. */
  readonly gen: number;
}

/** One path, or (ADD-PATH with several paths) a map by path id. */
type Slot = RibInEntry | Map<number, RibInEntry>;

export class AdjRibIn {
  private readonly slots = new PrefixMap<Slot>();
  private count = 0;

  /** Stores a route; takes over the caller's reference to `attrs`, drops the old one. */
  set(n: Nlri, attrs: AttrSet, gen: number): void {
    const trie = this.slots;
    const slot = trie.get(n);
    const e: RibInEntry = { prefix: n, pathId: n.pathId, attrs, gen };
    if (slot === undefined) {
      trie.set(n, e);
      this.count++;
    } else if (slot instanceof Map) {
      const prev = slot.get(n.pathId);
      if (prev) unref(prev.attrs);
      else this.count++;
      slot.set(n.pathId, e);
    } else if (slot.pathId === n.pathId) {
      unref(slot.attrs);
      trie.set(n, e);
    } else {
      trie.set(n, new Map([[slot.pathId, slot], [n.pathId, e]]));
      this.count++;
    }
  }

  has(n: Nlri): boolean {
    const slot = this.slots.get(n);
    return slot !== undefined && (slot instanceof Map ? slot.has(n.pathId) : slot.pathId === n.pathId);
  }

  /** Removes a route; false if the peer had not announced it. */
  delete(n: Nlri): boolean {
    const trie = this.slots;
    const slot = trie.get(n);
    if (slot === undefined) return false;
    let prev: RibInEntry | undefined;
    if (slot instanceof Map) {
      prev = slot.get(n.pathId);
      if (prev === undefined) return false;
      slot.delete(n.pathId);
      if (slot.size === 0) trie.delete(n);
    } else {
      if (slot.pathId !== n.pathId) return false;
      prev = slot;
      trie.delete(n);
    }
    unref(prev.attrs);
    this.count--;
    return true;
  }

  /** Calls fn for every route; fn may not change this Adj-RIB-In (collect first). */
  forEach(fn: (prefix: Prefix, e: RibInEntry) => void): void {
    for (const slot of this.slots.values()) {
      if (slot instanceof Map) for (const e of slot.values()) fn(e.prefix, e);
      else fn(slot.prefix, slot);
    }
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.forEach((_p, e) => unref(e.attrs));
    this.slots.clear();
    this.count = 0;
  }
}

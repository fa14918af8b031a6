// Adj-RIB-In of one BGP peer (RFC 4271 §3.2): the routes as the peer sent them, before the
// import filter, so that a changed filter or a changed next-hop resolution can be applied
// again without asking the peer (BIRD's `import table`, always on here). The BGP protocol
// keeps each route's table view (the received attributes plus the gateway and interface it
// resolved to), from which it derives the view again on a re-import, and the session
// generation that last announced it, for graceful-restart and enhanced-refresh stale sweeps.
//
// Most routes go into the table exactly as received: `import all`, or a filter that only
// accepts, rejects or sets the preference (Calico's). For those the table's candidate of the
// peer's route source IS the Adj-RIB-In entry — its attributes are the received view and its
// tag the generation (RoutingTable.put) — and nothing else is stored: no second index of a
// million prefixes beside the table's (BIRD keeps no import table by default at all). Only a
// route whose received view is not what the table holds gets an entry of its own here, and
// that entry overrides the table's candidate:
//   - the import filter rejected it, or an import limit kept it out (no candidate);
//   - the filter wrote attributes, or LLGR marked the candidate stale (another candidate).
// The protocol says which after every import: `asImported` (drops an own entry, usually
// nothing to do) or `set`.
//
// Own entries: one slot per (prefix, path id) in a PrefixSlots index (the key as words, no
// prefix object) and Int32Array / Uint8Array columns: the received set's id (AttrSet.id, one
// reference held; -1 for a free slot), the generation, and whether the table has a
// candidate for it. No object per entry for the garbage collector.

import { PrefixSlots } from './prefix-slots.js';
import { grown, retire } from './columns.js';
import { attrSets, unref, type AttrSet } from './attr-set.js';
import type { Nlri, Prefix } from './prefix.js';
import type { RoutingTable } from './table.js';
import type { RouteSource } from './route.js';

const NONE = -1;

export class AdjRibIn {
  private slots = new PrefixSlots();
  /** Attribute-set id per slot (NONE: free slot). */
  private attrs = new Int32Array(16).fill(NONE);
  private gens = new Int32Array(16);
  /** 1: the table holds a candidate for the entry (with other attributes). */
  private inTable = new Uint8Array(16);
  /** Own entries without a table candidate. */
  private outside = 0;

  constructor(
    private readonly table: RoutingTable,
    /** The peer's current route source (the table's candidates of it are the implicit entries). */
    private readonly source: () => RouteSource,
  ) {}

  /**
   * The route went into the table as received: the candidate's attributes are the received
   * view and its tag the generation. Drops an own entry, if any.
   */
  asImported(n: Nlri): void {
    this.delete(n);
  }

  /**
   * Keeps a route here: its received view (the caller's reference is taken over; the old
   * one's dropped), the generation that announced it, and whether the table has a
   * candidate for it (with attributes other than `attrs`). `n` is not kept (its key words are).
   */
  set(n: Nlri, attrs: AttrSet, gen: number, inTable: boolean): void {
    const slots = this.slots;
    const s = slots.findOrAdd(n, n.pathId);
    if (slots.added) {
      if (slots.capacity > this.gens.length) {
        this.gens = grown(this.gens, slots.capacity);
        this.attrs = grown(this.attrs, slots.capacity, NONE);
        this.inTable = grown(this.inTable, slots.capacity);
      }
    } else {
      unref(attrSets.get(this.attrs[s]!)!);
      if (this.inTable[s] === 0) this.outside--;
    }
    this.attrs[s] = attrs.id;
    this.gens[s] = gen;
    this.inTable[s] = inTable ? 1 : 0;
    if (!inTable) this.outside++;
  }

  has(n: Nlri): boolean {
    return this.slots.find(n, n.pathId) >= 0 || this.table.has(n, this.source(), n.pathId);
  }

  /**
   * Removes the route's own entry; false if it had none. The caller withdraws the table's
   * candidate (the implicit entry) itself.
   */
  delete(n: Nlri): boolean {
    if (this.slots.size === 0) return false;
    const s = this.slots.find(n, n.pathId);
    if (s < 0) return false;
    unref(attrSets.get(this.attrs[s]!)!);
    if (this.inTable[s] === 0) this.outside--;
    this.attrs[s] = NONE;
    this.slots.remove(s);
    return true;
  }

  /**
   * Calls fn for every route: its prefix (own entries: a new Nlri4 / Nlri6 carrying the path
   * id; the others: the table's prefix), path id, received attribute set and generation.
   * fn may change neither this Adj-RIB-In nor the table (collect first).
   */
  forEach(fn: (prefix: Prefix, pathId: number, attrs: AttrSet, gen: number) => void): void {
    const { slots, attrs, gens } = this;
    for (let s = 0; s < slots.end; s++) {
      const a = attrs[s]!;
      if (a !== NONE) fn(slots.prefixAt(s), slots.pathId(s), attrSets.get(a)!, gens[s]!);
    }
    this.table.forEachOf(this.source(), (p, pathId, set, tag) => {
      if (slots.size === 0 || slots.find(p, pathId) < 0) fn(p, pathId, set, tag);
    });
  }

  /** Routes received: the table's candidates of the source, and own entries outside it. */
  get size(): number {
    return this.table.countOf(this.source()) + this.outside;
  }

  /** Own entries (for tests and `show memory`'s accounting). */
  get ownEntries(): number {
    return this.slots.size;
  }

  /** Bytes of own storage (`show memory`): the index and the columns. */
  get byteLength(): number {
    return this.slots.byteLength + this.gens.byteLength + this.attrs.byteLength + this.inTable.byteLength;
  }

  /** Forgets the own entries (the caller flushes the table's candidates of the source). */
  clear(): void {
    const { slots, attrs } = this;
    for (let s = 0; s < slots.end; s++) if (attrs[s] !== NONE) unref(attrSets.get(attrs[s]!)!);
    for (const c of [attrs, this.gens, this.inTable]) retire(c);
    this.slots = new PrefixSlots();
    this.attrs = new Int32Array(16).fill(NONE);
    this.gens = new Int32Array(16);
    this.inTable = new Uint8Array(16);
    this.outside = 0;
  }
}

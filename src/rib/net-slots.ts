// Slots of an Adj-RIB-Out keyed by the routing table's net numbers (RoutingTable.pin): the
// slot of a prefix IS its net's number, so an Adj-RIB-Out of a full table needs no index of
// its own beside the table's — no hash of a million keys to probe, grow and keep (an
// Adj-RIB-Out's change always comes from the table, which hands the number over). The
// entry's prefix is the table's (netPrefix). Every live entry pins its net, so the number
// cannot go to another prefix while the Adj-RIB-Out still has to withdraw it.
//
// Same interface as PrefixSlots (SlotIndex); path ids are always 0: an Adj-RIB-Out with
// ADD-PATH tx, which holds several paths per prefix, uses PrefixSlots. Columns are sized to
// `capacity`, which follows the highest net number used (doubling): an Adj-RIB-Out holding
// a few nets of a big table pays for the numbers up to its highest one.

import type { SlotIndex } from './prefix-slots.js';
import { grown, retire } from './columns.js';
import { WrenError } from '../bgp/errors.js';
import type { Afi, Nlri, Prefix } from './prefix.js';
import type { RoutingTable } from './table.js';

export class NetSlots implements SlotIndex {
  capacity = 16;
  added = false;
  private live = new Uint8Array(16);
  private count = 0;
  private top = 0;

  constructor(private readonly table: RoutingTable) {}

  get size(): number {
    return this.count;
  }

  get end(): number {
    return this.top;
  }

  get byteLength(): number {
    return this.live.byteLength;
  }

  private netOf(p: Prefix, net: number | undefined): number {
    return net !== undefined && net >= 0 ? net : this.table.netId(p);
  }

  find(p: Prefix, _pathId: number, net?: number): number {
    const n = this.netOf(p, net);
    return n >= 0 && n < this.top && this.live[n] === 1 ? n : -1;
  }

  findOrAdd(p: Prefix, _pathId: number, net?: number): number {
    const n = this.netOf(p, net);
    if (n < 0) throw new WrenError('ERR_RIB_NET', 'Adj-RIB-Out entry for a prefix the table does not hold');
    if (n >= this.capacity) {
      let cap = this.capacity;
      while (cap <= n) cap *= 2;
      this.live = grown(this.live, cap);
      this.capacity = cap;
    }
    if (this.live[n] === 1) {
      this.added = false;
      return n;
    }
    this.live[n] = 1;
    this.count++;
    if (n >= this.top) this.top = n + 1;
    this.table.pin(n);
    this.added = true;
    return n;
  }

  remove(s: number): void {
    this.live[s] = 0;
    this.count--;
    this.table.unpin(s);
  }

  isLive(s: number): boolean {
    return this.live[s] === 1;
  }

  pathId(_s: number): number {
    return 0;
  }

  afi(s: number): Afi {
    return this.table.netAfi(s);
  }

  prefixAt(s: number): Nlri {
    return this.table.netPrefix(s);
  }

  putNlri(s: number, b: Uint8Array, p: number, addPath: boolean): number {
    return this.table.putNetNlri(s, b, p, addPath);
  }

  findSlotOf(other: SlotIndex, s: number): number {
    if (other instanceof NetSlots && other.table === this.table) return s < this.top && this.live[s] === 1 ? s : -1;
    return this.find(other.prefixAt(s), 0);
  }

  /** Unpins every entry's net and forgets them. */
  clear(): void {
    const { live } = this;
    for (let s = 0; s < this.top; s++) if (live[s] === 1) this.table.unpin(s);
    retire(live);
    this.live = new Uint8Array(16);
    this.capacity = 16;
    this.count = 0;
    this.top = 0;
  }

  /** An independent copy with the same slots (each entry pins its net once more). */
  copy(): NetSlots {
    const c = new NetSlots(this.table);
    c.live = this.live.slice();
    c.capacity = this.capacity;
    c.count = this.count;
    c.top = this.top;
    for (let s = 0; s < this.top; s++) if (this.live[s] === 1) this.table.pin(s);
    return c;
  }
}

// Adj-RIB-Out of one BGP peer (RFC 4271 §3.2): what we advertised to it, and what we still
// have to tell it. Each (prefix, path id) has an entry holding `sent` (the interned
// attribute set the peer has now, or none) and `want` (what it should have). A change sets
// `want` and queues the entry once; the queue is drained only while the socket takes more
// (DESIGN.md §3 step 6: no unbounded queue of encoded UPDATEs). A drain takes a slice of
// the queue, puts withdrawals first, then groups the announcements by attribute set, so
// one encoded attribute block serves every prefix that shares it (BIRD's buckets) and
// packUpdates fills each message up to the negotiated size. Entries whose `want` equals
// `sent` by the time they are drained cost nothing on the wire, so a prefix that flaps
// between drains is sent once, in its final state.
//
// Peers share encoded attribute blocks (see splitNextHop); each still packs its own NLRI.
// Leaves out: MRAI timers (RFC 4271 §9.2.1.1: BIRD has none either).

import { encodeAttributeBlock, packUpdateRun, packWithdrawalRun, packWithdrawals, encodeEndOfRib, MessageBuffer, NlriRun, type CodecContext } from '../bgp/codec/index.js';
import { PrefixMap } from './prefix-map.js';
import { PrefixSlots, type SlotIndex } from './prefix-slots.js';
import { grown, retire } from './columns.js';
import { NetSlots } from './net-slots.js';
import type { RoutingTable } from './table.js';
import { SetMemo } from './set-memo.js';
import { attrSets, ref, unref, type AttrSet } from './attr-set.js';
import { Afi, IPV4_UNICAST, type AfiSafi, type Nlri, type Prefix } from './prefix.js';

export interface AdjRibOutStats {
  /** (prefix, path id) pairs the peer holds from us now. */
  advertised: number;
  updatesSent: number;
  withdrawalsSent: number;
  messagesSent: number;
}

/**
 * Writes `count` whole messages (default 1) held back to back in `msg`; false = the socket
 * is full (stop until drained).
 */
export type SendFn = (msg: Buffer, count?: number) => boolean;

/**
 * The messages of one drain slice or walk step, packed straight into one buffer and handed
 * to `send` as one: a slice makes hundreds of small UPDATEs, and a socket write per message
 * cost 12% of a full-table run in the write path alone. Shared by every Adj-RIB-Out (a
 * slice is packed and flushed in one go).
 */
const batch = new MessageBuffer();

/** Hands the batch's messages to `send` (true when there were none). */
function flush(send: SendFn): boolean {
  const n = batch.count;
  return n === 0 || send(batch.take(), n);
}

/** Prefixes of one family of one bucket in wire form (AdjRibOut.runOf), reused. */
const sharedRun = new NlriRun();

/**
 * Slots grouped by attribute-set id, for one drain slice or walk step: a counting sort in
 * typed arrays, so that grouping a slice makes no Map and no array per bucket (a Map of
 * arrays cost 4% of a full-table load). Buckets come in the order of their first slot and
 * keep their slots' order. Shared by every Adj-RIB-Out: emptied at the start of each use.
 */
class SlotBuckets {
  /**
   * Set id → bucket, open addressing over the ids of this slice only: `keyOf` holds id + 1
   * (0: empty), `bucketAt` the bucket. Bounded by a slice's size, not by the largest set id
   * (a column by id would grow with the number of sets: 2 MiB at a full table's 333k).
   */
  private keyOf = new Int32Array(1024);
  private bucketAt = new Int32Array(1024);
  /** Set id per bucket. */
  ids = new Int32Array(64);
  /** Where each bucket's id sits in keyOf (so that clear() needs no probing). */
  private pos = new Int32Array(64);
  /** Bucket b's slots are sorted[start[b] .. start[b + 1]) after sort(). */
  start = new Int32Array(65);
  sorted = new Int32Array(1024);
  private slot = new Int32Array(1024);
  private bucket = new Int32Array(1024);
  /** Slots added. */
  private n = 0;
  /** Buckets. */
  count = 0;

  /** The slot of set `id` in keyOf (its own, or the empty one where it goes). */
  private find(id: number): number {
    const keys = this.keyOf, mask = keys.length - 1;
    const h = Math.imul(id, 0x9e3779b1);
    let i = (h ^ (h >>> 15)) & mask;
    while (keys[i] !== 0 && keys[i] !== id + 1) i = (i + 1) & mask;
    return i;
  }

  add(s: number, id: number): void {
    let k = this.find(id);
    let b: number;
    if (this.keyOf[k] !== 0) b = this.bucketAt[k]!;
    else {
      b = this.count++;
      if (b >= this.ids.length) {
        this.ids = grown(this.ids, this.ids.length * 2);
        this.pos = grown(this.pos, this.ids.length);
        this.start = grown(this.start, this.ids.length + 1);
      }
      if (this.count * 2 > this.keyOf.length) {
        this.rehash(this.keyOf.length * 2);
        k = this.find(id);
      }
      this.keyOf[k] = id + 1;
      this.bucketAt[k] = b;
      this.pos[b] = k;
      this.ids[b] = id;
      this.start[b] = 0;
    }
    const i = this.n++;
    if (i >= this.slot.length) {
      this.slot = grown(this.slot, this.slot.length * 2);
      this.bucket = grown(this.bucket, this.slot.length);
      this.sorted = grown(this.sorted, this.slot.length);
    }
    this.slot[i] = s;
    this.bucket[i] = b;
    this.start[b]!++;
  }

  private rehash(size: number): void {
    this.keyOf = new Int32Array(size);
    this.bucketAt = new Int32Array(size);
    for (let b = 0; b < this.count - 1; b++) {
      const k = this.find(this.ids[b]!);
      this.keyOf[k] = this.ids[b]! + 1;
      this.bucketAt[k] = b;
      this.pos[b] = k;
    }
  }

  /** Orders the slots by bucket (start[] turns from counts into offsets). */
  sort(): void {
    const { start, count, slot, bucket, sorted } = this;
    let at = 0;
    for (let b = 0; b < count; b++) {
      const c = start[b]!;
      start[b] = at;
      at += c;
    }
    start[count] = at;
    for (let i = 0; i < this.n; i++) sorted[start[bucket[i]!]!++] = slot[i]!;
    // start[b] now holds the end of bucket b: shift back.
    for (let b = count; b > 0; b--) start[b] = start[b - 1]!;
    start[0] = 0;
  }

  /** Empties the buckets (touches only the slots used). */
  clear(): void {
    for (let b = 0; b < this.count; b++) this.keyOf[this.pos[b]!] = 0;
    this.count = 0;
    this.n = 0;
  }
}

const slotBuckets = new SlotBuckets();

/** No set (an id column's empty value). */
const NONE = -1;
/** A drained queue keeps its buffer up to this many entries (a full-table dump's is dropped). */
const QUEUE_KEEP = 16384;

/** See AdjRibOut.sentWalk. */
export interface SentWalk {
  /** Sends up to `max` entries; false when `send` said the socket is full. */
  step(send: SendFn, max: number): boolean;
  readonly done: boolean;
}

/**
 * Storage: one slot per (prefix, path id): with a routing table and no ADD-PATH tx, the
 * slot is the table's net number (NetSlots: no index of its own, the table's trie found the
 * net already); else a PrefixSlots index (the path id is 0 unless ADD-PATH tx is on for the
 * family), which keeps the key as words, no prefix object. Parallel typed columns: `sent`
 * and `want` (ids of interned sets, AttrSet.id, read back
 * through attrSets.get; -1 for none), `queued` (in the queue of pending changes) and
 * `sentEpoch` (the drain slice that last committed `sent`, see sentWalk; no column until the
 * first walk, before which no entry needs one). An id in `sent` or
 * `want` holds one reference to its set, so the id stays valid while it is there, and two
 * equal ids are the same set (sets are interned in one table). The queue is an Int32Array of
 * slots with a length, drained from `qHead`. No object per entry and no pointer column for
 * the garbage collector to scan, and none per prefix sent either: a slot writes its prefix
 * (with its path id) in wire form straight into the run the UPDATEs are packed from.
 */
export class AdjRibOut {
  private slots: SlotIndex;
  /** Set id per slot the peer has (NONE: nothing). */
  private sent = new Int32Array(16).fill(NONE);
  /** Set id per slot the peer should have (NONE: nothing, withdraw). */
  private want = new Int32Array(16).fill(NONE);
  private queued = new Uint8Array(16);
  private sentEpoch = new Int32Array(0);
  /** ADD-PATH prefixes: their slots by prefix (to list every path of one prefix). */
  private byPrefix: PrefixMap<number[]> | null = null;
  /** Slots with a pending change, in order: queue[qHead .. qLen). */
  private queue = new Int32Array(64);
  private qLen = 0;
  private qHead = 0;
  private eorPending = new Set<AfiSafi>();
  /** Set by runOf: the list had slots of the other family. */
  private otherFamily = false;
  /** Drain slices committed so far: a walk skips entries sent after it began. */
  private epoch = 0;
  readonly stats: AdjRibOutStats = { advertised: 0, updatesSent: 0, withdrawalsSent: 0, messagesSent: 0 };
  /** Entries handled per drain slice (bounds the work per event-loop turn). */
  sliceSize = 4096;

  constructor(
    private readonly ctx: CodecContext,
    /** ADD-PATH tx negotiated for these families: entries keyed by path id. */
    private readonly addPath: ReadonlySet<AfiSafi>,
    /** The table the changes come from: its net numbers key the entries (see above). */
    private readonly table?: RoutingTable,
  ) {
    if (addPath.size > 0) this.byPrefix = new PrefixMap();
    this.slots = this.newSlots();
  }

  private newSlots(): SlotIndex {
    return this.table !== undefined && this.addPath.size === 0 ? new NetSlots(this.table) : new PrefixSlots();
  }

  private multi(afi: Afi): boolean {
    return this.addPath.size > 0 && this.addPath.has(afi === Afi.IPV4 ? IPV4_UNICAST : (afi << 8) | 1);
  }

  /** Sets up a new entry (nothing sent, nothing wanted) in slot s. */
  private initSlot(s: number, prefix: Prefix, multi: boolean): void {
    const slots = this.slots;
    if (slots.capacity > this.queued.length) {
      this.queued = grown(this.queued, slots.capacity);
      if (this.sentEpoch.length !== 0) this.sentEpoch = grown(this.sentEpoch, slots.capacity);
      this.sent = grown(this.sent, slots.capacity, NONE);
      this.want = grown(this.want, slots.capacity, NONE);
    }
    this.sent[s] = NONE;
    this.want[s] = NONE;
    this.queued[s] = 0;
    if (this.sentEpoch.length !== 0) this.sentEpoch[s] = 0;
    if (multi) {
      const list = this.byPrefix!.get(prefix);
      if (list === undefined) this.byPrefix!.set(prefix, [s]);
      else list.push(s);
    }
  }

  /** Forgets an entry with nothing sent, nothing wanted and not queued. */
  private removeSlot(s: number): void {
    const slots = this.slots;
    if (this.byPrefix !== null && this.multi(slots.afi(s))) {
      const n = slots.prefixAt(s);
      const list = this.byPrefix.get(n)!;
      list.splice(list.indexOf(s), 1);
      if (list.length === 0) this.byPrefix.delete(n);
    }
    slots.remove(s);
  }

  /** Appends slot s to the queue. */
  private enqueue(s: number): void {
    if (this.qLen === this.queue.length) this.queue = grown(this.queue, Math.max(64, this.queue.length * 2));
    this.queue[this.qLen++] = s;
  }

  /**
   * What the peer should have for `prefix` / `pathId`: an interned set (the caller's
   * reference is taken over) or undefined to withdraw. `net`: the prefix's number in the
   * table, when the caller has it (NetEntry.id).
   */
  set(prefix: Prefix, pathId: number, attrs: AttrSet | undefined, net?: number): void {
    const multi = this.multi(prefix.afi);
    const id = multi ? pathId : 0;
    let s: number;
    if (attrs === undefined) {
      s = this.slots.find(prefix, id, net);
      if (s < 0) return;
    } else {
      s = this.slots.findOrAdd(prefix, id, net);
      if (this.slots.added) this.initSlot(s, prefix, multi);
    }
    const w = this.want[s]!;
    if (w !== NONE) unref(attrSets.get(w)!);
    this.want[s] = attrs === undefined ? NONE : attrs.id;
    if (this.queued[s] === 0) {
      this.queued[s] = 1;
      this.enqueue(s);
    }
  }

  /** Queues End-of-RIB for a family, sent once everything queued before it is out. */
  endOfRib(family: AfiSafi): void {
    this.eorPending.add(family);
  }

  /** Bytes of storage (`show memory`): the index, the columns and the queue. */
  get byteLength(): number {
    return this.slots.byteLength + this.queued.byteLength + this.sentEpoch.byteLength + this.sent.byteLength + this.want.byteLength + this.queue.byteLength;
  }

  get pending(): number {
    return this.qLen - this.qHead;
  }

  /**
   * Sends queued changes while `send` accepts them. Returns true when everything queued
   * (and any End-of-RIB) went out, false when the socket filled up or the slice ended —
   * call again on 'drain' or on the next turn.
   */
  drain(send: SendFn, maxSlices = 1): boolean {
    for (let s = 0; s < maxSlices; s++) {
      if (this.qHead >= this.qLen) break;
      if (!this.drainSlice(send)) return false;
    }
    if (this.qHead < this.qLen) return false;
    if (this.queue.length > QUEUE_KEEP) {
      retire(this.queue);
      this.queue = new Int32Array(64);
    }
    this.qLen = 0;
    this.qHead = 0;
    for (const f of this.eorPending) {
      this.eorPending.delete(f);
      this.stats.messagesSent++;
      if (!send(encodeEndOfRib(f >> 8, f & 0xff))) return this.eorPending.size === 0;
    }
    return true;
  }

  private drainSlice(send: SendFn): boolean {
    const end = Math.min(this.qLen, this.qHead + this.sliceSize);
    const withdraw: number[] = [];
    const buckets = slotBuckets;
    buckets.clear(); // (after a throw out of an earlier call)
    const { queue, queued, want, sent } = this;
    for (let i = this.qHead; i < end; i++) {
      const s = queue[i]!;
      queued[s] = 0;
      const w = want[s]!;
      if (w === sent[s]) {
        if (w === NONE) this.removeSlot(s); // wanted, then unwanted before it went out
        continue;
      }
      if (w === NONE) withdraw.push(s);
      else buckets.add(s, w);
    }
    this.qHead = end;
    const ctx = this.ctx;
    if (withdraw.length > 0) {
      for (const afi of [Afi.IPV4, Afi.IPV6]) {
        const run = this.runOf(withdraw, 0, withdraw.length, afi);
        if (run.count === 0) continue;
        packWithdrawalRun(afi, run, ctx, batch);
        this.stats.withdrawalsSent += run.count;
      }
    }
    // Each bucket's set is looked up once, here (the `want` column's references keep it
    // live until commit).
    buckets.sort();
    const sets: AttrSet[] = [];
    const { ids, start, sorted } = buckets;
    for (let b = 0; b < buckets.count; b++) {
      const set = attrSets.get(ids[b]!)!;
      sets.push(set);
      this.packAnnouncements(set, sorted, start[b]!, start[b + 1]!);
      this.stats.updatesSent += start[b + 1]! - start[b]!;
    }
    this.stats.messagesSent += batch.count;
    const ok = flush(send);
    // Book-keeping once the messages are handed to the socket (Node keeps what it cannot
    // write yet; `ok` false only tells us to stop producing more).
    this.commit(withdraw, sets, sorted, start);
    return ok;
  }

  /**
   * The prefixes of `list`'s slots of family `afi`, in wire form, in the shared run (valid
   * until the next call); `otherFamily` says whether slots of the other family were skipped.
   */
  private runOf(list: ArrayLike<number>, from: number, to: number, afi: Afi): NlriRun {
    const { slots } = this;
    const run = sharedRun;
    run.clear();
    const addPath = this.multi(afi);
    let other = false;
    for (let i = from; i < to; i++) {
      const s = list[i]!;
      if (slots.afi(s) !== afi) {
        other = true;
        continue;
      }
      const at = run.reserve(); // first: it may replace run.bytes
      run.commit(slots.putNlri(s, run.bytes, at, addPath));
    }
    this.otherFamily = other;
    return run;
  }

  /**
   * Records what went out: the slots slots[start[b] .. start[b + 1]) now have sets[b], the
   * slots of `withdraw` nothing.
   */
  private commit(withdraw: readonly number[], sets: readonly AttrSet[], slots: Int32Array, start: Int32Array): void {
    const epoch = ++this.epoch;
    const { sent, sentEpoch, stats } = this;
    for (let b = 0; b < sets.length; b++) {
      const set = sets[b]!;
      for (let i = start[b]!; i < start[b + 1]!; i++) {
        const s = slots[i]!;
        const old = sent[s]!;
        if (old === NONE) stats.advertised++;
        else unref(attrSets.get(old)!);
        sent[s] = ref(set).id;
        if (sentEpoch.length !== 0) sentEpoch[s] = epoch;
      }
    }
    for (const s of withdraw) {
      const old = sent[s]!;
      if (old === NONE) continue;
      unref(attrSets.get(old)!);
      sent[s] = NONE;
      this.stats.advertised--;
      if (this.want[s] === NONE && this.queued[s] === 0) this.removeSlot(s);
    }
  }

  /**
   * Route refresh (RFC 2918 §4): everything the peer has from us in a family goes out
   * again. The entries are queued as never sent; `want` is unchanged.
   */
  resendAll(afi: Afi): void {
    const { slots, sent } = this;
    for (let s = 0; s < slots.end; s++) {
      const old = sent[s]!;
      if (old === NONE || !slots.isLive(s) || slots.afi(s) !== afi) continue;
      unref(attrSets.get(old)!);
      sent[s] = NONE;
      this.stats.advertised--;
      if (this.queued[s] === 0) {
        this.queued[s] = 1;
        this.enqueue(s);
      }
    }
  }

  /** Forgets everything (session down): drops every reference it holds. */
  clear(): void {
    // A slot not live has nothing sent and nothing wanted (removeSlot's condition).
    const { slots, sent, want } = this;
    for (let s = 0; s < slots.end; s++) {
      if (sent[s] !== NONE) unref(attrSets.get(sent[s]!)!);
      if (want[s] !== NONE) unref(attrSets.get(want[s]!)!);
    }
    slots.clear();
    for (const c of [sent, want, this.queued, this.sentEpoch, this.queue]) retire(c);
    this.slots = this.newSlots();
    this.sent = new Int32Array(16).fill(NONE);
    this.want = new Int32Array(16).fill(NONE);
    this.queued = new Uint8Array(16);
    this.sentEpoch = new Int32Array(0);
    this.byPrefix?.clear();
    this.queue = new Int32Array(64);
    this.qLen = 0;
    this.qHead = 0;
    this.eorPending.clear();
    this.stats.advertised = 0;
  }

  /**
   * A walk over what the peer has from us (`sent`), for a late member of an update group
   * (bgp/update-group.ts) or a route refresh of one member: each `step` sends up to `max`
   * entries, grouped by attribute set, through `send`. The walk is a slot cursor, which
   * tolerates changes between steps (removed entries are not live, entries added behind
   * the cursor are not visited), and it skips entries the group's own drain sent after the
   * walk began (`sentEpoch`; that includes every entry added since): those reached the
   * member in the group's stream already, and walking them too would send them twice.
   * What changes after an entry was walked reaches the member through the group's own
   * messages, which are written after it.
   */
  sentWalk(afi?: Afi): SentWalk {
    // Entries committed before the column existed read as epoch 0: before any walk.
    if (this.sentEpoch.length === 0) this.sentEpoch = new Int32Array(this.queued.length);
    const since = this.epoch;
    let s = 0;
    let finished = false;
    const step = (send: SendFn, max: number): boolean => {
      const buckets = slotBuckets;
      buckets.clear();
      // The columns are read afresh each step: a clear() or growth replaces them.
      const { slots, sent, sentEpoch } = this;
      let n = 0;
      while (n < max) {
        if (s >= slots.end) {
          finished = true;
          break;
        }
        const set = sent[s]!;
        if (set !== NONE && (sentEpoch[s] ?? 0) <= since && slots.isLive(s)) {
          if (afi === undefined || slots.afi(s) === afi) {
            buckets.add(s, set);
            n++;
          }
        }
        s++;
      }
      // The sets are live: the `sent` column held each id a moment ago, nothing ran since.
      buckets.sort();
      for (let b = 0; b < buckets.count; b++) this.packAnnouncements(attrSets.get(buckets.ids[b]!)!, buckets.sorted, buckets.start[b]!, buckets.start[b + 1]!);
      return flush(send);
    };
    return { step, get done() { return finished; } };
  }

  /** The (prefix, path id) is queued or held for the peer (announced or to be announced). */
  holds(n: Nlri): boolean {
    const s = this.slots.find(n, n.pathId);
    return s >= 0 && (this.sent[s] !== NONE || this.want[s] !== NONE);
  }

  /** Every (prefix, path id) the peer has from us now. */
  sentNlri(): Nlri[] {
    const out: Nlri[] = [];
    const { slots, sent } = this;
    for (let s = 0; s < slots.end; s++) if (sent[s] !== NONE && slots.isLive(s)) out.push(slots.prefixAt(s));
    return out;
  }

  /**
   * Compares what the peer has from us with what `other` holds, entry by entry from slot
   * `from` on, at most `max` entries: returns the slot to continue at, -1 when every entry
   * to the end has the same sent set (by id: sets are interned, and both hold a reference) in `other`, or -2 at
   * the first difference. With equal `stats.advertised` a walk to -1 proves the two hold
   * the same (an update group merging a split member back).
   */
  sameSentFrom(other: AdjRibOut, from: number, max: number): number {
    const { slots, sent } = this;
    const end = Math.min(slots.end, from + max);
    for (let s = from; s < end; s++) {
      const a = sent[s]!;
      if (a === NONE || !slots.isLive(s)) continue;
      const t = other.slots.findSlotOf(slots, s);
      if (t < 0 || other.sent[t] !== a) return -2;
    }
    return end >= slots.end ? -1 : end;
  }

  /** Sends withdrawals for `list` (no book-keeping: for one member of a group). */
  sendWithdrawals(list: readonly Nlri[], send: SendFn): boolean {
    let ok = true;
    for (const afi of [Afi.IPV4, Afi.IPV6]) {
      const l = list.filter((n) => n.afi === afi);
      if (l.length > 0) for (const m of packWithdrawals(afi, l, this.ctx)) ok = send(m) && ok;
    }
    return ok;
  }

  /**
   * Packs announcements of the slots list[from .. to) (live) with `set` into the batch: the
   * first slot's family, then the other if any.
   */
  private packAnnouncements(set: AttrSet, list: Int32Array, from: number, to: number): void {
    if (to <= from) return;
    const { block, nextHop } = splitNextHop(set, this.ctx);
    const first = this.slots.afi(list[from]!);
    packUpdateRun(block, first, nextHop, this.runOf(list, from, to, first), this.ctx, batch);
    // A bucket is nearly always of one family.
    if (this.otherFamily) {
      const afi = first === Afi.IPV4 ? Afi.IPV6 : Afi.IPV4;
      packUpdateRun(block, afi, nextHop, this.runOf(list, from, to, afi), this.ctx, batch);
    }
  }

  /**
   * An independent copy (same entries, same sent and wanted sets, the same queue): a member
   * split off an update group continues exactly where the group's stream left it.
   */
  copy(): AdjRibOut {
    const c = new AdjRibOut(this.ctx, this.addPath, this.table);
    // Every id copied is one more reference to its set.
    const refAll = <T extends Int32Array>(ids: T): T => {
      for (let s = 0; s < ids.length; s++) if (ids[s] !== NONE) ref(attrSets.get(ids[s]!)!);
      return ids.slice() as T;
    };
    c.slots = this.slots.copy();
    c.sent = refAll(this.sent);
    c.want = refAll(this.want);
    c.queued = this.queued.slice();
    if (this.byPrefix !== null) for (const list of this.byPrefix.values()) c.byPrefix!.set(this.slots.prefixAt(list[0]!), list.slice());
    c.qLen = this.qLen - this.qHead;
    c.queue = new Int32Array(Math.max(64, c.qLen));
    c.queue.set(this.queue.subarray(this.qHead, this.qLen));
    c.stats.advertised = this.stats.advertised;
    return c;
  }

  /** What the peer is to have for (prefix, path id): the queued change if one waits, else what it has. */
  current(prefix: Prefix, pathId = 0): AttrSet | undefined {
    const s = this.slots.find(prefix, this.multi(prefix.afi) ? pathId : 0);
    if (s < 0) return undefined;
    const id = this.queued[s] !== 0 ? this.want[s]! : this.sent[s]!;
    return id === NONE ? undefined : attrSets.get(id);
  }

  /** The changes waiting in the queue, in order: (NLRI, what the peer is to have; undefined = withdraw). */
  queuedChanges(): { nlri: Nlri; want: AttrSet | undefined }[] {
    const out: { nlri: Nlri; want: AttrSet | undefined }[] = [];
    for (let i = this.qHead; i < this.qLen; i++) {
      const s = this.queue[i]!, w = this.want[s]!;
      out.push({ nlri: this.slots.prefixAt(s), want: w === NONE ? undefined : attrSets.get(w) });
    }
    return out;
  }

  /** What the peer has from us for a prefix (for `show route export` and tests). */
  advertised(prefix: Prefix): { pathId: number; attrs: AttrSet }[] {
    const list = this.multi(prefix.afi) ? this.byPrefix!.get(prefix) ?? [] : [this.slots.find(prefix, 0)];
    const out: { pathId: number; attrs: AttrSet }[] = [];
    for (const s of list) {
      const a = s >= 0 ? this.sent[s]! : NONE;
      if (a !== NONE) out.push({ pathId: this.slots.pathId(s), attrs: attrSets.get(a)! });
    }
    return out;
  }
}

/**
 * Splits the next hop off an attribute set for packUpdates: IPv4 next hops go in front of
 * the block as NEXT_HOP, IPv6 ones into MP_REACH_NLRI. The encoded block depends only on
 * the set and on what the codec context says about attributes (4-octet AS), so recent ones
 * are kept per set (rib/set-memo.ts) and shared by every peer whose sessions encode alike — the part of BGP
 * "update groups" that matters here: a route reflector with 500 clients encodes each
 * attribute set once, not 500 times.
 */
/** By encoding: 2- or 4-octet AS numbers are the only context difference that changes a block. */
const blockCache2 = new SetMemo<AttrSet, null, Encoded>();
const blockCache4 = new SetMemo<AttrSet, null, Encoded>();
/** The next-hop argument of packUpdates, one per (pooled) address array. */
const nextHopArg = new WeakMap<Uint8Array, { global: Uint8Array }>();

interface Encoded {
  readonly block: Uint8Array;
  readonly nextHop: { global: Uint8Array; linkLocal?: Uint8Array } | null;
}

function splitNextHop(set: AttrSet, ctx: CodecContext): Encoded {
  const cache = ctx.as4 ? blockCache4 : blockCache2;
  const hit = cache.get(set, null);
  if (hit !== undefined) return hit;
  const { nextHop, nextHopLinkLocal } = set;
  const block = encodeAttributeBlock(set, ctx, false);
  let nh: Encoded['nextHop'] = null;
  if (nextHop !== undefined && nextHopLinkLocal !== undefined) nh = { global: nextHop, linkLocal: nextHopLinkLocal };
  else if (nextHop !== undefined) {
    nh = nextHopArg.get(nextHop) ?? null;
    if (nh === null) nextHopArg.set(nextHop, (nh = { global: nextHop }));
  }
  const v = { block, nextHop: nh };
  cache.set(set, null, v);
  return v;
}

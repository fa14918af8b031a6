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

import { encodeAttributeBlock, packUpdates, packWithdrawals, encodeEndOfRib, type CodecContext } from '../bgp/codec/index.js';
import { PrefixMap } from './prefix-map.js';
import { ref, unref, type AttrSet } from './attr-set.js';
import { Afi, IPV4_UNICAST, type AfiSafi, type Nlri, type Prefix } from './prefix.js';

interface OutEntry {
  readonly nlri: Nlri;
  sent: AttrSet | undefined;
  want: AttrSet | undefined;
  queued: boolean;
  /** The drain slice that last committed `sent` (see sentWalk). */
  sentEpoch: number;
}

/** Per prefix: the entry for path id 0, or a map by path id (ADD-PATH tx). */
type Slot = OutEntry | Map<number, OutEntry>;

export interface AdjRibOutStats {
  /** (prefix, path id) pairs the peer holds from us now. */
  advertised: number;
  updatesSent: number;
  withdrawalsSent: number;
  messagesSent: number;
}

/** Writes one message; false = the socket is full (stop until drained). */
export type SendFn = (msg: Buffer) => boolean;

/** See AdjRibOut.sentWalk. */
export interface SentWalk {
  /** Sends up to `max` entries; false when `send` said the socket is full. */
  step(send: SendFn, max: number): boolean;
  readonly done: boolean;
}

export class AdjRibOut {
  private readonly slots = new PrefixMap<Slot>();
  private queue: OutEntry[] = [];
  private qHead = 0;
  private eorPending = new Set<AfiSafi>();
  /** Drain slices committed so far: a walk skips entries sent after it began. */
  private epoch = 0;
  readonly stats: AdjRibOutStats = { advertised: 0, updatesSent: 0, withdrawalsSent: 0, messagesSent: 0 };
  /** Entries handled per drain slice (bounds the work per event-loop turn). */
  sliceSize = 4096;

  constructor(
    private readonly ctx: CodecContext,
    /** ADD-PATH tx negotiated for these families: entries keyed by path id. */
    private readonly addPath: ReadonlySet<AfiSafi>,
  ) {}

  /**
   * What the peer should have for `prefix` / `pathId`: an interned set (the caller's
   * reference is taken over) or undefined to withdraw.
   */
  set(prefix: Prefix, pathId: number, attrs: AttrSet | undefined): void {
    const trie = this.slots;
    let slot = trie.get(prefix);
    let e: OutEntry | undefined;
    const multi = this.addPath.has(prefix.afi === Afi.IPV4 ? IPV4_UNICAST : (prefix.afi << 8) | 1);
    if (slot === undefined) {
      if (attrs === undefined) return;
      e = { nlri: nlriFor(prefix, multi ? pathId : 0), sent: undefined, want: undefined, queued: false, sentEpoch: 0 };
      slot = multi ? new Map([[pathId, e]]) : e;
      trie.set(prefix, slot);
    } else if (slot instanceof Map) {
      e = slot.get(pathId);
      if (e === undefined) {
        if (attrs === undefined) return;
        e = { nlri: nlriFor(prefix, pathId), sent: undefined, want: undefined, queued: false, sentEpoch: 0 };
        slot.set(pathId, e);
      }
    } else e = slot;
    if (e.want !== undefined) unref(e.want);
    e.want = attrs;
    if (!e.queued) {
      e.queued = true;
      this.queue.push(e);
    }
  }

  /** Queues End-of-RIB for a family, sent once everything queued before it is out. */
  endOfRib(family: AfiSafi): void {
    this.eorPending.add(family);
  }

  get pending(): number {
    return this.queue.length - this.qHead;
  }

  /**
   * Sends queued changes while `send` accepts them. Returns true when everything queued
   * (and any End-of-RIB) went out, false when the socket filled up or the slice ended —
   * call again on 'drain' or on the next turn.
   */
  drain(send: SendFn, maxSlices = 1): boolean {
    for (let s = 0; s < maxSlices; s++) {
      if (this.qHead >= this.queue.length) break;
      if (!this.drainSlice(send)) return false;
    }
    if (this.qHead < this.queue.length) return false;
    this.queue = [];
    this.qHead = 0;
    for (const f of this.eorPending) {
      this.eorPending.delete(f);
      this.stats.messagesSent++;
      if (!send(encodeEndOfRib(f >> 8, f & 0xff))) return this.eorPending.size === 0;
    }
    return true;
  }

  private drainSlice(send: SendFn): boolean {
    const end = Math.min(this.queue.length, this.qHead + this.sliceSize);
    const withdraw: [Nlri[], Nlri[]] = [[], []];
    const buckets = new Map<AttrSet, OutEntry[]>();
    for (let i = this.qHead; i < end; i++) {
      const e = this.queue[i]!;
      e.queued = false;
      if (e.want === e.sent) continue;
      if (e.want === undefined) withdraw[e.nlri.afi === Afi.IPV4 ? 0 : 1].push(e.nlri);
      else {
        let b = buckets.get(e.want);
        if (b === undefined) buckets.set(e.want, (b = []));
        b.push(e);
      }
    }
    this.qHead = end;
    let ok = true;
    const ctx = this.ctx;
    for (const afi of [Afi.IPV4, Afi.IPV6]) {
      const list = withdraw[afi === Afi.IPV4 ? 0 : 1];
      if (list.length === 0) continue;
      for (const m of packWithdrawals(afi, list, ctx)) ok = this.write(send, m) && ok;
      this.stats.withdrawalsSent += list.length;
    }
    const write = (m: Buffer) => this.write(send, m);
    for (const [set, entries] of buckets) {
      ok = this.sendAnnouncements(set, entries.map((e) => e.nlri), write) && ok;
      this.stats.updatesSent += entries.length;
    }
    // Book-keeping once the messages are handed to the socket (Node keeps what it cannot
    // write yet; `ok` false only tells us to stop producing more).
    this.commit(withdraw, buckets);
    return ok;
  }

  private commit(withdraw: [Nlri[], Nlri[]], buckets: Map<AttrSet, OutEntry[]>): void {
    const epoch = ++this.epoch;
    for (const [set, entries] of buckets) {
      for (const e of entries) {
        if (e.sent === undefined) this.stats.advertised++;
        else unref(e.sent);
        e.sent = ref(set);
        e.sentEpoch = epoch;
      }
    }
    for (const list of withdraw) {
      for (const n of list) {
        const trie = this.slots;
        const slot = trie.get(n);
        if (slot === undefined) continue;
        const e = slot instanceof Map ? slot.get(n.pathId) : slot;
        if (e === undefined || e.sent === undefined) continue;
        unref(e.sent);
        e.sent = undefined;
        this.stats.advertised--;
        if (e.want === undefined && !e.queued) {
          if (slot instanceof Map) {
            slot.delete(n.pathId);
            if (slot.size === 0) trie.delete(n);
          } else trie.delete(n);
        }
      }
    }
  }

  private write(send: SendFn, m: Buffer): boolean {
    this.stats.messagesSent++;
    return send(m);
  }

  /**
   * Route refresh (RFC 2918 §4): everything the peer has from us in a family goes out
   * again. The entries are queued as never sent; `want` is unchanged.
   */
  resendAll(afi: Afi): void {
    const requeue = (e: OutEntry) => {
      if (e.sent === undefined) return;
      unref(e.sent);
      e.sent = undefined;
      this.stats.advertised--;
      if (!e.queued) {
        e.queued = true;
        this.queue.push(e);
      }
    };
    for (const slot of this.slots.values(afi)) {
      if (slot instanceof Map) slot.forEach(requeue);
      else requeue(slot);
    }
  }

  /** Forgets everything (session down): drops every reference it holds. */
  clear(): void {
    const drop = (e: OutEntry) => {
      if (e.sent !== undefined) unref(e.sent);
      if (e.want !== undefined) unref(e.want);
      e.sent = e.want = undefined;
    };
    for (const slot of this.slots.values()) {
      if (slot instanceof Map) slot.forEach(drop);
      else drop(slot);
    }
    this.slots.clear();
    this.queue = [];
    this.qHead = 0;
    this.eorPending.clear();
    this.stats.advertised = 0;
  }

  /**
   * A walk over what the peer has from us (`sent`), for a late member of an update group
   * (bgp/update-group.ts) or a route refresh of one member: each `step` sends up to `max`
   * entries, grouped by attribute set, through `send`. The walk rides on Map iterators,
   * which tolerate changes between steps (removed entries are skipped), and it skips
   * entries the group's own drain sent after the walk began (`sentEpoch`): those reached
   * the member in the group's stream already, and walking them too would send them twice.
   * What changes after an entry was walked reaches the member through the group's own
   * messages, which are written after it.
   */
  sentWalk(afi?: Afi): SentWalk {
    const it = this.slots.values(afi);
    const since = this.epoch;
    let finished = false;
    const step = (send: SendFn, max: number): boolean => {
      const buckets = new Map<AttrSet, Nlri[]>();
      let n = 0;
      while (n < max) {
        const r = it.next();
        if (r.done) {
          finished = true;
          break;
        }
        const slot = r.value;
        const add = (e: OutEntry) => {
          if (e.sent === undefined || e.sentEpoch > since) return;
          let b = buckets.get(e.sent);
          if (b === undefined) buckets.set(e.sent, (b = []));
          b.push(e.nlri);
          n++;
        };
        if (slot instanceof Map) slot.forEach(add);
        else add(slot);
      }
      let ok = true;
      for (const [set, nlri] of buckets) ok = this.sendAnnouncements(set, nlri, send) && ok;
      return ok;
    };
    return { step, get done() { return finished; } };
  }

  /** The (prefix, path id) is queued or held for the peer (announced or to be announced). */
  holds(n: Nlri): boolean {
    const slot = this.slots.get(n);
    if (slot === undefined) return false;
    const e = slot instanceof Map ? slot.get(n.pathId) : slot.nlri.pathId === n.pathId ? slot : undefined;
    return e !== undefined && (e.sent !== undefined || e.want !== undefined);
  }

  /** Every (prefix, path id) the peer has from us now. */
  sentNlri(): Nlri[] {
    const out: Nlri[] = [];
    const add = (e: OutEntry) => {
      if (e.sent !== undefined) out.push(e.nlri);
    };
    for (const slot of this.slots.values()) {
      if (slot instanceof Map) slot.forEach(add);
      else add(slot);
    }
    return out;
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

  private sendAnnouncements(set: AttrSet, nlri: readonly Nlri[], send: SendFn): boolean {
    const { block, nextHop } = splitNextHop(set, this.ctx);
    let ok = true;
    for (const afi of [Afi.IPV4, Afi.IPV6]) {
      const l = nlri.filter((n) => n.afi === afi);
      if (l.length > 0) for (const m of packUpdates(block, afi, nextHop, l, this.ctx)) ok = send(m) && ok;
    }
    return ok;
  }

  /**
   * An independent copy (same entries, same sent and wanted sets, the same queue): a member
   * split off an update group continues exactly where the group's stream left it.
   */
  copy(): AdjRibOut {
    const c = new AdjRibOut(this.ctx, this.addPath);
    const dup = (e: OutEntry): OutEntry => {
      const d: OutEntry = { nlri: e.nlri, sent: e.sent && ref(e.sent), want: e.want && ref(e.want), queued: e.queued, sentEpoch: 0 };
      if (d.queued) c.queue.push(d);
      return d;
    };
    // Queued entries go in the copy's queue in slot order rather than queue order: the order
    // of pending changes within a drain does not matter (withdrawals go first anyway).
    for (const slot of this.slots.values()) {
      if (slot instanceof Map) {
        const m = new Map<number, OutEntry>();
        for (const [id, e] of slot) m.set(id, dup(e));
        c.slots.set(m.values().next().value!.nlri, m);
      } else c.slots.set(slot.nlri, dup(slot));
    }
    c.stats.advertised = this.stats.advertised;
    return c;
  }

  /** What the peer has from us for a prefix (for `show route export` and tests). */
  advertised(prefix: Prefix): { pathId: number; attrs: AttrSet }[] {
    const slot = this.slots.get(prefix);
    if (slot === undefined) return [];
    const list = slot instanceof Map ? [...slot.values()] : [slot];
    return list.filter((e) => e.sent !== undefined).map((e) => ({ pathId: e.nlri.pathId, attrs: e.sent! }));
  }
}

/** The prefix itself when it already is an Nlri with that path id (the common case), else a copy. */
const nlriFor = (p: Prefix, pathId: number): Nlri =>
  (p as Partial<Nlri>).pathId === pathId ? (p as Nlri) : { afi: p.afi, len: p.len, addr: p.addr, pathId };

/**
 * Splits the next hop off an attribute set for packUpdates: IPv4 next hops go in front of
 * the block as NEXT_HOP, IPv6 ones into MP_REACH_NLRI. The encoded block depends only on
 * the set and on what the codec context says about attributes (4-octet AS), so it is
 * cached per set and shared by every peer whose sessions encode alike — the part of BGP
 * "update groups" that matters here: a route reflector with 500 clients encodes each
 * attribute set once, not 500 times.
 */
const blockCache = new WeakMap<AttrSet, Map<string, Encoded>>();

interface Encoded {
  readonly block: Uint8Array;
  readonly nextHop: { global: Uint8Array; linkLocal?: Uint8Array } | null;
}

/** What in a CodecContext changes the encoding of an attribute block. */
const encodingKey = (ctx: CodecContext): string => (ctx.as4 ? '4' : '2');

function splitNextHop(set: AttrSet, ctx: CodecContext): Encoded {
  const key = encodingKey(ctx);
  let byCtx = blockCache.get(set);
  const hit = byCtx?.get(key);
  if (hit !== undefined) return hit;
  const { nextHop, nextHopLinkLocal, ...rest } = set;
  const block = encodeAttributeBlock(rest, ctx);
  const nh = nextHop === undefined ? null : nextHopLinkLocal === undefined ? { global: nextHop } : { global: nextHop, linkLocal: nextHopLinkLocal };
  const v = { block, nextHop: nh };
  if (byCtx === undefined) blockCache.set(set, (byCtx = new Map()));
  byCtx.set(key, v);
  return v;
}

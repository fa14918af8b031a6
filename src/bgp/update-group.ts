// Update groups: BGP peers whose exports are bound to be identical share one export
// computation, one Adj-RIB-Out and one stream of encoded UPDATEs (the idea of FRR's update
// groups; BIRD has none). A route reflector with 500 clients then runs the export rules,
// the export filter, the Adj-RIB-Out book-keeping and the encoding once per route instead
// of 500 times, and holds one Adj-RIB-Out instead of 500; each UPDATE buffer is written to
// every member's socket.
//
// Which peers share (groupKey): iBGP peers with the same export inputs — local AS, route
// reflector role and cluster id, next hop self/keep and the address it would put there,
// community handling, default LOCAL_PREF, ADD-PATH mode, the export filter's fingerprint,
// the negotiated encoding (4-octet AS, ADD-PATH tx, message size, families) and LLGR
// awareness. eBGP peers, and peers with an export limit, are each a group of their own,
// so BIRD's per-peer rules hold exactly for them: a route never goes back to the peer it
// came from, nor with the peer itself as next hop. In a shared iBGP group a client's own
// routes are reflected back to it as FRR does; RFC 4456 §8 makes the client discard them
// (ORIGINATOR_ID), and non-client iBGP routes are never exported to iBGP anyway.
//
// Members joining late (a session coming up while the group exports), a member's route
// refresh and a member moving between groups (its export filter changed) are served by a
// catch-up walk over the group's Adj-RIB-Out (AdjRibOut.sentWalk), interleaved with the
// group's live messages; a moving member then gets withdrawals for what its old group had
// sent and the new one does not hold. End-of-RIB (RFC 4724 §2) goes to a member once its
// walk is over and the group has fed the whole table and sent everything queued.
// Backpressure: the group writes while every member's socket takes more; a full socket
// holds the group until that member's 'drain'. A member whose socket has taken nothing for
// `splitAfterMs` is split off into a group of its own (FRR's subgroup split), which starts
// from a copy of the group's Adj-RIB-Out — everything the group wrote is in that member's
// socket buffer already — so the others go on and the slow one catches up at its pace.
//
// Leaves out: merging a split member back when it has caught up (it stays alone until its
// session restarts).

import { Channel } from '../rib/channel.js';
import { AdjRibOut, type SentWalk } from '../rib/adj-rib-out.js';
import type { CompiledFilter } from '../../conf/filter/route.js';
import type { RouteAttributes, AttrSet } from '../rib/attr-set.js';
import type { Nlri, Prefix, AfiSafi, Afi } from '../rib/prefix.js';
import type { Route, RouteSource } from '../rib/route.js';
import type { NetEntry, RoutingTable, ExportMode } from '../rib/table.js';
import type { CodecContext } from './codec/index.js';
import { encodeEndOfRib, encodeRouteRefresh, RouteRefreshSubtype } from './codec/index.js';
import { WrenError } from './errors.js';

/** Entries a catch-up walk sends per step (one step per event-loop turn and member). */
const WALK_STEP = 2048;

/** A timer that does not keep the process alive. */
const timer = (f: () => void, ms: number): NodeJS.Timeout => {
  const t = setTimeout(f, ms);
  t.unref();
  return t;
};

/** What a group needs from a member (BgpProtocol). */
export interface GroupMember {
  readonly name: string;
  /** The member's route source now (a solo group skips the member's own routes). */
  readonly source: RouteSource;
  /** Export preparation (BIRD bgp_import_control); any member answers alike. */
  preexport(route: Route, net: NetEntry): RouteAttributes | null;
  /** The member's rtNotify into the group's Adj-RIB-Out (wire attributes, limits). */
  groupNotify(group: UpdateGroup, prefix: Prefix, pathId: number, attrs: RouteAttributes | undefined): void;
  onFilterError(message: string): void;
  send(msg: Buffer): boolean;
  corked(fn: () => void): void;
  /** The member's socket takes more now (no 'drain' awaited). */
  readonly writable: boolean;
  /** The member has held `group` back too long: it moves to a group of its own (UpdateGroup.splitOff). */
  splitOff(group: UpdateGroup): void;
}

export interface GroupSpec {
  readonly key: string;
  readonly table: RoutingTable;
  readonly exportFilter: CompiledFilter;
  readonly exportMode: ExportMode;
  readonly codec: CodecContext;
  /** A group of one: the member's own routes are not exported to it. */
  readonly solo: boolean;
}

interface MemberState {
  readonly families: readonly AfiSafi[];
  /** Catch-up walk in progress. */
  walk: SentWalk | null;
  /** After the walk: withdraw these unless the group holds them (a member that moved in). */
  leftovers: Nlri[] | null;
  /** End-of-RIB still owed. */
  eor: boolean;
  /** RFC 7313 EoRR owed once the walk is over. */
  eorr: AfiSafi[];
  walkScheduled: boolean;
  /** When the group first found this member's socket full (performance.now()), 0 when it takes more. */
  blockedAt: number;
}

/** The groups of one routing table, by key. */
const registry = new WeakMap<RoutingTable, Map<string, UpdateGroup>>();

function groupsOf(table: RoutingTable): Map<string, UpdateGroup> {
  let byKey = registry.get(table);
  if (byKey === undefined) registry.set(table, (byKey = new Map()));
  return byKey;
}

export class UpdateGroup {
  /** How long a member may hold the group back before it is split off (ms). */
  static splitAfterMs = 5000;
  readonly out: AdjRibOut;
  readonly channel: Channel;
  private readonly members = new Map<GroupMember, MemberState>();
  private drainScheduled = false;
  private feedDone = false;
  private closed = false;
  private splitTimer: NodeJS.Timeout | undefined;
  /** Wire attribute sets per export-filter output object (no reference held: checked on use). */
  readonly wireCache = new WeakMap<RouteAttributes, AttrSet>();
  private readonly anon: RouteSource = { name: '(update group)', kind: 'bgp' };

  private constructor(
    readonly spec: GroupSpec,
    out?: AdjRibOut,
  ) {
    this.out = out ?? new AdjRibOut(spec.codec, spec.codec.addPathTx);
    const self = this;
    this.channel = new Channel(
      {
        get name() {
          return self.first?.name ?? '(update group)';
        },
        get source() {
          // Solo: the member's routes stay home (BIRD). Shared: a source no route has.
          return spec.solo && self.first ? self.first.source : self.anon;
        },
        preexport: (route, net) => this.first?.preexport(route, net) ?? null,
        rtNotify: (prefix, pathId, attrs) => this.first?.groupNotify(this, prefix, pathId, attrs),
      },
      spec.table,
      {
        importFilter: spec.exportFilter,
        exportFilter: spec.exportFilter,
        preference: 0,
        exportMode: spec.exportMode,
        onFilterError: (m) => this.first?.onFilterError(m),
      },
    );
  }

  /** The member the group asks for export preparation (any would do). */
  private get first(): GroupMember | undefined {
    return this.members.keys().next().value;
  }

  /** The group for `spec.key` in the table, created (not yet exporting) when missing. */
  static for(spec: GroupSpec): UpdateGroup {
    const byKey = groupsOf(spec.table);
    let g = byKey.get(spec.key);
    if (g === undefined || g.closed) byKey.set(spec.key, (g = new UpdateGroup(spec)));
    return g;
  }

  get size(): number {
    return this.members.size;
  }

  /**
   * Adds a member that has nothing from us yet (`leftovers` undefined), or that holds what
   * its previous group sent (`leftovers`: withdrawn after the walk unless this group holds
   * them). It gets the group's routes, and End-of-RIB for `families` unless it moved in.
   */
  join(m: GroupMember, families: readonly AfiSafi[], leftovers?: Nlri[]): void {
    const first = this.members.size === 0;
    // A member moving in from another group had its End-of-RIB there.
    const st: MemberState = { families, walk: null, leftovers: leftovers ?? null, eor: leftovers === undefined, eorr: [], walkScheduled: false, blockedAt: 0 };
    this.members.set(m, st);
    if (first) {
      // The group starts: its feed walks the table; nothing was sent before, no walk.
      this.channel.startExport(() => {
        this.feedDone = true;
        this.scheduleDrain();
      });
    } else {
      st.walk = this.out.sentWalk();
      this.scheduleWalk(m, st);
    }
    this.scheduleDrain();
  }

  /**
   * Moves `m` out of `from` into a new group of its own (`spec.key` must be unique). A member
   * that has had everything the group wrote (no catch-up walk running) continues from a copy
   * of the group's Adj-RIB-Out; one in the middle of its walk starts afresh and is sent
   * withdrawals at the end for what it may hold from `from` and the new group does not.
   */
  static splitOff(from: UpdateGroup, m: GroupMember, spec: GroupSpec): UpdateGroup {
    const st = from.members.get(m);
    if (st === undefined) throw new WrenError('ERR_UPDATE_GROUP', `${m.name} is not a member of the update group`);
    const caughtUp = st.walk === null && st.leftovers === null;
    const g = new UpdateGroup(spec, caughtUp ? from.out.copy() : undefined);
    groupsOf(spec.table).set(spec.key, g);
    const leftovers = caughtUp ? null : [...(st.leftovers ?? []), ...from.out.sentNlri()];
    g.members.set(m, { families: st.families, walk: null, leftovers, eor: st.eor, eorr: st.eorr, walkScheduled: false, blockedAt: 0 });
    from.leave(m);
    // With a copy of a group that had fed the whole table, only live changes are missing.
    const feed = !caughtUp || !from.feedDone || from.channel.feeding;
    g.channel.startExport(() => {
      g.feedDone = true;
      g.scheduleDrain();
    }, feed);
    g.scheduleDrain();
    return g;
  }

  /** Removes a member; the last one out closes the group. */
  leave(m: GroupMember): void {
    if (!this.members.delete(m)) return;
    if (this.members.size > 0) {
      this.scheduleDrain(); // the leaver may have been the one holding the group back
      return;
    }
    this.closed = true;
    if (this.splitTimer !== undefined) clearTimeout(this.splitTimer);
    this.channel.stopExport();
    this.out.clear();
    const byKey = registry.get(this.spec.table);
    if (byKey?.get(this.spec.key) === this) byKey.delete(this.spec.key);
  }

  /** Route refresh (RFC 2918) of one member: everything of `afi` again; EoRR after it when asked. */
  refresh(m: GroupMember, afi: Afi, eorr?: AfiSafi): void {
    const st = this.members.get(m);
    if (st === undefined) return;
    st.walk = this.out.sentWalk(afi);
    if (eorr !== undefined) st.eorr.push(eorr);
    this.scheduleWalk(m, st);
  }

  /** A member's socket drained: resume the group and that member's walk. */
  drained(m: GroupMember): void {
    const st = this.members.get(m);
    if (st === undefined) return;
    st.blockedAt = 0;
    this.drain();
    if (st.walk !== null) this.scheduleWalk(m, st);
  }

  /** After a change in the Adj-RIB-Out (from groupNotify). */
  scheduleDrain(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.closed || this.holdsBack()) return;
    let full = false;
    let done = false;
    const members = [...this.members.keys()];
    const send = (msg: Buffer): boolean => {
      let ok = true;
      for (const m of members) ok = m.send(msg) && ok;
      if (!ok) full = true;
      return ok;
    };
    this.corkAll(members, () => {
      done = this.out.drain(send);
    });
    if (done) {
      for (const [m, st] of this.members) this.settle(m, st);
    } else if (!full) this.scheduleDrain();
  }

  /**
   * True while a member's socket is full (the group waits for its 'drain'). A member that
   * has been full for `splitAfterMs` is split off instead, unless it is alone.
   */
  private holdsBack(): boolean {
    const now = performance.now();
    let waitMs = -1;
    for (const [m, st] of this.members) {
      if (m.writable) {
        st.blockedAt = 0;
        continue;
      }
      if (st.blockedAt === 0) st.blockedAt = now;
      const left = st.blockedAt + UpdateGroup.splitAfterMs - now;
      if (left <= 0 && this.members.size > 1) m.splitOff(this);
      else waitMs = Math.max(waitMs, left);
    }
    if (waitMs < 0) return false;
    if (this.splitTimer === undefined && this.members.size > 1) {
      this.splitTimer = timer(() => {
        this.splitTimer = undefined;
        this.drain();
      }, Math.max(1, waitMs));
    }
    return true;
  }

  private corkAll(members: readonly GroupMember[], fn: () => void, i = 0): void {
    if (i === members.length) fn();
    else members[i]!.corked(() => this.corkAll(members, fn, i + 1));
  }

  /** The group has sent everything it holds. */
  private get idle(): boolean {
    return this.feedDone && !this.channel.feeding && this.out.pending === 0;
  }

  private scheduleWalk(m: GroupMember, st: MemberState): void {
    if (st.walkScheduled) return;
    st.walkScheduled = true;
    setImmediate(() => {
      st.walkScheduled = false;
      if (this.members.get(m) !== st || st.walk === null || !m.writable) return;
      const walk = st.walk;
      let ok = true;
      m.corked(() => {
        ok = walk.step((msg) => m.send(msg), WALK_STEP);
      });
      if (walk.done) {
        if (st.walk === walk) st.walk = null;
        this.settle(m, st);
      } else if (ok) this.scheduleWalk(m, st);
      // else: resumed by drained()
    });
  }

  /** Walk over: EoRR now; once the group is idle, leftovers' withdrawals and End-of-RIB. */
  private settle(m: GroupMember, st: MemberState): void {
    if (st.walk !== null) return;
    if (st.eorr.length > 0) {
      for (const f of st.eorr) m.send(encodeRouteRefresh(f >> 8, f & 0xff, RouteRefreshSubtype.END_OF_RR));
      st.eorr = [];
    }
    if (!this.idle) return;
    if (st.leftovers !== null) {
      const gone = st.leftovers.filter((n) => !this.out.holds(n));
      st.leftovers = null;
      if (gone.length > 0) this.out.sendWithdrawals(gone, (msg) => m.send(msg));
    }
    if (st.eor) {
      st.eor = false;
      for (const f of st.families) m.send(encodeEndOfRib(f >> 8, f & 0xff));
    }
  }
}

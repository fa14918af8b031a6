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
// Merging back (FRR merges subgroups once they are in sync): every `splitAfterMs` a split-off
// group checks whether its member has caught up (nothing queued, no walk or leftovers, End-of-
// RIB had, socket taking more, table fed) and whether the group it came from (the group
// registered under the key it was split from) is quiet too (nothing queued, table fed). If
// both Adj-RIB-Outs then hold the same (prefix, path id) pairs with the same sent attribute
// sets — interned, so compared by identity — the member moves back without a single UPDATE:
// what it holds is what that group has sent, and the group's next messages follow in the same
// TCP stream. The comparison walks the entries in slices of at most MERGE_SLICE_MS, and any
// drain of either Adj-RIB-Out in between (the only way their sent state changes) voids it;
// quietness is checked again right before the move (AdjRibOut.sameSentFrom is the
// resumable, allocation-free comparison). If they differ, the group stays split
// and checks again later (without comparing again while neither side has drained anything).
// If the group it came from is gone (its last member left), the split group takes over its
// key, so peers with the same export join it rather than a new group.
//
// Leaves out: merging two groups that each have several members (only a split-off group of
// one merges back); carrying a split member's export counters over to the group it rejoins.

import { Channel, type ChannelOwner } from '../rib/channel.js';
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

/** The merge-back comparison yields to the event loop after this long (ms). */
const MERGE_SLICE_MS = 5;
/** Entries compared between two looks at the clock. */
const MERGE_BATCH = 512;

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
  /**
   * The member's rtNotify into the group's Adj-RIB-Out (wire attributes, limits); `from`: the
   * exported route's attribute set (`attrs` was derived from it).
   */
  groupNotify(group: UpdateGroup, prefix: Prefix, pathId: number, attrs: RouteAttributes | undefined, net?: number, from?: AttrSet): void;
  onFilterError(message: string): void;
  /** Writes `count` whole messages held back to back in `msg` (default 1). */
  send(msg: Buffer, count?: number): boolean;
  corked(fn: () => void): void;
  /** The member's socket takes more now (no 'drain' awaited). */
  readonly writable: boolean;
  /** The member has held `group` back too long: it moves to a group of its own (UpdateGroup.splitOff). */
  splitOff(group: UpdateGroup): void;
  /** The member, split off into `from`, caught up and was moved back into `to` (from is closed). */
  regrouped(from: UpdateGroup, to: UpdateGroup): void;
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

/** Merge-back checks of a split-off group (see UpdateGroup.checkMerge), for tests and logs. */
export interface MergeStats {
  /** Timer ticks that looked at the group. */
  checks: number;
  /** Ticks at which both groups were quiet and their Adj-RIB-Outs were compared (or known to differ still). */
  comparisons: number;
  /** Comparisons that found a difference, or knew it (nothing drained on either side since): the group stays split. */
  mismatches: number;
  /** Comparisons voided by a drain of either Adj-RIB-Out while they ran. */
  aborted: number;
}

/**
 * The group's side of its channel: the first member answers for all. A class, not an object
 * literal with getters: every group's owner then has one hidden class with the getters on its
 * prototype, so the channel's reads of `owner.source` (once per exported prefix, from every
 * group of the table) stay monomorphic; literals made one map per group and a generic
 * property load each time.
 */
class GroupOwner implements ChannelOwner {
  constructor(
    private readonly group: UpdateGroup,
    private readonly solo: boolean,
  ) {}

  get name(): string {
    return this.group.first?.name ?? '(update group)';
  }

  get source(): RouteSource {
    // Solo: the member's routes stay home (BIRD). Shared: a source no route has.
    const first = this.group.first;
    return this.solo && first !== undefined ? first.source : this.group.anon;
  }

  preexport(route: Route, net: NetEntry): RouteAttributes | null {
    return this.group.first?.preexport(route, net) ?? null;
  }

  rtNotify(prefix: Prefix, pathId: number, attrs: RouteAttributes | undefined, route: Route | undefined, net: number): void {
    this.group.first?.groupNotify(this.group, prefix, pathId, attrs, net, route?.attrs);
  }
}

export class UpdateGroup {
  /** How long a member may hold the group back before it is split off (ms); also the merge-back check period. */
  static splitAfterMs = 5000;
  readonly out: AdjRibOut;
  readonly channel: Channel;
  private readonly members = new Map<GroupMember, MemberState>();
  private drainScheduled = false;
  private feedDone = false;
  private closed = false;
  private splitTimer: NodeJS.Timeout | undefined;
  private currentSpec: GroupSpec;
  /** Split-off group: the key of the group it was split from (null otherwise, or once it took that key over). */
  private origin: string | null;
  private mergeTimer: NodeJS.Timeout | undefined;
  /** Bumped at every drain of a non-empty queue: the only way the Adj-RIB-Out's sent state changes. */
  private sentVersion = 0;
  readonly mergeStats: MergeStats = { checks: 0, comparisons: 0, mismatches: 0, aborted: 0 };
  /** The last comparison that found a difference: with neither side drained since, it still holds. */
  private differed: { readonly home: UpdateGroup; readonly mine: number; readonly theirs: number } | null = null;
  /** GroupOwner's source for a shared group: one no route has. */
  readonly anon: RouteSource = { name: '(update group)', kind: 'bgp' };

  private constructor(spec: GroupSpec, out?: AdjRibOut, origin: string | null = null) {
    this.currentSpec = spec;
    this.origin = origin;
    this.out = out ?? new AdjRibOut(spec.codec, spec.codec.addPathTx, spec.table);
    this.channel = new Channel(
      new GroupOwner(this, spec.solo),
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

  /** What the group exports with; `key` changes once, when a split-off group takes over its origin's key. */
  get spec(): GroupSpec {
    return this.currentSpec;
  }

  /** A split-off group: the key of the group it was split from and may merge back into. */
  get splitFrom(): string | null {
    return this.origin;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * A member (the group's export asks it: any member answers alike). Asked several times per
   * exported route: a field, kept by addMember / removeMember; outside the class, GroupOwner reads it.
   */
  first: GroupMember | undefined;

  private addMember(m: GroupMember, st: MemberState): void {
    this.members.set(m, st);
    this.first ??= m;
  }

  private removeMember(m: GroupMember): boolean {
    if (!this.members.delete(m)) return false;
    if (this.first === m) this.first = this.members.keys().next().value;
    return true;
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
    this.addMember(m, st);
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
    const g = new UpdateGroup(spec, caughtUp ? from.out.copy() : undefined, from.origin ?? from.spec.key);
    groupsOf(spec.table).set(spec.key, g);
    const leftovers = caughtUp ? null : [...(st.leftovers ?? []), ...from.out.sentNlri()];
    g.addMember(m, { families: st.families, walk: null, leftovers, eor: st.eor, eorr: st.eorr, walkScheduled: false, blockedAt: 0 });
    from.leave(m);
    // With a copy of a group that had fed the whole table, only live changes are missing.
    const feed = !caughtUp || !from.feedDone || from.channel.feeding;
    g.channel.startExport(() => {
      g.feedDone = true;
      g.scheduleDrain();
    }, feed);
    g.scheduleDrain();
    g.armMerge();
    return g;
  }

  /** Removes a member; the last one out closes the group. */
  leave(m: GroupMember): void {
    if (!this.removeMember(m)) return;
    if (this.members.size > 0) {
      this.scheduleDrain(); // the leaver may have been the one holding the group back
      return;
    }
    this.close();
  }

  /** No member left: stop exporting, drop the Adj-RIB-Out's references, leave the registry. */
  private close(): void {
    this.closed = true;
    if (this.splitTimer !== undefined) clearTimeout(this.splitTimer);
    if (this.mergeTimer !== undefined) clearTimeout(this.mergeTimer);
    this.splitTimer = this.mergeTimer = undefined;
    this.differed = null;
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
    const send = (msg: Buffer, count?: number): boolean => {
      let ok = true;
      for (const m of members) ok = m.send(msg, count) && ok;
      if (!ok) full = true;
      return ok;
    };
    if (this.out.pending > 0) this.sentVersion++;
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
        ok = walk.step((msg, count) => m.send(msg, count), WALK_STEP);
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

  // ---- merging a split-off member back ------------------------------------------------------

  /** Split-off group: the next merge-back check in `splitAfterMs`. */
  private armMerge(): void {
    if (this.closed || this.origin === null || this.mergeTimer !== undefined) return;
    this.mergeTimer = timer(() => {
      this.mergeTimer = undefined;
      this.checkMerge();
    }, Math.max(1, UpdateGroup.splitAfterMs));
  }

  /** Nothing queued, the table fed, no feed running: what the Adj-RIB-Out holds as sent is all there is. */
  private get quiet(): boolean {
    return !this.closed && this.idle;
  }

  /** The single member of a split-off group has had everything its group holds. */
  private memberCaughtUp(): GroupMember | null {
    if (this.members.size !== 1) return null;
    const [m, st] = this.members.entries().next().value!;
    const ok = st.walk === null && st.leftovers === null && !st.eor && st.eorr.length === 0 && m.writable;
    return ok ? m : null;
  }

  /** The live group registered under `key` (the one this split-off group would merge back into). */
  private home(key: string): UpdateGroup | undefined {
    const h = groupsOf(this.spec.table).get(key);
    return h === undefined || h.closed || h === this ? undefined : h;
  }

  /**
   * A merge-back check (timer): takes over the origin's key when that group is gone; else,
   * when both groups are quiet, compares their Adj-RIB-Outs in slices and moves the member
   * back if they are the same. Otherwise checks again after `splitAfterMs`.
   */
  private checkMerge(): void {
    const key = this.origin;
    if (this.closed || key === null) return;
    this.mergeStats.checks++;
    const byKey = groupsOf(this.spec.table);
    const existing = byKey.get(key);
    if (existing === undefined || existing.closed) {
      // The group it came from is gone: this one is the group for that export now.
      if (byKey.get(this.spec.key) === this) byKey.delete(this.spec.key);
      this.currentSpec = { ...this.currentSpec, key };
      this.origin = null;
      byKey.set(key, this);
      return;
    }
    const home = this.home(key);
    if (home === undefined || !this.quiet || !home.quiet || this.memberCaughtUp() === null) return this.armMerge();
    this.mergeStats.comparisons++;
    const mine = this.sentVersion, theirs = home.sentVersion;
    const differ = (): void => {
      this.differed = { home, mine, theirs };
      this.mergeStats.mismatches++;
      this.armMerge();
    };
    const d = this.differed;
    if ((d !== null && d.home === home && d.mine === mine && d.theirs === theirs) || this.out.stats.advertised !== home.out.stats.advertised) return differ();
    const unchanged = (): boolean => !this.closed && !home.closed && this.sentVersion === mine && home.sentVersion === theirs;
    let at = 0;
    const step = (): void => {
      if (!unchanged()) {
        if (!this.closed) this.mergeStats.aborted++;
        return this.armMerge();
      }
      const deadline = performance.now() + MERGE_SLICE_MS;
      do {
        at = this.out.sameSentFrom(home.out, at, MERGE_BATCH);
        if (at === -2) return differ();
      } while (at >= 0 && performance.now() < deadline);
      if (at >= 0) {
        setImmediate(step);
        return;
      }
      // Equal counts and every entry here found alike there: the same content. Move now, in
      // this turn, if nothing changed meanwhile and both are still quiet.
      const m = this.memberCaughtUp();
      if (unchanged() && this.quiet && home.quiet && m !== null && this.home(key) === home) this.mergeInto(home, m);
      else {
        this.mergeStats.aborted++;
        this.armMerge();
      }
    };
    step();
  }

  /** Moves the single member back into `home` (no UPDATE: it holds what home has sent) and closes this group. */
  private mergeInto(home: UpdateGroup, m: GroupMember): void {
    const st = this.members.get(m)!;
    this.removeMember(m);
    home.addMember(m, { families: st.families, walk: null, leftovers: null, eor: false, eorr: [], walkScheduled: false, blockedAt: 0 });
    this.close();
    m.regrouped(this, home);
    home.scheduleDrain();
  }
}


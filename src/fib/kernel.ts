// The kernel protocol (BIRD 1.6 sysdep/unix/krt.c + sysdep/linux/netlink.c, contract.md
// §4.2): keeps the kernel's routing table (main, or `kernel table`) in step with Wren's
// master table over rtnetlink, event-driven.
//
// Learning (`learn`): alien routes — every rtm_protocol but 0, 2 (kernel) and ours (12) —
// are imported with preference 10, source kind 'kernel', krt_source, krt_metric, ifname,
// krt_prefsrc, krt_realm, krt_scope, krt_mtu & co., and every next hop of a multipath route (see
// kernel-routes.ts for what is skipped). Several alien routes for one prefix (different
// metrics) import as one: the lowest metric (1.6 krt_learn keeps the best alternative).
//
// Exporting: the channel hands over each net's best route after the export filter
// (rtNotify); with `merge paths on` its equal-cost companions (table.mergedRoutes, each run
// through the export filter) become one multipath route. Routes from `direct` are never
// exported, nor our own learned routes (another kernel protocol's are: 1.6
// krt_import_control); unreachable routes (unresolved BGP next hop) are not installed.
// Ours carry rtm_protocol 12 and metric krt_metric (0 if unset). The syncer keeps
//   slots:   prefix → one Slot: `want`, the route we want (null: withdrawn, delete ours),
//            `own`, our protocol-12 routes the kernel has (one per metric: a lone route
//            is held as itself, several as an array), and whether it is dirty;
//   aliens:  prefix → other protocols' routes (one per metric),
// and reconciles dirty prefixes (a FIFO of slots) in time slices into a batching writer
// (RouteBatchWriter: hundreds of requests per datagram). One map entry and one Slot per
// prefix, no per-prefix array: a bulk install costs a map insert, not three maps' worth;
// the map is src/rib/prefix-map.ts's PrefixMap (IPv4 keys are small integers: no heap
// number per key). Our own routes are updated with NLM_F_REPLACE; a
// route we do not hold is added with NLM_F_EXCL, and not at all when another protocol's
// route sits on the same key (prefix + metric): a Felix route that replaced ours is left
// alone (BIRD 1.6 gets EEXIST and learns it). Deletes name protocol 12, so they can never
// remove someone else's route.
//
// Kernel events (RTNLGRP_IPV4_ROUTE / _IPV6_ROUTE on a second socket) keep own/aliens
// current: a route of ours deleted by hand is reinstalled at once; an alien route appearing
// or going is learned or withdrawn. IPv4 drops the routes of an interface that goes down or
// away without telling anyone: the interface table's link events stand in for those. A
// lost event (ENOBUFS), an interrupted dump, an EEXIST we did not expect or a lost reply ⇒
// re-dump (after the writer has drained) and reconcile. `scan time` only sets a slow safety
// re-dump (never more often than asked, at least every 10 minutes).
//
// Bulk writes (a full table from BGP, a refeed): reconciling stops while the writer holds
// WRITER_HIGH_WATER requests (the rest stays dirty and coalesces), datagrams are 128 KiB.
// The datagrams go to the addon's sender thread (socket.ts sendQueued): the kernel inserts
// the routes inside sendmsg, which then runs on the other core while this thread encodes the
// next batches; replies and errors are matched by seq as before. Our own writes would come
// back as as many route events: a BPF filter on the event socket drops, in the kernel, the
// notifications stamped with the request socket's port id (the echoes of our writes), so
// route events stay on through a bulk. Without the filter (an addon without it), past
// BULK_PAUSE writes (outstanding, or within a second) route events are switched off until
// the writes have been quiet for RESUME_DELAY_MS, then one scan catches up. That scan is
// light: our routes are counted, not decoded; if there are as many as we hold (and no write
// failed) our bookkeeping stands, otherwise a full scan follows. Scans mark dirty only the
// prefixes where the kernel differs from what the table wants.
//
// Start-up: dump and learn at once; our routes left by a previous run are adopted (not
// touched). Exports start at once, or with `-R` + `graceful restart` once recoveryDone() is
// called (RecoveryTracker below: every GR BGP protocol up and End-of-RIB in, or `graceful
// restart wait` over). After the initial feed, our routes the table no longer wants are
// pruned. `persist`: leave our routes on exit; otherwise delete them.
//
// Leaves out: `device routes`, tables other than one per protocol, nexthop objects
// (RTA_NH_ID), IPv4 routes the kernel drops when an address goes away (the safety re-dump
// catches them).

import { registerFibStats } from '../fib-stats.js';
import { EventEmitter } from 'node:events';
import { Protocol, type ProtocolContext } from '../protocol.js';
import type { KernelProtocolConfig } from '../../conf/model.js';
import type { ProtocolChange } from '../../conf/diff.js';
import type { RouteAttributes } from '../rib/attr-set.js';
import type { Route } from '../rib/route.js';
import { sameCandidate, type NetEntry, type TableSubscriber } from '../rib/table.js';
import { Afi, formatPrefix, type AfiSafi, type Prefix } from '../rib/prefix.js';
import { PrefixMap } from '../rib/prefix-map.js';
import { NetlinkSocket, NetlinkOption, RtnlGroup, type NetlinkSocketOptions } from './netlink/socket.js';
import { MsgType, NlmFlag, forEachMessage, makeSeq, type NlMessage } from './netlink/message.js';
import { RouteBatchWriter, dump, type FlushResult } from './netlink/batch.js';
import { AddressFamily, RouteOp, RouteProtocol, buildRouteDump, decodeRoute, type KernelRoute, type RouteInput } from './netlink/route.js';
import type { IfaceEvent, InterfaceTable } from './interfaces.js';
import {
  RouteKind,
  classifyRoute,
  effectivePriority,
  exportRoute,
  lacksIfname,
  learnedAttributes,
  prefixKey,
  routeOifs,
  sameAlien,
  sameExport,
  sameKernelRoute,
  type ExportContext,
  type PKey,
} from './kernel-routes.js';

/** Reconcile work per event-loop turn (DESIGN: ≤ ~10 ms of blocking). */
const SLICE_MS = 8;
/**
 * Writes outstanding, or written within BULK_WINDOW_MS, above which route events are paused
 * until the writes are over (then one dump): their echoes would overflow the event socket.
 */
const BULK_PAUSE = 4096;
const BULK_WINDOW_MS = 1000;
/**
 * Requests queued in the writer above which reconciling waits (the rest stays dirty): the
 * kernel takes ~200-450k routes/s, so a few batches ahead keep it busy without holding a
 * million queued requests (memory, and old-generation garbage) behind it.
 */
const WRITER_HIGH_WATER = 16384;
/**
 * Route events stay off this long after a bulk of our writes ends, so that a bulk arriving in
 * bursts (BGP UPDATEs at the pace of a peer) pauses once and scans once, not once per burst.
 * Alien changes meanwhile are learned from that scan (BIRD 1.6 scans every 2 s).
 */
const RESUME_DELAY_MS = 1000;
/** Datagram size for route requests (the kernel takes up to its send buffer, ~208 KiB). */
const BATCH_BYTES = 128 << 10;
/** A dump row of ours not decoded (light scan after a bulk of our own writes). */
const OURS_SEEN = 1 as const;
/** The safety re-dump never runs more often than `scan time`, and at least this rarely. */
const MIN_SAFETY_SCAN_S = 600;

export interface KernelProtocolOptions {
  readonly interfaces: InterfaceTable;
  /** Opens a netlink socket (tests open them inside a namespace). */
  readonly openSocket?: (groups: number[], options: NetlinkSocketOptions) => NetlinkSocket;
  /** Families learned from the kernel: the daemon's (bird: IPv4, bird6: IPv6). Default both. */
  readonly families?: readonly Afi[];
  /** Receive buffer of the event socket (bytes). Default 8 MiB. */
  readonly receiveBuffer?: number;
  /** Batches in flight (RouteBatchWriter). Default 8. */
  readonly maxInFlight?: number;
  /** Send route batches from the addon's sender thread (default true; false: sendmsg on this thread). */
  readonly sendThread?: boolean;
  /** Drop the echoes of our own writes on the event socket with a BPF filter (default true). */
  readonly filterEchoes?: boolean;
}

/** Counters (tests, benchmarks, debugging). */
export interface KernelStats {
  adds: number;
  replaces: number;
  deletes: number;
  failures: number;
  resyncs: number;
  overruns: number;
  events: number;
  reinstalls: number;
  /** Route events paused for a bulk of our own writes. */
  pauses: number;
}

/** A row of a scan: a decoded route, OURS_SEEN (light scan), or undefined (not a route). */
type ScanRow = KernelRoute | typeof OURS_SEEN | undefined;

/**
 * The syncer's state for one prefix. Never removed from `slots` while dirty; removed once it
 * holds nothing (no want, no route of ours).
 */
interface Slot {
  readonly dst: Prefix;
  /** What the table wants: a route, null (withdrawn: delete ours), undefined (nothing said). */
  want: RouteInput | null | undefined;
  /** Our protocol-12 routes the kernel has, one per metric: none, one, or several (array). */
  own: RouteInput | RouteInput[] | undefined;
  /** Queued in dirtyQueue. */
  dirty: boolean;
}

/** Our routes of a slot as a list (a copy: safe to iterate while changing the slot). */
function ownList(s: Slot): RouteInput[] {
  const o = s.own;
  return o === undefined ? [] : Array.isArray(o) ? o.slice() : [o];
}

/** Our route of metric `p` in a slot (the last one, should a dump have listed two). */
function ownAt(s: Slot, p: number): RouteInput | undefined {
  const o = s.own;
  if (o === undefined) return undefined;
  if (!Array.isArray(o)) return prio(o) === p ? o : undefined;
  let found: RouteInput | undefined;
  for (const x of o) if (prio(x) === p) found = x;
  return found;
}

/** The number of our routes in a slot. */
const ownSize = (s: Slot): number => (s.own === undefined ? 0 : Array.isArray(s.own) ? s.own.length : 1);

interface RouteEvent {
  readonly del: boolean;
  readonly route: KernelRoute;
}

const defaultOpen = (groups: number[], o: NetlinkSocketOptions): NetlinkSocket => {
  const s = new NetlinkSocket(o);
  s.open(groups);
  return s;
};

const prio = (r: RouteInput): number => effectivePriority(r.dst.afi, r.priority);

export class KernelProtocol extends Protocol<KernelProtocolConfig> {
  readonly protoName = 'Kernel';
  /** Failed netlink writes by operation, for the metrics (wren_fib_failures_total{op}). */
  private readonly failuresByOp = { add: 0, replace: 0, delete: 0 };
  private unregisterFib: (() => void) | undefined;
  readonly stats: KernelStats = { adds: 0, replaces: 0, deletes: 0, failures: 0, resyncs: 0, overruns: 0, events: 0, reinstalls: 0, pauses: 0 };

  private readonly interfaces: InterfaceTable;
  private readonly openSocket: (groups: number[], options: NetlinkSocketOptions) => NetlinkSocket;
  private readonly families: readonly Afi[];
  private readonly receiveBuffer: number;
  private readonly maxInFlight: number;
  private readonly useSendThread: boolean;
  private readonly useEchoFilter: boolean;
  /** The event socket drops our own echoes: no pause during bulks. */
  private echoesFiltered = false;
  private readonly exportCtx: ExportContext;

  /** Per prefix: what the table wants and what of ours the kernel has (see Slot). */
  private readonly slots = new PrefixMap<Slot>();
  private readonly aliens = new Map<PKey, KernelRoute[]>();
  /** Alien routes by output interface: IPv4 drops them silently with the interface. */
  private readonly alienOif = new Map<number, Set<PKey>>();
  /** Learned routes whose interface had no name yet, by ifindex. */
  private readonly unnamed = new Map<number, Set<PKey>>();
  /** Prefixes whose route of ours went with its interface, by ifindex (reinstalled when it is up again). */
  private readonly lostWithLink = new Map<number, Set<Prefix>>();
  /** Interface names exported routes refer to (ifname, krt_tunnel): their coming and going re-feeds. */
  private readonly usedNames = new Set<string>();
  /** Slots to reconcile, oldest first (from dirtyHead on); a slot is in it once, while `dirty`. */
  private dirtyQueue: Slot[] = [];
  private dirtyHead = 0;
  /** The attributes whose names were last added to usedNames (a bulk shares one attribute set). */
  private namedAttrs: RouteAttributes | undefined;

  private req: NetlinkSocket | undefined;
  private mon: NetlinkSocket | undefined;
  private writer: RouteBatchWriter | undefined;
  private readonly nextSeq = makeSeq(0x4b000000);
  private running = false;
  private holdingInterfaces = false;
  private exportStarted = false;
  private waitingRecovery = false;
  private recovered = false;
  /** The initial feed has passed the whole table: our routes it did not ask for may go. */
  private pruned = false;
  private resyncing = false;
  private resyncAgain = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  private refeedTimer: NodeJS.Timeout | undefined;
  private syncScheduled = false;
  private monitorPaused = false;
  private resumeTimer: NodeJS.Timeout | undefined;
  /** Requests written since bulkWindowStart (a bulk arriving at the pace of a BGP peer is still a bulk). */
  private bulkWindowWrites = 0;
  private bulkWindowStart = 0;
  /** The next scan follows a bulk of our own writes: count our routes instead of decoding them. */
  private lightScan = false;
  /** A write failed since the last full scan: the next scan is full (and retries it). */
  private failedSinceScan = false;
  private queued: RouteEvent[] | null = null;
  /** Filtered attributes collected while computing a merged (ECMP) route. */
  private capture: RouteAttributes[] | undefined;
  private readonly events = new EventEmitter();

  private readonly onLink = (e: IfaceEvent): void => this.linkEvent(e);
  /** `merge paths on`: companions of the best route changing do not change the best route. */
  private readonly anyWatch: TableSubscriber = {
    exportMode: 'any',
    tableChanged: (net, now, old) => {
      if (!this.channel.isExporting || net.best === undefined || now === net.best) return;
      if (net.count < 2 && old === undefined) return;
      this.channel.tableChanged(net, net.best, net.best);
    },
  };

  constructor(config: KernelProtocolConfig, ctx: ProtocolContext, opts: KernelProtocolOptions) {
    super(config, ctx, 'kernel');
    this.interfaces = opts.interfaces;
    this.openSocket = opts.openSocket ?? defaultOpen;
    this.families = opts.families ?? [Afi.IPV4, Afi.IPV6];
    this.receiveBuffer = opts.receiveBuffer ?? 8 << 20;
    this.maxInFlight = opts.maxInFlight ?? 8;
    this.useSendThread = opts.sendThread ?? true;
    this.useEchoFilter = opts.filterEchoes ?? true;
    const interfaces = this.interfaces;
    this.exportCtx = { ifindex: (name) => interfaces.indexOf(name), table: config.kernelTable };
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unregisterFib?.();
    this.unregisterFib = registerFibStats(() => ({
      routes: this.ownCount,
      operations: { add: this.stats.adds, replace: this.stats.replaces, delete: this.stats.deletes },
      failures: { ...this.failuresByOp },
      resyncs: this.stats.resyncs,
    }));
    this.setState('start');
    this.boot().catch((e: Error) => {
      this.log.error(`cannot start: ${e.message}`);
      this.shutdownSockets();
      this.running = false;
      this.setState('down');
    });
  }

  private async boot(): Promise<void> {
    this.holdingInterfaces = true;
    this.interfaces.on('link', this.onLink);
    await this.interfaces.acquire();
    if (!this.running) return;
    const mon = this.openSocket([RtnlGroup.RTNLGRP_IPV4_ROUTE, RtnlGroup.RTNLGRP_IPV6_ROUTE], { receiveBuffer: this.receiveBuffer });
    this.mon = mon;
    const req = this.openSocket([], { receiveBuffer: 4 << 20 });
    this.req = req;
    req.setOption(NetlinkOption.NETLINK_CAP_ACK, 1);
    const threaded = this.useSendThread && req.startSendThread();
    const writer = new RouteBatchWriter({
      send: (b) => req.send(b),
      queueSend: threaded ? (b, id) => req.sendQueued(b, id) : undefined,
      nextSeq: this.nextSeq,
      maxInFlight: this.maxInFlight,
      maxBatchBytes: BATCH_BYTES,
    });
    this.writer = writer;
    req.on('sendError', (id: number, e: Error & { code?: string }) => writer.sendFailed(id, e.code ?? 'ESEND', e.message));
    this.echoesFiltered = false;
    if (this.useEchoFilter) {
      try {
        this.echoesFiltered = mon.filterOwnEchoes(req.portId);
      } catch (e) {
        this.log.debug(`no echo filter on the event socket: ${(e as Error).message}`);
      }
    }
    req.on('message', (d: Buffer) => writer.receive(d));
    req.on('overrun', () => writer.overrun());
    req.on('error', (e: Error) => this.log.error(`netlink: ${e.message}`));
    mon.on('message', (d: Buffer) => this.onEvents(d));
    mon.on('overrun', () => {
      this.stats.overruns++;
      this.log.debug('kernel route events lost (ENOBUFS): scanning again');
      this.requestResync(0);
    });
    mon.on('error', (e: Error) => this.log.error(`netlink: ${e.message}`));
    await this.resync();
    if (!this.running) return;
    this.setState('up');
    const every = Math.max(this.config.scanTime, MIN_SAFETY_SCAN_S) * 1000;
    this.scanTimer = setInterval(() => this.requestResync(0), every);
    this.scanTimer.unref();
    if (this.ctx.recovering && this.config.gracefulRestart && !this.recovered) {
      this.waitingRecovery = true;
      this.log.info('Waiting for graceful restart recovery before synchronising the kernel table');
    } else this.beginExport();
  }

  /**
   * Graceful-restart recovery is over (every GR BGP protocol has its routes, or the wait
   * ran out): the kernel may now be synchronised. Safe to call before start and twice.
   */
  recoveryDone(): void {
    this.recovered = true;
    if (!this.waitingRecovery) return;
    this.waitingRecovery = false;
    this.log.info('Graceful restart recovery done');
    this.beginExport();
  }

  /** Exports deferred by graceful-restart recovery. */
  get awaitingRecovery(): boolean {
    return this.waitingRecovery;
  }

  private beginExport(): void {
    if (this.exportStarted || !this.running) return;
    this.exportStarted = true;
    if (this.config.mergePaths) this.ctx.table.subscribe(this.anyWatch);
    this.channel.startExport(() => {
      if (!this.running) return;
      this.pruned = true;
      for (const sl of this.slots.values()) if (sl.own !== undefined && sl.want === undefined) this.enqueueDirty(sl);
      this.scheduleSync();
      this.events.emit('fed');
    });
  }

  stop(_reason?: 'shutdown' | 'removed' | 'restart'): void {
    if (!this.running && this.state === 'down') return;
    this.running = false;
    this.unregisterFib?.();
    this.unregisterFib = undefined;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.scanTimer) clearInterval(this.scanTimer);
    if (this.refeedTimer) clearTimeout(this.refeedTimer);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resyncTimer = this.scanTimer = this.refeedTimer = this.resumeTimer = undefined;
    this.monitorPaused = false;
    this.lightScan = false;
    this.ctx.table.unsubscribe(this.anyWatch);
    this.channel.stopExport();
    this.channel.flushImports();
    if (this.holdingInterfaces) {
      this.interfaces.off('link', this.onLink);
      this.interfaces.release();
      this.holdingInterfaces = false;
    }
    const writer = this.writer;
    let ours = 0;
    if (writer && !this.config.persist) {
      // Not persistent: our routes go with us.
      for (const sl of this.slots.values()) for (const r of ownList(sl)) {
        writer.enqueue(RouteOp.DELETE, r);
        ours++;
      }
    }
    if (ours > 0) {
      this.slots.clear();
      writer!.flush().then(
        () => this.shutdownSockets(),
        () => this.shutdownSockets(),
      );
    } else {
      this.shutdownSockets();
      // (persist: our routes stay known until the next start's scan.)
      const empty: Slot[] = [];
      for (const sl of this.slots.values()) {
        sl.want = undefined;
        sl.dirty = false;
        if (sl.own === undefined) empty.push(sl);
      }
      for (const sl of empty) this.slots.delete(sl.dst);
    }
    this.dirtyQueue = [];
    this.dirtyHead = 0;
    this.exportStarted = false;
    this.pruned = false;
    this.setState('down');
  }

  private shutdownSockets(): void {
    this.writer?.abort();
    this.writer = undefined;
    this.mon?.close();
    this.req?.close();
    this.mon = this.req = undefined;
  }

  override reconfigure(next: KernelProtocolConfig, change: ProtocolChange): boolean {
    if (next.mergePaths !== this.config.mergePaths || next.kernelTable !== this.config.kernelTable || next.learn !== this.config.learn) return false;
    return super.reconfigure(next, change);
  }

  protected override reimport(): void {
    for (const [k, list] of this.aliens) if (list.length) this.relearn(k, list[0]!.dst);
  }

  // ---- export side ----------------------------------------------------------------------------

  override preexport(route: Route, _net: NetEntry): RouteAttributes | null {
    // BIRD never writes device routes or routes this protocol learned from the kernel back
    // to it (another kernel protocol's, for another table, it does); an unresolvable BGP
    // route has nowhere to go.
    const kind = route.source.kind;
    if (kind === 'direct' || route.source === this.source || !route.reachable) return null;
    return route.attrs;
  }

  override rtNotify(prefix: Prefix, _pathId: number, attrs: RouteAttributes | undefined, route: Route | undefined): void {
    if (this.capture !== undefined) {
      if (attrs !== undefined) this.capture.push(attrs);
      return;
    }
    if (!this.running) return;
    let want: RouteInput | null = null;
    if (attrs !== undefined && route !== undefined) {
      if (attrs !== this.namedAttrs) {
        if (attrs.krtTunnel) this.usedNames.add(attrs.krtTunnel);
        if (attrs.ifname !== undefined) this.usedNames.add(attrs.ifname);
        this.namedAttrs = attrs;
      }
      const others = this.config.mergePaths ? this.mergedCompanions(prefix, route) : undefined;
      want = exportRoute(prefix, attrs, this.exportCtx, others) ?? null;
    }
    let s = this.slots.get(prefix);
    if (s === undefined) {
      if (want === null) return;
      s = { dst: prefix, want, own: undefined, dirty: false };
      this.slots.set(prefix, s);
    } else {
      if (want === null && s.want === undefined && s.own === undefined) return;
      // An export that did not change keeps its object (one copy, shared with `own`).
      const old = s.want;
      s.want = want !== null && old && sameExport(old, want) ? old : want;
    }
    this.markDirty(s);
  }

  /** The export-filtered attributes of the best route's equal-cost companions. */
  private mergedCompanions(prefix: Prefix, best: Route): RouteAttributes[] | undefined {
    const net = this.ctx.table.get(prefix);
    if (net === undefined || net.count < 2) return undefined;
    const merged = this.ctx.table.mergedRoutes(net, this.config.mergePathsLimit);
    if (merged.length < 2) return undefined;
    const out: RouteAttributes[] = [];
    this.capture = out;
    try {
      for (const r of merged) if (!sameCandidate(r, best)) this.channel.tableChanged(net, r, r);
    } finally {
      this.capture = undefined;
    }
    return out;
  }

  // ---- the sync engine -------------------------------------------------------------------------

  private markDirty(s: Slot): void {
    this.enqueueDirty(s);
    this.scheduleSync();
  }

  /** Queues a slot for reconciling (once). */
  private enqueueDirty(s: Slot): void {
    if (s.dirty) return;
    s.dirty = true;
    this.dirtyQueue.push(s);
  }

  /** The slot of `dst`, made if there is none. */
  private slotOf(dst: Prefix): Slot {
    let s = this.slots.get(dst);
    if (s === undefined) {
      s = { dst, want: undefined, own: undefined, dirty: false };
      this.slots.set(dst, s);
    }
    return s;
  }

  /** Forgets a slot that holds nothing any more. */
  private release(s: Slot): void {
    if (!s.dirty && s.want === undefined && s.own === undefined && this.slots.get(s.dst) === s) this.slots.delete(s.dst);
  }

  /** Prefixes waiting to be reconciled. */
  private get dirtyCount(): number {
    return this.dirtyQueue.length - this.dirtyHead;
  }

  private scheduleSync(): void {
    if (this.syncScheduled || this.writer === undefined) return;
    this.syncScheduled = true;
    setImmediate(() => {
      this.syncScheduled = false;
      this.sync();
    });
  }

  private sync(): void {
    const writer = this.writer;
    if (!this.running || this.resyncing || writer === undefined) return;
    const deadline = performance.now() + SLICE_MS;
    const st = this.stats;
    const written = st.adds + st.replaces + st.deletes;
    let n = 0;
    // Backpressure: while the writer holds plenty, prefixes stay dirty (and coalesce).
    if (writer.pending < WRITER_HIGH_WATER) {
      const q = this.dirtyQueue;
      while (this.dirtyHead < q.length) {
        const s = q[this.dirtyHead]!;
        q[this.dirtyHead++] = undefined as unknown as Slot; // (no reference kept to reconciled slots)
        s.dirty = false;
        this.reconcile(s);
        if ((++n & 127) === 0 && (performance.now() >= deadline || writer.pending >= WRITER_HIGH_WATER)) break;
      }
      if (this.dirtyHead === q.length) {
        this.dirtyQueue = [];
        this.dirtyHead = 0;
      } else if (this.dirtyHead > 65536 && this.dirtyHead * 2 > q.length) {
        this.dirtyQueue = q.slice(this.dirtyHead);
        this.dirtyHead = 0;
      }
    }
    if (this.dirtyCount > 0) this.scheduleSync();
    if (writer.pending > 0) {
      // A bulk of our own writes would come back as as many events and overflow the event
      // socket anyway: stop listening until the writes are answered, then scan once.
      if (!this.monitorPaused && !this.echoesFiltered) {
        const t = performance.now();
        if (t - this.bulkWindowStart > BULK_WINDOW_MS) {
          this.bulkWindowStart = t;
          this.bulkWindowWrites = 0;
        }
        this.bulkWindowWrites += st.adds + st.replaces + st.deletes - written;
        if (writer.pending + this.dirtyCount > BULK_PAUSE || this.bulkWindowWrites > BULK_PAUSE) this.pauseMonitor();
      }
      if (this.resumeTimer) {
        clearTimeout(this.resumeTimer);
        this.resumeTimer = undefined;
      }
      void this.flushWriter();
    } else if (this.monitorPaused && this.dirtyCount === 0) this.resumeSoon();
  }

  private pauseMonitor(): void {
    const mon = this.mon;
    if (!mon) return;
    try {
      mon.dropMembership(RtnlGroup.RTNLGRP_IPV4_ROUTE);
      mon.dropMembership(RtnlGroup.RTNLGRP_IPV6_ROUTE);
      this.monitorPaused = true;
      this.stats.pauses++;
    } catch (e) {
      this.log.debug(`cannot pause route events: ${(e as Error).message}`);
    }
  }

  /** The bulk looks over: resume route events once nothing new was written for RESUME_DELAY_MS. */
  private resumeSoon(): void {
    if (this.resumeTimer) return;
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (!this.monitorPaused || !this.running) return;
      if ((this.writer?.pending ?? 0) > 0 || this.dirtyCount > 0) return; // a flush still to come resumes
      this.resumeMonitor();
    }, RESUME_DELAY_MS);
  }

  private resumeMonitor(): void {
    const mon = this.mon;
    this.monitorPaused = false;
    if (!mon) return;
    mon.addMembership(RtnlGroup.RTNLGRP_IPV4_ROUTE);
    mon.addMembership(RtnlGroup.RTNLGRP_IPV6_ROUTE);
    // Whatever happened meanwhile (a route deleted by hand, Felix) shows in one dump; our
    // own routes are only counted in it (see applyDump).
    this.lightScan = true;
    this.requestResync(0);
  }

  /** Brings the kernel's routes of ours for one prefix in line with what the table wants. */
  private reconcile(s: Slot): void {
    const want = s.want;
    const have = s.own;
    if (want) {
      const wp = prio(want);
      if (have === undefined) {
        // The common case of a bulk: nothing of ours there yet.
        if (!this.alienAt(s.dst, wp)) this.send(RouteOp.ADD, s, want);
        return;
      }
      const others = Array.isArray(have) ? have.slice() : [have];
      const same = ownAt(s, wp);
      if (same) {
        if (same !== want && !sameKernelRoute(same, want)) this.send(RouteOp.REPLACE, s, want);
      } else if (!this.alienAt(s.dst, wp)) this.send(RouteOp.ADD, s, want);
      for (const h of others) if (prio(h) !== wp) this.send(RouteOp.DELETE, s, h);
      return;
    }
    if (want === null || this.pruned) {
      for (const h of ownList(s)) this.send(RouteOp.DELETE, s, h);
    }
    if (want === null) s.want = undefined;
    this.release(s);
  }

  private alienAt(dst: Prefix, metric: number): boolean {
    if (this.aliens.size === 0) return false;
    const list = this.aliens.get(prefixKey(dst));
    if (!list) return false;
    for (const a of list) if (prio(a) === metric) return true;
    return false;
  }

  /** Queues one request and records its expected outcome (undone if the kernel refuses). */
  private send(op: RouteOp, s: Slot, r: RouteInput): void {
    if (op === RouteOp.DELETE) {
      this.ownDel(s, prio(r));
      this.stats.deletes++;
    } else {
      this.ownSet(s, r);
      if (op === RouteOp.ADD) this.stats.adds++;
      else this.stats.replaces++;
    }
    this.writer!.enqueue(op, r);
  }

  private async flushWriter(): Promise<void> {
    const w = this.writer;
    if (!w) return;
    const res = await w.flush();
    this.flushed(res);
    if (this.monitorPaused && this.running && w.pending === 0 && this.dirtyCount === 0) this.resumeSoon();
  }

  private flushed(res: FlushResult): void {
    if (res.failures.length === 0) return;
    let logged = 0;
    let resync = false;
    for (const f of res.failures) {
      const code = f.error.code;
      if (f.op === RouteOp.DELETE && code === 'ESRCH') continue; // already gone
      this.stats.failures++;
      this.failedSinceScan = true;
      this.failuresByOp[f.op === RouteOp.DELETE ? 'delete' : f.op === RouteOp.REPLACE ? 'replace' : 'add']++;
      if (f.op !== RouteOp.DELETE) {
        const sl = this.slots.get(f.route.dst);
        if (sl && ownAt(sl, prio(f.route)) === f.route) {
          this.ownDel(sl, prio(f.route));
          this.release(sl);
        }
      }
      if (code === 'ENOBUFS' || code === 'EEXIST' || code === 'ECONNRESET') resync = true;
      else if (logged++ < 10 && this.running) {
        this.log.warn(`Netlink: ${f.error.message ?? code} (${ROUTE_OP_NAMES[f.op]} ${formatPrefix(f.route.dst)})`);
      }
    }
    if (logged > 10) this.log.warn(`Netlink: ${logged - 10} more failures`);
    if (resync && this.running) this.requestResync(1000);
  }

  // ---- own / alien bookkeeping --------------------------------------------------------------

  /** Records our route `r` in a slot (replacing ours of the same metric). */
  private ownSet(s: Slot, r: RouteInput): void {
    const o = s.own;
    if (o === undefined) {
      s.own = r;
      return;
    }
    const p = prio(r);
    if (!Array.isArray(o)) {
      s.own = prio(o) === p ? r : [o, r];
      return;
    }
    const i = o.findIndex((x) => prio(x) === p);
    if (i >= 0) o[i] = r;
    else o.push(r);
  }

  /** Removes our route of metric `p` from a slot; returns it. (The caller releases the slot.) */
  private ownDel(s: Slot, p: number): RouteInput | undefined {
    const o = s.own;
    if (o === undefined) return undefined;
    if (!Array.isArray(o)) {
      if (prio(o) !== p) return undefined;
      s.own = undefined;
      return o;
    }
    const i = o.findIndex((x) => prio(x) === p);
    if (i < 0) return undefined;
    const [gone] = o.splice(i, 1);
    if (o.length === 1) s.own = o[0];
    else if (o.length === 0) s.own = undefined;
    return gone;
  }

  private alienSet(k: PKey, r: KernelRoute): void {
    const p = prio(r);
    const list = this.aliens.get(k);
    if (list === undefined) this.aliens.set(k, [r]);
    else {
      const i = list.findIndex((x) => prio(x) === p);
      if (i >= 0) list[i] = r;
      else list.push(r);
    }
    for (const oif of routeOifs(r)) {
      let s = this.alienOif.get(oif);
      if (!s) this.alienOif.set(oif, (s = new Set()));
      s.add(k);
    }
  }

  private alienDel(k: PKey, p: number): boolean {
    const list = this.aliens.get(k);
    if (list === undefined) return false;
    const i = list.findIndex((x) => prio(x) === p);
    if (i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.aliens.delete(k);
    return true;
  }

  /** Imports (or withdraws) the learned route for a prefix: the alien route of lowest metric. */
  private relearn(k: PKey, p: Prefix): void {
    if (!this.config.learn || !this.running) return;
    const list = this.aliens.get(k);
    if (list === undefined || list.length === 0) {
      this.channel.withdrawRoute(p, 0);
      return;
    }
    let best = list[0]!;
    for (const r of list) if (prio(r) < prio(best)) best = r;
    const attrs = learnedAttributes(best, (i) => this.interfaces.nameOf(i));
    if (lacksIfname(attrs)) {
      for (const oif of routeOifs(best)) {
        let s = this.unnamed.get(oif);
        if (!s) this.unnamed.set(oif, (s = new Set()));
        s.add(k);
      }
    }
    this.channel.importRoute(p, 0, attrs);
  }

  // ---- kernel events ----------------------------------------------------------------------------

  private onEvents(d: Buffer): void {
    try {
      forEachMessage(d, (m) => {
        if (m.type !== MsgType.RTM_NEWROUTE && m.type !== MsgType.RTM_DELROUTE) return;
        if (m.flags & NlmFlag.MULTI) return;
        const r = decodeRoute(m);
        if (r === undefined) return;
        this.stats.events++;
        const ev: RouteEvent = { del: m.type === MsgType.RTM_DELROUTE, route: r };
        if (this.queued !== null) this.queued.push(ev);
        else this.routeEvent(ev);
      });
    } catch (e) {
      this.log.error(`netlink event: ${(e as Error).message}`);
      this.requestResync(1000);
    }
  }

  private routeEvent(ev: RouteEvent): void {
    const r = ev.route;
    const kind = classifyRoute(r, this.config.kernelTable);
    if (kind === RouteKind.IGNORE) return;
    // One daemon per family (bird, bird6): the other family's routes, ours included, belong
    // to the other daemon.
    if (!this.families.includes(r.dst.afi)) return;
    const k = prefixKey(r.dst);
    const p = prio(r);
    const s = this.slots.get(r.dst);
    if (kind === RouteKind.OURS) {
      if (ev.del) {
        if (s === undefined || this.ownDel(s, p) === undefined) return;
        const want = s.want;
        if (want && prio(want) === p) {
          this.stats.reinstalls++;
          this.markDirty(s);
        } else this.release(s);
        return;
      }
      const cur = s && ownAt(s, p);
      if (cur && sameKernelRoute(r, cur)) return; // the echo of our own request
      const t = s ?? this.slotOf(r.dst);
      this.ownSet(t, r);
      if (t.want !== undefined || this.pruned) this.markDirty(t);
      return;
    }
    if (ev.del) {
      if (!this.alienDel(k, p)) return;
      this.relearn(k, r.dst);
      if (s?.want) this.markDirty(s);
      return;
    }
    // Same key as a route of ours: it replaced ours (Felix programs with replace).
    if (s !== undefined) {
      this.ownDel(s, p);
      this.release(s);
    }
    this.alienSet(k, r);
    this.relearn(k, r.dst);
  }

  private linkEvent(e: IfaceEvent): void {
    if (e.type !== 'link' || !this.running) return;
    const idx = e.iface.index;
    if (e.change === 'remove' || e.change === 'down') {
      // IPv4 (and IPv6 on older kernels) drop these routes without a word.
      const keys = this.alienOif.get(idx);
      if (keys) {
        this.alienOif.delete(idx);
        for (const k of keys) {
          const list = this.aliens.get(k);
          if (!list) continue;
          const dst = list[0]!.dst;
          // A multipath route loses only that next hop (marked dead): the next scan tells.
          if (list.some((r) => r.multipath !== undefined && r.multipath.length > 1 && routeOifs(r).includes(idx))) this.requestResync(100);
          const keep = list.filter((r) => (r.multipath !== undefined && r.multipath.length > 1) || !routeOifs(r).includes(idx));
          if (keep.length === list.length) continue;
          if (keep.length) this.aliens.set(k, keep);
          else this.aliens.delete(k);
          this.relearn(k, dst);
        }
      }
      this.unnamed.delete(idx);
      let lost: Set<Prefix> | undefined;
      const changed: Slot[] = [];
      for (const sl of this.slots.values()) {
        if (sl.own === undefined) continue;
        for (const r of ownList(sl)) {
          if (!routeOifs(r).includes(idx)) continue;
          this.ownDel(sl, prio(r));
          (lost ??= new Set()).add(sl.dst);
          changed.push(sl);
        }
      }
      for (const sl of changed) this.release(sl);
      if (lost) this.lostWithLink.set(idx, lost);
    } else if (e.change === 'up' || e.change === 'add') {
      const lost = this.lostWithLink.get(idx);
      if (lost) {
        this.lostWithLink.delete(idx);
        for (const dst of lost) {
          const sl = this.slots.get(dst);
          if (sl?.want) this.markDirty(sl);
        }
      }
      const unnamed = this.unnamed.get(idx);
      if (unnamed) {
        this.unnamed.delete(idx);
        for (const k of unnamed) {
          const list = this.aliens.get(k);
          if (list?.length) this.relearn(k, list[0]!.dst);
        }
      }
    }
    if ((e.change === 'add' || e.change === 'remove' || (e.change === 'change' && e.old?.name !== e.iface.name)) && (this.usedNames.has(e.iface.name) || (e.old && this.usedNames.has(e.old.name)))) {
      // A tunnel or output interface named by exported routes came or went: export again.
      this.refeedSoon();
    }
  }

  private refeedSoon(): void {
    if (this.refeedTimer || !this.exportStarted) return;
    this.refeedTimer = setTimeout(() => {
      this.refeedTimer = undefined;
      if (this.running) this.channel.refeed();
    }, 50);
    this.refeedTimer.unref();
  }

  // ---- full scans -------------------------------------------------------------------------------

  /** A re-dump in `delayMs` (coalesced with one already pending or running). */
  requestResync(delayMs = 0): void {
    if (!this.running) return;
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    if (this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      void this.resync();
    }, delayMs);
  }

  /**
   * Dumps the kernel's routes and makes own/aliens equal to it: learns and withdraws alien
   * routes, adopts ours, then reconciles every prefix either side knows. Events that arrive
   * during the dump are applied on top of it afterwards. Waits for our own requests to be
   * answered first, so the dump shows their outcome.
   */
  private async resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = true;
    try {
      do {
        this.resyncAgain = false;
        // Wait for every request sent so far to be answered. (Not a loop of awaited flush()es:
        // a flush of an empty epoch resolves at once, which would spin on microtasks.)
        while (this.writer && this.writer.pending > 0) {
          void this.flushWriter();
          await new Promise((r) => setTimeout(r, 2));
        }
        const req = this.req;
        if (!req || !this.running) return;
        this.queued = [];
        const light = this.lightScan && !this.failedSinceScan && this.config.kernelTable < 256 && this.holdsOwn();
        if (!light) this.failedSinceScan = false;
        this.lightScan = false;
        const res = await dump<ScanRow>(req, (seq) => buildRouteDump(seq, AddressFamily.AF_UNSPEC), light ? this.decodeLight : decodeRoute, this.nextSeq);
        if (!this.running) return;
        if (res.interrupted) {
          this.log.debug('route dump interrupted: dumping again');
          this.resyncAgain = true;
          continue;
        }
        this.stats.resyncs++;
        this.log.debug(`route scan: ${res.items.length} rows${light ? ', ours counted' : ''}, ${this.ownCount} of ours known`);
        if (!this.applyDump(res.items, light)) {
          this.log.debug('our routes in the kernel are not what we wrote: full scan');
          this.resyncAgain = true;
          continue;
        }
        const q = this.queued;
        this.queued = null;
        for (const ev of q) this.routeEvent(ev);
      } while (this.resyncAgain && this.running);
    } catch (e) {
      this.log.error(`route dump failed: ${(e as Error).message}`);
      if (this.running) setTimeout(() => this.requestResync(0), 2000).unref();
    } finally {
      this.queued = null;
      this.resyncing = false;
      this.scheduleSync();
      this.events.emit('resynced');
    }
  }

  /**
   * A dump row for a scan after a bulk of our own writes: a route of ours in our table is
   * only counted (OURS_SEEN), everything else decoded. Header peeked (rtmsg: family,
   * dst_len, src_len, tos, table, protocol, ...).
   */
  private readonly decodeLight = (m: NlMessage): ScanRow => {
    const b = m.buf, o = m.start;
    if (m.type === MsgType.RTM_NEWROUTE && m.end - o >= 12 && b[o + 5] === RouteProtocol.RTPROT_BIRD && b[o + 4] === this.config.kernelTable &&
      b[o + 2] === 0 && ((b[o] === AddressFamily.AF_INET6 && this.families.includes(Afi.IPV6)) || (b[o] === AddressFamily.AF_INET && b[o + 3] === 0 && this.families.includes(Afi.IPV4)))) return OURS_SEEN;
    // (A route of ours of the other family falls through to decodeRoute and is skipped by family.)
    return decodeRoute(m);
  };

  /**
   * Makes own/aliens what the dump says. `light`: our routes were only counted; if there are
   * as many as we hold, our bookkeeping stands (nothing of ours went, and anything that
   * replaced one of ours shows as an alien on its key); otherwise returns false (scan fully).
   * Marks dirty only the prefixes where the kernel differs from what the table wants.
   * (Light scans come only after a bulk of our writes with none failed: see failedSinceScan.)
   */
  private applyDump(items: readonly ScanRow[], light: boolean): boolean {
    const table = this.config.kernelTable;
    const newOwn = light ? undefined : new Map<PKey, RouteInput[]>();
    const newAliens = new Map<PKey, KernelRoute[]>();
    let oursSeen = 0;
    for (const r of items) {
      if (r === undefined) continue;
      if (r === OURS_SEEN) {
        oursSeen++;
        continue;
      }
      const kind = classifyRoute(r, table);
      if (kind === RouteKind.IGNORE) continue;
      if (!this.families.includes(r.dst.afi)) continue; // the other family's daemon's, ours or not
      if (kind === RouteKind.OURS && newOwn === undefined) {
        oursSeen++;
        continue;
      }
      const m = kind === RouteKind.OURS ? newOwn! : newAliens;
      const k = prefixKey(r.dst);
      const list = m.get(k);
      if (list) list.push(r);
      else m.set(k, [r]);
    }
    if (light && oursSeen !== this.ownCount) return false;
    // Aliens: learn what is new or changed, withdraw what is gone.
    const changed: [PKey, Prefix][] = [];
    for (const [k, old] of this.aliens) {
      const now = newAliens.get(k);
      if (!now || !sameAlienList(old, now)) changed.push([k, old[0]!.dst]);
    }
    for (const [k, now] of newAliens) if (!this.aliens.has(k)) changed.push([k, now[0]!.dst]);
    this.aliens.clear();
    this.alienOif.clear();
    for (const [k, list] of newAliens) for (const r of list) this.alienSet(k, r);
    for (const [k, p] of changed) {
      this.relearn(k, p);
      const sl = this.slots.get(p);
      if (sl?.want) this.enqueueDirty(sl);
    }
    // Ours: the kernel's word replaces our bookkeeping (keeping our own object where the
    // kernel has exactly it: one copy in memory, not two).
    if (newOwn !== undefined) {
      for (const sl of this.slots.values()) sl.own = undefined;
      for (const list of newOwn.values()) {
        const sl = this.slotOf(list[0]!.dst);
        const want = sl.want;
        if (want && list.length === 1) {
          const r = list[0]!;
          if (!want.multipath && !r.multipath && want.oif === r.oif && sameKernelRoute(r, want)) list[0] = want;
        }
        sl.own = list.length === 1 ? list[0]! : list;
      }
      this.lostWithLink.clear();
    }
    // Reconcile where the kernel is not what the table wants. After a light scan that found
    // ours as written (and no write failed), that is only where aliens changed (above).
    if (this.exportStarted && !light) {
      for (const sl of this.slots.values()) {
        const want = sl.want;
        if (want) {
          const have = sl.own;
          if (have === undefined || Array.isArray(have) || !sameKernelRoute(have, want)) this.enqueueDirty(sl);
        } else if (sl.own !== undefined && (want === undefined ? this.pruned : want === null)) this.enqueueDirty(sl);
      }
    }
    if (newOwn !== undefined) {
      const empty: Slot[] = [];
      for (const sl of this.slots.values()) if (!sl.dirty && sl.want === undefined && sl.own === undefined) empty.push(sl);
      for (const sl of empty) this.slots.delete(sl.dst);
    }
    return true;
  }

  // ---- inspection (tests, benchmarks, `show`) -----------------------------------------------------

  /** Our routes in the kernel as far as we know. */
  get ownCount(): number {
    let n = 0;
    for (const sl of this.slots.values()) n += ownSize(sl);
    return n;
  }

  /** Whether the kernel has any route of ours as far as we know. */
  private holdsOwn(): boolean {
    for (const sl of this.slots.values()) if (sl.own !== undefined) return true;
    return false;
  }

  /** Prefixes with a learned alien route. */
  get alienCount(): number {
    return this.aliens.size;
  }

  /** Prefixes we want in the kernel. */
  get desiredCount(): number {
    let n = 0;
    for (const sl of this.slots.values()) if (sl.want) n++;
    return n;
  }

  /** Nothing left to do: no dirty prefix, no request unanswered, no scan running. */
  get idle(): boolean {
    return this.dirtyCount === 0 && !this.syncScheduled && !this.monitorPaused && !this.resyncing && this.resyncTimer === undefined && (this.writer?.pending ?? 0) === 0 && !this.channel.feeding;
  }

  /** Every change the table asked for is written and answered (a scan may still follow). */
  get written(): boolean {
    return this.dirtyCount === 0 && !this.syncScheduled && (this.writer?.pending ?? 0) === 0 && !this.channel.feeding && !this.resyncing;
  }

  /** Resolves once `idle` (polls every few ms; for tests and benchmarks). */
  async settled(pollMs = 5): Promise<void> {
    while (!this.idle) await new Promise((r) => setTimeout(r, pollMs));
  }

  /** Resolves after the initial export feed (and prune) once exports began. */
  onceFed(): Promise<void> {
    return new Promise((r) => this.events.once('fed', () => r()));
  }

  /** The writer's counters (batches, requests, bytes). */
  get writerStats(): { batches: number; requests: number; failures: number; bytes: number } | undefined {
    return this.writer?.stats;
  }
}

const ROUTE_OP_NAMES = ['add', 'replace', 'delete'] as const;

function sameAlienList(a: readonly KernelRoute[], b: readonly KernelRoute[]): boolean {
  if (a.length !== b.length) return false;
  for (const x of a) if (!b.some((y) => prio(y) === prio(x) && sameAlien(x, y))) return false;
  return true;
}

// ---- graceful-restart recovery (-R) ------------------------------------------------------------

/** What the tracker needs from a BGP session (src/bgp/session.ts's events). */
export interface RecoverySession {
  on(event: 'established', l: (n: { readonly families: ReadonlySet<AfiSafi>; readonly gracefulRestart: unknown }) => void): unknown;
  on(event: 'endOfRib', l: (f: AfiSafi) => void): unknown;
}

/**
 * BIRD 1.6's graceful_restart_recovery lock, for the kernel's deferred sync: recovery is over
 * once every watched BGP protocol (those with `graceful restart` on, present at start) has
 * come up and received End-of-RIB for every negotiated family (a peer without the GR
 * capability counts at Established), or when `graceful restart wait` runs out.
 * `onDone` runs once. The first check waits one event-loop turn, so the daemon can register
 * every protocol of its configuration first.
 */
export class RecoveryTracker {
  private readonly members = new Map<string, { established: boolean; families: Set<AfiSafi> | null; eor: Set<AfiSafi> }>();
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(waitSeconds: number) {
    this.timer = setTimeout(() => this.finish(), Math.max(0, waitSeconds) * 1000);
    this.timer.unref();
    setImmediate(() => this.check());
  }

  get done(): boolean {
    return this.finished;
  }

  /** Runs `f` when recovery is over (at once if it already is). */
  onDone(f: () => void): void {
    if (this.finished) f();
    else this.listeners.push(f);
  }

  /** Watches a GR-capable BGP protocol's session. */
  watch(name: string, session: RecoverySession): void {
    if (this.finished) return;
    const m = { established: false, families: null as Set<AfiSafi> | null, eor: new Set<AfiSafi>() };
    this.members.set(name, m);
    session.on('established', (n) => {
      if (this.members.get(name) !== m) return;
      m.established = true;
      m.families = n.gracefulRestart ? new Set(n.families) : new Set();
      this.check();
    });
    session.on('endOfRib', (f) => {
      if (this.members.get(name) !== m) return;
      m.eor.add(f);
      this.check();
    });
  }

  /** A protocol left the configuration: it no longer holds recovery back. */
  unwatch(name: string): void {
    this.members.delete(name);
    this.check();
  }

  private check(): void {
    if (this.finished) return;
    for (const m of this.members.values()) {
      if (!m.established || m.families === null) return;
      for (const f of m.families) if (!m.eor.has(f)) return;
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    for (const f of this.listeners.splice(0)) f();
  }
}

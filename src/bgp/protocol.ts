// A BGP neighbour as a protocol (BIRD's `protocol bgp`): a Session for the wire, a channel
// to the master table, an Adj-RIB-In (routes as received, before the import filter) and an
// Adj-RIB-Out (what the peer has from us).
//
// Import (BIRD 1.6 bgp_decode_attrs + RFC 4271 §9.1, RFC 4456 §8, RFC 7606):
//   treat-as-withdraw UPDATEs withdraw their NLRI; routes whose AS_PATH holds our AS (more
//   than `allow local as` times), whose ORIGINATOR_ID is our router id, or whose
//   CLUSTER_LIST holds our cluster id are withdrawn (loops); a missing LOCAL_PREF gets
//   `default bgp_local_pref`. The rest goes through the import filter into the table.
// Export (BIRD 1.6 bgp_import_control → bgp_update_attrs / bgp_create_attrs, before the
// export filter, so the filter sees bgp_local_pref and bgp_path defined):
//   never back to the peer a route came from; NO_ADVERTISE never, NO_EXPORT and
//   NO_EXPORT_SUBCONFED not to eBGP (RFC 1997); iBGP-learned routes to iBGP peers only
//   through route reflection (RFC 4456 §6: either side a client), which adds ORIGINATOR_ID
//   and prepends the cluster id to CLUSTER_LIST; eBGP: our AS prepended, MED from another
//   AS removed (RFC 4271 §5.1.4), next hop self; iBGP: next hop kept (self for our own
//   routes without a usable gateway); `next hop self` / `next hop keep` override. Routes of
//   other protocols get ORIGIN IGP, an empty (iBGP) or [our AS] (eBGP) AS_PATH and
//   LOCAL_PREF `default bgp_local_pref`. After the filter, attributes an eBGP peer must not
//   get (LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST) are dropped and the rest interned into
//   the Adj-RIB-Out, which encodes per attribute set.
//
// Graceful restart, helper side (RFC 4724 §4.2, RFC 9494; BIRD 2 bgp_handle_graceful_restart,
// bgp_graceful_restart_timeout): a peer lost without a NOTIFICATION whose last OPEN listed
// the family in its GR (or LLGR) capability keeps its routes, stale, for its Restart Time;
// the new session's routes replace them and its End-of-RIB sweeps what was not re-announced
// (a new session whose capability lacks the family or its Forwarding State bit flushes them
// at once). When the restart timer runs out and the peer's LLGR capability listed the family
// with a non-zero Long-lived Stale Time, the routes become LLGR-stale instead of going
// (BIRD bgp_rte_modify_stale, applied to the routes in the table, after the import filter):
// routes carrying NO_LLGR go, the others get LLGR_STALE (65535:6), which makes them least
// preferred (best-path.ts) and keeps them from peers that sent no LLGR capability (BIRD
// bgp_preexport); they go at End-of-RIB of a new session or when the long-lived stale timer
// runs out. Restarting side (-R, RFC 4724 §4.1, BIRD gr_wait): the OPEN carries the R and
// F bits until recovery is over, and with a peer that does GR (and is not restarting
// itself) the first export waits for the daemon's recovery gate (every GR peer's End-of-RIB,
// or `graceful restart wait`), then the routes go out followed by End-of-RIB.
// Route refresh (RFC 2918): a request is
// answered from the Adj-RIB-Out, bracketed by BoRR/EoRR with enhanced refresh (RFC 7313);
// the peer's own BoRR/EoRR mark and sweep its routes the same way.
//
// Next hops: `gateway recursive` resolves through the table (src/rib/nexthop.ts) and
// re-imports when the resolution changes; `gateway direct` uses the next hop when it is on
// a connected network, else the neighbour (BIRD's rule), with the interface from the
// device protocol's table (looked up when the route arrives). IPv6 link-local next hops
// (RFC 2545 §3) as BIRD 1.6: received, the one beside a global next hop on a connected
// network is the gateway with `gateway recursive` (`gateway direct` uses it only when the
// global one is empty); sent, our own address goes with our link-local address on
// single-hop sessions, a kept next hop with its own only to a single-hop peer on its link;
// one on that link without a link-local address follows `missing lladdr` (self, ignore, drop).
// A filter that writes bgp_next_hop drops the link-local address (the attribute is replaced).
// Refused next hops (BIRD 1.6 bgp_set_next_hop → the UPDATE's prefixes withdrawn, silently):
// with `gateway recursive` a link-local or empty global one, with `gateway direct` one of our
// own addresses. `direct` makes an iBGP session single-hop (multihop 0, gateway direct).
//
// Leaves out: ADD-PATH path-count limits and max-prefix limits; RFC 8538 (graceful restart
// after a NOTIFICATION); LLGR_STALE to non-LLGR iBGP peers with NO_EXPORT (RFC 9494's
// option; BIRD does not send them at all, neither does this); the empty LLGR capability
// of `long lived graceful restart aware` (buildOpen in negotiate.ts lists every family or
// nothing: only `on` advertises LLGR).

import { Session, type SessionConfig } from './session.js';
import type { Negotiated } from './negotiate.js';
import {
  AddPathMode, CapabilityCode, RouteRefreshSubtype, WellKnownCommunity, type Capability, type NextHop, type RouteRefreshMessage, type UpdateMessage,
} from './codec/index.js';
import { CeaseSubcode, UpdateAction } from './errors.js';
import type { Listener } from './listener.js';
import type { BgpProtocolConfig, RouteLimit } from '../../conf/model.js';
import type { BestPathOptions } from '../rib/best-path.js';
import { Protocol, type ProtocolContext } from '../protocol.js';
import type { ProtocolChange } from '../../conf/diff.js';
import type { AdjRibOut } from '../rib/adj-rib-out.js';
import { UpdateGroup, type GroupMember, type GroupSpec } from './update-group.js';
import { AdjRibIn } from '../rib/adj-rib-in.js';
import { SetMemo } from '../rib/set-memo.js';
import { attrSets, copyAttributes, intern, ref, unref, RouteDest, type AttrSet, type RouteAttributes } from '../rib/attr-set.js';
import { IPV4_UNICAST, IPV6_UNICAST, formatPrefix, makeNlri, parseAddress, type AfiSafi, type Nlri, type Prefix } from '../rib/prefix.js';
import { LogLevel } from '../log.js';
import { routeClock, type Route, type RouteSource } from '../rib/route.js';
import type { NetEntry } from '../rib/table.js';
import { ImportResult, type ChannelStats } from '../rib/channel.js';
import type { NextHopDependent } from '../rib/nexthop.js';
import type { Iface } from '../fib/interfaces.js';

/** The SessionConfig for a `protocol bgp`, given the router id and the restart flag (-R). */
export function sessionConfigFor(cfg: BgpProtocolConfig, routerId: number, recovering: boolean): SessionConfig {
  const family: AfiSafi = cfg.neighborAddress.includes(':') ? IPV6_UNICAST : IPV4_UNICAST;
  const addPathMode = (cfg.addPathsRx ? AddPathMode.RECEIVE : 0) | (cfg.addPathsTx ? AddPathMode.SEND : 0);
  return {
    name: cfg.name,
    localAs: cfg.localAs,
    peerAs: cfg.neighborAs,
    routerId,
    peerAddress: cfg.neighborAddress,
    peerPort: cfg.neighborPort,
    localAddress: cfg.sourceAddress,
    passive: cfg.passive,
    holdTime: cfg.holdTime,
    keepaliveTime: cfg.keepaliveTimeSet ? cfg.keepaliveTime : undefined,
    connectRetryTime: cfg.connectRetryTime,
    connectDelayTime: cfg.connectDelayTime,
    errorWaitTime: [cfg.errorWaitTimeMin, cfg.errorWaitTimeMax],
    errorForgetTime: cfg.errorForgetTime,
    password: cfg.password,
    ttlSecurity: cfg.ttlSecurity,
    // BIRD: multihop 0 means a directly connected (eBGP) session.
    multihop: cfg.multihop > 0 ? cfg.multihop : undefined,
    families: [family],
    addPath: addPathMode ? new Map([[family, addPathMode as AddPathMode]]) : undefined,
    routeRefresh: cfg.enableRouteRefresh,
    enhancedRouteRefresh: cfg.enableRouteRefresh,
    // BIRD 1.6 `enable as4`, `advertise ipv4`, `capabilities`, `startup hold time`,
    // `disable after error` (negotiate.ts, fsm.ts and session.ts say what each does).
    enableAs4: cfg.enableAs4,
    advertiseIpv4: cfg.advertiseIpv4,
    // Not configured: undefined, so that a peer refusing capabilities gets OPENs without (session.ts).
    capabilities: cfg.capabilitiesSet ? cfg.capabilities : undefined,
    startupHoldTime: cfg.startupHoldTime,
    disableAfterError: cfg.disableAfterError,
    gracefulRestart:
      cfg.gracefulRestart === 'off'
        ? null
        : cfg.gracefulRestart === 'able'
          ? { restartTime: cfg.gracefulRestartTime, restarting: recovering }
          : { restartTime: 0, aware: true },
    // RFC 9494: our families and stale time with `on`, an empty capability with `aware` (BIRD).
    llgr:
      cfg.longLivedGracefulRestart === 'off'
        ? null
        : cfg.longLivedGracefulRestart === 'able'
          ? { staleTime: cfg.longLivedStaleTime }
          : { staleTime: 0, aware: true },
  };
}

/** What the peer's last OPEN allows the helper side to do for one family (computed at Established). */
export interface PeerRestart {
  /** RFC 4724: our GR is on and the peer's GR capability lists the family. */
  readonly gr: boolean;
  /** The peer's Restart Time in seconds (0 without a GR capability). */
  readonly restartTime: number;
  /** RFC 9494: our LLGR is on and the peer's LLGR capability lists the family. */
  readonly llgr: boolean;
  /** Its Long-lived Stale Time for the family, seconds (0: no long-lived phase). */
  readonly llgrStaleTime: number;
  /** The peer sent an LLGR capability (with its GR capability): LLGR_STALE routes may go to it. */
  readonly llgrAware: boolean;
}

const NO_PEER_RESTART: PeerRestart = Object.freeze({ gr: false, restartTime: 0, llgr: false, llgrStaleTime: 0, llgrAware: false });

type LlgrCapability = Extract<Capability, { readonly code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART; readonly families: unknown }>;

/** The peer's LLGR capability entry for a family, if its OPEN had GR and LLGR capabilities (BIRD drops LLGR without GR). */
function peerLlgrFamily(n: Negotiated, family: AfiSafi): { readonly forwardingPreserved: boolean; readonly staleTime: number } | undefined | null {
  let gr = false;
  let llgr: LlgrCapability | undefined;
  for (const c of n.peerCapabilities) {
    if ('unknown' in c) continue;
    if (c.code === CapabilityCode.GRACEFUL_RESTART) gr = true;
    else if (c.code === CapabilityCode.LONG_LIVED_GRACEFUL_RESTART) llgr = c as LlgrCapability;
  }
  if (!gr || llgr === undefined) return null;
  return llgr.families.find((f) => f.afi === family >> 8 && f.safi === (family & 0xff));
}

/** BIRD 2 bgp_conn_enter_established_state: gr_ready / llgr_ready / stale_time of a channel. */
export function peerRestartOf(n: Negotiated, family: AfiSafi, cfg: Pick<BgpProtocolConfig, 'gracefulRestart' | 'longLivedGracefulRestart'>): PeerRestart {
  const grCap = n.gracefulRestart;
  const gr = cfg.gracefulRestart !== 'off' && grCap !== null && grCap.families.has(family);
  const ll = peerLlgrFamily(n, family);
  const llgr = cfg.longLivedGracefulRestart !== 'off' && ll !== null && ll !== undefined;
  return { gr, restartTime: grCap?.restartTime ?? 0, llgr, llgrStaleTime: llgr ? ll!.staleTime : 0, llgrAware: ll !== null };
}

/** The daemon's -R recovery, as the BGP protocol sees it (fib/kernel.ts RecoveryTracker). */
export interface RecoveryGate {
  readonly done: boolean;
  onDone(f: () => void): void;
}

/** setTimeout takes at most 2^31-1 ms; a long-lived stale time may be 2^24 s. */
const MAX_TIMEOUT_MS = 0x7fffffff;

interface TableView {
  readonly attrs: AttrSet;
  readonly reachable: boolean;
  readonly igpMetric: number;
  /** routeClock() when the view was made (the UPDATE's arrival). */
  readonly learnedAt: number;
}

/** The BGP protocol a route source belongs to (for the route-reflection rules on export). */
const protocolOfSource = new WeakMap<RouteSource, BgpProtocol>();

const hasCommunity = (a: RouteAttributes, c: number): boolean => a.communities !== undefined && a.communities.includes(c >>> 0);

export class BgpProtocol extends Protocol<BgpProtocolConfig> implements NextHopDependent, GroupMember {
  readonly protoName = 'BGP';
  readonly session: Session;
  private neg: Negotiated | null = null;
  /** Routes as received (pre-policy), with the generation that announced them (rib/adj-rib-in.ts). */
  private readonly adjRibIn = new AdjRibIn(this.ctx.table, () => this.source);
  /**
   * Bumped at every session start and every enhanced-refresh BoRR: entries older than the
   * mark are stale (RFC 4724 §4.2, RFC 7313 §4) and swept at End-of-RIB / EoRR / timeout.
   */
  private generation = 0;
  private staleMark = -1;
  private staleTimer: NodeJS.Timeout | undefined;
  /** A NOTIFICATION went either way since Established: no graceful restart (RFC 4724 §4.2). */
  private hardDown = false;
  /** The peer's routes: fresh, RFC 4724 stale (restart timer running), or RFC 9494 LLGR-stale. */
  private grState: 'none' | 'gr' | 'llgr' = 'none';
  /** What the last session's OPEN allows (RFC 4724 / RFC 9494). */
  private peerRestart: PeerRestart = NO_PEER_RESTART;
  /** When the restart / long-lived stale timer runs out (Date.now() ms), for `show protocols all`. */
  private staleDeadline = 0;
  /** -R: the first export waits for this (RFC 4724 §4.1); null when not recovering. */
  private exportGate: RecoveryGate | null = null;
  /** -R: the R and F bits go in our OPEN until recovery is over. */
  private restarting: boolean;
  private readonly limitHit = new Set<'receive' | 'import' | 'export'>();
  /** The update group this peer's exports go through while the session is up (update-group.ts). */
  private group: UpdateGroup | null = null;
  /** Our address for next hop self: `source address`, else the session's local address. */
  private selfAddress: Uint8Array | undefined;
  /**
   * BIRD 1.6 `local_link` (bgp_start_neighbor): on a single-hop IPv6 session, the link-local
   * address of the neighbour's interface, sent beside `selfAddress` (RFC 2545 §3). Taken at
   * session start; undefined on multihop sessions and on interfaces without one.
   */
  private localLink: Uint8Array | undefined;
  private readonly neighborBytes: Uint8Array;
  /** Recent preexport() answers per attribute set (with the source they were for); cleared at every session start. */
  private readonly preexportCache = new SetMemo<AttrSet, RouteSource, RouteAttributes | null>();
  /** Export attribute sets whose routes `missing lladdr drop` skipped (logged once each). */
  private readonly lladdrDropped = new WeakSet<RouteAttributes>();
  /** groupNotify's last wire set (see lastPre). */
  private readonly lastWire: { group: UpdateGroup | null; attrs: RouteAttributes | null; set: AttrSet | undefined } = { group: null, attrs: null, set: undefined };
  /** The last answer of preexport(): the prefixes of one UPDATE arrive one after another. */
  private lastPre: { source: RouteSource | null; attrs: AttrSet | null; value: RouteAttributes | null } = { source: null, attrs: null, value: null };

  constructor(
    config: BgpProtocolConfig,
    ctx: ProtocolContext,
    private readonly listener: Listener,
  ) {
    super(config, ctx, 'bgp');
    this.neighborBytes = parseAddress(config.neighborAddress);
    this.restarting = ctx.recovering;
    const sc = sessionConfigFor(config, ctx.routerId, ctx.recovering);
    const gr = sc.gracefulRestart;
    // The session reads gracefulRestart at every OPEN: after recovery, no more R and F bits.
    const isRestarting = (): boolean => this.restarting;
    const scLive: SessionConfig = gr?.restarting
      ? { ...sc, get gracefulRestart() { return isRestarting() ? gr : { ...gr, restarting: false }; } }
      : sc;
    this.session = new Session(scLive, { logger: ctx.log });
    this.session.on('established', (n: Negotiated) => this.onEstablished(n));
    this.session.on('down', (reason: string) => this.onDown(reason));
    this.session.on('update', (u: UpdateMessage) => this.onUpdate(u));
    this.session.on('drain', () => this.group?.drained(this));
    this.session.on('endOfRib', (f: AfiSafi) => this.onEndOfRib(f));
    this.session.on('routeRefresh', (m: RouteRefreshMessage) => this.onRouteRefresh(m));
    this.session.on('notificationSent', () => (this.hardDown = true));
    this.session.on('notificationReceived', () => (this.hardDown = true));
    this.session.on('disabled', () => this.onDisabledAfterError());
  }

  protected override exportMode(): 'best' | 'any' {
    return this.config.addPathsTx ? 'any' : 'best';
  }

  get isInternal(): boolean {
    return this.config.localAs === this.config.neighborAs;
  }

  private get clusterId(): number {
    return this.config.rrClusterId ?? this.ctx.routerId;
  }

  override info(): string {
    return this.session.state;
  }

  get negotiated(): Negotiated | null {
    return this.neg;
  }

  /** What the peer has from us, shared with the rest of its update group. */
  private get adjRibOut(): AdjRibOut | null {
    return this.group?.out ?? null;
  }

  get adjRibOutStats() {
    return this.adjRibOut?.stats;
  }

  /** Bytes of this peer's Adj-RIB-In storage, and its group's Adj-RIB-Out (shared by the group's members). */
  get ribStorage(): { readonly adjRibIn: number; readonly adjRibOut: AdjRibOut | null } {
    return { adjRibIn: this.adjRibIn.byteLength, adjRibOut: this.adjRibOut };
  }

  /** Export counters of the update group (shared by its members), while the session is up. */
  get exportStats(): ChannelStats | undefined {
    return this.group?.channel.stats;
  }

  /** In a shared update group: the peer is sent its own routes too (RFC 4456 §8 has it drop them). */
  get reflectsOwnRoutes(): boolean {
    return this.group !== null && !this.group.spec.solo;
  }

  /** The update group's size (1: this peer exports alone), for `show protocols all`. */
  get updateGroupSize(): number {
    return this.group?.size ?? 0;
  }

  start(): void {
    if (this.config.disabled) return;
    this.setState('start');
    this.listener.register(this.session);
    this.session.start();
  }

  stop(reason: 'shutdown' | 'removed' | 'restart' = 'shutdown'): void {
    const subcode =
      reason === 'removed' ? CeaseSubcode.PEER_DECONFIGURED : reason === 'restart' ? CeaseSubcode.OTHER_CONFIGURATION_CHANGE : CeaseSubcode.ADMINISTRATIVE_SHUTDOWN;
    this.session.stop(subcode);
    this.listener.unregister(this.session);
    this.teardown();
    this.setState('down');
  }

  // ---- session events -----------------------------------------------------------------------

  private onEstablished(n: Negotiated): void {
    this.neg = n;
    const restart = peerRestartOf(n, this.family, this.config);
    this.hardDown = false;
    this.limitHit.clear();
    this.generation++;
    const local = this.config.sourceAddress ?? this.session.endpoints?.localAddress;
    this.selfAddress = local ? parseAddress(local.replace(/^::ffff:/, '')) : undefined;
    this.localLink = this.localLinkAddress();
    this.preexportCache.clear();
    this.lastPre = { source: null, attrs: null, value: null };
    const graceful = this.staleMark >= 0;
    // Across a graceful restart the routes keep their source (so the peer's new
    // announcements replace the stale ones) unless the peer came back as someone else.
    if (!graceful || this.source.bgp?.routerId !== n.peerBgpId) {
      if (graceful) this.sweepStale();
      const source: RouteSource = {
        name: this.name,
        kind: 'bgp',
        bgp: { address: this.neighborBytes, routerId: n.peerBgpId, peerAs: n.peerAs, localAs: this.config.localAs, ebgp: n.ebgp, options: decisionOptions(this.config) },
      };
      protocolOfSource.set(source, this);
      if (this.config.gateway === 'recursive') this.ctx.resolver?.markRecursive(source);
      this.source = source;
    } else if (!this.keepsStaleRoutes(n)) {
      // RFC 4724 §4.2 / RFC 9494: the family is missing from the new capability, or its
      // Forwarding State bit is clear: the peer lost what it forwarded; its stale routes go now.
      this.log.info('Neighbor did not preserve forwarding state: flushing stale routes');
      this.sweepStale();
    } else if (this.grState === 'gr') {
      // Stale routes wait for the peer's End-of-RIB, at most its restart time again.
      this.armStaleTimer(n.gracefulRestart?.restartTime ?? 0);
    } // LLGR-stale routes wait for End-of-RIB; the long-lived stale timer keeps running (BIRD).
    this.peerRestart = restart;
    this.setState('up');
    // The update group sends End-of-RIB (RFC 4724 §2) once the initial update is out.
    const startExport = () => this.joinGroup(n);
    // RFC 4724 §4.1 (BIRD gr_wait): restarting with a peer that does GR and is not restarting
    // itself, we send our routes (and End-of-RIB) only once recovery is over.
    const gate = this.exportGate;
    const grPeer = n.gracefulRestart !== null && !n.gracefulRestart.restarting;
    if (gate !== null && !gate.done && this.config.gracefulRestart === 'able' && grPeer) {
      this.log.info('Graceful restart recovery: export deferred until recovery is over');
      gate.onDone(() => {
        if (this.neg === n) startExport();
      });
    } else startExport();
  }

  // ---- update groups (update-group.ts) -------------------------------------------------------

  /**
   * Everything prepareExport and groupNotify read from this peer, as one string: peers with
   * equal keys are sent the same UPDATEs. eBGP peers and peers with an export limit export
   * alone (BIRD's per-peer rules: nothing back to the peer it came from).
   */
  private groupSpec(n: Negotiated): GroupSpec {
    const c = this.config;
    const solo = !this.isInternal || c.exportLimit !== undefined;
    const codec = n.codec;
    const list = (s: ReadonlySet<number>) => [...s].sort().join(',');
    const key = solo
      ? `solo ${this.name} ${this.generation}`
      : [
          // The neighbour's interface, single-hop or not, our link-local address on it: a
          // link-local next hop goes to a single-hop peer on its own link only (wireNextHop).
          'ibgp', c.localAs, c.rrClient, this.clusterId, c.nextHopSelf, c.nextHopKeep, this.selfAddress?.join('.') ?? '-', this.neighborIfname() ?? '-',
          c.multihop === 0, this.localLink?.join('.') ?? '-', c.missingLladdr,
          c.interpretCommunities, c.defaultLocalPref, c.gateway, this.exportMode(), c.export.fingerprint, this.peerRestart.llgrAware,
          codec.as4, list(codec.addPathTx), codec.maxMessageLength, list(codec.extendedNextHop), list(n.families),
        ].join(' ');
    return { key, table: this.ctx.table, exportFilter: c.export, exportMode: this.exportMode(), codec, solo };
  }

  private joinGroup(n: Negotiated, leftovers?: Nlri[]): void {
    const g = UpdateGroup.for(this.groupSpec(n));
    this.group = g;
    g.join(this, [...n.families], leftovers);
  }

  /** GroupMember: this peer held `group` back too long; it goes on in a group of its own. */
  splitOff(group: UpdateGroup): void {
    const n = this.neg;
    if (this.group !== group || n === null) return;
    this.log.warn(`Peer does not take our updates: moved out of its update group (${group.size - 1} peers go on without it)`);
    this.group = UpdateGroup.splitOff(group, this, { ...this.groupSpec(n), key: `split ${this.name} ${this.generation}` });
  }

  /** GroupMember: split off earlier, this peer caught up and is back in `to` (no UPDATE sent for the move). */
  regrouped(from: UpdateGroup, to: UpdateGroup): void {
    if (this.group !== from) return;
    this.group = to;
    this.log.info(`Peer caught up: back in its update group (${to.size} peers)`);
  }

  private leaveGroup(): void {
    this.group?.leave(this);
    this.group = null;
  }

  /** GroupMember: the socket (`count` messages back to back in `msg`). */
  send(msg: Buffer, count = 1): boolean {
    return this.session.send(msg, count);
  }

  corked(fn: () => void): void {
    this.session.corked(fn);
  }

  get writable(): boolean {
    return this.session.writable;
  }

  onFilterError(message: string): void {
    this.log.error(message);
  }

  /**
   * Reload: a changed export filter (or anything else in the group key) moves the peer to
   * the group for its new key; the peer is told the new group's routes and loses those of
   * the old group the new one does not hold (BIRD 1.6 reloads the export side the same way,
   * without a session restart).
   */
  override reconfigure(next: BgpProtocolConfig, change: ProtocolChange): boolean {
    const ok = super.reconfigure(next, change);
    const g = this.group, n = this.neg;
    if (!ok || g === null || n === null) return ok;
    this.preexportCache.clear();
    this.lastPre = { source: null, attrs: null, value: null };
    // A split-off group (bgp/update-group.ts) is still the group for the key it came from.
    if (this.groupSpec(n).key !== (g.splitFrom ?? g.spec.key)) {
      const leftovers = g.out.sentNlri();
      this.leaveGroup();
      this.joinGroup(n, leftovers);
    } else if (change.exportChanged && g.spec.solo) {
      // Alone in its group: run the new filter over the table; the Adj-RIB-Out sends the difference.
      g.channel.exportFilter = next.export;
      g.channel.refeed();
    }
    return ok;
  }

  /** The new session may keep the previous one's stale routes (RFC 4724 §4.2, RFC 9494). */
  private keepsStaleRoutes(n: Negotiated): boolean {
    const f = this.family;
    if (this.grState === 'llgr') {
      const ll = this.config.longLivedGracefulRestart !== 'off' ? peerLlgrFamily(n, f) : null;
      return ll?.forwardingPreserved === true;
    }
    return n.gracefulRestart?.families.get(f)?.forwardingPreserved === true;
  }

  /** The address family of this protocol's session (one per `protocol bgp`, as in BIRD 1.6). */
  private get family(): AfiSafi {
    return this.config.neighborAddress.includes(':') ? IPV6_UNICAST : IPV4_UNICAST;
  }

  /** -R: hold the first export of every session until `gate` is done (the daemon's recovery). */
  deferExportUntil(gate: RecoveryGate): void {
    this.exportGate = gate;
  }

  /** -R recovery is over (or does not concern this protocol): OPENs carry no R/F bits any more. */
  recoveryDone(): void {
    this.restarting = false;
    this.exportGate = null;
  }

  /** Graceful-restart state of the peer's routes, for `show protocols all`. */
  get gracefulRestartState(): 'none' | 'gr' | 'llgr' {
    return this.grState;
  }

  /** Whole seconds left on the restart (state 'gr') or long-lived stale timer ('llgr'). */
  get staleTimerLeft(): number | undefined {
    if (this.staleTimer === undefined) return undefined;
    return Math.max(0, Math.ceil((this.staleDeadline - Date.now()) / 1000));
  }

  /**
   * BIRD 1.6 `disable after error`: the session stopped itself after an error (it logged
   * which). The protocol goes down and stays down until `enable` (control socket) starts it;
   * `show protocols` then shows `down` with the last error, as BIRD does.
   */
  private onDisabledAfterError(): void {
    this.teardown();
    this.setState('down');
  }

  private onDown(_reason: string): void {
    // The session logged why. RFC 4724 §4.2: a peer that does graceful restart (or LLGR,
    // RFC 9494) and went away without a NOTIFICATION keeps its routes, marked stale.
    const r = this.peerRestart;
    this.leaveGroup();
    if ((r.gr || r.llgr) && !this.hardDown && this.state === 'up') {
      // BIRD bgp_handle_graceful_restart: a second restart before End-of-RIB drops what
      // the first left stale; in LLGR the routes of the new session become LLGR-stale too
      // and the long-lived stale timer runs on.
      const wasLlgr = this.grState === 'llgr';
      if (this.grState === 'gr') this.sweepStale();
      this.staleMark = this.generation;
      this.neg = null;
      if (wasLlgr) {
        this.grState = 'llgr';
        this.log.info('Neighbor graceful restart detected: routes stay long-lived stale');
        this.markLlgrStale();
      } else {
        this.grState = 'gr';
        this.log.info(`Neighbor graceful restart detected: keeping routes for ${r.restartTime} s`);
        this.armStaleTimer(r.restartTime);
      }
    } else this.teardown();
    if (this.state !== 'down') this.setState('start');
  }

  /** Session gone for good: flush what we imported, forget what we exported. */
  private teardown(): void {
    this.ctx.resolver?.forget(this);
    this.clearStaleTimer();
    this.staleMark = -1;
    this.grState = 'none';
    // Withdraw what the peer gave us, in slices, under the old source; the next session
    // gets a new one (see onEstablished), so its routes never mix with the leaving ones.
    // The table's routes of the source are all the Adj-RIB-In has in it.
    const old = this.source;
    this.adjRibIn.clear();
    this.source = { ...old };
    protocolOfSource.set(this.source, this);
    this.channel.flushSource(old);
    this.leaveGroup();
    this.neg = null;
  }

  /** The restart timer (state 'gr') or the long-lived stale timer ('llgr'); 0 s fires on the next turn. */
  private armStaleTimer(seconds: number): void {
    this.clearStaleTimer();
    this.staleDeadline = Date.now() + seconds * 1000;
    const arm = (): void => {
      const left = this.staleDeadline - Date.now();
      this.staleTimer = setTimeout(() => {
        this.staleTimer = undefined;
        if (this.staleDeadline - Date.now() > 0) arm();
        else this.staleTimerExpired();
      }, Math.min(Math.max(0, left), MAX_TIMEOUT_MS));
      this.staleTimer.unref();
    };
    arm();
  }

  /** BIRD bgp_graceful_restart_timeout / bgp_long_lived_stale_timeout. */
  private staleTimerExpired(): void {
    const r = this.peerRestart;
    if (this.grState === 'gr' && this.neg === null && r.llgr && r.llgrStaleTime > 0) {
      this.enterLlgr(r.llgrStaleTime);
      return;
    }
    this.log.info(this.grState === 'llgr' ? 'Long-lived stale timer expired: flushing stale routes' : 'Graceful restart timer expired: flushing stale routes');
    if (this.neg === null) this.teardown();
    else this.sweepStale();
  }

  /** RFC 9494: the restart timer ran out; the stale routes become LLGR-stale for `seconds`. */
  private enterLlgr(seconds: number): void {
    this.grState = 'llgr';
    this.log.info(`Neighbor graceful restart timeout: routes long-lived stale for ${seconds} s`);
    this.markLlgrStale();
    this.armStaleTimer(seconds);
  }

  /**
   * BIRD rt_modify_stale + bgp_rte_modify_stale over this protocol's stale routes in the table
   * (after the import filter): NO_LLGR ones are withdrawn, the others get LLGR_STALE. The
   * Adj-RIB-In keeps the routes as received; a re-import runs this again.
   */
  private markLlgrStale(): void {
    const mark = this.staleMark;
    if (mark < 0) return;
    const table = this.channel.table;
    const source = this.source;
    const stale: { n: Nlri; rx: AttrSet; gen: number }[] = [];
    this.adjRibIn.forEach((p, pathId, rx, gen) => {
      if (gen <= mark) stale.push({ n: makeNlri(p, pathId), rx, gen });
    });
    const drop: Nlri[] = [];
    const modify: { r: Route; rx: AttrSet; gen: number }[] = [];
    for (const { n, rx, gen } of stale) {
      const routes = table.get(n)?.routes;
      if (routes === undefined) continue;
      for (const r of routes) {
        if (r.source !== source || r.pathId !== n.pathId) continue;
        if (hasCommunity(r.attrs, WellKnownCommunity.NO_LLGR)) drop.push(n);
        else if (!hasCommunity(r.attrs, WellKnownCommunity.LLGR_STALE)) modify.push({ r, rx, gen });
        break;
      }
    }
    for (const n of drop) this.withdraw(n);
    const marked = new Map<AttrSet, AttrSet>();
    for (const { r, rx, gen } of modify) {
      let set = marked.get(r.attrs);
      if (set === undefined) {
        set = intern({ ...copyAttributes(r.attrs), communities: [...(r.attrs.communities ?? []), WellKnownCommunity.LLGR_STALE >>> 0] });
        marked.set(r.attrs, set);
      } else ref(set);
      // The table's candidate is no longer the route as received: the Adj-RIB-In keeps that.
      this.adjRibIn.set(makeNlri(r.prefix, r.pathId), ref(rx), gen, true);
      table.update(r.prefix, source, r.pathId, { ...r, attrs: set });
    }
    if (drop.length || modify.length) this.log.info(`Long-lived stale: ${modify.length} routes marked LLGR_STALE, ${drop.length} NO_LLGR routes flushed`);
  }

  private clearStaleTimer(): void {
    if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
  }

  /** Withdraws every route older than the stale mark (all families, or one). */
  private sweepStale(family?: AfiSafi): void {
    const mark = this.staleMark;
    if (mark < 0) return;
    const victims: Nlri[] = [];
    this.adjRibIn.forEach((p, pathId, _rx, gen) => {
      if (gen <= mark && (family === undefined || p.afi === family >> 8)) victims.push(makeNlri(p, pathId));
    });
    for (const n of victims) this.withdraw(n);
    if (victims.length) this.log.info(`Flushed ${victims.length} stale routes`);
    if (family === undefined || this.neg === null || this.neg.families.size <= 1) {
      this.staleMark = -1;
      this.grState = 'none';
      this.clearStaleTimer();
    }
  }

  private onEndOfRib(f: AfiSafi): void {
    if (this.staleMark >= 0) this.sweepStale(f);
  }

  /** RFC 2918 / RFC 7313: the peer asks for our routes again, or brackets its own. */
  private onRouteRefresh(m: RouteRefreshMessage): void {
    const family = ((m.afi << 8) | m.safi) as AfiSafi;
    if (!this.neg?.families.has(family)) return;
    if (m.subtype === RouteRefreshSubtype.NORMAL) {
      const g = this.group;
      if (g === null) return;
      const enhanced = this.neg.enhancedRouteRefresh;
      if (enhanced) this.session.sendRouteRefresh(m.afi, m.safi, RouteRefreshSubtype.BEGIN_OF_RR);
      g.refresh(this, m.afi, enhanced ? family : undefined);
    } else if (m.subtype === RouteRefreshSubtype.BEGIN_OF_RR) {
      this.staleMark = this.generation++;
    } else if (m.subtype === RouteRefreshSubtype.END_OF_RR) {
      this.sweepStale(family);
    }
  }

  /** `reload in`: asks the peer to send its routes again (RFC 2918). */
  requestRefresh(): boolean {
    const n = this.neg;
    if (n === null || !n.routeRefresh) return false;
    for (const f of n.families) this.session.sendRouteRefresh(f >> 8, f & 0xff);
    return true;
  }

  // ---- import ---------------------------------------------------------------------------------

  private onUpdate(u: UpdateMessage): void {
    for (const n of u.withdrawn) this.withdraw(n);
    if (u.mpUnreach) for (const n of u.mpUnreach.withdrawn) this.withdraw(n);
    const announced = u.mpReach ? [u.nlri, u.mpReach.nlri] : [u.nlri];
    if (u.action === UpdateAction.TREAT_AS_WITHDRAW) {
      for (const list of announced) for (const n of list) this.withdraw(n);
      return;
    }
    if (u.nlri.length === 0 && !u.mpReach) return;
    const loop = this.loopReason(u);
    if (loop !== null) {
      this.log.debug(`${loop}: withdrawing ${u.nlri.length + (u.mpReach?.nlri.length ?? 0)} routes`);
      for (const list of announced) for (const n of list) this.withdraw(n);
      return;
    }
    const base = u.attributes;
    if (u.nlri.length) {
      if (this.nextHopUsable(base.nextHop, undefined)) this.announce(u.nlri, this.routeAttributes(base, base.nextHop, undefined));
      else this.invalidNextHop(u.nlri);
    }
    const mp = u.mpReach;
    if (mp?.nlri.length) {
      if (this.nextHopUsable(mp.nextHop.global, mp.nextHop.linkLocal)) this.announce(mp.nlri, this.routeAttributes(base, mp.nextHop.global, mp.nextHop.linkLocal));
      else this.invalidNextHop(mp.nlri);
    }
  }

  /**
   * BIRD 1.6 bgp_set_next_hop's verdict on a received next hop (`ll`: the link-local address
   * of a 32-octet MP_REACH next hop). A link-local first address counts as none (`::`).
   * `gateway recursive`: none is unusable. `gateway direct`: unusable when the next hop —
   * the first address, or with none the link-local one on the neighbour's interface
   * (neigh_find2) — is an address of ours (neighbour scope SCOPE_HOST); anything else is
   * reached via the next hop or, failing that, the neighbour (tableView). Without an
   * interface table nothing is known to be ours.
   */
  private nextHopUsable(nh: Uint8Array | undefined, ll: Uint8Array | undefined): boolean {
    if (nh === undefined) return true;
    // RFC 7606 §7.3: an IPv4 NEXT_HOP of 0.0.0.0 is semantically incorrect: treat-as-withdraw
    // (BIRD 1.6 closes the session with 3/8 instead; RFC 7606 asks for the gentler answer).
    if (nh.length === 4 && isZero(nh)) return false;
    const global = isLinkLocal(nh) || isZero(nh) ? undefined : nh;
    if (this.config.gateway === 'recursive') return global !== undefined;
    const ifs = this.ctx.interfaces?.();
    if (ifs === undefined) return true;
    // neigh_find: the interface whose network holds the address, then SCOPE_HOST when the
    // address is one of that interface's own (if_connected).
    let on: Iface | undefined;
    let addr: Uint8Array;
    if (global !== undefined) {
      on = ifs.connected(global)?.iface;
      addr = global;
    } else if (ll !== undefined && !isZero(ll)) {
      on = ifs.connected(this.neighborBytes)?.iface;
      addr = ll;
    } else return true;
    if (on === undefined) return true;
    for (const a of ifs.addresses(on)) if (sameBytes(a.local, addr)) return false;
    return true;
  }

  /**
   * BIRD 1.6 bgp_do_rx_update: an UPDATE whose next hop bgp_set_next_hop refuses withdraws
   * every prefix it announces ("Forced withdraw as a result of soft error"), without a
   * word in BIRD's log (Wren says it at debug level) and without closing the session.
   */
  private invalidNextHop(list: readonly Nlri[]): void {
    this.log.debug(`Invalid NEXT_HOP attribute: withdrawing ${list.length} routes`);
    for (const n of list) this.withdraw(n);
  }

  /**
   * The received attributes as kept in the Adj-RIB-In: the next hop from NEXT_HOP or
   * MP_REACH, and `default bgp_local_pref` when the peer sent none (BIRD bgp_decode_attrs).
   * One object built per UPDATE, not interned: tableView() interns what the table and the
   * Adj-RIB-In keep (with a device protocol that is another set, with gateway and interface).
   */
  private routeAttributes(attrs: UpdateMessage['attributes'], nextHop: Uint8Array | undefined, linkLocal: Uint8Array | undefined): RouteAttributes {
    // Every field written, in one order: one hidden class for all of them, so interning
    // (presence mask, hash, build) runs on monomorphic property access.
    const a: RouteAttributes = {
      origin: attrs.origin,
      asPath: attrs.asPath,
      nextHop,
      med: attrs.med,
      localPref: attrs.localPref ?? this.config.defaultLocalPref,
      atomicAggregate: attrs.atomicAggregate,
      aggregator: attrs.aggregator,
      communities: attrs.communities,
      originatorId: attrs.originatorId,
      clusterList: attrs.clusterList,
      extCommunities: attrs.extCommunities,
      largeCommunities: attrs.largeCommunities,
      otc: attrs.otc,
      unknown: attrs.unknown,
      nextHopLinkLocal: linkLocal,
    };
    return a;
  }

  /**
   * Where a received route goes, for the table: `gateway direct` — via its next hop (the
   * peer shares a link with it); `gateway recursive` — through the route that resolves the
   * next hop (src/rib/nexthop.ts). Returns a new reference to the interned table attributes.
   */
  private tableView(rx: RouteAttributes): TableView {
    const nh = rx.nextHop;
    // RFC 2545 §3: the link-local address a 32-octet MP_REACH next hop carries (BIRD 1.6
    // bgp_set_next_hop: `second` only when it is not all zeros).
    const ll = rx.nextHopLinkLocal !== undefined && !isZero(rx.nextHopLinkLocal) ? rx.nextHopLinkLocal : undefined;
    const resolver = this.ctx.resolver;
    const res = this.config.gateway === 'recursive' && nh !== undefined && resolver !== undefined ? resolver.resolve(nh, this) : undefined;
    if (res === undefined) {
      // Direct (BIRD 1.6 bgp_set_next_hop, GW_DIRECT): a link-local (or zero) first address
      // counts as none; the next hop if it is on a connected network; with none, its
      // link-local address if it is on the neighbour's interface (neigh_find2); else the
      // neighbour itself — with that network's interface. A usable global next hop wins over
      // the link-local one here (unlike `gateway recursive`). Without an interface table (no
      // device protocol) the route goes via its next hop; a BGP route without `gateway`
      // means exactly that to every reader, so the received set serves.
      const ifs = this.ctx.interfaces?.();
      if (ifs === undefined || nh === undefined) return { attrs: received(rx), reachable: true, igpMetric: 0, learnedAt: routeClock() };
      const neighbor = ifs.connected(this.neighborBytes);
      let via = this.neighborBytes, iface = neighbor?.iface;
      if (!isLinkLocal(nh) && !isZero(nh)) {
        const c = ifs.connected(nh);
        if (c !== undefined) {
          via = nh;
          iface = c.iface;
        }
      } else if (ll !== undefined && neighbor !== undefined && ifs.connectedOn(neighbor.iface, ll) !== undefined) {
        via = ll;
      }
      // copyAttributes, not a spread: one fixed shape for interning (attr-set.ts).
      const view = copyAttributes(rx);
      view.dest = RouteDest.ROUTER;
      view.gateway = via;
      view.ifname = iface?.name;
      return { attrs: intern(view), reachable: true, igpMetric: 0, learnedAt: routeClock() };
    }
    const view = copyAttributes(rx);
    view.dest = res.dest;
    // BIRD 1.6 rt_update_hostentry: a next hop on a connected network (resolved by a device
    // route) is reached via the link-local address that came with it (`he->gw = he->link`).
    view.gateway = res.onLink === true && ll !== undefined ? ll : res.gateway;
    view.ifname = res.ifname;
    view.nextHops = res.nextHops;
    return { attrs: intern(view), reachable: res.reachable, igpMetric: res.igpMetric, learnedAt: routeClock() };
  }

  /** Imports Adj-RIB-In entries again (filter change, next-hop change), one table view per attribute set. */
  private reimportWhere(keep: (rx: AttrSet) => boolean): void {
    const views = new Map<AttrSet, TableView>();
    const again: { n: Nlri; v: TableView; gen: number }[] = [];
    this.adjRibIn.forEach((p, pathId, rx, gen) => {
      if (!keep(rx)) return;
      let v = views.get(rx);
      if (v === undefined) views.set(rx, (v = this.tableView(rx)));
      again.push({ n: makeNlri(p, pathId), v, gen });
    });
    for (const { n, v, gen } of again) this.importReceived(n, v, gen);
    for (const v of views.values()) unref(v.attrs);
    // The import filter saw the routes as received: mark the long-lived stale ones again.
    if (this.grState === 'llgr') this.markLlgrStale();
  }

  /** From the resolver: routes via `addr` resolve differently now. */
  nextHopChanged(addr: Uint8Array): void {
    if (this.state !== 'up' && this.staleMark < 0) return;
    this.reimportWhere((rx) => rx.nextHop !== undefined && rx.nextHop.length === addr.length && rx.nextHop.every((b, i) => b === addr[i]));
  }

  /** RFC 4271 §9.1.2 (AS loop), RFC 4456 §8 (ORIGINATOR_ID, CLUSTER_LIST) — or null. */
  private loopReason(u: UpdateMessage): string | null {
    const a = u.attributes;
    const localAs = this.config.localAs >>> 0;
    if (a.asPath) {
      let count = 0;
      for (const seg of a.asPath) for (const asn of seg.asns) if (asn === localAs) count++;
      if (count > this.config.allowLocalAs) return 'AS path loop';
    }
    if (a.originatorId !== undefined && a.originatorId === this.ctx.routerId) return 'ORIGINATOR_ID loop';
    if (a.clusterList !== undefined && (this.config.rrClient || this.config.rrClusterId !== undefined) && a.clusterList.includes(this.clusterId)) {
      return 'CLUSTER_LIST loop';
    }
    return null;
  }

  /** Imports every NLRI with one set of received attributes. */
  private announce(list: readonly Nlri[], rx: RouteAttributes): void {
    this.ctx.table.touch(list);
    const view = this.tableView(rx);
    const rl = this.config.receiveLimit, il = this.config.importLimit;
    for (const n of list) {
      const fresh = (rl ?? il) !== undefined && !this.adjRibIn.has(n);
      if (fresh && rl?.action === 'block' && this.adjRibIn.size >= rl.limit) {
        this.limitReached('receive', rl);
        continue;
      }
      // The Adj-RIB-In keeps the table view (what the peer sent plus where it goes: gateway,
      // interface), not a second set without them: a full table has a set per UPDATE, and
      // tableView() derives the same view from either (it rewrites those fields).
      if (fresh && il?.action === 'block' && this.channel.stats.imported >= il.limit) {
        this.adjRibIn.set(n, ref(view.attrs), this.generation, false);
        this.limitReached('import', il);
        continue;
      }
      this.importReceived(n, view, this.generation);
    }
    unref(view.attrs);
    if (rl && this.adjRibIn.size > rl.limit) this.limitReached('receive', rl);
    if (il && this.channel.stats.imported > il.limit) this.limitReached('import', il);
  }

  /**
   * One received route (its table view) through the import filter into the table, and its
   * Adj-RIB-In entry: the table's candidate when it went in as received, else one of its own.
   */
  private importReceived(n: Nlri, view: TableView, gen: number): void {
    const r = this.channel.importRoute(n, n.pathId, view.attrs, view, gen);
    if (r === ImportResult.AS_GIVEN) this.adjRibIn.asImported(n);
    else this.adjRibIn.set(n, ref(view.attrs), gen, r === ImportResult.MODIFIED);
  }

  /**
   * A route limit was exceeded (BIRD 1.6 proto_notify_limit): log once; `restart` closes the
   * session with Cease/Maximum Number of Prefixes Reached (RFC 4486: AFI, SAFI, limit) and
   * lets it come back after the error wait; `disable` closes it until `enable`; `block`
   * keeps refusing new routes; `warn` only logs.
   */
  private limitReached(kind: 'receive' | 'import' | 'export', lim: RouteLimit): void {
    if (this.limitHit.has(kind)) return;
    this.limitHit.add(kind);
    this.log.warn(`Protocol ${this.name} hits route ${kind} limit (${lim.limit}), action: ${lim.action}`);
    if (lim.action !== 'restart' && lim.action !== 'disable') return;
    const family = this.neg?.families.values().next().value ?? IPV4_UNICAST;
    const data = Buffer.alloc(7);
    data.writeUInt16BE(family >> 8, 0);
    data.writeUInt8(family & 0xff, 2);
    data.writeUInt32BE(lim.limit >>> 0, 3);
    if (lim.action === 'restart') this.session.automaticStop(CeaseSubcode.MAXIMUM_PREFIXES_REACHED, data);
    else {
      this.session.stop(CeaseSubcode.MAXIMUM_PREFIXES_REACHED, undefined, data);
      this.teardown();
      this.setState('down');
    }
  }

  /** Route limits hit since the session came up (for `show protocols all`). */
  get limitsHit(): ReadonlySet<string> {
    return this.limitHit;
  }

  private withdraw(n: Nlri): void {
    this.adjRibIn.delete(n);
    this.channel.withdrawRoute(n, n.pathId);
  }

  /** Import filter changed: run it again over the Adj-RIB-In. */
  protected override reimport(): void {
    this.reimportWhere(() => true);
  }

  /** Routes received from the peer now (Adj-RIB-In, pre-policy). */
  get receivedCount(): number {
    return this.adjRibIn.size;
  }

  // ---- export ---------------------------------------------------------------------------------

  /**
   * Export preparation depends on the route's source and attributes only, not on its
   * prefix: one answer per (source, attribute set), so a table of a million prefixes
   * sharing fifty thousand attribute sets prepares fifty thousand times.
   */
  override preexport(route: Route, _net: NetEntry): RouteAttributes | null {
    const last = this.lastPre;
    if (last.attrs === route.attrs && last.source === route.source) return last.value;
    let v = this.preexportCache.get(route.attrs, route.source);
    if (v === undefined) this.preexportCache.set(route.attrs, route.source, (v = this.prepareExport(route)));
    last.source = route.source;
    last.attrs = route.attrs;
    last.value = v;
    return v;
  }

  private prepareExport(route: Route): RouteAttributes | null {
    const a = route.attrs;
    const ebgp = !this.isInternal;
    if (this.config.interpretCommunities && a.communities !== undefined) {
      if (hasCommunity(a, WellKnownCommunity.NO_ADVERTISE)) return null;
      if (ebgp && (hasCommunity(a, WellKnownCommunity.NO_EXPORT) || hasCommunity(a, WellKnownCommunity.NO_EXPORT_SUBCONFED))) return null;
      // RFC 9494 §4.3, BIRD bgp_preexport: LLGR-stale routes only to peers that sent the LLGR capability.
      if (!this.peerRestart.llgrAware && hasCommunity(a, WellKnownCommunity.LLGR_STALE)) return null;
    }
    if (route.source.kind !== 'bgp') return this.createAttrs(route);
    const from = protocolOfSource.get(route.source);
    if (this.config.rrClient && a.clusterList !== undefined && a.clusterList.includes(this.clusterId)) return null;
    const fromInternal = from !== undefined ? from.isInternal : !route.source.bgp!.ebgp;
    if (!ebgp && fromInternal) {
      // iBGP to iBGP: only by route reflection (RFC 4456 §6).
      if (!(this.config.rrClient || from?.config.rrClient)) return null;
      return this.updateAttrs(route, from);
    }
    return this.updateAttrs(route, undefined);
  }

  /** BIRD bgp_create_attrs: our own routes (static, kernel, direct). */
  private createAttrs(route: Route): RouteAttributes {
    const a = route.attrs;
    const ebgp = !this.isInternal;
    const gw = a.dest === RouteDest.ROUTER ? a.gateway : undefined;
    const useGw = gw !== undefined && !this.config.nextHopSelf && !ebgp && !isLinkLocal(gw);
    return {
      ...copyAttributes(a),
      origin: 0,
      asPath: ebgp ? [{ type: 2, asns: [this.config.localAs >>> 0] }] : [],
      nextHop: useGw ? gw : this.selfAddress,
      nextHopLinkLocal: undefined,
      localPref: this.config.defaultLocalPref,
    };
  }

  /** The interface the neighbour is on (directly connected sessions), if the device protocol knows. */
  private neighborIfname(): string | undefined {
    return this.ctx.interfaces?.()?.connected(this.neighborBytes)?.iface.name;
  }

  /**
   * BIRD 1.6 same_iface: a single-hop session (multihop ones have no neighbour entry) and
   * `addr` on a connected network of the neighbour's interface. A link-local `addr` is on no
   * network without an interface to name it (neigh_find): never.
   */
  private onNeighborLink(addr: Uint8Array): boolean {
    if (this.config.multihop !== 0 || isLinkLocal(addr)) return false;
    const here = this.ctx.interfaces?.()?.connected(addr)?.iface.name;
    return here !== undefined && here === this.neighborIfname();
  }

  /** BIRD 1.6 bgp_start_neighbor: `local_link` of a single-hop IPv6 session (see `localLink`). */
  private localLinkAddress(): Uint8Array | undefined {
    if (this.config.multihop !== 0 || this.neighborBytes.length !== 16) return undefined;
    const ifs = this.ctx.interfaces?.();
    const n = ifs?.connected(this.neighborBytes);
    if (ifs === undefined || n === undefined) return undefined;
    const ll = ifs.linkLocal(n.iface);
    if (ll === undefined) this.log.warn(`Missing link local address on interface ${n.iface.name}`);
    return ll;
  }

  /**
   * BIRD 1.6 bgp_create_update (IPv6), after the export filter: the MP_REACH next hop as it
   * goes on the wire (RFC 2545 §3). Our own address goes with our link-local address
   * (`localLink`, single-hop sessions only). A next hop on the neighbour's link (same_iface:
   * single-hop sessions) or an empty one goes with the link-local address that came with it
   * (none after a filter wrote bgp_next_hop); without one, `missing lladdr`: `self` (BIRD's
   * default) puts our addresses in its place, `ignore` (default for `rs client`) sends the
   * next hop alone, `drop` sends nothing — false is returned. Anything else goes alone: a
   * link-local address means nothing off its own link. A link-local first address is sent
   * as `::`. IPv4 next hops stay as they are. Writes into `w`, a fresh object from
   * wireAttributes.
   */
  private wireNextHop(w: { nextHop?: Uint8Array; nextHopLinkLocal?: Uint8Array }): boolean {
    let ip = w.nextHop;
    if (ip === undefined || ip.length !== 16) return true;
    const self = this.selfAddress;
    const second = w.nextHopLinkLocal !== undefined && !isZero(w.nextHopLinkLocal) ? w.nextHopLinkLocal : undefined;
    let ll: Uint8Array | undefined;
    if (self !== undefined && sameBytes(ip, self)) ll = this.localLink;
    else if (isZero(ip) || this.onNeighborLink(ip)) {
      if (second !== undefined) ll = second;
      else if (this.config.missingLladdr === 'drop') return false;
      // BIRD puts p->source_addr there, which a single-hop session always has; so do we.
      else if (this.config.missingLladdr === 'self' && self !== undefined) {
        ip = self;
        ll = this.localLink;
      }
    }
    w.nextHop = isLinkLocal(ip) ? ZERO_IPV6 : ip;
    w.nextHopLinkLocal = ll;
    return true;
  }

  /** BIRD bgp_update_attrs: a BGP route going to this peer. */
  private updateAttrs(route: Route, reflectFrom: BgpProtocol | undefined): RouteAttributes {
    const a = route.attrs;
    const ebgp = !this.isInternal;
    const out = copyAttributes(a);
    if (ebgp) {
      const path = a.asPath ?? [];
      const first = path[0];
      // Plain arrays: the interned export set takes the table's pooled copy of the path.
      const localAs = this.config.localAs >>> 0;
      if (first !== undefined && first.type === 2 && first.asns.length < 255) {
        const seg = { type: 2 as const, asns: prependAs(localAs, first.asns) };
        out.asPath = path.length === 1 ? [seg] : [seg, ...path.slice(1)];
      } else out.asPath = [{ type: 2, asns: [localAs] }, ...path];
      if (route.source.bgp!.ebgp) out.med = undefined;
    }
    // BIRD 1.6 bgp_update_attrs: iBGP keeps the next hop; single-hop eBGP keeps it too when
    // the route leaves through the neighbour's own interface (a third-party next hop, RFC
    // 4271 §5.1.3); otherwise, and always with `next hop self`, it is our address.
    const sameIface = ebgp && this.config.multihop === 0 && a.ifname !== undefined && a.ifname === this.neighborIfname();
    const keep = !this.config.nextHopSelf && (this.config.nextHopKeep || !ebgp || sameIface) && a.nextHop !== undefined;
    // A kept next hop keeps the link-local address it came with; wireNextHop decides after
    // the export filter whether it goes along (RFC 2545 §3, BIRD 1.6 bgp_create_update).
    if (!keep) {
      out.nextHop = this.selfAddress;
      out.nextHopLinkLocal = undefined;
    }
    if (reflectFrom !== undefined) {
      if (a.originatorId === undefined) out.originatorId = route.source.bgp!.routerId;
      const ids = [reflectFrom.config.rrClient ? reflectFrom.clusterId : this.clusterId];
      if (reflectFrom.config.rrClient && this.config.rrClient && reflectFrom.clusterId !== this.clusterId) ids.unshift(this.clusterId);
      out.clusterList = [...ids, ...(a.clusterList ?? [])];
    }
    return out;
  }

  /**
   * `missing lladdr drop` (BIRD 1.6 bgp_create_update, MLL_DROP): the route is skipped — not
   * announced, not withdrawn, so the peer keeps what it last had for the prefix. BIRD logs
   * the first line at error level per bucket (attribute set) and one line per prefix; Wren
   * logs the first once per attribute set and the prefixes at debug level.
   */
  private lladdrMissing(attrs: RouteAttributes, prefix: Prefix): void {
    if (!this.lladdrDropped.has(attrs)) {
      this.lladdrDropped.add(attrs);
      this.log.error('Missing link-local next hop address, skipping corresponding routes');
    }
    if (this.log.enabled(LogLevel.DEBUG)) this.log.debug(`- route ${formatPrefix(prefix)} skipped`);
  }

  /** GroupMember: the export of `group` (after its filter) goes into its Adj-RIB-Out. */
  groupNotify(group: UpdateGroup, prefix: Prefix, pathId: number, attrs: RouteAttributes | undefined, net = -1, from?: AttrSet): void {
    const out = group.out;
    let set: AttrSet | undefined;
    if (attrs !== undefined) {
      if (attrs.nextHop === undefined || (group.spec.solo && sameBytes(attrs.nextHop, this.neighborBytes))) {
        // BIRD: "Invalid NEXT_HOP attribute" — never announce a route back via the peer itself.
        set = undefined;
      } else {
        // The export filter returns the prepared object itself when it changes nothing:
        // then the wire form is the one made for the previous prefix with these attributes.
        const last = this.lastWire;
        const hit = last.group === group && last.attrs === attrs ? last.set : undefined;
        if (hit !== undefined && attrSets.refcount(hit) > 0) set = ref(hit);
        else {
          const w = wireAttributes(attrs, !this.isInternal);
          if (!this.wireNextHop(w)) return this.lladdrMissing(attrs, prefix);
          set = intern(w, from);
        }
        last.group = group;
        last.attrs = attrs;
        last.set = set;
      }
    }
    const el = this.config.exportLimit; // only solo groups have one
    if (el && set !== undefined && out.advertised(prefix).length === 0 && out.stats.advertised >= el.limit) {
      this.limitReached('export', el);
      if (el.action === 'block' || this.group !== group) {
        unref(set);
        return;
      }
    }
    out.set(prefix, pathId, set, net);
    group.scheduleDrain();
  }
}

/** Only what goes on the wire: BGP path attributes, minus what an eBGP peer must not get. */
function wireAttributes(a: RouteAttributes, ebgp: boolean): RouteAttributes {
  return {
    origin: a.origin,
    asPath: a.asPath,
    nextHop: a.nextHop,
    nextHopLinkLocal: a.nextHopLinkLocal,
    med: a.med,
    localPref: ebgp ? undefined : a.localPref,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator,
    communities: a.communities,
    originatorId: ebgp ? undefined : a.originatorId,
    clusterList: ebgp ? undefined : a.clusterList,
    extCommunities: a.extCommunities,
    largeCommunities: a.largeCommunities,
    otc: a.otc,
    unknown: a.unknown,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const isLinkLocal = (a: Uint8Array): boolean => a.length === 16 && a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;

const ZERO_IPV6 = new Uint8Array(16);

const isZero = (a: Uint8Array): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
};

/** The decision options of a BGP protocol's routes (rib/best-path.ts; BIRD 1.6 bgp_rte_better reads them per route). */
function decisionOptions(c: BgpProtocolConfig): BestPathOptions {
  return Object.freeze({
    deterministicMed: c.deterministicMed,
    alwaysCompareMed: c.medMetric,
    comparePathLengths: c.pathMetric,
    igpMetric: c.igpMetric,
    preferOlder: c.preferOlder,
    defaultLocalPref: c.defaultLocalPref,
    defaultMed: c.defaultMed,
  });
}

/**
 * A new reference to the interned attributes as received: `set` itself (interned), or (an
 * Adj-RIB-In entry holding an earlier table view) the same without the view's dest /
 * gateway / ifname / next hops.
 */
function received(set: RouteAttributes): AttrSet {
  if (set.dest === undefined && set.gateway === undefined && set.ifname === undefined && set.nextHops === undefined) return intern(set);
  const a = copyAttributes(set);
  a.dest = undefined;
  a.gateway = undefined;
  a.ifname = undefined;
  a.nextHops = undefined;
  return intern(a);
}

/**
 * [asn, ...asns] in an array of exactly that size: a spread grows its array as it goes and
 * leaves it about 4× too big, and every exported attribute set keeps one.
 */
function prependAs(asn: number, asns: readonly number[]): number[] {
  const out = new Array<number>(asns.length + 1);
  out[0] = asn;
  for (let i = 0; i < asns.length; i++) out[i + 1] = asns[i]!;
  return out;
}

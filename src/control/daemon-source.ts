// The control socket's view of the running daemon: a ControlSource (model.ts) over a Daemon
// (daemon.ts), its protocols (protocol.ts, bgp/protocol.ts, rib/static.ts), the master table
// (rib/table.ts) and the running configuration (conf/). The server (server.ts) renders what
// this returns in BIRD 1.6's texts; this file only gathers data, the way 1.6's nest/cmds.c,
// nest/proto.c (proto_cmd_show, proto_show_stats), proto/bgp/bgp.c (bgp_get_status,
// bgp_show_proto_info), proto/bgp/attrs.c (bgp_get_route_info, attribute formats) and
// nest/rt-table.c (rt_show_net: filter / export / primary handling and counters) do.
//
// Graceful-restart recovery (`-R`, 1.6 graceful_restart_*): while some `graceful restart`
// BGP protocol has not come up and `graceful restart wait` has not run out, `show status`
// prints the 0024 block, recovered peers show state `wait` and `show protocols all` the
// `GR recovery:` line. Once over (the daemon's recovery is done: every GR peer's End-of-RIB,
// or the timer ran out) it stays over.
//
// Graceful restart as a helper (RFC 4724 §4.2) and LLGR (RFC 9494), which only BIRD 2 has:
// `show protocols all` gets BIRD 2's lines for it (format.ts), `show route` the `s` of an
// LLGR-stale route.
//
// Leaves out, for want of data the rest of the daemon does not expose yet: BGP
// connect-delay/error-wait timers left; modification times of non-BGP routes (they carry
// learnedAt 0: the source protocol's `since` is shown); the interface of a gateway the
// next-hop resolver left without one (`gateway direct`, static `via`: the interface whose
// connected subnet holds it, else `?`); kernel/device/direct protocols (configured but not
// run: listed `down`); route limits, `import keep filtered`, `configure "<other file>"`,
// configure undo/confirm.

import { networkInterfaces } from 'node:os';
import { CliSyntaxError } from './lexer.js';
import { KernelProtocol } from '../fib/kernel.js';
import { readFileSync, readdirSync } from 'node:fs';
import { formatRouterId, parseConfigText, printConfig, RouteSource as Rts, RouteDest as Rtd } from '../../conf/index.js';
import type { CompiledFilter, Config, FilterRoute, ProtocolConfig, BgpProtocolConfig } from '../../conf/index.js';
import { BgpProtocol } from '../bgp/protocol.js';
import { CapabilityCode, AddPathMode, type Capability, type PathAttributes } from '../bgp/codec/types.js';
import { WellKnownCommunity } from '../bgp/codec/communities.js';
import type { Daemon } from '../daemon.js';
import type { Protocol } from '../protocol.js';
import { RouteDest, stats as attrSetStats, type RouteAttributes } from '../rib/attr-set.js';
import { metricLines } from '../rib/krt-metrics.js';
import { Afi, formatAddress, formatPrefix, maskHostBits, parseAddress, type Prefix } from '../rib/prefix.js';
import { routeClockToEpochMs, type Route, type RouteSourceKind } from '../rib/route.js';
import type { NetEntry } from '../rib/table.js';
import type { AdjRibOut } from '../rib/adj-rib-out.js';
import { IGP_METRIC_UNKNOWN } from '../rib/nexthop.js';
import { VERSION_TEXT } from '../version.js';
import { bgpStatusInfo } from './format.js';
import type {
  BgpDetails,
  BgpRouteInfo,
  ConfigureRequest,
  ConfigureResult,
  ControlSource,
  DaemonStatus,
  GracefulRestartStatus,
  InterfaceAddress,
  InterfaceStatus,
  MemoryUsage,
  ProtocolActionResult,
  ProtocolState,
  ProtocolStats,
  ProtocolStatus,
  RouteDest as ShowDest,
  RouteEntry,
  RouteNet,
  RouteQuery,
  SymbolInfo,
} from './model.js';
import { ROUTES_PAUSE } from './model.js';

export interface DaemonControlSourceOptions {
  /** `down`: start the daemon's orderly shutdown (the same path as SIGTERM). */
  readonly onDown?: () => void;
  /** Wall clock in ms (graceful-restart wait timer); default Date.now. */
  readonly now?: () => number;
}

/** 1.6 proto names in `show protocols` for protocol types that are not run yet. */
const PROTO_NAME: Readonly<Record<ProtocolConfig['type'], string>> = {
  bgp: 'BGP',
  static: 'Static',
  kernel: 'Kernel',
  device: 'Device',
  direct: 'Direct',
};

/** Nets fetched from the table cursor per step of `show route`. */
const CURSOR_BATCH = 64;

/** 1.6 bgp_err_classes (the `Last error:` and info prefixes). */
const ERROR_CLASS = /^(Error|Socket|Received|BGP Error|Automatic shutdown): /;

export class DaemonControlSource implements ControlSource {
  private readonly onDown: () => void;
  private readonly now: () => number;
  /** Graceful-restart recovery still running (only ever goes from true to false). */
  private grActive: boolean;
  private grTimer: NodeJS.Timeout | null = null;
  /** Last-error text at a manual disable/restart per protocol name: 1.6 shows no error
   *  after a manual down (BE_MAN_DOWN) until a new one happens. */
  private readonly manualDown = new Map<string, string | null>();
  /** Compiled `where` / inline filters of `show route`, for the config they were built on. */
  private filterCache: { config: Config; map: Map<string, CompiledFilter | string> } | null = null;

  constructor(
    private readonly daemon: Daemon,
    opts: DaemonControlSourceOptions = {},
  ) {
    this.onDown = opts.onDown ?? (() => void daemon.shutdown());
    this.now = opts.now ?? Date.now;
    this.grActive = daemon.opts.recover && this.grProtocols().length > 0;
    if (this.grActive) {
      // Latch the end of recovery even if nobody asks in between (a peer could go down again).
      this.grTimer = setInterval(() => this.grCheck(), 1000);
      this.grTimer.unref();
    }
  }

  /** Stops the recovery watch timer. */
  close(): void {
    if (this.grTimer) clearInterval(this.grTimer);
    this.grTimer = null;
  }

  // ---- show status ----------------------------------------------------------------------

  status(): DaemonStatus {
    const d = this.daemon;
    return {
      version: VERSION_TEXT,
      routerId: formatRouterId(d.routerIdValue),
      serverTime: new Date(this.now()),
      lastReboot: d.startedAt,
      lastReconfiguration: d.lastReconfiguration,
      gracefulRestart: this.grStatus(),
      reconfiguring: false,
      shuttingDown: d.shuttingDown,
    };
  }

  /** BGP protocols that take part in recovery: `graceful restart` on (BIRD: gr_mode able). */
  private grProtocols(): BgpProtocolConfig[] {
    return this.daemon.configuration.protocols.filter((p): p is BgpProtocolConfig => p.type === 'bgp' && p.gracefulRestart === 'able' && !p.disabled);
  }

  private grWaitTotal(): number {
    return this.daemon.configuration.gracefulRestartWait;
  }

  private grElapsed(): number {
    return Math.max(0, Math.floor((this.now() - this.daemon.startedAt.getTime()) / 1000));
  }

  /** Protocols still holding recovery back (GR-able BGP protocols not up). */
  private grPending(): number {
    let n = 0;
    for (const c of this.grProtocols()) if (this.daemon.protocols.get(c.name)?.state !== 'up') n++;
    return n;
  }

  private grCheck(): boolean {
    if (!this.grActive) return false;
    // Over when the daemon's recovery is (every GR peer's End-of-RIB, or `graceful restart
    // wait`): the kernel sync and the deferred exports wait for the same thing.
    if (!this.daemon.gracefulRecoveryActive || this.grElapsed() >= this.grWaitTotal()) {
      this.grActive = false;
      this.daemon.log.info('Graceful restart done');
      this.close();
    }
    return this.grActive;
  }

  private grStatus(): GracefulRestartStatus | null {
    if (!this.grCheck()) return null;
    const total = this.grWaitTotal();
    return { waitingFor: this.grPending(), waitTimerLeft: Math.max(0, total - this.grElapsed()), waitTimerTotal: total };
  }

  // ---- show protocols -------------------------------------------------------------------

  protocols(): readonly ProtocolStatus[] {
    const d = this.daemon;
    const gr = this.grCheck();
    const out: ProtocolStatus[] = [];
    for (const cfg of d.configuration.protocols) {
      const proto = d.protocols.get(cfg.name);
      out.push(proto ? this.protocolStatus(proto, gr) : this.idleStatus(cfg));
    }
    return out;
  }

  /** A configured protocol the daemon does not run (kernel, device, direct for now). */
  private idleStatus(cfg: ProtocolConfig): ProtocolStatus {
    return {
      name: cfg.name,
      proto: PROTO_NAME[cfg.type],
      table: 'master',
      state: 'down',
      since: this.daemon.startedAt,
      info: '',
      description: cfg.description,
      preference: cfg.preference,
      inputFilter: filterName(cfg.import),
      outputFilter: filterName(cfg.export),
      grRecovery: this.grActive ? { pending: false, waiting: false } : undefined,
    };
  }

  private protocolStatus(p: Protocol, gr: boolean): ProtocolStatus {
    const cfg = p.config;
    const bgp = p instanceof BgpProtocol ? p : null;
    const grMember = gr && bgp !== null && bgp.config.gracefulRestart === 'able' && !bgp.config.disabled;
    let state: ProtocolState = p.state;
    if (grMember && state === 'up') state = 'wait';
    // contract.md §4.2: during -R recovery the kernel protocol shows `wait`.
    if (p instanceof KernelProtocol && p.awaitingRecovery && state === 'up') state = 'wait';
    const channel = p.channel;
    const cs = channel.stats;
    // BGP exports through its update group: the group's counters (shared by its members).
    const xs = bgp?.exportStats ?? cs;
    const exported = bgp ? (bgp.adjRibOutStats?.advertised ?? 0) : 0;
    const table = this.daemon.table;
    const row = {
      name: p.name,
      proto: p.protoName,
      table: 'master',
      state,
      since: p.since,
      info: bgp ? this.bgpInfo(bgp) : p.info(),
      description: cfg.description,
      preference: channel.preference,
      inputFilter: filterName(channel.importFilter),
      outputFilter: filterName(channel.exportFilter),
      grRecovery: gr ? { pending: grMember && p.state !== 'up', waiting: grMember && p.state === 'up' } : undefined,
      receiveLimit: limitOf(cfg.receiveLimit, bgp?.limitsHit.has('receive')),
      importLimit: limitOf(cfg.importLimit, bgp?.limitsHit.has('import')),
      exportLimit: limitOf(cfg.exportLimit, bgp?.limitsHit.has('export')),
      bgp: bgp ? this.bgpDetails(bgp) : undefined,
      get stats(): ProtocolStats {
        return {
          importedRoutes: cs.imported,
          exportedRoutes: exported,
          // Kept by the table as best routes change: no walk.
          preferredRoutes: table.preferredCount(p.source.name),
          importUpdates: {
            received: cs.importUpdatesReceived,
            rejected: 0,
            filtered: cs.importUpdatesFiltered,
            ignored: 0,
            accepted: cs.importUpdatesAccepted,
          },
          importWithdraws: {
            received: cs.importWithdrawsReceived,
            rejected: 0,
            ignored: cs.importWithdrawsReceived - cs.importWithdrawsAccepted,
            accepted: cs.importWithdrawsAccepted,
          },
          exportUpdates: {
            received: xs.exportUpdatesReceived,
            rejected: 0,
            filtered: xs.exportUpdatesFiltered,
            accepted: xs.exportUpdatesAccepted,
          },
          exportWithdraws: { received: xs.exportWithdrawsReceived, accepted: xs.exportWithdrawsAccepted },
        };
      },
    };
    return row;
  }

  /** 1.6 bgp_state_dsc: `Down` when the protocol is down, `Passive` for a passive peer waiting. */
  private bgpStateWord(p: BgpProtocol): string {
    if (p.state === 'down') return 'Down';
    const s = p.session.state;
    if (p.config.passive && (s === 'Active' || s === 'Idle') && p.state === 'start') return 'Passive';
    return s;
  }

  /** `<class><text>` of the last error, '' when none or after a manual disable/restart. */
  private lastError(p: BgpProtocol): string {
    // 1.6 clears the error when a session reaches Established (bgp_conn_enter_established_state).
    if (p.session.state === 'Established') {
      this.manualDown.delete(p.name);
      return '';
    }
    const e = p.session.stats.lastError;
    if (e === null || e === '') return '';
    if (this.manualDown.has(p.name)) {
      if (this.manualDown.get(p.name) === e) return '';
      this.manualDown.delete(p.name);
    }
    return ERROR_CLASS.test(e) ? e : `BGP Error: ${e}`;
  }

  private bgpInfo(p: BgpProtocol): string {
    return bgpStatusInfo(p.state === 'down', this.bgpStateWord(p), this.lastError(p));
  }

  private bgpDetails(p: BgpProtocol): BgpDetails {
    const c = p.config;
    const lastError = this.lastError(p) || undefined;
    // Graceful restart / LLGR of the peer (BIRD 2 bgp_show_proto_info): "Neighbor graceful
    // restart active" and "Neighbor GR: Regular|Long-lived" while its routes are stale or
    // long-lived stale (up to its End-of-RIB, also with the session up again), "Restart
    // timer" while the restart timer runs and the protocol is not up, "LL stale timer"
    // while the long-lived stale timer runs.
    const grState = p.gracefulRestartState;
    const timerLeft = grState === 'none' ? undefined : p.staleTimerLeft;
    const base: BgpDetails = {
      state: this.bgpStateWord(p), neighborAddress: c.neighborAddress, neighborAs: c.neighborAs, lastError,
      ...(grState !== 'none' ? { neighborGracefulRestartActive: true, neighborGr: grState === 'gr' ? 'Regular' : 'Long-lived' } : {}),
      ...(grState === 'gr' && p.state !== 'up' && timerLeft !== undefined ? { restartTimer: timerLeft } : {}),
      ...(grState === 'llgr' && timerLeft !== undefined ? { llStaleTimer: timerLeft } : {}),
    };
    const n = p.negotiated;
    if (p.state !== 'up' || n === null) return base;
    const session: string[] = [p.isInternal ? 'internal' : 'external'];
    if (c.multihop > 0) session.push('multihop');
    if (c.rrClient) session.push('route-reflector');
    if (c.rsClient) session.push('route-server');
    if (n.as4) session.push('AS4');
    if (n.addPathRx.size > 0) session.push('add-path-rx');
    if (n.addPathTx.size > 0) session.push('add-path-tx');
    if (n.extendedMessage) session.push('ext-messages');
    const local = p.session.endpoints?.localAddress ?? c.sourceAddress;
    const { hold, keepalive } = p.session.timers;
    return {
      ...base,
      neighborId: formatRouterId(n.peerBgpId),
      neighborCaps: neighborCaps(n.peerCapabilities, c.neighborAddress.includes(':') ? Afi.IPV6 : Afi.IPV4),
      session,
      sourceAddress: local?.replace(/^::ffff:(?=\d+\.)/, ''),
      ...(hold ? { holdTimer: hold } : {}),
      ...(keepalive ? { keepaliveTimer: keepalive } : {}),
    };
  }

  // ---- enable / disable / restart ---------------------------------------------------------

  enable(name: string): ProtocolActionResult {
    const p = this.daemon.protocols.get(name);
    if (!p) return 'none';
    if (p.state !== 'down') return 'already-enabled';
    this.daemon.log.info(`Enabling protocol ${name}`);
    // `disabled` in the configuration only decides the state at start (BIRD: p->disabled).
    if (p.config.disabled) p.config = { ...p.config, disabled: false };
    p.start();
    return 'enabled';
  }

  disable(name: string): ProtocolActionResult {
    const p = this.daemon.protocols.get(name);
    if (!p) return 'already-disabled';
    if (p.state === 'down') return 'already-disabled';
    this.daemon.log.info(`Disabling protocol ${name}`);
    this.noteManualDown(p);
    p.stop('shutdown');
    return 'disabled';
  }

  restart(name: string): ProtocolActionResult {
    const p = this.daemon.protocols.get(name);
    if (!p) return 'none';
    if (p.state === 'down') return 'already-disabled';
    this.daemon.log.info(`Restarting protocol ${name}`);
    this.noteManualDown(p);
    p.stop('shutdown');
    p.start();
    return 'restarted';
  }

  private noteManualDown(p: Protocol): void {
    if (p instanceof BgpProtocol) this.manualDown.set(p.name, p.session.stats.lastError);
  }

  down(): void {
    this.onDown();
  }

  // ---- configure --------------------------------------------------------------------------

  async configure(req: ConfigureRequest): Promise<ConfigureResult> {
    const file = req.file ?? this.daemon.opts.configFile;
    if (this.daemon.shuttingDown && !req.check) return { file, kind: 'committed', outcome: 'shutdown' };
    const r = this.daemon.configure(req.check, file);
    if (r.error !== null) return { file, kind: 'error', message: r.error };
    if (req.check) return { file, kind: 'checked' };
    return { file, kind: 'committed', outcome: r.restarting ? 'progress' : 'done' };
  }

  // ---- show route -------------------------------------------------------------------------

  routes(q: RouteQuery): Iterable<RouteNet> | null {
    const d = this.daemon;
    // `table` can only name `master` (the parser checked it is a table symbol).
    if (q.filtered) return []; // no `import keep filtered` yet: nothing is ever kept
    const filter = q.filter ? this.compileShowFilter(q.filter) : null;
    // A filter that does not compile is the command's error: `9001 <message>`, as BIRD's
    // CLI parser answers a bad `where` expression.
    if (typeof filter === 'string') throw new CliSyntaxError(filter);
    let exportTo: Protocol | null = null;
    if (q.export) {
      exportTo = d.protocols.get(q.export.protocol) ?? null;
      // 1.6: a protocol without an announce hook (not running, or not taking routes) shows nothing.
      // A BGP peer exports through its update group's channel, not its own.
      const exporting = exportTo !== null && (exportTo.channel.isExporting || (exportTo instanceof BgpProtocol && exportTo.updateGroupSize > 0));
      if (!exporting) return [];
    }
    const view = new RouteView(d, filter, exportTo, q);
    if (q.prefix) {
      const net = d.table.get(q.prefix);
      return net ? [view.net(net)] : [];
    }
    if (q.for) {
      const net = longestCovering(d, q.for);
      return net ? [view.net(net)] : [];
    }
    return view.all();
  }

  /** A named filter, or `where` / inline text compiled against the running configuration;
   *  a string is a compile error. */
  private compileShowFilter(spec: NonNullable<RouteQuery['filter']>): CompiledFilter | string {
    const config = this.daemon.configuration;
    if (spec.kind === 'name') {
      const f = config.filters.find((x) => x.name === spec.name);
      return f ? f.filter : `No such filter ${spec.name}`;
    }
    if (this.filterCache === null || this.filterCache.config !== config) this.filterCache = { config, map: new Map() };
    const key = `${spec.kind} ${spec.text}`;
    const cached = this.filterCache.map.get(key);
    if (cached !== undefined) return cached;
    const result = compileAgainst(config, spec.kind === 'where' ? `where ${spec.text}` : `filter ${spec.text}`, this.daemon.opts.ipv6);
    if (this.filterCache.map.size >= 32) this.filterCache.map.clear();
    this.filterCache.map.set(key, result);
    return result;
  }

  // ---- show interfaces / symbols / memory -------------------------------------------------

  interfaces(): readonly InterfaceStatus[] {
    return listInterfaces(this.daemon.opts.ipv6 ? 'IPv6' : 'IPv4');
  }

  symbols(): readonly SymbolInfo[] {
    const c = this.daemon.configuration;
    const out: SymbolInfo[] = [{ name: 'master', kind: 'routing table' }];
    const templates = new Set<string>();
    for (const p of c.protocols) if (p.template !== undefined) templates.add(p.template);
    for (const t of templates) out.push({ name: t, kind: 'protocol template' });
    for (const p of c.protocols) out.push({ name: p.name, kind: 'protocol' });
    for (const f of c.filters) out.push({ name: f.name, kind: 'filter' });
    for (const f of c.functions) out.push({ name: f.name, kind: 'function' });
    for (const k of Object.keys(c.constants)) out.push({ name: k, kind: 'constant' });
    return out;
  }

  memory(): readonly MemoryUsage[] {
    const attrs = attrSetStats();
    // The tables' own storage (typed arrays and pointer columns: no object per net or route),
    // the Adj-RIBs' likewise (an update group's Adj-RIB-Out counted once), plus an allowance
    // per protocol for its objects.
    const tables = this.daemon.table.byteLength;
    let perProtocol = 0;
    const outs = new Set<AdjRibOut>();
    for (const p of this.daemon.protocols.values()) {
      perProtocol += 2048;
      if (!(p instanceof BgpProtocol)) continue;
      const r = p.ribStorage;
      perProtocol += r.adjRibIn;
      if (r.adjRibOut !== null && !outs.has(r.adjRibOut)) {
        outs.add(r.adjRibOut);
        perProtocol += r.adjRibOut.byteLength;
      }
    }
    return [
      { name: 'Routing tables', bytes: tables },
      { name: 'Route attributes', bytes: attrs.bytes },
      { name: 'ROA tables', bytes: 0 },
      { name: 'Protocols', bytes: perProtocol },
      { name: 'Total', bytes: process.memoryUsage.rss() },
    ];
  }
}

// ---------------------------------------------------------------------------------------------
// show protocols helpers

/** `Input filter:` / `Output filter:` text (1.6 filter_name). */
function filterName(f: CompiledFilter): string {
  switch (f.kind) {
    case 'all':
      return 'ACCEPT';
    case 'none':
      return 'REJECT';
    case 'named':
      return f.name;
    default:
      return '(unnamed)';
  }
}

type FamilyCap = { readonly afi: number; readonly safi: number };

/** 1.6 `Neighbor caps:` words, from what the peer announced in its OPEN. */
function neighborCaps(caps: readonly Capability[], afi: Afi): string[] {
  const has = (code: number) => caps.find((c) => c.code === code) as (Capability & { families?: readonly FamilyCap[] }) | undefined;
  const listsOurs = (c: { families?: readonly FamilyCap[] } | undefined) => c?.families?.some((f) => f.afi === afi && f.safi === 1) ?? false;
  const out: string[] = [];
  if (has(CapabilityCode.ROUTE_REFRESH)) out.push('refresh');
  if (has(CapabilityCode.ENHANCED_ROUTE_REFRESH)) out.push('enhanced-refresh');
  const gr = has(CapabilityCode.GRACEFUL_RESTART);
  if (gr) out.push(listsOurs(gr) ? 'restart-able' : 'restart-aware');
  const llgr = has(CapabilityCode.LONG_LIVED_GRACEFUL_RESTART);
  if (llgr) out.push(listsOurs(llgr) ? 'llgr-able' : 'llgr-aware');
  if (has(CapabilityCode.FOUR_OCTET_AS)) out.push('AS4');
  const ap = has(CapabilityCode.ADD_PATH) as { families?: readonly (FamilyCap & { mode: AddPathMode })[] } | undefined;
  const mode = ap?.families?.find((f) => f.afi === afi && f.safi === 1)?.mode ?? 0;
  if (mode & AddPathMode.RECEIVE) out.push('add-path-rx');
  if (mode & AddPathMode.SEND) out.push('add-path-tx');
  return out;
}

// ---------------------------------------------------------------------------------------------
// show route

/** Compiles `where <expr>` / `filter { … }` against the running configuration's symbols by
 *  parsing its canonical text with one more (never run) protocol that imports through it. */
function compileAgainst(config: Config, imexport: string, ipv6: boolean): CompiledFilter | string {
  const name = '__wren_show_route';
  const text = `${printConfig({ ...config, protocols: [] })}\nprotocol static ${name} {\n  import ${imexport};\n}\n`;
  try {
    const c = parseConfigText(text, 'show route', { dialect: ipv6 ? 'ipv6' : 'ipv4', print: () => {} });
    const p = c.protocols.find((x) => x.name === name);
    return p ? p.import : 'filter did not compile';
  } catch (e) {
    const msg = (e as Error).message;
    return msg.replace(/^show route:\d+:\d+ /, '');
  }
}

/** 1.6 net_route for `show route for <prefix>`: the most specific net at or above its length. */
function longestCovering(d: Daemon, p: Prefix): NetEntry | undefined {
  const addr = p.addr.slice();
  for (let len = p.len; len >= 0; len--) {
    maskHostBits(addr, len);
    const net = d.table.get({ afi: p.afi, len, addr });
    if (net?.best) return net;
  }
  return undefined;
}

const RTS_OF: Readonly<Record<RouteSourceKind, Rts>> = {
  bgp: Rts.RTS_BGP,
  static: Rts.RTS_STATIC,
  kernel: Rts.RTS_INHERIT,
  direct: Rts.RTS_DEVICE,
};

/** 1.6 src_names, for the `Type:` line. */
const SOURCE_NAME: Readonly<Record<RouteSourceKind, string>> = {
  bgp: 'BGP',
  static: 'static',
  kernel: 'inherit',
  direct: 'device',
};

/** One `show route` command: the filter/export decisions and the entry builder. */
class RouteView {
  private readonly ifaces: ConnectedLookup;
  private readonly exportAny: boolean;

  constructor(
    private readonly d: Daemon,
    private readonly filter: CompiledFilter | null,
    private readonly exportTo: Protocol | null,
    private readonly q: RouteQuery,
  ) {
    this.ifaces = new ConnectedLookup();
    this.exportAny = exportTo !== null && exportTo.channel.exportMode === 'any';
  }

  /** The whole table, lazily, through resumable cursors (the table may change between steps). */
  *all(): Generator<RouteNet> {
    for (const afi of [Afi.IPV4, Afi.IPV6]) {
      const cursor = this.d.table.cursor(afi);
      for (;;) {
        const batch = cursor.next(CURSOR_BATCH);
        // Nothing yet: the cursor put a slice of a big load into the trie's order (TableCursor).
        if (batch.length === 0 && !cursor.done) yield ROUTES_PAUSE;
        for (const e of batch) {
          // A net withdrawn since the batch was taken has no routes left.
          if (e.value.count > 0) yield this.net(e.value);
        }
        if (cursor.done) break;
      }
    }
  }

  net(net: NetEntry): RouteNet {
    const prefix = formatPrefix(net.prefix);
    const ordered = orderedRoutes(net);
    if (this.filter === null && this.exportTo === null) return { prefix, routes: ordered.map((r) => this.entry(net, r, r.attrs)) };
    // rt_show_net: every route counts; the export view of a best-only protocol looks at the best.
    const considered = this.exportTo !== null && !this.exportAny ? ordered.slice(0, 1) : this.q.primaryOnly ? ordered.slice(0, 1) : ordered;
    const routes: RouteEntry[] = [];
    for (const r of considered) {
      let attrs: RouteAttributes | null = r.attrs;
      let pref = r.preference;
      if (this.exportTo !== null) {
        attrs = this.exported(net, r);
        if (attrs === null) continue;
      }
      if (this.filter !== null) {
        const res = this.filter.run(filterRoute(net.prefix, r, attrs, pref));
        if (!res.accepted) continue;
        attrs = res.attrs as RouteAttributes;
        pref = res.preference;
      }
      routes.push(this.entry(net, r, attrs, pref));
    }
    return { prefix, routes, total: this.q.primaryOnly ? Math.min(1, ordered.length) : ordered.length };
  }

  /** The route as the export protocol's channel would see it, or null when not shown. */
  private exported(net: NetEntry, r: Route): RouteAttributes | null {
    const p = this.exportTo!;
    const mode = this.q.export!.mode;
    // Never back to its source (BIRD), except inside a shared update group, which reflects a
    // client's own routes back to it as FRR does.
    if (r.source === p.source && !(p instanceof BgpProtocol && p.reflectsOwnRoutes)) return null;
    const prepared = p.preexport ? p.preexport(r, net) : r.attrs;
    if (prepared === null) return null;
    if (mode === 'preexport') return prepared;
    const res = p.channel.exportFilter.run(filterRoute(net.prefix, r, prepared, r.preference));
    if (mode === 'export') return res.accepted ? (res.attrs as RouteAttributes) : null;
    return res.accepted ? null : prepared;
  }

  private entry(net: NetEntry, r: Route, a: RouteAttributes, preference = r.preference): RouteEntry {
    const src = r.source;
    const dest = this.dest(a);
    let from: string | undefined;
    if (src.bgp) {
      const gw = dest.kind === 'router' ? a.gateway ?? a.nextHop : undefined;
      if (gw === undefined || !sameBytes(gw, src.bgp.address)) from = formatAddress(src.bgp.address);
    }
    const e: { -readonly [K in keyof RouteEntry]: RouteEntry[K] } = {
      dest,
      protocol: src.name,
      since: this.since(r),
      from,
      primary: r === net.best,
      preference,
      bgp: src.kind === 'bgp' ? this.bgpInfo(r, a) : undefined,
    };
    if (this.q.verbose) {
      const kind: string = src.kind === 'static' && a.dest === RouteDest.DEVICE ? 'static-device' : SOURCE_NAME[src.kind];
      e.type = `${kind} unicast univ`;
      e.attributes = routeAttributes(a);
    }
    return e;
  }

  private dest(a: RouteAttributes): ShowDest {
    switch (a.dest) {
      case RouteDest.DEVICE:
        return { kind: 'device', iface: a.ifname ?? '?' };
      case RouteDest.BLACKHOLE:
        return { kind: 'blackhole' };
      case RouteDest.UNREACHABLE:
        return { kind: 'unreachable' };
      case RouteDest.PROHIBIT:
        return { kind: 'prohibited' };
      case RouteDest.MULTIPATH:
        return { kind: 'multipath', nexthops: (a.nextHops ?? []).map((nh) => ({ gateway: formatAddress(nh.gateway), iface: nh.ifname || '?', weight: nh.weight })) };
      default: {
        const gw = a.gateway ?? a.nextHop;
        if (gw === undefined) return { kind: 'unreachable' };
        return { kind: 'router', gateway: formatAddress(gw), iface: a.ifname ?? this.ifaces.find(gw) };
      }
    }
  }

  /** Route time: learnedAt (rib/route.ts routeClock) when set, else when its protocol came up. */
  private since(r: Route): Date {
    if (r.learnedAt > 0) return new Date(routeClockToEpochMs(r.learnedAt));
    return this.d.protocols.get(r.source.name)?.since ?? this.d.startedAt;
  }

  private bgpInfo(r: Route, a: RouteAttributes): BgpRouteInfo {
    const p = this.d.protocols.get(r.source.name);
    const recursive = p instanceof BgpProtocol && p.config.gateway === 'recursive';
    return {
      // BIRD 2 rte_stale: LLGR_STALE (RFC 9494) among the communities, as shown.
      stale: a.communities !== undefined && a.communities.includes(LLGR_STALE) ? true : undefined,
      igpMetric: recursive ? (!r.reachable ? 'unresolvable' : r.igpMetric >= IGP_METRIC_UNKNOWN ? 'unknown' : r.igpMetric) : undefined,
      originAs: originAs(a.asPath),
      origin: a.origin === undefined ? undefined : ORIGIN_CHAR[a.origin],
    };
  }
}

/** Best route first, then the others in arrival order (1.6 keeps the best at the head). */
function orderedRoutes(net: NetEntry): Route[] {
  const best = net.best;
  if (best === undefined || net.routes[0] === best) return net.routes.slice();
  return [best, ...net.routes.filter((r) => r !== best)];
}

function filterRoute(prefix: Prefix, r: Route, attrs: RouteAttributes, preference: number): FilterRoute {
  const kind = r.source.kind;
  return {
    net: prefix,
    source: RTS_OF[kind],
    proto: r.source.name,
    preference,
    gw: attrs.gateway ?? (kind === 'bgp' ? attrs.nextHop : undefined),
    from: r.source.bgp?.address,
    ifname: attrs.ifname ?? '',
    dest: attrs.dest === undefined ? Rtd.RTD_ROUTER : ((attrs.dest - 1) as Rtd),
    attrs,
  };
}

const LLGR_STALE = WellKnownCommunity.LLGR_STALE >>> 0;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

const ORIGIN_CHAR = ['i', 'e', '?'] as const;
const ORIGIN_NAME = ['IGP', 'EGP', 'Incomplete'] as const;

/** 1.6 as_path_get_last: the last AS of a trailing AS_SEQUENCE (none after an AS_SET). */
function originAs(path: PathAttributes['asPath']): number | undefined {
  let last: number | undefined;
  for (const seg of path ?? []) {
    if (seg.type === 2) {
      if (seg.asns.length > 0) last = seg.asns[seg.asns.length - 1];
    } else if (seg.type === 1) {
      if (seg.asns.length > 0) last = undefined;
    }
  }
  return last;
}

/** 1.6 as_path_format: `65001 65002 { 65003 65004 }`. */
function asPathText(path: PathAttributes['asPath']): string {
  const parts: string[] = [];
  for (const seg of path ?? []) {
    const set = seg.type === 1 || seg.type === 4;
    if (set) parts.push('{');
    for (const a of seg.asns) parts.push(String(a));
    if (set) parts.push('}');
  }
  return parts.join(' ');
}

const hex2 = (n: number): string => (n < 16 ? '0' : '') + n.toString(16);

/** 1.6 ec_format over the two 32-bit halves of an extended community. */
function extCommunityText(b: Uint8Array): string {
  const hi = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const lo = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0;
  const type = hi >>> 16;
  const masked = type & 0xf0ff;
  const kind = masked === 0x0002 ? 'rt' : masked === 0x0003 ? 'ro' : `unknown 0x${type.toString(16)}`;
  switch (b[0]) {
    case 0x00:
    case 0x40:
      return `(${kind}, ${hi & 0xffff}, ${lo})`;
    case 0x01:
    case 0x41:
      return `(${kind}, ${b[2]}.${b[3]}.${b[4]}.${b[5]}, ${lo & 0xffff})`;
    case 0x02:
    case 0x42:
      return `(${kind}, ${(((hi & 0xffff) << 16) | (lo >>> 16)) >>> 0}, ${lo & 0xffff})`;
    default:
      return `(generic, 0x${hi.toString(16)}, 0x${lo.toString(16)})`;
  }
}

/** `show route all` attribute lines, in attribute-code order as 1.6 prints its ea_list. */
function routeAttributes(a: RouteAttributes): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  const add = (name: string, value: string) => out.push({ name, value });
  if (a.origin !== undefined) add('BGP.origin', ORIGIN_NAME[a.origin] ?? String(a.origin));
  if (a.asPath !== undefined) add('BGP.as_path', asPathText(a.asPath));
  if (a.nextHop !== undefined)
    add('BGP.next_hop', a.nextHopLinkLocal ? `${formatAddress(a.nextHop)} ${formatAddress(a.nextHopLinkLocal)}` : formatAddress(a.nextHop));
  if (a.med !== undefined) add('BGP.med', String(a.med >>> 0));
  if (a.localPref !== undefined) add('BGP.local_pref', String(a.localPref >>> 0));
  if (a.atomicAggregate) add('BGP.atomic_aggr', '');
  if (a.aggregator !== undefined) add('BGP.aggregator', `${formatAddress(a.aggregator.address)} AS${a.aggregator.asn >>> 0}`);
  if (a.communities !== undefined) add('BGP.community', a.communities.map((c) => `(${c >>> 16},${c & 0xffff})`).join(' '));
  if (a.originatorId !== undefined) add('BGP.originator_id', formatRouterId(a.originatorId));
  if (a.clusterList !== undefined) add('BGP.cluster_list', a.clusterList.map(formatRouterId).join(' '));
  if (a.extCommunities !== undefined) add('BGP.ext_community', a.extCommunities.map(extCommunityText).join(' '));
  if (a.largeCommunities !== undefined)
    add('BGP.large_community', a.largeCommunities.map((l) => `(${l.global >>> 0}, ${l.local1 >>> 0}, ${l.local2 >>> 0})`).join(' '));
  // Attributes 1.6 does not know: `BGP.<type in hex>[ [t]]: <bytes in hex>`.
  const unknown: { type: number; flags: number; value: Uint8Array }[] = [...(a.unknown ?? [])];
  if (a.otc !== undefined) {
    const v = a.otc >>> 0;
    unknown.push({ type: 35, flags: 0xc0, value: Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255) });
  }
  unknown.sort((x, y) => x.type - y.type);
  for (const u of unknown) add(`BGP.${hex2(u.type)}${u.flags & 0x40 ? ' [t]' : ''}`, Array.from(u.value, hex2).join(' '));
  if (a.krtSource !== undefined) add('Kernel.source', String(a.krtSource));
  if (a.krtMetric !== undefined) add('Kernel.metric', String(a.krtMetric >>> 0));
  // 1.6 krt_sys_get_attr names, in EA id order (prefsrc 0x10, realm 0x11, scope 0x12).
  if (a.krtPrefsrc !== undefined) add('Kernel.prefsrc', formatAddress(a.krtPrefsrc));
  if (a.krtRealm !== undefined) add('Kernel.realm', String(a.krtRealm >>> 0));
  if (a.krtScope !== undefined) add('Kernel.scope', String(a.krtScope >>> 0));
  // Then the metrics (EA ids 0x21 …: lock, mtu, window, … features, …).
  if (a.krtMetrics !== undefined) out.push(...metricLines(a.krtMetrics));
  return out;
}

// ---------------------------------------------------------------------------------------------
// interfaces

interface Connected {
  readonly name: string;
  readonly addr: Uint8Array;
  readonly len: number;
}

/** The interface whose connected subnet holds a gateway (BIRD's neighbor lookup), per command. */
class ConnectedLookup {
  private list: Connected[] | null = null;
  private readonly cache = new Map<string, string>();

  find(gw: Uint8Array): string {
    const key = formatAddress(gw);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let best: Connected | undefined;
    for (const c of this.connected()) {
      if (c.addr.length !== gw.length || (best && best.len >= c.len)) continue;
      if (samePrefix(c.addr, gw, c.len)) best = c;
    }
    const name = best?.name ?? '?';
    this.cache.set(key, name);
    return name;
  }

  private connected(): Connected[] {
    if (this.list) return this.list;
    const out: Connected[] = [];
    for (const [name, addrs] of Object.entries(networkInterfaces())) {
      for (const a of addrs ?? []) {
        const slash = a.cidr?.indexOf('/') ?? -1;
        if (slash < 0) continue;
        out.push({ name, addr: parseAddress(a.address.replace(/%.*$/, '')), len: Number(a.cidr!.slice(slash + 1)) });
      }
    }
    return (this.list = out);
  }
}

function samePrefix(a: Uint8Array, b: Uint8Array, len: number): boolean {
  for (let i = 0; i < a.length && len > 0; i++, len -= 8) {
    const mask = len >= 8 ? 0xff : (0xff << (8 - len)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_POINTOPOINT = 0x10;
const IFF_RUNNING = 0x40;
const IFF_MULTICAST = 0x1000;

function sysfs(name: string, file: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${name}/${file}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function scopeOf(addr: Uint8Array): string {
  if (addr.length === 4) return addr[0] === 127 ? 'host' : 'univ';
  if (addr.every((x, i) => x === (i === 15 ? 1 : 0))) return 'host';
  if (addr[0] === 0xfe && (addr[1]! & 0xc0) === 0x80) return 'link';
  if (addr[0] === 0xfe && (addr[1]! & 0xc0) === 0xc0) return 'site';
  return 'univ';
}

/** Interfaces as `show interfaces` lists them: names, index, flags and MTU from sysfs (Linux),
 *  addresses of the daemon's family from os.networkInterfaces(). */
function listInterfaces(family: 'IPv4' | 'IPv6'): InterfaceStatus[] {
  const addrs = networkInterfaces();
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    names = Object.keys(addrs);
  }
  const out: InterfaceStatus[] = [];
  for (const name of names) {
    const flags = Number.parseInt(sysfs(name, 'flags') ?? '', 16);
    const index = Number(sysfs(name, 'ifindex') ?? 0);
    const mtu = Number(sysfs(name, 'mtu') ?? 0);
    const own = (addrs[name] ?? []).filter((a) => a.family === family);
    const list: InterfaceAddress[] = own.map((a, i) => {
      const bytes = parseAddress(a.address.replace(/%.*$/, ''));
      return {
        address: a.address.replace(/%.*$/, ''),
        prefixLength: Number(a.cidr?.split('/')[1] ?? (family === 'IPv4' ? 32 : 128)),
        kind: i === 0 ? 'Primary' : 'Secondary',
        scope: scopeOf(bytes),
      };
    });
    const f = Number.isNaN(flags) ? (own.length > 0 ? IFF_UP | IFF_RUNNING : 0) : flags;
    const oper = sysfs(name, 'operstate');
    const adminUp = (f & IFF_UP) !== 0;
    // sysfs `flags` lacks IFF_RUNNING; `carrier` (1 = link up) is readable only while admin up.
    const linkUp = (f & IFF_RUNNING) !== 0 || oper === 'up' || sysfs(name, 'carrier') === '1';
    const loopback = (f & IFF_LOOPBACK) !== 0;
    const ptp = (f & IFF_POINTOPOINT) !== 0;
    out.push({
      name,
      index,
      up: adminUp && linkUp && list.length > 0,
      multiAccess: !ptp,
      broadcast: (f & IFF_BROADCAST) !== 0 && !loopback && !ptp,
      multicast: (f & IFF_MULTICAST) !== 0 || (!loopback && ((f & IFF_BROADCAST) !== 0 || ptp)),
      adminUp,
      linkUp,
      loopback,
      ignored: loopback,
      mtu,
      addresses: list,
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** A configured route limit as `show protocols all` prints it. */
function limitOf(l: { limit: number; action: string } | undefined, hit = false) {
  return l === undefined ? undefined : { limit: l.limit, action: l.action, hit };
}

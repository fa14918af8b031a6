// What the control socket shows, as plain data: the daemon implements `ControlSource`, the
// control server (server.ts) renders its answers in BIRD 1.6's exact texts (format.ts).
// Field names follow what 1.6 prints (nest/cmds.c, nest/proto.c, nest/rt-table.c,
// nest/iface.c, proto/bgp/bgp.c) so the mapping from a transcript line to a field is
// obvious; see /work/shared/calico/birdc-protocol.md for the transcripts.
//
// One exception to the 1.6 texts: long-lived graceful restart (RFC 9494) exists only in
// BIRD 2, so its state is shown the way BIRD 2.0.12 shows it (proto/bgp/bgp.c
// bgp_show_proto_info: `Neighbor GR:` and `LL stale timer:` lines; attrs.c
// bgp_get_route_info + rte_stale: the `s` after the preference of an LLGR_STALE route),
// in 1.6's framing and whole-second timers.
//
// Leaves out: anything else only BIRD 2 prints (channels, per-table route counts), OSPF/RIP/BFD
// details, `dump`, `echo`, `eval`, ROA tables.

import type { Prefix } from '../rib/prefix.js';

// ---------------------------------------------------------------------------------------
// show status

export interface GracefulRestartStatus {
  /** `Waiting for N protocols to recover`. */
  readonly waitingFor: number;
  /** `Wait timer is <left>/<total>`, seconds. */
  readonly waitTimerLeft: number;
  readonly waitTimerTotal: number;
}

export interface DaemonStatus {
  /** `BIRD <version>` in the 1000 line, e.g. `v0.3.3+birdv1.6.8`; must start with `v` for Calico. */
  readonly version: string;
  /** Dotted quad, in both address families. */
  readonly routerId: string;
  readonly serverTime: Date;
  readonly lastReboot: Date;
  readonly lastReconfiguration: Date;
  /** Non-null while graceful-restart recovery runs (`-R`): the `0024` block, and the
   *  `GR recovery:` line in `show protocols all`. */
  readonly gracefulRestart?: GracefulRestartStatus | null;
  /** `0013 Reconfiguration in progress` instead of `Daemon is up and running`. */
  readonly reconfiguring?: boolean;
  /** `0013 Shutdown in progress` (wins over `reconfiguring`). */
  readonly shuttingDown: boolean;
}

// ---------------------------------------------------------------------------------------
// show protocols [all]

/** proto_state_name() in 1.6: `wait` = up but held by graceful-restart recovery. */
export type ProtocolState = 'down' | 'start' | 'up' | 'wait' | 'feed' | 'stop' | 'flush';

export interface ImportUpdateStats {
  readonly received: number;
  readonly rejected: number;
  readonly filtered: number;
  readonly ignored: number;
  readonly accepted: number;
}
export interface ImportWithdrawStats {
  readonly received: number;
  readonly rejected: number;
  readonly ignored: number;
  readonly accepted: number;
}
export interface ExportUpdateStats {
  readonly received: number;
  readonly rejected: number;
  readonly filtered: number;
  readonly accepted: number;
}
export interface ExportWithdrawStats {
  readonly received: number;
  readonly accepted: number;
}

/** `Routes:` and `Route change stats:` lines (proto_show_stats). */
export interface ProtocolStats {
  readonly importedRoutes: number;
  /** Present only with `import keep filtered`: adds `N filtered,` to the Routes line. */
  readonly filteredRoutes?: number;
  readonly exportedRoutes: number;
  readonly preferredRoutes: number;
  readonly importUpdates: ImportUpdateStats;
  readonly importWithdraws: ImportWithdrawStats;
  readonly exportUpdates: ExportUpdateStats;
  readonly exportWithdraws: ExportWithdrawStats;
}

export interface ProtocolLimit {
  readonly limit: number;
  readonly hit: boolean;
  /** `warn` | `block` | `restart` | `disable`. */
  readonly action: string;
}

export interface Timer {
  /** Seconds left (BIRD prints whole seconds). */
  readonly remaining: number;
  readonly total: number;
}

/** The BGP part of `show protocols all <bgp>` (bgp_show_proto_info). Optional fields are
 *  printed only when present; 1.6 prints them only in some states, as noted. */
export interface BgpDetails {
  /** `BGP state:` — Idle Connect Active OpenSent OpenConfirm Established Close Passive Down. */
  readonly state: string;
  /** `Neighbor address:` (with `%iface` for link-local peers). */
  readonly neighborAddress: string;
  readonly neighborAs: number;
  /** `Neighbor graceful restart active` line. */
  readonly neighborGracefulRestartActive?: boolean;
  // Protocol state `start` only:
  /** `Error wait:       n/m` (startup delay after errors). */
  readonly errorWait?: Timer;
  /** `Connect delay:    n/m`. */
  readonly connectDelay?: Timer;
  /** `Restart timer:    n/-` (seconds left). */
  readonly restartTimer?: number;
  // Protocol state `up` only:
  readonly neighborId?: string;
  /** Words after `Neighbor caps:` e.g. ['refresh','enhanced-refresh','restart-able','llgr-aware','AS4','add-path-rx','add-path-tx']. */
  readonly neighborCaps?: readonly string[];
  /** Words after `Session:` e.g. ['internal','multihop','AS4','add-path-rx','add-path-tx']. */
  readonly session?: readonly string[];
  readonly sourceAddress?: string;
  /** `Route limit:      used/limit`. */
  readonly routeLimit?: { readonly used: number; readonly limit: number };
  readonly holdTimer?: Timer;
  readonly keepaliveTimer?: Timer;
  /** Any state: `Last error:       <class><text>`, e.g. `Socket: Connection refused`.
   *  1.6 leaves it out for a manual `disable`. */
  readonly lastError?: string;
  // BIRD 2 only (printed after `Last error`, where BIRD 2's channel block has them):
  /** `Neighbor GR:    <state>` while the peer is in graceful restart (BIRD 2 bgp_gr_states:
   *  `Regular` = RFC 4724 stale routes, `Long-lived` = RFC 9494 LLGR-stale routes). */
  readonly neighborGr?: NeighborGrState;
  /** `LL stale timer: <left>/-`: seconds left on the long-lived stale timer, while it runs. */
  readonly llStaleTimer?: number;
}

/** BIRD 2 bgp_gr_states[], the `Neighbor GR:` word of a channel. */
export type NeighborGrState = 'None' | 'Regular' | 'Long-lived';

export interface ProtocolStatus {
  /** Configured or auto name (`kernel1`, `Mesh_192_0_2_12`). */
  readonly name: string;
  /** `BGP` `Kernel` `Device` `Direct` `Static` `Pipe` `BFD`. */
  readonly proto: string;
  /** `master` in Calico's configs. */
  readonly table: string;
  readonly state: ProtocolState;
  /** Last state change. */
  readonly since: Date;
  /** The info column exactly (BGP: use `bgpStatusInfo()` from format.ts; others ''). */
  readonly info: string;
  // --- `show protocols all` ---
  readonly description?: string;
  /** Only when the protocol has its own `router id`. */
  readonly routerId?: string;
  readonly preference: number;
  /** `ACCEPT`, `REJECT`, `(unnamed)` or the filter's name. */
  readonly inputFilter: string;
  readonly outputFilter: string;
  /** `GR recovery:` flags; printed (even both false) whenever status().gracefulRestart is set. */
  readonly grRecovery?: { readonly pending: boolean; readonly waiting: boolean };
  readonly receiveLimit?: ProtocolLimit;
  readonly importLimit?: ProtocolLimit;
  readonly exportLimit?: ProtocolLimit;
  /** Not printed when the state is `down` or `flush`. */
  readonly stats?: ProtocolStats;
  readonly bgp?: BgpDetails;
}

/** Result of enable/disable/restart/reload for one protocol; decides the 1.6 reply line
 *  (`0009-<name>: disabled` …). `none` prints nothing (reload of a protocol not up). */
export type ProtocolActionResult =
  | 'disabled'
  | 'already-disabled'
  | 'enabled'
  | 'already-enabled'
  | 'restarted'
  | 'reloading'
  | 'reload-failed'
  | 'none';

export type ReloadDirection = 'both' | 'in' | 'out';

// ---------------------------------------------------------------------------------------
// show route

export type RouteFilterSpec =
  /** `filter <name>` (a configured filter: the parser checked the symbol). */
  | { readonly kind: 'name'; readonly name: string }
  /** `filter { … }`: the body text, braces included. */
  | { readonly kind: 'inline'; readonly text: string }
  /** `where <expr>`: the expression text (rest of the line). */
  | { readonly kind: 'where'; readonly text: string };

export interface RouteQuery {
  /** `show route <prefix>`: that exact network. */
  readonly prefix?: Prefix;
  /** `show route for <ip|prefix>`: the longest match covering it (an IP has full length). */
  readonly for?: Prefix;
  /** `table <t>` (checked to be a routing table symbol). */
  readonly table?: string;
  readonly filter?: RouteFilterSpec;
  /** `all`: print attributes (RouteEntry.type / attributes). */
  readonly verbose: boolean;
  /** `primary`: only the best route of each network. */
  readonly primaryOnly: boolean;
  /** `filtered`: routes rejected by import filters and kept (`import keep filtered`). */
  readonly filtered: boolean;
  /** `export|preexport|noexport <p>`: routes as that protocol's export would see them. */
  readonly export?: { readonly mode: 'export' | 'preexport' | 'noexport'; readonly protocol: string };
  /** `protocol <p>`: only routes from that protocol. */
  readonly protocol?: string;
  /** 0 = list, 1 = `stats` (list + count line), 2 = `count` (count line only). */
  readonly stats: 0 | 1 | 2;
}

export type RouteDest =
  | { readonly kind: 'router'; readonly gateway: string; readonly iface: string }
  | { readonly kind: 'device'; readonly iface: string }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'unreachable' }
  | { readonly kind: 'prohibited' }
  | {
      readonly kind: 'multipath';
      /** Printed `\t via <gw> on <iface> weight <weight>` (weight as printed: 1-based). */
      readonly nexthops: readonly { readonly gateway: string; readonly iface: string; readonly weight: number }[];
    };

/** The BGP part of a route's info column: ` (<pref>[-][s][/<igp>]) [AS<n><origin>]`. */
export interface BgpRouteInfo {
  readonly suppressed?: boolean;
  /** BIRD 2 rte_stale: the route carries LLGR_STALE (65535:6), RFC 9494 — ` (100s)`. Routes
   *  kept stale by a plain RFC 4724 restart are not marked (BIRD 2 does not either). */
  readonly stale?: boolean;
  /** Recursive next hop (`gateway recursive`): a number, 'unresolvable' (/-), 'unknown' (/?);
   *  undefined for a direct next hop (nothing printed). */
  readonly igpMetric?: number | 'unresolvable' | 'unknown';
  /** Last AS of the AS_PATH; undefined for an empty path. */
  readonly originAs?: number;
  /** ORIGIN: 'i' | 'e' | '?'; undefined when the attribute is missing. */
  readonly origin?: 'i' | 'e' | '?';
}

export interface RouteEntry {
  readonly dest: RouteDest;
  /** Source protocol name (`kernel1`, `Mesh_192_0_2_12`). */
  readonly protocol: string;
  /** Last modification time. */
  readonly since: Date;
  /** ` from <ip>` — set when the route came from an address other than its gateway. */
  readonly from?: string;
  /** Selected (best) route: ` *`. */
  readonly primary: boolean;
  /** Kernel sync failed for this network: ` !` instead of ` *`. */
  readonly syncError?: boolean;
  readonly preference: number;
  /** Present for BGP routes: the info column then is the BGP form. */
  readonly bgp?: BgpRouteInfo;
  // --- `show route all` ---
  /** After `Type: `, e.g. `BGP unicast univ`, `inherit unicast univ`, `static unicast univ`. */
  readonly type?: string;
  /** `\t<name>: <value>` lines, e.g. {name:'BGP.origin', value:'IGP'}. */
  readonly attributes?: readonly { readonly name: string; readonly value: string }[];
}

export interface RouteNet {
  /** Network text, e.g. `10.244.1.0/26`. */
  readonly prefix: string;
  /** Routes in table order (best first). The server still applies `protocol` and
   *  `primary` from the query, so a source may leave those to it. */
  readonly routes: readonly RouteEntry[];
  /** Routes counted for `X of <total> routes` when the source applied filters itself
   *  (default: routes.length, after the server's own protocol/primary handling). */
  readonly total?: number;
}

/**
 * What a source's route listing may yield in place of a net: it did a slice of work (the
 * table putting a big load into its trie's order) and needs the event loop to turn before the next.
 */
export const ROUTES_PAUSE: RouteNet = Object.freeze({ prefix: '', routes: [] });

// ---------------------------------------------------------------------------------------
// show interfaces / symbols / memory

export interface InterfaceAddress {
  readonly address: string;
  readonly prefixLength: number;
  readonly kind: 'Primary' | 'Secondary' | 'Unselected';
  /** Peer address of a point-to-point address (`, opposite <ip>`). */
  readonly opposite?: string;
  /** `host` `link` `site` `org` `univ` `undef`. */
  readonly scope: string;
}

export interface InterfaceStatus {
  readonly name: string;
  readonly index: number;
  /** IF_UP: `up` / `DOWN`. */
  readonly up: boolean;
  readonly multiAccess: boolean;
  readonly broadcast: boolean;
  readonly multicast: boolean;
  readonly adminUp: boolean;
  readonly linkUp: boolean;
  readonly loopback: boolean;
  readonly ignored: boolean;
  readonly mtu: number;
  /** The primary address (if any) is shown first, and in `show interfaces summary`. */
  readonly addresses: readonly InterfaceAddress[];
}

/** kind: 1.6's class names: `protocol`, `protocol template`, `filter`, `function`,
 *  `routing table`, `constant`, `ROA table`. */
export interface SymbolInfo {
  readonly name: string;
  readonly kind: string;
}

export interface MemoryUsage {
  /** Without the colon: `Routing tables`, `Route attributes`, `ROA tables`, `Protocols`, `Total`. */
  readonly name: string;
  readonly bytes: number;
}

// ---------------------------------------------------------------------------------------
// configure

export interface ConfigureRequest {
  /** `configure check`: parse only. */
  readonly check: boolean;
  /** `configure soft`: do not re-feed on filter changes. */
  readonly soft: boolean;
  /** `configure "<file>"`; undefined = the running config's file. */
  readonly file?: string;
  /** `configure timeout [n]`: seconds until automatic undo (default 300), 0 = none. */
  readonly timeout: number;
}

/** 1.6 config_commit results: done 0003, progress 0004, queued 0005, unqueued 0017,
 *  confirmed 0018, shutdown 0006, nothing 0019. */
export type ConfigureOutcome = 'done' | 'progress' | 'queued' | 'unqueued' | 'confirmed' | 'shutdown' | 'nothing';

export type ConfigureResult =
  /** The file that was read (printed first: `0002-Reading configuration from <file>`). */
  | { readonly file: string; readonly kind: 'error'; readonly message: string } // 8002 <message>, e.g. `<file>:<line>:<col> <msg>`
  | { readonly file: string; readonly kind: 'checked' } // 0020 Configuration OK
  | { readonly file: string; readonly kind: 'committed'; readonly outcome: ConfigureOutcome };

// ---------------------------------------------------------------------------------------

/** What the daemon gives the control server. Called on the event loop; methods should be
 *  cheap (status/protocols are called per command). routes() is consumed lazily across
 *  event-loop turns (the server yields between batches and waits for slow clients), so the
 *  iterator must tolerate table changes between items (snapshot or resumable cursor). */
export interface ControlSource {
  status(): DaemonStatus;
  /** In configuration order. */
  protocols(): readonly ProtocolStatus[];
  /** null: no routing table yet ⇒ `8004 Routing table not ready`. */
  routes(q: RouteQuery): Iterable<RouteNet> | null; // may yield ROUTES_PAUSE between nets
  interfaces(): readonly InterfaceStatus[];
  /** Symbols of the running configuration (protocols, filters, functions, tables, templates…). */
  symbols(): readonly SymbolInfo[];
  configure(req: ConfigureRequest): Promise<ConfigureResult>;
  /** `configure confirm` / `configure undo`; absent ⇒ `0019 Nothing to do`. */
  configureConfirm?(): ConfigureOutcome;
  configureUndo?(): Promise<ConfigureOutcome>;
  enable(name: string): ProtocolActionResult;
  disable(name: string): ProtocolActionResult;
  restart(name: string): ProtocolActionResult;
  /** `reload [in|out] <p>`; absent ⇒ every protocol answers `reload-failed`. */
  reload?(name: string, dir: ReloadDirection): ProtocolActionResult;
  /** `down`: called after `0007 Shutdown requested` was written. */
  down(): void;
  memory(): readonly MemoryUsage[];
}

// The configuration model: what a parsed BIRD 1.6 configuration means, as typed, deeply
// readonly data with BIRD's defaults applied (templates already merged, unnamed
// protocols already named `kernel1`, `bgp1`, …). The daemon reads only this; the printer
// (print.ts) and the reload planner (diff.ts) work on it too.
// Defaults are BIRD 1.6.8's (nest/config.Y, proto/bgp/config.Y, sysdep/unix/krt.Y,
// proto/static/config.Y). Addresses are canonical text (formatAddress), router ids and
// cluster ids unsigned 32-bit numbers, prefixes `Prefix` from src/rib/prefix.ts.
// Leaves out: tables other than the master table, pipes, BFD, RPKI/ROA.

import type { Prefix } from '../src/rib/prefix.js';
import type { CompiledFilter } from './filter/route.js';

export type ProtocolType = 'kernel' | 'device' | 'direct' | 'static' | 'bgp';

export type DebugFlag = 'states' | 'routes' | 'filters' | 'interfaces' | 'events' | 'packets';
export const ALL_DEBUG_FLAGS: readonly DebugFlag[] = ['states', 'routes', 'filters', 'interfaces', 'events', 'packets'];

/** Options every protocol has (nest/config.Y proto_item). */
export interface ProtocolBase {
  readonly name: string;
  readonly type: ProtocolType;
  /** `from <template>` as written, for `show` and golden files; the options are merged already. */
  readonly template?: string;
  readonly description?: string;
  readonly debug: readonly DebugFlag[];
  readonly disabled: boolean;
  /** Route preference: kernel 10, bgp 100, static 200, direct 240 (device 240, unused). */
  readonly preference: number;
  /** BIRD default `import all`. */
  readonly import: CompiledFilter;
  /** BIRD default `export none`. */
  readonly export: CompiledFilter;
  /** `receive limit`: routes received (before the import filter). */
  readonly receiveLimit?: RouteLimit;
  /** `import limit`: routes accepted into the table. */
  readonly importLimit?: RouteLimit;
  /** `export limit`: routes exported. */
  readonly exportLimit?: RouteLimit;
}

/** BIRD 1.6 route limits (nest/protocol.h `struct proto_limit`); default action disable. */
export interface RouteLimit {
  readonly limit: number;
  readonly action: 'warn' | 'block' | 'restart' | 'disable';
}

export interface KernelProtocolConfig extends ProtocolBase {
  readonly type: 'kernel';
  /** `learn`: import alien kernel routes. Default off. */
  readonly learn: boolean;
  /** `persist`: leave exported routes in the kernel on exit. Default off. */
  readonly persist: boolean;
  /** `scan time`, seconds. Default 60. */
  readonly scanTime: number;
  /** `device routes`. Default off. */
  readonly deviceRoutes: boolean;
  /** `kernel table`. Default 254 (main). */
  readonly kernelTable: number;
  /** `graceful restart`. Default off. */
  readonly gracefulRestart: boolean;
  /** `merge paths on [limit n]`: ECMP. Default off, limit 16. */
  readonly mergePaths: boolean;
  readonly mergePathsLimit: number;
}

export interface DeviceProtocolConfig extends ProtocolBase {
  readonly type: 'device';
  /** `scan time`, seconds. Default 60. */
  readonly scanTime: number;
}

/** One `interface` pattern: shell-style, `-` excludes; first match decides. */
export interface InterfacePattern {
  readonly pattern: string;
  readonly negated: boolean;
}

export interface DirectProtocolConfig extends ProtocolBase {
  readonly type: 'direct';
  /** In order; empty means every interface (BIRD's default). */
  readonly interfaces: readonly InterfacePattern[];
}

export type StaticRoute =
  | { readonly net: Prefix; readonly kind: 'via'; readonly via: string }
  | { readonly net: Prefix; readonly kind: 'recursive'; readonly via: string }
  | { readonly net: Prefix; readonly kind: 'device'; readonly iface: string }
  | { readonly net: Prefix; readonly kind: 'blackhole' | 'unreachable' | 'prohibit' };

export interface StaticProtocolConfig extends ProtocolBase {
  readonly type: 'static';
  readonly routes: readonly StaticRoute[];
  /** `check link`. Default off. */
  readonly checkLink: boolean;
}

export type GracefulRestartMode = 'off' | 'aware' | 'able';

/** `missing lladdr` (see BgpProtocolConfig.missingLladdr). */
export type MissingLladdr = 'self' | 'drop' | 'ignore';

export interface BgpProtocolConfig extends ProtocolBase {
  readonly type: 'bgp';
  /** `local [address] as n` */
  readonly localAs: number;
  /** `neighbor <ip> [port n] as n` */
  readonly neighborAddress: string;
  /** Default 179. */
  readonly neighborPort: number;
  readonly neighborAs: number;
  /** localAs === neighborAs. */
  readonly internal: boolean;
  /** `source address` (also `local <ip> as`): bind address and next hop for our routes. */
  readonly sourceAddress?: string;
  /**
   * `multihop [n]` / `direct` (BIRD 1.6: `direct` is multihop 0, a single-hop session even for
   * iBGP); resolved: 64 for iBGP without either, 0 (direct) for eBGP.
   */
  readonly multihop: number;
  /** `ttl security on|off` (GTSM, RFC 5082). Default off. */
  readonly ttlSecurity: boolean;
  /** `passive on`: never connect, only accept. */
  readonly passive: boolean;
  /** `password` (TCP-MD5, RFC 2385). */
  readonly password?: string;
  /** `next hop self` / `next hop keep`: each clears the other (BIRD 1.6), never both true. */
  readonly nextHopSelf: boolean;
  readonly nextHopKeep: boolean;
  /** `gateway direct|recursive`; resolved: direct for directly connected eBGP, else recursive. */
  readonly gateway: 'direct' | 'recursive';
  /** `add paths on|rx|tx` (RFC 7911). Default off. */
  readonly addPathsRx: boolean;
  readonly addPathsTx: boolean;
  /** `rr client` (RFC 4456). */
  readonly rrClient: boolean;
  /** `rr cluster id`; undefined ⇒ the router id. */
  readonly rrClusterId?: number;
  /** `rs client` */
  readonly rsClient: boolean;
  /**
   * `missing lladdr self|drop|ignore` (BIRD 1.6, IPv6): what goes out when a next hop on the
   * neighbour's link (or an empty one) has no link-local address beside it (RFC 2545 §3):
   * our own addresses, nothing (the routes are skipped), or the next hop alone. Resolved:
   * `ignore` for `rs client`, else `self` (bgp_check_config).
   */
  readonly missingLladdr: MissingLladdr;
  /** `allow local as [n]`: 0 = off (default); `allow local as;` alone = Infinity. */
  readonly allowLocalAs: number;
  /** `graceful restart [on|off|aware]`. Default aware. */
  readonly gracefulRestart: GracefulRestartMode;
  /** `graceful restart time`. Default 120. */
  readonly gracefulRestartTime: number;
  /**
   * `long lived graceful restart [on|off|aware]` (RFC 9494; BIRD 1.6.4+ and 2): `aware` keeps
   * LLGR-able peers' routes as LLGR-stale (helper), `able` ('on') also asks peers to keep
   * ours. Default aware, or off when `graceful restart` is off (BIRD bgp_postconfig).
   */
  readonly longLivedGracefulRestart: GracefulRestartMode;
  /** `long lived stale time`: the stale time we advertise when able. Default 3600. */
  readonly longLivedStaleTime: number;
  /** `hold time`. Default 240. */
  readonly holdTime: number;
  /** `startup hold time`. Default 240. */
  readonly startupHoldTime: number;
  /** `keepalive time`; resolved: the option, else holdTime / 3 (BIRD: negotiated hold / 3). */
  readonly keepaliveTime: number;
  /** Whether `keepalive time` was given (otherwise derive it from the negotiated hold time). */
  readonly keepaliveTimeSet: boolean;
  /** `connect delay time`. Default 5. */
  readonly connectDelayTime: number;
  /** `connect retry time`. Default 120. */
  readonly connectRetryTime: number;
  /** `error wait time min,max`. Default 60,300. */
  readonly errorWaitTimeMin: number;
  readonly errorWaitTimeMax: number;
  /** `error forget time`. Default 300. */
  readonly errorForgetTime: number;
  /** `default bgp_local_pref`. Default 100. */
  readonly defaultLocalPref: number;
  /** `default bgp_med`. Default 0. */
  readonly defaultMed: number;
  readonly interpretCommunities: boolean;
  readonly enableRouteRefresh: boolean;
  readonly enableAs4: boolean;
  /** `capabilities on|off`; resolved: on. */
  readonly capabilities: boolean;
  /**
   * Whether `capabilities` was given. BIRD 1.6 (IPv4): when it was not, a peer answering our
   * OPEN with NOTIFICATION 2/4 or 2/7 gets the next OPENs without capabilities (session.ts).
   */
  readonly capabilitiesSet: boolean;
  readonly advertiseIpv4: boolean;
  readonly deterministicMed: boolean;
  readonly igpMetric: boolean;
  readonly preferOlder: boolean;
  readonly medMetric: boolean;
  readonly pathMetric: boolean;
  readonly disableAfterError: boolean;
}

export type ProtocolConfig =
  | KernelProtocolConfig
  | DeviceProtocolConfig
  | DirectProtocolConfig
  | StaticProtocolConfig
  | BgpProtocolConfig;

export interface LogConfig {
  /** 'stderr', 'syslog', or a file name. */
  readonly target: string;
  /** `all` or the listed classes. */
  readonly classes: 'all' | readonly string[];
}

export interface ListenConfig {
  readonly address?: string;
  readonly port?: number;
  readonly v6only: boolean;
  readonly dual: boolean;
}

export interface FunctionConfig {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly type: string }[];
  /** Canonical text. */
  readonly text: string;
}

export interface FilterConfig {
  readonly name: string;
  /** Canonical text of the definition. */
  readonly text: string;
  readonly filter: CompiledFilter;
}

export interface Config {
  /** `router id`, unsigned 32-bit; undefined ⇒ pick from interfaces at run time. */
  readonly routerId?: number;
  readonly listen: ListenConfig;
  /** `graceful restart wait`, seconds. Default 240. */
  readonly gracefulRestartWait: number;
  readonly log: readonly LogConfig[];
  /** `debug protocols`: default debug flags of every protocol. */
  readonly debugProtocols: readonly DebugFlag[];
  /** `timeformat route|protocol|base|log "fmt" ["fmt2" limit]`, kept as text. */
  readonly timeformat: Readonly<Record<string, string>>;
  /** `define` constants, canonical text of their values. */
  readonly constants: Readonly<Record<string, string>>;
  readonly functions: readonly FunctionConfig[];
  readonly filters: readonly FilterConfig[];
  /** Protocols in definition order. */
  readonly protocols: readonly ProtocolConfig[];
  /** Every file read, main file first. */
  readonly files: readonly string[];
}

export const formatRouterId = (n: number): string =>
  `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** Deep-freezes plain data (not Uint8Array contents, not functions' closures). */
export function deepFreeze<T>(v: T): T {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v) || ArrayBuffer.isView(v)) return v;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  return v;
}

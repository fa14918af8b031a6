// BIRD 1.6's control-socket texts: the reply-line encoding (nest/cli.c cli_printf) and the
// exact line formats of `show status`, `show protocols [all]`, `show route [all]`,
// `show interfaces [summary]`, `show symbols`, `show memory`. Each printf format of 1.6 is
// quoted above the code that reproduces it. Transcripts: shared/calico/birdc-protocol.md.
//
// BIRD 2 lines, for what only BIRD 2 has (long-lived graceful restart, RFC 9494): the
// `Neighbor GR:` / `LL stale timer:` lines of bgp_show_proto_info (BIRD 2 prints them in the
// BGP channel's block, after `Last error`; here they end the BGP block, same text and
// indentation) and the `s` of an LLGR_STALE route in `show route` (bgp_get_route_info).
// Timers in whole seconds like every 1.6 timer (BIRD 2 `%t` adds milliseconds).
//
// Leaves out: other BIRD 2 formats; async `+` lines (`echo`).

import type {
  BgpDetails,
  DaemonStatus,
  InterfaceAddress,
  InterfaceStatus,
  MemoryUsage,
  ProtocolLimit,
  ProtocolStats,
  ProtocolStatus,
  RouteEntry,
  SymbolInfo,
} from './model.js';

// ---------------------------------------------------------------------------------------
// Reply encoding
//
//   DDDD-text    first line of a block with code DDDD (code differs from the last line sent)
//    text        continuation: one space, same code as the last line sent
//   DDDD text    final line of a reply (always carries its code)
//
// The "last code" memory is per connection and never reset (1.6 c->last_reply), so a reply
// whose first line repeats the previous reply's final code starts with a continuation.

/** Per-connection memory of the last code sent. */
export interface CodeMemory {
  last: number;
}

const code4 = (code: number): string => (code < 10 ? '000' : code < 100 ? '00' : code < 1000 ? '0' : '') + code;

/** One wire line, `\n` included. */
export function encodeLine(mem: CodeMemory, code: number, text: string, final: boolean): string {
  let out: string;
  if (final) out = `${code4(code)} ${text}\n`;
  else if (code === mem.last) out = ` ${text}\n`;
  else out = `${code4(code)}-${text}\n`;
  mem.last = code;
  return out;
}

/** Where renderers put lines. `pace()` lets the event loop turn and waits for slow readers;
 *  renderers of long lists await it every few hundred lines. */
export interface ReplySink {
  line(code: number, text: string): void;
  end(code: number, text: string): void;
  pace(): Promise<void>;
}

/** Collects lines into wire text (for tests and for small replies). */
export function stringSink(mem: CodeMemory = { last: 0 }): ReplySink & { text(): string } {
  const parts: string[] = [];
  return {
    line: (code, text) => void parts.push(encodeLine(mem, code, text, false)),
    end: (code, text) => void parts.push(encodeLine(mem, code, text, true)),
    pace: () => Promise.resolve(),
    text: () => parts.join(''),
  };
}

// ---------------------------------------------------------------------------------------
// Times (1.6 defaults): tf_base = "%F %T"; tf_proto = tf_route = "%T" when less than 20 h
// ago, else "%F". Local time, like strftime(localtime()).

const two = (n: number): string => (n < 10 ? '0' : '') + n;

/** `YYYY-MM-DD HH:MM:SS` (show status). */
export function formatBaseTime(d: Date): string {
  return `${formatDate(d)} ${formatClock(d)}`;
}

function formatDate(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

function formatClock(d: Date): string {
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const TWENTY_HOURS_MS = 20 * 3600 * 1000;

/** `HH:MM:SS` if less than 20 h before `now`, else `YYYY-MM-DD` — always one token. */
export function formatShortTime(d: Date, now: Date): string {
  return now.getTime() - d.getTime() < TWENTY_HOURS_MS ? formatClock(d) : formatDate(d);
}

/** Memoises formatShortTime for a run of routes (many share a timestamp). */
export function shortTimeFormatter(now: Date): (d: Date) => string {
  let lastMs = NaN;
  let lastText = '';
  return (d) => {
    const ms = d.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = formatShortTime(d, now);
    }
    return lastText;
  };
}

const padEnd = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padStart = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const u10 = (n: number): string => padStart(String(n), 10);

// ---------------------------------------------------------------------------------------
// show status (cmd_show_status, graceful_restart_show_status)

export function renderStatus(sink: ReplySink, s: DaemonStatus): void {
  sink.line(1000, `BIRD ${s.version}`);
  sink.line(1011, `Router ID is ${s.routerId}`);
  sink.line(1011, `Current server time is ${formatBaseTime(s.serverTime)}`);
  sink.line(1011, `Last reboot on ${formatBaseTime(s.lastReboot)}`);
  sink.line(1011, `Last reconfiguration on ${formatBaseTime(s.lastReconfiguration)}`);
  const gr = s.gracefulRestart;
  if (gr) {
    sink.line(24, 'Graceful restart recovery in progress');
    sink.line(24, `  Waiting for ${gr.waitingFor} protocols to recover`);
    sink.line(24, `  Wait timer is ${gr.waitTimerLeft}/${gr.waitTimerTotal}`);
  }
  if (s.shuttingDown) sink.end(13, 'Shutdown in progress');
  else if (s.reconfiguring) sink.end(13, 'Reconfiguration in progress');
  else sink.end(13, 'Daemon is up and running');
}

// ---------------------------------------------------------------------------------------
// show protocols (proto_cmd_show)

export const PROTOCOLS_HEADING = 'name     proto    table    state  since       info';

/** `"%-8s %-8s %-8s %-5s  %-10s  %s"`: name, proto, table, state, since, info. */
export function protocolRow(p: ProtocolStatus, now: Date): string {
  return `${padEnd(p.name, 8)} ${padEnd(p.proto, 8)} ${padEnd(p.table, 8)} ${padEnd(p.state, 5)}  ${padEnd(
    formatShortTime(p.since, now),
    10,
  )}  ${p.info}`;
}

const BGP_ERROR_CLASSES = ['', 'Error: ', 'Socket: ', 'Received: ', 'BGP Error: ', 'Automatic shutdown: '] as const;
export { BGP_ERROR_CLASSES };

/**
 * The info column of a BGP protocol (bgp_get_status): when the protocol is down only the
 * last error (`<class><text>`, often empty), else `"%-14s%s%s"` = state word padded to 14
 * then the last error, e.g. `Established   `, `Active        Socket: Connection refused`.
 */
export function bgpStatusInfo(protocolDown: boolean, state: string, lastError = ''): string {
  return protocolDown ? lastError : padEnd(state, 14) + lastError;
}

/** proto_show_stats. */
function renderStats(sink: ReplySink, s: ProtocolStats): void {
  if (s.filteredRoutes !== undefined)
    sink.line(
      1006,
      `  Routes:         ${s.importedRoutes} imported, ${s.filteredRoutes} filtered, ${s.exportedRoutes} exported, ${s.preferredRoutes} preferred`,
    );
  else
    sink.line(1006, `  Routes:         ${s.importedRoutes} imported, ${s.exportedRoutes} exported, ${s.preferredRoutes} preferred`);
  sink.line(1006, '  Route change stats:     received   rejected   filtered    ignored   accepted');
  const iu = s.importUpdates;
  sink.line(1006, `    Import updates:     ${u10(iu.received)} ${u10(iu.rejected)} ${u10(iu.filtered)} ${u10(iu.ignored)} ${u10(iu.accepted)}`);
  const iw = s.importWithdraws;
  sink.line(1006, `    Import withdraws:   ${u10(iw.received)} ${u10(iw.rejected)}        --- ${u10(iw.ignored)} ${u10(iw.accepted)}`);
  const eu = s.exportUpdates;
  sink.line(1006, `    Export updates:     ${u10(eu.received)} ${u10(eu.rejected)} ${u10(eu.filtered)}        --- ${u10(eu.accepted)}`);
  const ew = s.exportWithdraws;
  sink.line(1006, `    Export withdraws:   ${u10(ew.received)}        ---        ---        --- ${u10(ew.accepted)}`);
}

/** proto_show_limit: `"  %-16s%d%s"` then `    Action:       <action>`. */
function renderLimit(sink: ReplySink, l: ProtocolLimit | undefined, dsc: string): void {
  if (!l) return;
  sink.line(1006, `  ${padEnd(dsc, 16)}${l.limit}${l.hit ? ' [HIT]' : ''}`);
  sink.line(1006, `    Action:       ${l.action}`);
}

/** proto_show_basic_info. */
function renderBasicInfo(sink: ReplySink, p: ProtocolStatus, grActive: boolean): void {
  sink.line(1006, `  Preference:     ${p.preference}`);
  sink.line(1006, `  Input filter:   ${p.inputFilter}`);
  sink.line(1006, `  Output filter:  ${p.outputFilter}`);
  if (grActive)
    sink.line(1006, `  GR recovery:   ${p.grRecovery?.pending ? ' pending' : ''}${p.grRecovery?.waiting ? ' waiting' : ''}`);
  renderLimit(sink, p.receiveLimit, 'Receive limit:');
  renderLimit(sink, p.importLimit, 'Import limit:');
  renderLimit(sink, p.exportLimit, 'Export limit:');
  if (p.stats && p.state !== 'down' && p.state !== 'flush') renderStats(sink, p.stats);
}

const timer = (t: { remaining: number; total: number }): string => `${t.remaining}/${t.total}`;

/** bgp_show_proto_info, after the basic block. */
function renderBgp(sink: ReplySink, b: BgpDetails): void {
  sink.line(1006, `  BGP state:          ${b.state}`);
  sink.line(1006, `    Neighbor address: ${b.neighborAddress}`);
  sink.line(1006, `    Neighbor AS:      ${b.neighborAs}`);
  if (b.neighborGracefulRestartActive) sink.line(1006, '    Neighbor graceful restart active');
  if (b.errorWait) sink.line(1006, `    Error wait:       ${timer(b.errorWait)}`);
  if (b.connectDelay) sink.line(1006, `    Connect delay:    ${timer(b.connectDelay)}`);
  if (b.restartTimer !== undefined) sink.line(1006, `    Restart timer:    ${b.restartTimer}/-`);
  if (b.neighborId !== undefined) sink.line(1006, `    Neighbor ID:      ${b.neighborId}`);
  if (b.neighborCaps) sink.line(1006, `    Neighbor caps:   ${b.neighborCaps.map((c) => ' ' + c).join('')}`);
  if (b.session) sink.line(1006, `    Session:          ${b.session.join(' ')}`);
  if (b.sourceAddress !== undefined) sink.line(1006, `    Source address:   ${b.sourceAddress}`);
  if (b.routeLimit) sink.line(1006, `    Route limit:      ${b.routeLimit.used}/${b.routeLimit.limit}`);
  if (b.holdTimer) sink.line(1006, `    Hold timer:       ${timer(b.holdTimer)}`);
  if (b.keepaliveTimer) sink.line(1006, `    Keepalive timer:  ${timer(b.keepaliveTimer)}`);
  if (b.lastError) sink.line(1006, `    Last error:       ${b.lastError}`);
  // BIRD 2 (channel block): "    Neighbor GR:    %s", "    LL stale timer: %t/-".
  if (b.neighborGr !== undefined) sink.line(1006, `    Neighbor GR:    ${b.neighborGr}`);
  if (b.llStaleTimer !== undefined) sink.line(1006, `    LL stale timer: ${b.llStaleTimer}/-`);
}

/** One protocol of `show protocols [all]`; the caller prints the heading before the first. */
export function renderProtocol(sink: ReplySink, p: ProtocolStatus, verbose: boolean, grActive: boolean, now: Date): void {
  sink.line(1002, protocolRow(p, now));
  if (!verbose) return;
  if (p.description !== undefined) sink.line(1006, `  Description:    ${p.description}`);
  if (p.routerId !== undefined) sink.line(1006, `  Router ID:      ${p.routerId}`);
  renderBasicInfo(sink, p, grActive);
  if (p.bgp) renderBgp(sink, p.bgp);
  sink.line(1006, '');
}

// ---------------------------------------------------------------------------------------
// show route (rt_show_rte, rt_format_via, bgp_get_route_info, rta_show)
//
//   "%-18s %s [%s %s%s]%s%s"  prefix (blank after the network's first shown route), via,
//                             protocol, time, " from <ip>", " *"/" !", info

function via(r: RouteEntry): string {
  const d = r.dest;
  switch (d.kind) {
    case 'router':
      return `via ${d.gateway} on ${d.iface}`;
    case 'device':
      return `dev ${d.iface}`;
    case 'blackhole':
      return 'blackhole';
    case 'unreachable':
      return 'unreachable';
    case 'prohibited':
      return 'prohibited';
    case 'multipath':
      return 'multipath';
  }
}

/** The info column: ` (pref)` or the BGP form ` (pref[-][s][/igp]) [AS<n><origin>]`
 *  (`s`: LLGR-stale, BIRD 2). */
export function routeInfo(r: RouteEntry): string {
  const b = r.bgp;
  if (!b) return ` (${r.preference})`;
  let s = ` (${r.preference}`;
  if (b.suppressed) s += '-';
  if (b.stale) s += 's';
  if (b.igpMetric !== undefined)
    s += b.igpMetric === 'unresolvable' ? '/-' : b.igpMetric === 'unknown' ? '/?' : `/${b.igpMetric}`;
  s += ') [';
  if (b.originAs !== undefined) s += `AS${b.originAs}`;
  if (b.origin !== undefined) s += b.origin;
  return s + ']';
}

/** The 1007 line of one route; `prefixText` is '' for the network's later routes. */
export function routeLine(prefixText: string, r: RouteEntry, time: string): string {
  const from = r.from !== undefined ? ` from ${r.from}` : '';
  const mark = r.primary ? (r.syncError ? ' !' : ' *') : '';
  return `${padEnd(prefixText, 18)} ${via(r)} [${r.protocol} ${time}${from}]${mark}${routeInfo(r)}`;
}

/** A route with its multipath next hops and, when verbose, its attributes. */
export function renderRoute(sink: ReplySink, prefixText: string, r: RouteEntry, verbose: boolean, time: string): void {
  sink.line(1007, routeLine(prefixText, r, time));
  if (r.dest.kind === 'multipath')
    for (const nh of r.dest.nexthops) sink.line(1007, `\tvia ${nh.gateway} on ${nh.iface} weight ${nh.weight}`);
  if (verbose) {
    if (r.type !== undefined) sink.line(1008, `\tType: ${r.type}`);
    if (r.attributes) for (const a of r.attributes) sink.line(1012, `\t${a.name}: ${a.value}`);
  }
}

export const routeCountText = (shown: number, routes: number, networks: number): string =>
  `${shown} of ${routes} routes for ${networks} networks`;

// ---------------------------------------------------------------------------------------
// show interfaces [summary] (if_show, if_show_addr, if_show_summary)

function primaryAddress(i: InterfaceStatus): InterfaceAddress | undefined {
  return i.addresses.find((a) => a.kind === 'Primary');
}

function addressLine(a: InterfaceAddress): string {
  const opp = a.opposite !== undefined ? `, opposite ${a.opposite}` : '';
  return `\t${a.address}/${a.prefixLength} (${a.kind}${opp}, scope ${a.scope})`;
}

export function renderInterfaces(sink: ReplySink, list: readonly InterfaceStatus[]): void {
  for (const i of list) {
    sink.line(1001, `${i.name} ${i.up ? 'up' : 'DOWN'} (index=${i.index})`);
    sink.line(
      1004,
      `\t${i.multiAccess ? 'MultiAccess' : 'PtP'}${i.broadcast ? ' Broadcast' : ''}${i.multicast ? ' Multicast' : ''} Admin${
        i.adminUp ? 'Up' : 'Down'
      } Link${i.linkUp ? 'Up' : 'Down'}${i.loopback ? ' Loopback' : ''}${i.ignored ? ' Ignored' : ''} MTU=${i.mtu}`,
    );
    const prim = primaryAddress(i);
    if (prim) sink.line(1003, addressLine(prim));
    for (const a of i.addresses) if (a !== prim) sink.line(1003, addressLine(a));
  }
  sink.end(0, '');
}

/** `"%-9s %-5s %s"` under the heading `interface state address`. */
export function renderInterfacesSummary(sink: ReplySink, list: readonly InterfaceStatus[]): void {
  sink.line(2005, 'interface state address');
  for (const i of list) {
    const a = primaryAddress(i);
    sink.line(1005, `${padEnd(i.name, 9)} ${padEnd(i.up ? 'up' : 'DOWN', 5)} ${a ? `${a.address}/${a.prefixLength}` : ''}`);
  }
  sink.end(0, '');
}

// ---------------------------------------------------------------------------------------
// show symbols (cmd_show_symbols): "%-8s\t%s"

export const symbolLine = (s: SymbolInfo): string => `${padEnd(s.name, 8)}\t${s.kind}`;

export function renderSymbols(sink: ReplySink, list: readonly SymbolInfo[]): void {
  for (const s of list) sink.line(1010, symbolLine(s));
  sink.end(0, '');
}

// ---------------------------------------------------------------------------------------
// show memory (cmd_show_memory, print_size): "%-17s %4u %cB", scaled while >= 10000

export function memoryLine(name: string, bytes: number): string {
  const units = ' kMG';
  let val = bytes;
  let i = 0;
  while (val >= 10000 && i < 3) {
    val = Math.floor((val + 512) / 1024);
    i++;
  }
  return `${padEnd(name + ':', 17)} ${padStart(String(val), 4)} ${units[i]}B`;
}

export function renderMemory(sink: ReplySink, rows: readonly MemoryUsage[]): void {
  sink.line(1018, 'BIRD memory usage');
  for (const r of rows) sink.line(1018, memoryLine(r.name, r.bytes));
  if (!rows.some((r) => r.name === 'Total'))
    sink.line(1018, memoryLine('Total', rows.reduce((n, r) => n + r.bytes, 0)));
  sink.end(0, '');
}

// Prometheus metrics (prom-client) on an HTTP port: off by default, bound to 127.0.0.1 only
// when `--metrics-port <n>` asks for it (DESIGN §1: /metrics beside the control socket).
//
// PULL model: nothing on the hot path counts anything for us. Every metric has a collect()
// callback that reads the daemon's existing state at scrape time through a MetricsSource
// (BGP session counters, channel and Adj-RIB-Out stats, table and attribute-set stats,
// reload counts); one snapshot of the source is taken per scrape and shared by all metrics.
// Process memory, CPU, GC and event-loop lag come from prom-client's default metrics
// (`process_*`, `nodejs_*`, e.g. `nodejs_eventloop_lag_seconds`, `nodejs_heap_size_used_bytes`).
//
// Metric names (labels: protocol = BIRD protocol name, peer = neighbour address):
//   wren_info{version}                                       1
//   wren_protocol_state{protocol,proto,state}                one-hot over down/start/up/stop
//   wren_bgp_session_state{protocol,peer,state}              one-hot over the RFC 4271 §8 states
//   wren_bgp_established_total{protocol,peer}                times the session reached Established
//   wren_bgp_updates_received_total / _sent_total{protocol,peer}
//   wren_bgp_messages_received_total / _sent_total{protocol,peer}
//   wren_bgp_prefixes_received{protocol,peer}                Adj-RIB-In, pre-policy
//   wren_bgp_prefixes_accepted{protocol,peer}                routes of the peer in the table
//   wren_bgp_prefixes_advertised{protocol,peer}              Adj-RIB-Out, sent to the peer
//   wren_table_nets, wren_table_routes                       master table
//   wren_attr_sets, wren_attr_sets_bytes                     interned attribute sets
//   wren_reloads_total, wren_reload_failures_total           SIGHUP / `configure`
//   wren_fib_routes                                          routes we hold in the kernel
//   wren_fib_operations_total{op}, wren_fib_failures_total{op}  op = add|replace|delete
//   wren_fib_resyncs_total                                   full re-dumps (netlink ENOBUFS)
// BGP counters restart from 0 when a protocol is restarted (a new session object):
// Prometheus' rate() treats that as a counter reset.
//
// FIB: the kernel syncer (fib/kernel.ts) calls registerFibStats() (fib-stats.ts, free of
// prom-client so that the daemon loads this file only with --metrics-port) with a reader of
// its own counters; the FIB series are the sum over registered readers and read 0 until one
// registers. The registry is process-wide (one daemon per process in production).
//
// Leaves out: push gateway, OpenMetrics exemplars, per-prefix series, TLS/auth on the port
// (it is loopback-only).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BgpProtocol } from './bgp/protocol.js';
import { FIB_OPS, registeredFibStats, type FibOp, type FibStats } from './fib-stats.js';
export { FIB_OPS, registerFibStats, registeredFibStats, type FibOp, type FibStats } from './fib-stats.js';
import { stats as attrSetStats } from './rib/attr-set.js';
import type { Protocol } from './protocol.js';
import type { RoutingTable } from './rib/table.js';
import { WREN_VERSION } from './version.js';

// ---- the source ---------------------------------------------------------------------------

export interface BgpSample {
  /** RFC 4271 §8 state name: Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  sessionState: string;
  neighbor: string;
  updatesIn: number;
  updatesOut: number;
  messagesIn: number;
  messagesOut: number;
  prefixesReceived: number;
  prefixesAccepted: number;
  prefixesAdvertised: number;
  /** Times the session reached Established (optional: 0 when absent). */
  establishedCount?: number;
}

export interface ProtocolSample {
  name: string;
  /** BIRD's protocol type name: BGP, Static, Kernel, Device, Direct. */
  protoName: string;
  /** BIRD's protocol state: down, start, up, stop. */
  state: string;
  bgp?: BgpSample;
}

/** What the metrics read at scrape time. */
export interface MetricsSource {
  protocols(): Iterable<ProtocolSample>;
  table(): { nets: number; routes: number };
  attrSets(): { count: number; bytes: number };
  reloads(): { ok: number; failed: number };
  /** FIB counters; when absent, the process-wide registerFibStats() readers are used. */
  fib?(): Iterable<FibStats>;
}

// ---- the adapter over the real daemon -----------------------------------------------------

/** The parts of daemon.ts's Daemon the metrics read. */
export interface DaemonLike {
  readonly protocols: ReadonlyMap<string, Protocol>;
  readonly table: RoutingTable;
  readonly reloads: number;
  readonly reloadFailures: number;
}

function sampleOf(p: Protocol): ProtocolSample {
  if (!(p instanceof BgpProtocol)) return { name: p.name, protoName: p.protoName, state: p.state };
  const st = p.session.stats;
  return {
    name: p.name,
    protoName: p.protoName,
    state: p.state,
    bgp: {
      sessionState: p.session.state,
      neighbor: p.config.neighborAddress,
      updatesIn: st.updatesIn,
      updatesOut: st.updatesOut,
      messagesIn: st.messagesIn,
      messagesOut: st.messagesOut,
      prefixesReceived: p.receivedCount,
      prefixesAccepted: p.channel.stats.imported,
      prefixesAdvertised: p.adjRibOutStats?.advertised ?? 0,
      establishedCount: st.establishedCount,
    },
  };
}

/** A MetricsSource reading a running Daemon (src/daemon.ts). */
export function daemonMetricsSource(daemon: DaemonLike): MetricsSource {
  return {
    protocols: () => [...daemon.protocols.values()].map(sampleOf),
    table: () => daemon.table.stats(),
    attrSets: () => {
      const s = attrSetStats();
      return { count: s.count, bytes: s.bytes };
    },
    reloads: () => ({ ok: daemon.reloads, failed: daemon.reloadFailures }),
    fib: registeredFibStats,
  };
}

// ---- the registry ---------------------------------------------------------------------------

interface Snapshot {
  readonly protocols: readonly ProtocolSample[];
  readonly table: { nets: number; routes: number };
  readonly attrSets: { count: number; bytes: number };
  readonly reloads: { ok: number; failed: number };
  readonly fib: FibStats;
}

function snapshotOf(source: MetricsSource): Snapshot {
  const fib = { routes: 0, resyncs: 0, operations: { add: 0, replace: 0, delete: 0 }, failures: { add: 0, replace: 0, delete: 0 } };
  for (const f of source.fib ? source.fib() : registeredFibStats()) {
    fib.routes += f.routes;
    fib.resyncs += f.resyncs;
    for (const op of FIB_OPS) {
      fib.operations[op] += f.operations[op];
      fib.failures[op] += f.failures[op];
    }
  }
  return { protocols: [...source.protocols()], table: source.table(), attrSets: source.attrSets(), reloads: source.reloads(), fib };
}

export const PROTOCOL_STATES = ['down', 'start', 'up', 'stop'] as const;
export const BGP_STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;

type Labels = Record<string, string>;
type Emit = (labels: Labels, value: number) => void;

export interface Metrics {
  readonly registry: Registry;
  /** The exposition text of one scrape (one snapshot of the source). */
  render(): Promise<string>;
  readonly contentType: string;
}

/** A registry with Wren's metrics over `source`, plus prom-client's default process metrics. */
export function createMetrics(source: MetricsSource, opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  let current: Snapshot | null = null;
  const snap = (): Snapshot => current ?? snapshotOf(source);

  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (s: Snapshot, emit: Emit) => void): void => {
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        fill(snap(), (labels, v) => (labelNames.length ? this.set(labels, v) : this.set(v)));
      },
    });
  };
  const counter = (name: string, help: string, labelNames: readonly string[], fill: (s: Snapshot, emit: Emit) => void): void => {
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        fill(snap(), (labels, v) => (labelNames.length ? this.inc(labels, v) : this.inc(v)));
      },
    });
  };
  const perPeer = (pick: (b: BgpSample) => number) => (s: Snapshot, emit: Emit) => {
    for (const p of s.protocols) if (p.bgp) emit({ protocol: p.name, peer: p.bgp.neighbor }, pick(p.bgp));
  };
  const PEER = ['protocol', 'peer'];

  gauge('wren_info', 'Wren build information (always 1).', ['version'], (_s, emit) => emit({ version: WREN_VERSION }, 1));
  gauge('wren_protocol_state', 'Protocol state as `show protocols` prints it, one-hot (1 for the current state).', ['protocol', 'proto', 'state'], (s, emit) => {
    for (const p of s.protocols) {
      for (const st of PROTOCOL_STATES) emit({ protocol: p.name, proto: p.protoName, state: st }, p.state === st ? 1 : 0);
    }
  });
  gauge('wren_bgp_session_state', 'BGP session FSM state (RFC 4271 §8), one-hot (1 for the current state).', ['protocol', 'peer', 'state'], (s, emit) => {
    for (const p of s.protocols) {
      if (!p.bgp) continue;
      for (const st of BGP_STATES) emit({ protocol: p.name, peer: p.bgp.neighbor, state: st }, p.bgp.sessionState === st ? 1 : 0);
    }
  });
  counter('wren_bgp_established_total', 'Times the BGP session reached Established.', PEER, perPeer((b) => b.establishedCount ?? 0));
  counter('wren_bgp_updates_received_total', 'BGP UPDATE messages received.', PEER, perPeer((b) => b.updatesIn));
  counter('wren_bgp_updates_sent_total', 'BGP UPDATE messages sent.', PEER, perPeer((b) => b.updatesOut));
  counter('wren_bgp_messages_received_total', 'BGP messages received (all types).', PEER, perPeer((b) => b.messagesIn));
  counter('wren_bgp_messages_sent_total', 'BGP messages sent (all types).', PEER, perPeer((b) => b.messagesOut));
  gauge('wren_bgp_prefixes_received', 'Prefixes (paths) received from the peer, before the import filter (Adj-RIB-In).', PEER, perPeer((b) => b.prefixesReceived));
  gauge('wren_bgp_prefixes_accepted', 'Prefixes from the peer accepted by the import filter (in the table).', PEER, perPeer((b) => b.prefixesAccepted));
  gauge('wren_bgp_prefixes_advertised', 'Prefixes advertised to the peer (Adj-RIB-Out).', PEER, perPeer((b) => b.prefixesAdvertised));
  gauge('wren_table_nets', 'Networks in the master routing table.', [], (s, emit) => emit({}, s.table.nets));
  gauge('wren_table_routes', 'Routes (all candidates) in the master routing table.', [], (s, emit) => emit({}, s.table.routes));
  gauge('wren_attr_sets', 'Interned route attribute sets.', [], (s, emit) => emit({}, s.attrSets.count));
  gauge('wren_attr_sets_bytes', 'Estimated heap bytes held by interned attribute sets.', [], (s, emit) => emit({}, s.attrSets.bytes));
  counter('wren_reloads_total', 'Successful configuration reloads (SIGHUP or `configure`).', [], (s, emit) => emit({}, s.reloads.ok));
  counter('wren_reload_failures_total', 'Configuration reloads rejected (old configuration kept).', [], (s, emit) => emit({}, s.reloads.failed));
  gauge('wren_fib_routes', 'Routes of ours installed in the kernel FIB.', [], (s, emit) => emit({}, s.fib.routes));
  counter('wren_fib_operations_total', 'Kernel FIB operations sent over netlink.', ['op'], (s, emit) => {
    for (const op of FIB_OPS) emit({ op }, s.fib.operations[op]);
  });
  counter('wren_fib_failures_total', 'Kernel FIB operations the kernel refused.', ['op'], (s, emit) => {
    for (const op of FIB_OPS) emit({ op }, s.fib.failures[op]);
  });
  counter('wren_fib_resyncs_total', 'Full FIB re-dumps and reconciliations (netlink overflow).', [], (s, emit) => emit({}, s.fib.resyncs));

  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    async render(): Promise<string> {
      // prom-client runs every collect() synchronously inside metrics() before its first
      // await, so the snapshot is shared by the whole scrape; `snap()` re-reads if not.
      current = snapshotOf(source);
      const text = registry.metrics();
      current = null;
      return text;
    },
  };
}

// ---- the HTTP endpoint ----------------------------------------------------------------------

export const METRICS_HOST = '127.0.0.1';

/**
 * Serves GET /metrics on 127.0.0.1:`port` (0 picks a free port; the bound one is returned).
 * Rejects when the port cannot be bound.
 */
export async function startMetricsServer(source: MetricsSource, port: number): Promise<{ close(): Promise<void>; port: number }> {
  const metrics = createMetrics(source);
  const server = createServer((req, res) => void handle(metrics, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: METRICS_HOST, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        metrics.registry.clear();
      }),
  };
}

async function handle(metrics: Metrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method Not Allowed\n');
    return;
  }
  if (path === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body><a href="/metrics">/metrics</a></body></html>\n');
    return;
  }
  if (path !== '/metrics') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
    return;
  }
  let body: string;
  try {
    body = await metrics.render();
  } catch (e) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`);
    return;
  }
  res.writeHead(200, { 'Content-Type': metrics.contentType });
  res.end(req.method === 'HEAD' ? undefined : body);
}

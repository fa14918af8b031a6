// Prometheus metrics (src/metrics.ts): real HTTP scrapes of startMetricsServer over a fake
// MetricsSource (every value asserted exactly), over two real in-process Daemons peering on
// loopback (127.0.0.1 ↔ 127.0.0.2, one exporting a static route), the loopback-only bind,
// and "off by default": a daemon process started without --metrics-port listens on no TCP port.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, readdirSync, readlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMetricsServer, registerFibStats, daemonMetricsSource, createMetrics, type MetricsSource, type ProtocolSample } from '../../src/metrics.js';
import { Daemon } from '../../src/daemon.js';
import { Logger, LogLevel } from '../../src/log.js';
import type { DaemonOptions } from '../../src/main.js';
import { until } from '../helpers/poll.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wren-metrics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// ---- helpers --------------------------------------------------------------------------------

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path = '/metrics', method = 'GET', host = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Exposition text → `name{a="x",b="y"}` (labels sorted) → value. */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    assert.ok(m, `unparsable exposition line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort();
    const key = labels.length ? `${m[1]}{${labels.join(',')}}` : m[1]!;
    assert.ok(!out.has(key), `duplicate series ${key}`);
    out.set(key, Number(m[3]));
  }
  return out;
}

/** Series key with labels sorted, as parseExposition makes them. */
function key(name: string, labels: Record<string, string> = {}): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort();
  return l.length ? `${name}{${l.join(',')}}` : name;
}

function value(series: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const k = key(name, labels);
  const v = series.get(k);
  assert.ok(v !== undefined, `no series ${k}`);
  return v;
}

/** TYPE lines: metric name → prometheus type. */
function types(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** A port free on both 127.0.0.1 and 127.0.0.2. */
async function freePort(): Promise<number> {
  for (;;) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const s2 = createServer();
    const ok = await new Promise<boolean>((r) => {
      s2.once('error', () => r(false));
      s2.listen(port, '127.0.0.2', () => r(true));
    });
    if (ok) {
      await new Promise<void>((r) => s2.close(() => r()));
      return port;
    }
  }
}

function connectResult(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

// ---- a fake source ----------------------------------------------------------------------------

const fakeProtocols: ProtocolSample[] = [
  {
    name: 'Mesh_192_0_2_2',
    protoName: 'BGP',
    state: 'up',
    bgp: {
      sessionState: 'Established', neighbor: '192.0.2.2', updatesIn: 17, updatesOut: 5, messagesIn: 40, messagesOut: 31,
      prefixesReceived: 12, prefixesAccepted: 10, prefixesAdvertised: 3, establishedCount: 2,
    },
  },
  {
    name: 'Node_2001_db8__9',
    protoName: 'BGP',
    state: 'start',
    bgp: {
      sessionState: 'Active', neighbor: '2001:db8::9', updatesIn: 0, updatesOut: 0, messagesIn: 0, messagesOut: 1,
      prefixesReceived: 0, prefixesAccepted: 0, prefixesAdvertised: 0,
    },
  },
  { name: 'static1', protoName: 'Static', state: 'up' },
];

const fakeSource = (withFib: boolean): MetricsSource => ({
  protocols: () => fakeProtocols,
  table: () => ({ nets: 1234, routes: 2345 }),
  attrSets: () => ({ count: 56, bytes: 78901 }),
  reloads: () => ({ ok: 4, failed: 1 }),
  ...(withFib
    ? {
        fib: () => [
          { routes: 7, resyncs: 1, operations: { add: 9, replace: 2, delete: 3 }, failures: { add: 1, replace: 0, delete: 2 } },
          { routes: 1, resyncs: 0, operations: { add: 1, replace: 0, delete: 0 }, failures: { add: 0, replace: 0, delete: 0 } },
        ],
      }
    : {}),
});

test('a scrape over a fake source reports every value exactly, with the right types', async () => {
  const server = await startMetricsServer(fakeSource(true), 0);
  try {
    const r = await get(server.port);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const s = parseExposition(r.body);
    const m1 = { protocol: 'Mesh_192_0_2_2', peer: '192.0.2.2' };
    const m2 = { protocol: 'Node_2001_db8__9', peer: '2001:db8::9' };

    // Session state, one-hot over the six FSM states.
    for (const st of ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established']) {
      assert.equal(value(s, 'wren_bgp_session_state', { ...m1, state: st }), st === 'Established' ? 1 : 0, st);
      assert.equal(value(s, 'wren_bgp_session_state', { ...m2, state: st }), st === 'Active' ? 1 : 0, st);
    }
    // Protocol state, one-hot, for every protocol (also non-BGP).
    for (const st of ['down', 'start', 'up', 'stop']) {
      assert.equal(value(s, 'wren_protocol_state', { protocol: 'static1', proto: 'Static', state: st }), st === 'up' ? 1 : 0);
      assert.equal(value(s, 'wren_protocol_state', { protocol: 'Node_2001_db8__9', proto: 'BGP', state: st }), st === 'start' ? 1 : 0);
    }
    assert.equal(value(s, 'wren_bgp_updates_received_total', m1), 17);
    assert.equal(value(s, 'wren_bgp_updates_sent_total', m1), 5);
    assert.equal(value(s, 'wren_bgp_messages_received_total', m1), 40);
    assert.equal(value(s, 'wren_bgp_messages_sent_total', m1), 31);
    assert.equal(value(s, 'wren_bgp_messages_sent_total', m2), 1);
    assert.equal(value(s, 'wren_bgp_prefixes_received', m1), 12);
    assert.equal(value(s, 'wren_bgp_prefixes_accepted', m1), 10);
    assert.equal(value(s, 'wren_bgp_prefixes_advertised', m1), 3);
    assert.equal(value(s, 'wren_bgp_established_total', m1), 2);
    assert.equal(value(s, 'wren_bgp_established_total', m2), 0);
    // No per-peer series for the static protocol.
    assert.ok(![...s.keys()].some((k) => k.startsWith('wren_bgp_') && k.includes('static1')));
    assert.equal(value(s, 'wren_table_nets'), 1234);
    assert.equal(value(s, 'wren_table_routes'), 2345);
    assert.equal(value(s, 'wren_attr_sets'), 56);
    assert.equal(value(s, 'wren_attr_sets_bytes'), 78901);
    assert.equal(value(s, 'wren_reloads_total'), 4);
    assert.equal(value(s, 'wren_reload_failures_total'), 1);
    // FIB: summed over the kernel protocols.
    assert.equal(value(s, 'wren_fib_routes'), 8);
    assert.equal(value(s, 'wren_fib_resyncs_total'), 1);
    assert.equal(value(s, 'wren_fib_operations_total', { op: 'add' }), 10);
    assert.equal(value(s, 'wren_fib_operations_total', { op: 'replace' }), 2);
    assert.equal(value(s, 'wren_fib_operations_total', { op: 'delete' }), 3);
    assert.equal(value(s, 'wren_fib_failures_total', { op: 'add' }), 1);
    assert.equal(value(s, 'wren_fib_failures_total', { op: 'replace' }), 0);
    assert.equal(value(s, 'wren_fib_failures_total', { op: 'delete' }), 2);
    assert.equal(value(s, 'wren_info', { version: '0.1.0' }), 1);

    const t = types(r.body);
    for (const c of ['wren_bgp_updates_received_total', 'wren_bgp_messages_sent_total', 'wren_reloads_total', 'wren_fib_operations_total', 'wren_fib_failures_total']) {
      assert.equal(t.get(c), 'counter', c);
    }
    for (const g of ['wren_bgp_session_state', 'wren_bgp_prefixes_received', 'wren_table_routes', 'wren_fib_routes']) assert.equal(t.get(g), 'gauge', g);

    // prom-client's default metrics: memory and event-loop lag.
    assert.ok(value(s, 'process_resident_memory_bytes') > 0);
    assert.ok(value(s, 'nodejs_heap_size_used_bytes') > 0);
    assert.ok(s.has('nodejs_eventloop_lag_seconds'));
    assert.ok(s.has('nodejs_eventloop_lag_p99_seconds'));
  } finally {
    await server.close();
  }
});

test('values are read at scrape time: a later scrape sees changed state and vanished peers', async () => {
  let protocols: ProtocolSample[] = [fakeProtocols[0]!, fakeProtocols[2]!];
  let nets = 1;
  const src: MetricsSource = {
    protocols: () => protocols,
    table: () => ({ nets, routes: nets }),
    attrSets: () => ({ count: 0, bytes: 0 }),
    reloads: () => ({ ok: 0, failed: 0 }),
    fib: () => [],
  };
  const m = createMetrics(src, { defaultMetrics: false });
  let s = parseExposition(await m.render());
  assert.equal(value(s, 'wren_table_nets'), 1);
  assert.equal(value(s, 'wren_bgp_session_state', { protocol: 'Mesh_192_0_2_2', peer: '192.0.2.2', state: 'Established' }), 1);
  protocols = [{ ...fakeProtocols[0]!, bgp: { ...fakeProtocols[0]!.bgp!, sessionState: 'Idle', updatesIn: 99 } }];
  nets = 5;
  s = parseExposition(await m.render());
  assert.equal(value(s, 'wren_table_nets'), 5);
  assert.equal(value(s, 'wren_bgp_session_state', { protocol: 'Mesh_192_0_2_2', peer: '192.0.2.2', state: 'Established' }), 0);
  assert.equal(value(s, 'wren_bgp_session_state', { protocol: 'Mesh_192_0_2_2', peer: '192.0.2.2', state: 'Idle' }), 1);
  assert.equal(value(s, 'wren_bgp_updates_received_total', { protocol: 'Mesh_192_0_2_2', peer: '192.0.2.2' }), 99);
  assert.ok(![...s.keys()].some((k) => k.includes('static1')), 'a removed protocol leaves no series');
  // Without FIB readers everything FIB reads 0 (the kernel syncer is not there yet).
  assert.equal(value(s, 'wren_fib_routes'), 0);
  assert.equal(value(s, 'wren_fib_operations_total', { op: 'add' }), 0);
  assert.equal(value(s, 'wren_fib_failures_total', { op: 'delete' }), 0);
  // Scrapes while the source changes between them never mix: each scrape is one snapshot.
  let calls = 0;
  const counting: MetricsSource = { ...src, protocols: () => (calls++, protocols) };
  await createMetrics(counting, { defaultMetrics: false }).render();
  assert.equal(calls, 1, 'the source is read once per scrape');
});

test('registerFibStats: the kernel syncer registers its counters; unregistering drops them', async () => {
  const m = createMetrics(fakeSource(false), { defaultMetrics: false });
  let s = parseExposition(await m.render());
  assert.equal(value(s, 'wren_fib_operations_total', { op: 'replace' }), 0);
  let ops = 4;
  const unregister = registerFibStats(() => ({
    routes: 3, resyncs: 2, operations: { add: 6, replace: ops, delete: 1 }, failures: { add: 0, replace: 1, delete: 0 },
  }));
  try {
    s = parseExposition(await m.render());
    assert.equal(value(s, 'wren_fib_routes'), 3);
    assert.equal(value(s, 'wren_fib_resyncs_total'), 2);
    assert.equal(value(s, 'wren_fib_operations_total', { op: 'replace' }), 4);
    assert.equal(value(s, 'wren_fib_failures_total', { op: 'replace' }), 1);
    ops = 11;
    s = parseExposition(await m.render());
    assert.equal(value(s, 'wren_fib_operations_total', { op: 'replace' }), 11);
  } finally {
    unregister();
  }
  s = parseExposition(await m.render());
  assert.equal(value(s, 'wren_fib_routes'), 0);
  assert.equal(value(s, 'wren_fib_operations_total', { op: 'replace' }), 0);
});

test('the server binds 127.0.0.1 only, answers only /metrics, and frees its port on close', async () => {
  const server = await startMetricsServer(fakeSource(true), 0);
  const port = server.port;
  try {
    assert.ok(port > 0);
    assert.equal(await connectResult('127.0.0.1', port), 'connected');
    // Another loopback address on the same port: nobody listens there.
    assert.equal(await connectResult('127.0.0.2', port), 'ECONNREFUSED');
    assert.equal((await get(port, '/nope')).status, 404);
    assert.equal((await get(port, '/metrics', 'POST')).status, 405);
    const head = await get(port, '/metrics', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get(port, '/metrics?x=1')).status, 200);
    // A second server cannot take the same port: startMetricsServer rejects.
    await assert.rejects(startMetricsServer(fakeSource(true), port), /EADDRINUSE/);
  } finally {
    await server.close();
  }
  assert.equal(await connectResult('127.0.0.1', port), 'ECONNREFUSED');
});

// ---- two real daemons in this process -----------------------------------------------------

function daemonOpts(configFile: string): DaemonOptions {
  return { configFile, socketPath: join(dir, 'unused.ctl'), foreground: true, debug: false, recover: false, ipv6: false, jsonLogs: false };
}

test('two real Daemons peering on loopback: session state, prefixes and updates read from the live objects', async () => {
  const port = await freePort();
  const fa = join(dir, 'a.conf');
  const fb = join(dir, 'b.conf');
  writeFileSync(
    fa,
    `router id 127.0.0.1;
listen bgp address 127.0.0.1 port ${port};
protocol static { route 198.18.7.0/24 blackhole; route 198.18.8.0/24 blackhole; }
protocol bgp Mesh_127_0_0_2 {
  local as 64512;
  neighbor 127.0.0.2 port ${port} as 64512;
  source address 127.0.0.1;
  passive on;
  hold time 9;
  import all;
  export all;
}
`,
  );
  writeFileSync(
    fb,
    `router id 127.0.0.2;
listen bgp address 127.0.0.2 port ${port};
protocol bgp Mesh_127_0_0_1 {
  local as 64512;
  neighbor 127.0.0.1 port ${port} as 64512;
  source address 127.0.0.2;
  connect delay time 1;
  connect retry time 1;
  error wait time 1,2;
  hold time 9;
  import all;
}
`,
  );
  let logText = '';
  const logger = (): Logger => new Logger((_l, line) => void (logText += line + '\n'), { level: LogLevel.INFO });
  const a = new Daemon(daemonOpts(fa), logger());
  const b = new Daemon(daemonOpts(fb), logger());
  const ma = await startMetricsServer(daemonMetricsSource(a), 0);
  const mb = await startMetricsServer(daemonMetricsSource(b), 0);
  try {
    await a.start();
    await b.start();
    const pa = { protocol: 'Mesh_127_0_0_2', peer: '127.0.0.2' };
    const pb = { protocol: 'Mesh_127_0_0_1', peer: '127.0.0.1' };
    const scrape = async (port: number) => parseExposition((await get(port)).body);
    // Converged: both Established, B holds both routes.
    const [sa, sb] = await until(
      async () => {
        const x = await scrape(ma.port);
        const y = await scrape(mb.port);
        return x.get(key('wren_bgp_session_state', { ...pa, state: 'Established' })) === 1 &&
          y.get(key('wren_bgp_session_state', { ...pb, state: 'Established' })) === 1 &&
          (y.get(key('wren_bgp_prefixes_accepted', pb)) ?? 0) >= 2
          ? [x, y]
          : null;
      },
      { what: 'both sessions Established and the routes at B', context: () => logText },
    );
    for (const [s, p] of [[sa, pa], [sb, pb]] as const) {
      assert.equal(value(s, 'wren_bgp_session_state', { ...p, state: 'Established' }), 1);
      for (const st of ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm']) assert.equal(value(s, 'wren_bgp_session_state', { ...p, state: st }), 0);
      assert.equal(value(s, 'wren_protocol_state', { protocol: p.protocol, proto: 'BGP', state: 'up' }), 1);
      assert.equal(value(s, 'wren_bgp_established_total', p), 1);
      assert.ok(value(s, 'wren_bgp_messages_received_total', p) >= 2, 'OPEN and KEEPALIVE at least');
      assert.ok(value(s, 'wren_bgp_messages_sent_total', p) >= 2);
    }
    // A exports its static routes; B receives and accepts them.
    assert.equal(value(sa, 'wren_bgp_prefixes_advertised', pa), 2);
    assert.ok(value(sa, 'wren_bgp_updates_sent_total', pa) >= 1);
    assert.equal(value(sb, 'wren_bgp_prefixes_received', pb), 2);
    assert.equal(value(sb, 'wren_bgp_prefixes_accepted', pb), 2);
    assert.ok(value(sb, 'wren_bgp_updates_received_total', pb) >= 1);
    // B exports nothing (no export clause: BIRD's default is none); A received nothing.
    assert.equal(value(sb, 'wren_bgp_prefixes_advertised', pb), 0);
    assert.equal(value(sa, 'wren_bgp_prefixes_received', pa), 0);
    // Tables: A holds its two static routes, B the two learned ones.
    assert.equal(value(sa, 'wren_table_nets'), 2);
    assert.equal(value(sb, 'wren_table_nets'), 2);
    assert.equal(value(sb, 'wren_table_routes'), 2);
    assert.equal(value(sa, 'wren_protocol_state', { protocol: 'static1', proto: 'Static', state: 'up' }), 1);
    assert.ok(value(sb, 'wren_attr_sets') >= 1);
    assert.equal(value(sa, 'wren_reloads_total'), 0);

    // A reload is counted, a rejected one too.
    writeFileSync(fa, readFileSync(fa, 'utf8') + 'this is not bird;\n');
    assert.notEqual(a.reload(), null);
    writeFileSync(fa, readFileSync(fa, 'utf8').replace('this is not bird;\n', ''));
    assert.equal(a.reload(), null);
    const s2 = await scrape(ma.port);
    assert.equal(value(s2, 'wren_reloads_total'), 1);
    assert.equal(value(s2, 'wren_reload_failures_total'), 1);
    assert.equal(value(s2, 'wren_bgp_session_state', { ...pa, state: 'Established' }), 1, 'an unchanged reload keeps the session');
  } finally {
    await a.shutdown();
    await b.shutdown();
    await ma.close();
    await mb.close();
  }
});

// ---- off by default ---------------------------------------------------------------------------

/** TCP sockets in LISTEN state held by `pid`, as `address:port` (hex from /proc/net/tcp*). */
function listeningSockets(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  const out: string[] = [];
  for (const f of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length > 9 && c[3] === '0A' && inodes.has(c[9]!)) out.push(c[1]!);
    }
  }
  return out;
}

test('off by default: a daemon started without --metrics-port listens on no TCP port', async () => {
  const conf = join(dir, 'static-only.conf');
  writeFileSync(conf, 'router id 192.0.2.1;\nprotocol static { route 198.18.9.0/24 blackhole; }\n');
  const sock = join(dir, 'off.ctl');
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/wrend-dev.mjs'), '-d', '-c', conf, '-s', sock], {
    cwd: root,
    argv0: 'bird',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  try {
    // Started: the control socket exists (no BGP protocol, so no BGP listener either).
    await until(() => existsSync(sock) && /Started/.test(log), { what: 'the daemon to start', context: () => log });
    assert.ok(proc.pid !== undefined);
    assert.deepEqual(listeningSockets(proc.pid), []);
    // The check is able to see a listener: this test process listens while a server is up.
    const server = await startMetricsServer(fakeSource(false), 0);
    try {
      const mine = listeningSockets(process.pid);
      assert.ok(mine.includes(`0100007F:${server.port.toString(16).toUpperCase().padStart(4, '0')}`), mine.join(' '));
    } finally {
      await server.close();
    }
  } finally {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
  }
});

// The control socket wired to the running daemon (src/control/daemon-source.ts).
//
// Part 1, real processes: two daemons on loopback (A 127.0.0.1, passive, with static routes
// and an export filter; B 127.0.0.2) peer over iBGP; over each daemon's own control socket
// we check `show status`, `show protocols [all]`, `show route [all|count|export|noexport]`,
// disable / enable / restart of the peer, `configure` with a broken file (error reported,
// session kept) and `down` (exit 0), and run Calico's parsers (test/control/calico-parsers.ts:
// readiness probe, calicoctl node status, CalicoNodeStatus agent/peers/routes) against the
// live sockets.
// Part 2, in-process: a Daemon without peers reachable, for what the two-daemon setup cannot
// show cheaply: graceful-restart recovery status (`-R`), every static destination kind in
// `show route`, `for` / prefix / filter / where queries, symbols, interfaces, memory.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/cli/client.js';
import { ControlServer } from '../../src/control/server.js';
import { CliSyntaxError } from '../../src/control/lexer.js';
import { DaemonControlSource } from '../../src/control/daemon-source.js';
import { Daemon } from '../../src/daemon.js';
import { nullLogger } from '../../src/log.js';
import { parsePrefix } from '../../src/rib/prefix.js';
import type { RouteNet, RouteQuery } from '../../src/control/model.js';
import {
  agentStatus,
  bgpPeersStatus,
  birdReady,
  calicoRoutes,
  calicoctlRows,
  getPeers,
  grInProgress,
} from '../control/calico-parsers.js';
import { until } from '../helpers/poll.js';

const root = new URL('../../', import.meta.url).pathname;
const entry = join(root, 'scripts/wrend-dev.mjs');
const dir = mkdtempSync(join(tmpdir(), 'wren-ctl-daemon-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

class Proc {
  readonly proc: ChildProcess;
  readonly ctl: string;
  log = '';
  readonly exited: Promise<number | null>;
  constructor(
    readonly conf: string,
    readonly name: string,
  ) {
    this.ctl = join(dir, `${name}.ctl`);
    this.proc = spawn(process.execPath, ['--import', 'tsx', entry, '-d', '-c', conf, '-s', this.ctl], {
      cwd: root,
      argv0: 'bird',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    this.exited = new Promise((res) => this.proc.once('exit', (code) => res(code)));
  }
  /** One command on a fresh connection: the reply lines (greeting not included). */
  async cmd(command: string): Promise<string[]> {
    const c = await ControlClient.connect(this.ctl);
    try {
      await c.greeting();
      const r = await c.command(command);
      if (r === null) throw new Error(`${this.name}: connection closed during ${command}`);
      return r;
    } finally {
      c.close();
    }
  }
  /** The `show protocols` row of one protocol, split on blanks (after the code/space prefix). */
  async row(proto: string): Promise<string[] | undefined> {
    const lines = await this.cmd('show protocols');
    for (const l of lines) {
      const text = l.startsWith(' ') ? l.slice(1) : l.slice(5);
      const f = text.split(/\s+/).filter(Boolean);
      if (f[0] === proto) return f;
    }
    return undefined;
  }
  context = () => `${this.name} log:\n${this.log.slice(-3000)}`;
  stop(): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill('SIGTERM');
    return this.exited;
  }
}

const port = 30000 + (process.pid % 20000);
const confA = (extra = '') => `
router id 127.0.0.1;
listen bgp address 127.0.0.1 port ${port};
filter out {
  if net ~ 198.18.0.0/15 then {
    bgp_local_pref = 321;
    bgp_community.add((64512, 7));
    accept;
  }
  reject;
}
protocol device { scan time 10; }
protocol static static1 {
  route 198.18.5.0/24 blackhole;
  route 10.9.0.0/16 unreachable;
}
protocol bgp Mesh_127_0_0_2 {
  local as 64512;
  neighbor 127.0.0.2 port ${port} as 64512;
  source address 127.0.0.1;
  passive on;
  export filter out;
}
${extra}
`;
const confB = `
router id 127.0.0.2;
listen bgp address 127.0.0.2 port ${port};
protocol kernel { export none; }
# What the direct protocol will provide: the loopback subnet, so next hop 127.0.0.1 resolves.
protocol static static_lo { route 127.0.0.0/8 via "lo"; }
protocol bgp Mesh_127_0_0_1 {
  local as 64512;
  neighbor 127.0.0.1 port ${port} as 64512;
  source address 127.0.0.2;
  connect delay time 1;
  connect retry time 1;
  error wait time 1,2;
}
`;

const HEADING = '2002-name     proto    table    state  since       info';

describe('two live daemons over their control sockets', () => {
  const fa = join(dir, 'a.conf');
  const fb = join(dir, 'b.conf');
  writeFileSync(fa, confA());
  writeFileSync(fb, confB);
  let a: Proc;
  let b: Proc;

  const established = async (p: Proc, peer: string) =>
    until(async () => (await p.row(peer))?.[5] === 'Established', { what: `${p.name}: ${peer} Established`, context: p.context });

  before(() => {
    a = new Proc(fa, 'a');
    b = new Proc(fb, 'b');
  });
  after(async () => {
    await a.stop();
    await b.stop();
  });

  test('start, peer, and answer on the control socket', async () => {
    await established(a, 'Mesh_127_0_0_2');
    await established(b, 'Mesh_127_0_0_1');
  });

  test('show status: BIRD greeting, router id, 0013 at the end', async () => {
    const c = await ControlClient.connect(a.ctl);
    try {
      const g = await c.greeting();
      assert.match(g![0]!, /^0001 BIRD v\S+ ready\.$/);
      const r = (await c.command('show status'))!;
      assert.match(r[0]!, /^1000-BIRD v/);
      assert.equal(r[1], '1011-Router ID is 127.0.0.1');
      assert.match(r[2]!, /^ Current server time is \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.equal(r.at(-1), '0013 Daemon is up and running');
    } finally {
      c.close();
    }
    const s = await agentStatus(b.ctl);
    assert.equal(s.state, 'Ready');
    assert.match(s.version!, /^v/);
    assert.equal(s.routerID, '127.0.0.2');
    assert.equal(await grInProgress(a.ctl), false);
  });

  test('show protocols: exact heading, peer Established on both sides, device protocol up', async () => {
    const ra = await a.cmd('show protocols');
    assert.equal(ra[0], HEADING);
    // Configuration order; the device protocol runs (interface table over netlink).
    assert.match(ra.join('\n'), /^1002-device1 {2}Device {3}master {3}up {5}\d\d:\d\d:\d\d {4}$/m);
    assert.match(ra.join('\n'), /^ static1 {2}Static {3}master {3}up {5}\d\d:\d\d:\d\d {4}$/m);
    assert.match(ra.join('\n'), /^ Mesh_127_0_0_2 BGP {6}master {3}up {5}\d\d:\d\d:\d\d {4}Established {3}$/m);
    assert.equal(ra.at(-1), '0000 ');
    const rb = await b.cmd('show protocols');
    assert.match(rb.join('\n'), /^ Mesh_127_0_0_1 BGP {6}master {3}up {5}\d\d:\d\d:\d\d {4}Established {3}$/m);
    // Calico's readiness probe (young node: every peer must be Established) and calicoctl.
    assert.equal(await birdReady(a.ctl, true), null);
    assert.equal(await birdReady(b.ctl, true), null);
    assert.deepEqual(
      (await calicoctlRows(b.ctl)).map((r) => [r[0], r[1], r[2], r[4]]),
      [['127.0.0.1', 'node-to-node mesh', 'up', 'Established']],
    );
  });

  test('show protocols all <peer>: BGP details and route stats', async () => {
    const r = (await a.cmd('show protocols all Mesh_127_0_0_2')).join('\n');
    assert.match(r, /^1006- {2}Preference: {5}100$/m);
    assert.match(r, /^ {3}Output filter: {2}out$/m);
    assert.match(r, /^ {3}Routes: {9}0 imported, 1 exported, 0 preferred$/m);
    // Two routes offered to the export filter, one rejected, one accepted.
    assert.match(r, /^ {5}Export updates: {14}2 {10}0 {10}1 {8}--- {10}1$/m);
    assert.match(r, /^ {3}BGP state: {10}Established$/m);
    assert.match(r, /^ {5}Neighbor address: 127\.0\.0\.2$/m);
    assert.match(r, /^ {5}Neighbor AS: {6}64512$/m);
    assert.match(r, /^ {5}Neighbor ID: {6}127\.0\.0\.2$/m);
    assert.match(r, /^ {5}Neighbor caps: {4}refresh enhanced-refresh .*AS4/m);
    assert.match(r, /^ {5}Session: {10}internal multihop AS4$/m);
    assert.match(r, /^ {5}Source address: {3}127\.0\.0\.1$/m);
    // The timers after the source address, as 1.6 prints them: seconds left / negotiated.
    const hold = /^ {5}Source address: .*\n {5}Hold timer: {7}(\d+)\/(\d+)\n {5}Keepalive timer: {2}(\d+)\/(\d+)$/m.exec(r);
    assert.ok(hold, r);
    const [hLeft, hTotal, kLeft, kTotal] = hold.slice(1).map(Number) as [number, number, number, number];
    assert.equal(hTotal, 240, 'BIRD 1.6 default hold time');
    assert.equal(kTotal, 80);
    assert.ok(hLeft > 0 && hLeft <= hTotal && kLeft > 0 && kLeft <= kTotal, `${hLeft}/${hTotal} ${kLeft}/${kTotal}`);
    assert.doesNotMatch(r, /Last error/);
    const st = await bgpPeersStatus(b.ctl);
    assert.equal(st.established, 1);
    assert.equal(st.notEstablished, 0);
    assert.deepEqual(st.peers.map((p) => [p.peerIP, p.bgpState, p.neighborAddress]), [['127.0.0.1', 'Established', '127.0.0.1']]);
    const rb = (await b.cmd('show protocols all Mesh_127_0_0_1')).join('\n');
    assert.match(rb, /^ {3}Routes: {9}1 imported, 0 exported, 1 preferred$/m);
  });

  test('show route: the receiving side has the exported static route from its peer', async () => {
    const rb = await until(async () => {
      const r = await b.cmd('show route');
      return r.length > 1 ? r : null;
    }, { what: 'B has a route', context: b.context });
    assert.equal(rb.length, 3);
    assert.match(rb[0]!, /^1007-127\.0\.0\.0\/8 {8}dev lo \[static_lo \d\d:\d\d:\d\d\] \* \(200\)$/);
    // Resolved through the device route: the gateway is the next hop itself, IGP metric 0.
    assert.match(rb[1]!, /^ 198\.18\.5\.0\/24 {6}via 127\.0\.0\.1 on lo \[Mesh_127_0_0_1 \d\d:\d\d:\d\d\] \* \(100\/0\) \[i\]$/);
    assert.equal(rb[2], '0000 ');
    assert.deepEqual(await calicoRoutes(b.ctl), [
      { dest: '127.0.0.0/8', type: 'dev', iface: 'lo', from: 'static_lo', primary: true },
      { dest: '198.18.5.0/24', type: 'via', gateway: '127.0.0.1', iface: 'lo', from: 'Mesh_127_0_0_1', primary: true },
    ]);
    // Without the route that resolves its next hop the BGP route is unreachable, and shows
    // `from` (1.6: the neighbour differs from the gateway, which is none now) and `/-`.
    assert.deepEqual(await b.cmd('disable static_lo'), ['0009-static_lo: disabled', '0000 ']);
    const un = await until(async () => {
      const r = await b.cmd('show route');
      return r.length === 2 && r[0]!.includes('unreachable') ? r[0] : null;
    }, { what: 'B: BGP route unreachable', context: b.context });
    assert.match(un, /^1007-198\.18\.5\.0\/24 {6}unreachable \[Mesh_127_0_0_1 \d\d:\d\d:\d\d from 127\.0\.0\.1\] \* \(100\/-\) \[i\]$/);
    assert.deepEqual((await calicoRoutes(b.ctl)).map((r) => [r.dest, r.type, r.from]), [['198.18.5.0/24', 'unreachable', 'Mesh_127_0_0_1']]);
    assert.deepEqual(await b.cmd('enable static_lo'), ['0011-static_lo: enabled', '0000 ']);
    await until(async () => (await b.cmd('show route')).some((l) => l.includes('via 127.0.0.1 on lo')), { what: 'B: resolved again', context: b.context });
    // The sending side: both static routes, parsed by Calico as static ones.
    const ra = await calicoRoutes(a.ctl);
    assert.deepEqual(
      ra.map((r) => [r.dest, r.type, r.from, r.primary]),
      [
        ['10.9.0.0/16', 'unreachable', 'static1', true],
        ['198.18.5.0/24', 'blackhole', 'static1', true],
      ],
    );
    assert.deepEqual(await a.cmd('show route count'), ['0014 2 of 2 routes for 2 networks']);
    assert.deepEqual(await a.cmd('show route 10.1.2.3/32'), ['8001 Network not in table']);
  });

  test('show route all: BGP attributes as the export filter set them', async () => {
    const r = await b.cmd('show route all 198.18.5.0/24');
    assert.match(r[0]!, /^1007-198\.18\.5\.0\/24 /);
    assert.deepEqual(r.slice(1), [
      '1008-\tType: BGP unicast univ',
      '1012-\tBGP.origin: IGP',
      ' \tBGP.as_path: ',
      ' \tBGP.next_hop: 127.0.0.1',
      ' \tBGP.local_pref: 321',
      ' \tBGP.community: (64512,7)',
      '0000 ',
    ]);
  });

  test('show route export / noexport <peer>: what the export filter passes and rejects', async () => {
    const ex = await a.cmd('show route export Mesh_127_0_0_2');
    assert.equal(ex.length, 2);
    assert.match(ex[0]!, /^1007-198\.18\.5\.0\/24 {6}blackhole \[static1 /);
    const no = await a.cmd('show route noexport Mesh_127_0_0_2 count');
    assert.deepEqual(no, ['0014 1 of 2 routes for 2 networks']);
    const exAll = (await a.cmd('show route export Mesh_127_0_0_2 all')).join('\n');
    assert.match(exAll, /BGP\.local_pref: 321/);
  });

  test('disable takes the session down on both sides; enable brings it back', async () => {
    assert.deepEqual(await a.cmd('disable Mesh_127_0_0_2'), ['0009-Mesh_127_0_0_2: disabled', '0000 ']);
    assert.deepEqual(await a.cmd('disable Mesh_127_0_0_2'), ['0008-Mesh_127_0_0_2: already disabled', '0000 ']);
    // A: the row is `down` with an empty info column (5 fields: Calico no longer sees a peer).
    const rowA = await a.row('Mesh_127_0_0_2');
    assert.deepEqual([rowA?.[3], rowA?.length], ['down', 5]);
    const c = await ControlClient.connect(a.ctl);
    assert.deepEqual(await getPeers(c).finally(() => c.close()), []);
    await until(async () => {
      const r = await b.row('Mesh_127_0_0_1');
      return r?.[3] === 'start' && r[5] !== 'Established';
    }, { what: 'B: peer not established', context: b.context });
    assert.equal(await birdReady(b.ctl, false), 'BGP not established with any peer');
    assert.deepEqual((await calicoRoutes(b.ctl)).map((r) => r.from), ['static_lo']);

    assert.deepEqual(await a.cmd('enable Mesh_127_0_0_2'), ['0011-Mesh_127_0_0_2: enabled', '0000 ']);
    await established(a, 'Mesh_127_0_0_2');
    await established(b, 'Mesh_127_0_0_1');
    await until(async () => (await calicoRoutes(b.ctl)).length === 2, { what: 'route back on B', context: b.context });
  });

  test('restart resets the session and it comes back', async () => {
    const ups = () => (b.log.match(/Mesh_127_0_0_1: State changed to up/g) ?? []).length;
    const before = ups();
    assert.deepEqual(await a.cmd('restart "Mesh_*"'), ['0012-Mesh_127_0_0_2: restarted', '0000 ']);
    await until(() => ups() > before, { what: 'B re-established after the restart', context: b.context });
    await established(a, 'Mesh_127_0_0_2');
    await established(b, 'Mesh_127_0_0_1');
  });

  test('configure: a broken file is reported with file:line:col and the session stays up', async () => {
    const since = (await b.row('Mesh_127_0_0_1'))![4];
    writeFileSync(fa, confA('this is not bird;'));
    const r = await a.cmd('configure');
    assert.equal(r[0], `0002-Reading configuration from ${fa}`);
    assert.match(r[1]!, new RegExp(`^8002 ${esc(fa)}:\\d+:\\d+ \\S`));
    assert.equal(r.length, 2);
    const chk = await a.cmd('configure check');
    assert.match(chk[1]!, /^8002 /);
    const rowA = (await a.row('Mesh_127_0_0_2'))!;
    assert.deepEqual([rowA[3], rowA[5]], ['up', 'Established']);
    assert.equal((await b.row('Mesh_127_0_0_1'))![4], since);
    writeFileSync(fa, confA());
    assert.deepEqual(await a.cmd('configure check'), [`0002-Reading configuration from ${fa}`, '0020 Configuration OK']);
    assert.deepEqual(await a.cmd('configure'), [`0002-Reading configuration from ${fa}`, '0003 Reconfigured']);
    assert.equal((await b.row('Mesh_127_0_0_1'))![5], 'Established');
  });

  test('down: 0007, orderly shutdown (the peer hears a Cease), exit status 0, socket removed', async () => {
    const ceases = () => (b.log.match(/Mesh_127_0_0_1: Received: Cease: Administrative shutdown/g) ?? []).length;
    const before = ceases();
    assert.deepEqual(await a.cmd('down'), ['0007 Shutdown requested']);
    assert.equal(await a.exited, 0);
    await until(() => ceases() > before, { what: 'B got an Administrative shutdown', context: b.context });
    await assert.rejects(ControlClient.connect(a.ctl), /No such file or directory/);
    await until(async () => (await b.row('Mesh_127_0_0_1'))?.[5] !== 'Established', { what: 'B: session gone', context: b.context });
    assert.equal(await b.stop(), 0);
  });
});

// ---- in-process --------------------------------------------------------------------------

const q = (over: Partial<RouteQuery> = {}): RouteQuery => ({ verbose: false, primaryOnly: false, filtered: false, stats: 0, ...over });
const list = (it: Iterable<RouteNet> | null): RouteNet[] => [...(it ?? [])];

describe('in-process daemon source', () => {
  const f = join(dir, 'local.conf');
  const localPort = port + 1;
  writeFileSync(
    f,
    `
router id 192.0.2.7;
listen bgp address 127.0.0.1 port ${localPort};
graceful restart wait 30;
define LIMIT = 24;
function small() { return net.len >= LIMIT; }
filter only_small { if small() then accept; reject; }
template bgp peers { local as 64512; graceful restart on; }
protocol static s1 {
  route 203.0.113.0/24 via 127.0.0.9;
  route 203.0.113.128/25 blackhole;
  route 198.51.100.0/24 unreachable;
  route 192.0.2.0/24 prohibit;
  route 10.0.0.0/8 via "lo";
}
protocol bgp Global_127_0_0_3 from peers {
  neighbor 127.0.0.3 port ${localPort} as 64512;
  passive on;
}
protocol bgp Node_127_0_0_4 from peers {
  neighbor 127.0.0.4 port ${localPort} as 64513;
  disabled;
}
`,
  );
  const opts = { configFile: f, socketPath: join(dir, 'local.ctl'), foreground: true, debug: false, recover: true, ipv6: false, jsonLogs: false };
  let clock = 0;
  const daemon = new Daemon(opts, nullLogger);
  let src: DaemonControlSource;
  let downCalls = 0;

  before(async () => {
    await daemon.start();
    // The source's clock starts where the daemon's start time is (wait timer arithmetic is exact).
    clock = daemon.startedAt.getTime();
    src = new DaemonControlSource(daemon, { now: () => clock, onDown: () => downCalls++ });
  });
  after(async () => {
    src.close();
    await daemon.shutdown();
  });

  test('-R: graceful-restart recovery waits for the GR peer, then the wait timer runs out', async () => {
    const s = src.status();
    assert.equal(s.routerId, '192.0.2.7');
    assert.deepEqual(s.gracefulRestart, { waitingFor: 1, waitTimerLeft: 30, waitTimerTotal: 30 });
    const rows = src.protocols();
    assert.deepEqual(
      rows.map((r) => [r.name, r.proto, r.state, r.info, r.grRecovery]),
      [
        ['s1', 'Static', 'up', '', { pending: false, waiting: false }],
        ['Global_127_0_0_3', 'BGP', 'start', 'Passive       ', { pending: true, waiting: false }],
        ['Node_127_0_0_4', 'BGP', 'down', '', { pending: false, waiting: false }],
      ],
    );
    // Calico's readiness check sees the 0024 block over a real socket.
    const server = new ControlServer(join(dir, 'gr.ctl'), src);
    await server.listen();
    try {
      assert.equal(await grInProgress(join(dir, 'gr.ctl')), true);
      const c = await ControlClient.connect(join(dir, 'gr.ctl'));
      await c.greeting();
      const r = (await c.command('show protocols all Global_127_0_0_3'))!.join('\n');
      c.close();
      assert.match(r, /^ {3}GR recovery: {4}pending$/m);
      assert.match(r, /^ {3}BGP state: {10}Passive$/m);
      assert.match(r, /^ {5}Neighbor address: 127\.0\.0\.3$/m);
      assert.doesNotMatch(r, /Neighbor ID/);
      clock += 12_000;
      assert.equal(src.status().gracefulRestart?.waitTimerLeft, 18);
      clock += 18_000;
      assert.equal(src.status().gracefulRestart, null);
      assert.equal(await grInProgress(join(dir, 'gr.ctl')), false);
      // Over for good, even when time would say otherwise.
      clock -= 20_000;
      assert.equal(src.status().gracefulRestart, null);
      assert.equal(src.protocols()[0]!.grRecovery, undefined);
    } finally {
      await server.close();
    }
  });

  test('show route: destinations as 1.6 prints them; prefix, for, filter, where, primary', () => {
    const all = list(src.routes(q()));
    assert.deepEqual(
      all.map((n) => [n.prefix, n.routes.map((r) => [r.dest, r.protocol, r.primary, r.preference, r.bgp])]),
      [
        ['10.0.0.0/8', [[{ kind: 'device', iface: 'lo' }, 's1', true, 200, undefined]]],
        ['192.0.2.0/24', [[{ kind: 'prohibited' }, 's1', true, 200, undefined]]],
        ['198.51.100.0/24', [[{ kind: 'unreachable' }, 's1', true, 200, undefined]]],
        ['203.0.113.0/24', [[{ kind: 'router', gateway: '127.0.0.9', iface: 'lo' }, 's1', true, 200, undefined]]],
        ['203.0.113.128/25', [[{ kind: 'blackhole' }, 's1', true, 200, undefined]]],
      ],
    );
    assert.deepEqual(list(src.routes(q({ prefix: parsePrefix('203.0.113.0/24') }))).map((n) => n.prefix), ['203.0.113.0/24']);
    assert.deepEqual(list(src.routes(q({ prefix: parsePrefix('203.0.113.0/25') }))), []);
    assert.deepEqual(list(src.routes(q({ for: parsePrefix('203.0.113.200') }))).map((n) => n.prefix), ['203.0.113.128/25']);
    assert.deepEqual(list(src.routes(q({ for: parsePrefix('203.0.113.5') }))).map((n) => n.prefix), ['203.0.113.0/24']);
    assert.deepEqual(list(src.routes(q({ for: parsePrefix('10.200.0.0/16') }))).map((n) => n.prefix), ['10.0.0.0/8']);
    assert.deepEqual(list(src.routes(q({ for: parsePrefix('11.0.0.1') }))), []);
    // A named filter using a function and a constant: routes that fail still count (total).
    const named = list(src.routes(q({ filter: { kind: 'name', name: 'only_small' } })));
    assert.deepEqual(named.filter((n) => n.routes.length > 0).map((n) => n.prefix), ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '203.0.113.128/25']);
    assert.deepEqual(named.map((n) => n.total), [1, 1, 1, 1, 1]);
    const where = list(src.routes(q({ filter: { kind: 'where', text: 'dest = RTD_BLACKHOLE || net.len = 8' } })));
    assert.deepEqual(where.filter((n) => n.routes.length > 0).map((n) => n.prefix), ['10.0.0.0/8', '203.0.113.128/25']);
    const inline = list(src.routes(q({ filter: { kind: 'inline', text: '{ if small() && net ~ 203.0.113.0/24 then accept; reject; }' } })));
    assert.deepEqual(inline.filter((n) => n.routes.length > 0).map((n) => n.prefix), ['203.0.113.0/24', '203.0.113.128/25']);
    // A `where` that does not compile is the command's syntax error (the server answers 9001).
    assert.throws(() => list(src.routes(q({ filter: { kind: 'where', text: 'no_such_thing = 1' } }))), (e: unknown) => e instanceof CliSyntaxError && /no_such_thing/.test(e.message));
    // `show route all`: the type line of static routes (static device routes are static-device).
    const verbose = list(src.routes(q({ verbose: true })));
    assert.deepEqual(verbose.map((n) => n.routes[0]!.type), [
      'static-device unicast univ',
      'static unicast univ',
      'static unicast univ',
      'static unicast univ',
      'static unicast univ',
    ]);
    assert.deepEqual(verbose[0]!.routes[0]!.attributes, []);
    // Export views of a protocol that is not exporting (session not up) show nothing.
    assert.deepEqual(list(src.routes(q({ export: { mode: 'export', protocol: 'Global_127_0_0_3' } }))), []);
    assert.deepEqual(list(src.routes(q({ filtered: true }))), []);
  });

  test('enable / disable / restart on a static protocol and a config-disabled BGP peer', () => {
    assert.equal(src.disable('s1'), 'disabled');
    assert.equal(src.disable('s1'), 'already-disabled');
    assert.equal(src.restart('s1'), 'already-disabled');
    assert.equal(list(src.routes(q())).length, 0);
    assert.equal(src.enable('s1'), 'enabled');
    assert.equal(src.enable('s1'), 'already-enabled');
    assert.equal(list(src.routes(q())).length, 5);
    assert.equal(src.restart('s1'), 'restarted');
    assert.equal(list(src.routes(q())).length, 5);
    // `disabled;` in the configuration: enable starts it anyway (BIRD semantics).
    assert.equal(src.enable('Node_127_0_0_4'), 'enabled');
    const row = src.protocols().find((p) => p.name === 'Node_127_0_0_4')!;
    assert.equal(row.state, 'start');
    assert.match(row.info, /^(Idle|Connect|Active) {6,}/);
    assert.equal(src.disable('Node_127_0_0_4'), 'disabled');
    assert.equal(src.protocols().find((p) => p.name === 'Node_127_0_0_4')!.info, '');
  });

  test('symbols, interfaces, memory, configure check, down', async () => {
    const sym = src.symbols();
    for (const [name, kind] of [
      ['master', 'routing table'],
      ['peers', 'protocol template'],
      ['s1', 'protocol'],
      ['Global_127_0_0_3', 'protocol'],
      ['only_small', 'filter'],
      ['small', 'function'],
      ['LIMIT', 'constant'],
    ])
      assert.ok(sym.some((s) => s.name === name && s.kind === kind), `${name} ${kind} in ${JSON.stringify(sym)}`);
    const lo = src.interfaces().find((i) => i.name === 'lo')!;
    assert.equal(lo.index, 1);
    assert.equal(lo.loopback, true);
    assert.equal(lo.up, true);
    assert.deepEqual(lo.addresses[0], { address: '127.0.0.1', prefixLength: 8, kind: 'Primary', scope: 'host' });
    const mem = src.memory();
    assert.deepEqual(mem.map((m) => m.name), ['Routing tables', 'Route attributes', 'ROA tables', 'Protocols', 'Total']);
    assert.ok(mem.find((m) => m.name === 'Routing tables')!.bytes > 0);
    assert.ok(mem.find((m) => m.name === 'Total')!.bytes > 1_000_000);
    assert.deepEqual(await src.configure({ check: true, soft: false, timeout: 0 }), { file: f, kind: 'checked' });
    const other = await src.configure({ check: true, soft: false, timeout: 0, file: join(dir, 'missing.conf') });
    assert.equal(other.kind, 'error');
    assert.match((other as { message: string }).message, /Unable to open configuration file .*missing\.conf/);
    assert.deepEqual(await src.configure({ check: false, soft: false, timeout: 0 }), { file: f, kind: 'committed', outcome: 'done' });
    src.down();
    assert.equal(downCalls, 1);
  });
});

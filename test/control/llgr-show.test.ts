// Graceful restart (RFC 4724) and long-lived graceful restart (RFC 9494) in `show protocols
// all` and `show route`, as BIRD 2 prints them (only BIRD 2 has LLGR): the BGP block gets
// "Neighbor graceful restart active", "Restart timer: n/-" (GR, protocol not up),
// "Neighbor GR:    Regular|Long-lived" and "LL stale timer: n/-" (LLGR); an LLGR-stale route
// (LLGR_STALE, 65535:6) shows `(100s)`, a route kept by plain GR is not marked.
//
// Part 1: format.ts against lines captured from BIRD 2.0.12 (`birdc show protocols all` on a
// helper whose GR+LLGR peer was killed -9; the captures are below, millisecond timers as BIRD
// 2 prints them).
// Part 2: the whole path in-process — a Daemon, its DaemonControlSource behind a real
// ControlServer, and a scripted peer on loopback that announces, "crashes" (socket reset, no
// NOTIFICATION) and comes back with the R and F bits; the replies are read over the socket,
// and Calico's parsers (contract.md §3) still read `show protocols` and `show route`.
// Timers are the peer's capability values; the test waits for states with bounded polling and
// never measures time.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderProtocol, routeLine, stringSink } from '../../src/control/format.js';
import type { BgpDetails, ProtocolStatus, RouteEntry } from '../../src/control/model.js';
import { ControlServer } from '../../src/control/server.js';
import { DaemonControlSource } from '../../src/control/daemon-source.js';
import { Daemon } from '../../src/daemon.js';
import { BgpProtocol } from '../../src/bgp/protocol.js';
import { Session, type SessionConfig } from '../../src/bgp/session.js';
import { encodeUpdate, encodeEndOfRib, MessageType, type PathAttributes, type UpdateMessage } from '../../src/bgp/codec/index.js';
import { UpdateAction } from '../../src/bgp/errors.js';
import { Afi, IPV4_UNICAST, parseAddress, parsePrefix, type Nlri } from '../../src/rib/prefix.js';
import { nullLogger } from '../../src/log.js';
import { until } from '../helpers/poll.js';
import { RawClient } from './harness.js';
import { calicoRoutes, getPeers } from './calico-parsers.js';
import { ControlClient } from '../../src/cli/client.js';

// ---------------------------------------------------------------------------------------------
// BIRD 2.0.12 captures (`birdc -v`, helper `b` with `graceful restart on; long lived graceful
// restart on;`, its peer killed -9 with restart time 15 and LL stale time 120).

const BIRD2_GR = `1006-  BGP state:          Active
         Neighbor address: 198.18.50.2
         Neighbor AS:      65001
         Local AS:         65000
         Neighbor graceful restart active
         Connect delay:    2.496/5
         Restart timer:    12.998/-
         Last error:       Socket: Connection closed
       Channel ipv4
         State:          START
         Table:          master4
         Preference:     100
         Input filter:   ACCEPT
         Output filter:  REJECT
         Routes:         2 imported, 0 exported, 2 preferred
         Neighbor GR:    Regular`;

const BIRD2_LLGR = `1006-  BGP state:          Active
         Neighbor address: 198.18.50.2
         Neighbor AS:      65001
         Local AS:         65000
         Neighbor graceful restart active
         Connect delay:    0.847/5
         Last error:       Socket: Connection refused
       Channel ipv4
         State:          START
         Routes:         1 imported, 0 exported, 1 preferred
         Neighbor GR:    Long-lived
         LL stale timer: 117.970/-`;

const BIRD2_LLGR_ROUTE = '10.7.0.0/24          unicast [b 11:51:32.853] * (100s) [AS65001i]';
const BIRD2_GR_ROUTE = '10.7.0.0/24          unicast [b 11:51:15.252] * (100) [AS65001i]';

/** The text of each `1006` line of a `birdc -v` capture (after the code or the 5 blanks). */
const birdLines = (capture: string): string[] => capture.split('\n').map((l) => l.slice(5));
/** BIRD 2 `%t` timers (`12.998`) in whole seconds, as Wren (and every 1.6 timer) prints them. */
const wholeSeconds = (l: string): string => l.replace(/(\d+)\.\d{3}\//, (_, s: string) => `${s}/`);

const NOW = new Date(2026, 10, 26, 11, 51, 30);

function bgpProto(bgp: BgpDetails): ProtocolStatus {
  return {
    name: 'b', proto: 'BGP', table: 'master', state: 'start', since: new Date(2026, 10, 26, 11, 51, 15),
    info: 'Active        Socket: Connection closed', preference: 100, inputFilter: 'ACCEPT', outputFilter: 'REJECT', bgp,
  };
}

function rendered(p: ProtocolStatus): string[] {
  const sink = stringSink();
  renderProtocol(sink, p, true, false, NOW);
  return sink.text().split('\n');
}

describe('format: GR / LLGR lines as BIRD 2 prints them', () => {
  test('GR phase: "Neighbor graceful restart active", "Restart timer", "Neighbor GR: Regular" — the same texts as BIRD 2, in its order', () => {
    const lines = rendered(bgpProto({
      state: 'Active', neighborAddress: '198.18.50.2', neighborAs: 65001, neighborGracefulRestartActive: true,
      restartTimer: 12, lastError: 'Socket: Connection closed', neighborGr: 'Regular',
    }));
    const bird = birdLines(BIRD2_GR).map(wholeSeconds);
    const gr = ['    Neighbor graceful restart active', '    Restart timer:    12/-', '    Last error:       Socket: Connection closed', '    Neighbor GR:    Regular'];
    for (const l of gr) assert.ok(bird.includes(l), `BIRD 2 prints ${JSON.stringify(l)}`);
    // Wren's lines, continuation-prefixed, in BIRD 2's order, and nothing LLGR-only.
    const idx = gr.map((l) => lines.indexOf(' ' + l));
    assert.ok(idx.every((i) => i > 0), `all present in ${lines.join('\n')}`);
    assert.deepEqual([...idx].sort((a, b) => a - b), idx, 'BIRD 2 order');
    assert.ok(lines.indexOf('   BGP state:          Active') < idx[0]!);
    assert.equal(lines.some((l) => l.includes('LL stale timer')), false);
    assert.equal(lines.at(-3), '     Neighbor GR:    Regular', 'last line of the block before the blank one');
    assert.equal(lines.at(-2), ' ', 'block still ends with the empty 1006 line');
  });

  test('LLGR phase: "Neighbor GR: Long-lived" and "LL stale timer: n/-", no restart timer', () => {
    const lines = rendered(bgpProto({
      state: 'Active', neighborAddress: '198.18.50.2', neighborAs: 65001, neighborGracefulRestartActive: true,
      lastError: 'Socket: Connection refused', neighborGr: 'Long-lived', llStaleTimer: 117,
    }));
    const bird = birdLines(BIRD2_LLGR).map(wholeSeconds);
    const llgr = ['    Neighbor graceful restart active', '    Last error:       Socket: Connection refused', '    Neighbor GR:    Long-lived', '    LL stale timer: 117/-'];
    for (const l of llgr) assert.ok(bird.includes(l), `BIRD 2 prints ${JSON.stringify(l)}`);
    const idx = llgr.map((l) => lines.indexOf(' ' + l));
    assert.ok(idx.every((i) => i > 0), `all present in ${lines.join('\n')}`);
    assert.deepEqual([...idx].sort((a, b) => a - b), idx);
    assert.equal(lines.some((l) => l.includes('Restart timer')), false);
  });

  test('no GR: none of the lines', () => {
    const text = rendered(bgpProto({ state: 'Active', neighborAddress: '198.18.50.2', neighborAs: 65001 })).join('\n');
    assert.doesNotMatch(text, /graceful restart active|Neighbor GR|LL stale timer|Restart timer/);
  });

  test('show route: `(100s)` for an LLGR-stale route, as BIRD 2; the rest of the 1.6 line unchanged', () => {
    const r: RouteEntry = {
      dest: { kind: 'router', gateway: '198.18.50.2', iface: 'eth0' }, protocol: 'b', since: NOW, primary: true, preference: 100,
      bgp: { stale: true, originAs: 65001, origin: 'i' },
    };
    const stale = routeLine('10.7.0.0/24', r, '11:51:32');
    assert.equal(stale, '10.7.0.0/24        via 198.18.50.2 on eth0 [b 11:51:32] * (100s) [AS65001i]');
    assert.ok(BIRD2_LLGR_ROUTE.endsWith(stale.slice(stale.indexOf('] *') + 1)), 'same info column as BIRD 2');
    const fresh = routeLine('10.7.0.0/24', { ...r, bgp: { originAs: 65001, origin: 'i' } }, '11:51:15');
    assert.ok(BIRD2_GR_ROUTE.endsWith(fresh.slice(fresh.indexOf('] *') + 1)), 'GR-stale: unmarked, as BIRD 2');
  });
});

// ---------------------------------------------------------------------------------------------
// In-process daemon

const WREN = '127.0.0.1';
const PEER = '127.0.0.2';
const NAME = 'Mesh_127_0_0_2';
const LLGR_STALE = 0xffff0006;

/** A scripted BGP peer: one Session dialing Wren. */
class ScriptedPeer {
  readonly session: Session;
  constructor(port: number, extra: Partial<SessionConfig>) {
    this.session = new Session({
      name: 'peer', localAs: 65001, peerAs: 65000, routerId: 0x7f000002, peerAddress: WREN, peerPort: port,
      localAddress: PEER, holdTime: 90, connectDelayTime: 0, connectRetryTime: 1, errorWaitTime: [1, 1],
      multihop: 64, families: [IPV4_UNICAST], ...extra,
    });
    this.session.start();
  }

  get established(): boolean {
    return this.session.state === 'Established';
  }

  announce(prefixes: string[], attrs: Omit<PathAttributes, 'nextHop'> = {}): void {
    const nlri: Nlri[] = prefixes.map((p) => ({ ...parsePrefix(p), pathId: 0 }));
    const u: UpdateMessage = {
      type: MessageType.UPDATE, withdrawn: [], nlri, action: UpdateAction.NONE, errors: [],
      attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], ...attrs, nextHop: parseAddress(PEER) },
    };
    this.session.send(encodeUpdate(u, this.session.negotiated!.codec));
  }

  endOfRib(): void {
    this.session.send(encodeEndOfRib(Afi.IPV4, 1));
  }

  /** Dies: TCP reset, no NOTIFICATION. */
  crash(): void {
    const sock = (this.session as unknown as { main: { socket: import('node:net').Socket | null } }).main.socket;
    assert.ok(sock, 'peer has a socket');
    sock.resetAndDestroy();
    this.session.stop();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, WREN, () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('daemon: a GR + LLGR peer lost and back, over the control socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wren-llgr-show-'));
  const RESTART_TIME = 4;
  const STALE_TIME = 30;
  let daemon: Daemon;
  let src: DaemonControlSource;
  let server: ControlServer;
  let c: RawClient;
  let proto: BgpProtocol;
  const peers: ScriptedPeer[] = [];
  let peer: ScriptedPeer;
  let port = 0;

  /** A reply's lines without the reply codes / continuation blank. */
  const texts = (reply: string): string[] => reply.split('\n').filter((l) => l !== '').map((l) => (/^\d{4}[- ]/.test(l) ? l.slice(5) : l.slice(1)));
  const showAll = async (): Promise<string[]> => texts(await c.cmd(`show protocols all ${NAME}`));
  /** The 1007 line of a prefix in `show route`. */
  const routeOf = async (prefix: string): Promise<string | undefined> => texts(await c.cmd('show route')).find((l) => l.startsWith(prefix + ' '));
  /** The BGP info column of a route from the peer: `(100[s][/igp]) [AS65001i]` (`gateway
   *  recursive` with a loopback next hop adds `/-`). */
  const info = (stale: boolean) => new RegExp(`\\(100${stale ? 's' : ''}(/[-?\\d]+)?\\) \\[AS65001i\\]$`);
  const timerOf = (lines: string[], label: string): number | undefined => {
    const l = lines.find((x) => x.startsWith(`    ${label}`));
    const m = l && new RegExp(`^    ${label} *(\\d+)/-$`).exec(l);
    return m ? Number(m[1]) : undefined;
  };

  before(async () => {
    port = await freePort();
    const conf = join(dir, 'wren.conf');
    writeFileSync(conf, `
router id 192.0.2.1;
listen bgp address ${WREN} port ${port};
protocol static static1 { route 10.9.0.0/24 blackhole; }
protocol bgp ${NAME} {
  local as 65000; neighbor ${PEER} as 65001; multihop; passive on; hold time 90; error wait time 1,1;
  graceful restart on; long lived graceful restart on; long lived stale time 60;
  import all; export all;
}
`);
    daemon = new Daemon({ configFile: conf, socketPath: join(dir, 'unused.ctl'), foreground: true, debug: false, recover: false, ipv6: false, jsonLogs: false }, nullLogger);
    await daemon.start();
    src = new DaemonControlSource(daemon, { onDown: () => {} });
    server = new ControlServer(join(dir, 'bird.ctl'), src, { family: 'ipv4' });
    await server.listen();
    c = await RawClient.open(server.path);
    proto = daemon.protocols.get(NAME) as BgpProtocol;
    assert.ok(proto instanceof BgpProtocol);
    peer = new ScriptedPeer(port, { gracefulRestart: { restartTime: RESTART_TIME }, llgr: { staleTime: STALE_TIME } });
    peers.push(peer);
    await until(() => peer.established && proto.state === 'up', { what: 'peer Established' });
    peer.announce(['10.1.0.0/24', '10.2.0.0/24']);
    peer.endOfRib();
    await until(() => daemon.table.get(parsePrefix('10.2.0.0/24'))?.best, { what: 'routes in the table' });
  });

  after(async () => {
    for (const p of peers) p.session.stop();
    c?.close();
    await server?.close();
    src?.close();
    await daemon?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  test('session up, no restart: no GR lines, routes unmarked', async () => {
    const lines = await showAll();
    assert.ok(lines.includes('  BGP state:          Established'));
    assert.equal(lines.some((l) => /graceful restart active|Neighbor GR:|LL stale timer|Restart timer/.test(l)), false, lines.join('\n'));
    assert.match((await routeOf('10.1.0.0/24'))!, info(false));
  });

  test('peer lost (GR): "Neighbor graceful restart active", "Restart timer", "Neighbor GR: Regular"; routes kept, not marked', async () => {
    peer.crash();
    await until(() => proto.gracefulRestartState === 'gr', { what: 'GR detected' });
    const lines = await showAll();
    const text = lines.join('\n');
    assert.match(lines[1]!, new RegExp(`^${NAME} BGP      master   start  \\S+ +\\S+`), 'summary row: state start');
    const i = (l: string) => lines.indexOf(l);
    assert.ok(i('    Neighbor graceful restart active') > i('    Neighbor AS:      65001'), text);
    const restart = timerOf(lines, 'Restart timer:');
    assert.ok(restart !== undefined && restart <= RESTART_TIME, `Restart timer n/- with n <= ${RESTART_TIME}: ${text}`);
    assert.ok(i('    Neighbor GR:    Regular') > i('    Neighbor graceful restart active'), text);
    assert.equal(timerOf(lines, 'LL stale timer:'), undefined);
    // BIRD 2 marks only LLGR-stale routes.
    const r = await routeOf('10.1.0.0/24');
    assert.match(r!, new RegExp(`\\[${NAME} \\S+ from ${PEER.replaceAll('.', '\\.')}\\]|\\[${NAME} \\S+\\]`));
    assert.match(r!, info(false));
  });

  test('restart time over (LLGR): "Neighbor GR: Long-lived", "LL stale timer: n/-", no restart timer; `(100s)` routes; Calico parsers unaffected', async () => {
    await until(() => proto.gracefulRestartState === 'llgr', { what: 'LLGR phase', timeoutMs: 20_000 });
    const lines = await showAll();
    const text = lines.join('\n');
    assert.ok(lines.includes('    Neighbor graceful restart active'), text);
    assert.ok(lines.includes('    Neighbor GR:    Long-lived'), text);
    const ll = timerOf(lines, 'LL stale timer:');
    assert.ok(ll !== undefined && ll <= STALE_TIME, `LL stale timer n/- with n <= ${STALE_TIME}: ${text}`);
    assert.equal(timerOf(lines, 'Restart timer:'), undefined, 'the restart timer is over');
    assert.ok(lines.indexOf('    LL stale timer: ' + ll + '/-') === lines.indexOf('    Neighbor GR:    Long-lived') + 1, 'BIRD 2 order');
    assert.match((await routeOf('10.1.0.0/24'))!, info(true));
    assert.match((await routeOf('10.9.0.0/24'))!, /\* \(200\)$/, 'a static route is never stale');
    const all = await c.cmd('show route all 10.1.0.0/24');
    assert.match(all, /\tBGP\.community: \(65535,6\)\n/);
    assert.ok(daemon.table.get(parsePrefix('10.1.0.0/24'))!.routes[0]!.attrs.communities!.includes(LLGR_STALE));
    // Calico (contract.md §3): the peer row still parses, the stale routes still parse.
    const cc = await ControlClient.connect(server.path);
    try {
      await cc.nextLine();
      const ps = await getPeers(cc);
      assert.deepEqual(ps.map((p) => [p.peerIP, p.state]), [[PEER, 'start']]);
    } finally {
      cc.close();
    }
    const routes = await calicoRoutes(server.path);
    assert.ok(routes.some((r) => r.dest === '10.1.0.0/24' && r.from === NAME && r.primary), JSON.stringify(routes));
  });

  test('peer back with the F bit: up, still "Long-lived" until its End-of-RIB; re-announced routes unmarked, the rest `s`; then all gone', async () => {
    peer = new ScriptedPeer(port, {
      gracefulRestart: { restartTime: RESTART_TIME, restarting: true }, llgr: { staleTime: STALE_TIME },
    });
    peers.push(peer);
    await until(() => peer.established && proto.state === 'up', { what: 'peer back', timeoutMs: 20_000 });
    peer.announce(['10.1.0.0/24']);
    await until(async () => info(false).test((await routeOf('10.1.0.0/24')) ?? ''), { what: '10.1 fresh again' });
    let lines = await showAll();
    let text = lines.join('\n');
    assert.match(lines[1]!, new RegExp(`^${NAME} BGP      master   up     \\S+ +Established   $`));
    assert.ok(lines.includes('    Neighbor graceful restart active'), text);
    assert.ok(lines.includes('    Neighbor GR:    Long-lived'), text);
    assert.ok(timerOf(lines, 'LL stale timer:') !== undefined, text);
    assert.equal(timerOf(lines, 'Restart timer:'), undefined, 'protocol up: no restart timer (BIRD 2: PS_START only)');
    assert.ok(lines.some((l) => l.startsWith('    Neighbor ID:      ')), text);
    assert.match((await routeOf('10.2.0.0/24'))!, info(true), 'not re-announced: still LLGR-stale');
    peer.endOfRib();
    await until(() => proto.gracefulRestartState === 'none', { what: 'End-of-RIB sweep' });
    lines = await showAll();
    text = lines.join('\n');
    assert.equal(lines.some((l) => /graceful restart active|Neighbor GR:|LL stale timer|Restart timer/.test(l)), false, text);
    assert.equal(await routeOf('10.2.0.0/24'), undefined, 'swept');
    assert.match((await routeOf('10.1.0.0/24'))!, info(false));
  });
});

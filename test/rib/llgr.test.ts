// Graceful restart with long-lived stale routes (RFC 4724 §4.2, RFC 9494), helper and
// restarting side, on real loopback TCP sessions: BgpProtocols of one routing table behind a
// Listener on 127.0.0.1, and scripted peers — raw Wren Sessions on 127.0.0.2… — that
// announce, send End-of-RIB, and "crash" (their socket reset, no NOTIFICATION), the way
// test/conformance/wren-peer.ts drives a Session.
//
//   P 127.0.0.2 AS 65001  GR + LLGR-able peer that restarts (the subject)
//   Q 127.0.0.3 AS 65002  GR-only peer with a worse path to P's 10.1.0.0/24
//   N 127.0.0.4 AS 65003  receiver without the LLGR capability
//   A 127.0.0.5 AS 65004  receiver with the LLGR capability
//
// Checked: P lost → its routes kept (GR), then at its restart time LLGR-stale: 65535:6
// added, least preferred (Q's path wins), NO_LLGR routes dropped, not sent to N, sent to A
// with 65535:6; P back with the R and F bits → its new routes replace the stale ones and
// its End-of-RIB sweeps the rest; lost again → the long-lived stale timer removes them; a
// peer back without the Forwarding State bit has its stale routes flushed at once. And the
// restarting side (-R): R and F bits in our OPEN, export (and End-of-RIB) held until the
// recovery gate opens, no R bit after recovery; and the same through the daemon (-R), where
// a peer that is restarting itself is not waited for.
// Timers are the peers' capability values (1–3 s); the tests wait for states with bounded
// polling and never measure time.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../conf/index.js';
import type { BgpProtocolConfig, StaticProtocolConfig } from '../../conf/model.js';
import { StaticProtocol } from '../../src/rib/static.js';
import { RoutingTable } from '../../src/rib/table.js';
import { BgpProtocol, type RecoveryGate } from '../../src/bgp/protocol.js';
import { Listener } from '../../src/bgp/listener.js';
import { Session, type SessionConfig } from '../../src/bgp/session.js';
import { nullLogger } from '../../src/log.js';
import { encodeUpdate, encodeEndOfRib, MessageType, type PathAttributes, type UpdateMessage } from '../../src/bgp/codec/index.js';
import { UpdateAction } from '../../src/bgp/errors.js';
import { Afi, IPV4_UNICAST, formatPrefix, parseAddress, parsePrefix, type Nlri } from '../../src/rib/prefix.js';
import { until } from '../helpers/poll.js';
import { Daemon } from '../../src/daemon.js';
import { DaemonControlSource } from '../../src/control/daemon-source.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LLGR_STALE = 0xffff0006;
const NO_LLGR = 0xffff0007;
const WREN = '127.0.0.1';

/** A scripted BGP peer: one Session dialing Wren, with the routes it received. */
class ScriptedPeer {
  readonly session: Session;
  readonly rib = new Map<string, PathAttributes>();
  endOfRibs = 0;
  constructor(
    readonly name: string,
    readonly address: string,
    readonly as: number,
    port: number,
    extra: Partial<SessionConfig>,
  ) {
    this.session = new Session({
      name, localAs: as, peerAs: 65000, routerId: parseRouterId(address), peerAddress: WREN, peerPort: port,
      localAddress: address, holdTime: 90, connectDelayTime: 0, connectRetryTime: 1, errorWaitTime: [1, 1],
      multihop: 64, families: [IPV4_UNICAST], ...extra,
    });
    this.session.on('update', (u: UpdateMessage) => {
      for (const n of u.withdrawn) this.rib.delete(formatPrefix(n));
      for (const n of u.nlri) this.rib.set(formatPrefix(n), u.attributes);
    });
    this.session.on('endOfRib', () => this.endOfRibs++);
    this.session.on('down', () => this.rib.clear());
    this.session.start();
  }

  get established(): boolean {
    return this.session.state === 'Established';
  }

  announce(prefixes: string[], attrs: Omit<PathAttributes, 'nextHop'>): void {
    const nlri: Nlri[] = prefixes.map((p) => ({ ...parsePrefix(p), pathId: 0 }));
    const u: UpdateMessage = {
      type: MessageType.UPDATE, withdrawn: [], nlri, action: UpdateAction.NONE, errors: [],
      attributes: { origin: 0, ...attrs, nextHop: parseAddress(this.address) },
    };
    assert.ok(this.session.send(encodeUpdate(u, this.session.negotiated!.codec)) !== undefined);
  }

  endOfRib(): void {
    this.session.send(encodeEndOfRib(Afi.IPV4, 1));
  }

  /** The peer dies: its TCP connection is reset, no NOTIFICATION goes out, it never comes back. */
  crash(): void {
    const sock = (this.session as unknown as { main: { socket: import('node:net').Socket | null } }).main.socket;
    assert.ok(sock, `${this.name} has a socket`);
    sock.resetAndDestroy();
    this.session.stop();
  }

  communities(prefix: string): number[] | undefined {
    return this.rib.get(prefix)?.communities as number[] | undefined;
  }
}

function parseRouterId(a: string): number {
  const b = parseAddress(a);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** A TCP port nobody listens on at the moment (bound once on loopback, then released). */
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

const path = (...asns: number[]) => [{ type: 2 as const, asns }];

function wrenSetup(recovering = false, extraPeers = '') {
  const cfg = parseConfigText(`
router id 192.0.2.1;
template bgp t {
  local as 65000; multihop; passive on; hold time 90; error wait time 1,1;
  import all; export all;
  graceful restart on; long lived graceful restart on; long lived stale time 30;
}
protocol bgp P from t { neighbor 127.0.0.2 as 65001; }
protocol bgp Q from t { neighbor 127.0.0.3 as 65002; }
protocol bgp N from t { neighbor 127.0.0.4 as 65003; }
protocol bgp A from t { neighbor 127.0.0.5 as 65004; }
${extraPeers}
`, 'llgr.conf', { dialect: 'ipv4' });
  const table = new RoutingTable();
  const listener = new Listener({ address: WREN, port: 0 });
  const ctx = { table, log: nullLogger, routerId: parseRouterId('192.0.2.1'), recovering };
  const protos = new Map<string, BgpProtocol>();
  for (const p of cfg.protocols) {
    if (p.type === 'bgp') protos.set(p.name, new BgpProtocol(p as BgpProtocolConfig, ctx, listener));
    if (p.type === 'static') new StaticProtocol(p as StaticProtocolConfig, ctx).start();
  }
  return { table, listener, protos };
}

/** The candidate of `proto` for a prefix in the table, and whether it is the best. */
function candidate(table: RoutingTable, prefix: string, proto: string) {
  const net = table.get(parsePrefix(prefix));
  const r = net?.routes.find((x) => x.source.name === proto);
  return r && { route: r, best: net!.best === r, reason: net!.reason, communities: (r.attrs.communities ?? []) as readonly number[] };
}

describe('LLGR helper (RFC 9494) and graceful restart on loopback sessions', () => {
  const { table, listener, protos } = wrenSetup();
  const P = protos.get('P')!, Q = protos.get('Q')!;
  let peers: ScriptedPeer[] = [];
  let p: ScriptedPeer, q: ScriptedPeer, n: ScriptedPeer, a: ScriptedPeer;

  before(async () => {
    await listener.listen();
    for (const proto of protos.values()) proto.start();
    const port = listener.port;
    p = new ScriptedPeer('p', '127.0.0.2', 65001, port, { gracefulRestart: { restartTime: 1 }, llgr: { staleTime: 30 } });
    q = new ScriptedPeer('q', '127.0.0.3', 65002, port, { gracefulRestart: { restartTime: 60 } });
    n = new ScriptedPeer('n', '127.0.0.4', 65003, port, { gracefulRestart: { restartTime: 60 } });
    a = new ScriptedPeer('a', '127.0.0.5', 65004, port, { gracefulRestart: { restartTime: 60 }, llgr: { staleTime: 60 } });
    peers = [p, q, n, a];
    await until(() => peers.every((x) => x.established), { what: 'all peers Established' });
    p.announce(['10.1.0.0/24', '10.3.0.0/24'], { asPath: path(65001) });
    p.announce(['10.2.0.0/24'], { asPath: path(65001), communities: [NO_LLGR] });
    p.endOfRib();
    q.announce(['10.1.0.0/24'], { asPath: path(65002, 65009) });
    q.endOfRib();
    await until(() => n.rib.size === 3 && a.rib.size === 3, { what: 'N and A have the three prefixes' });
  });

  after(async () => {
    for (const x of peers) x.session.stop();
    for (const proto of protos.values()) proto.stop();
    await listener.close();
  });

  test('before the restart: P has the best path to 10.1.0.0/24, every receiver has all three prefixes', () => {
    assert.equal(candidate(table, '10.1.0.0/24', 'P')?.best, true);
    assert.deepEqual(n.rib.get('10.1.0.0/24')?.asPath, path(65000, 65001));
    assert.equal(P.negotiated?.gracefulRestart?.restartTime, 1);
  });

  test('P lost without NOTIFICATION: routes kept (GR), then at its restart time LLGR-stale, NO_LLGR dropped, hidden from non-LLGR peers', async () => {
    // What Wren holds the moment it notices (synchronously after the protocol's handler).
    let atDown: { state: string; r10: boolean; r20: boolean; stale: boolean } | undefined;
    P.session.once('down', () => {
      atDown = {
        state: P.gracefulRestartState,
        r10: candidate(table, '10.1.0.0/24', 'P')?.best === true,
        r20: candidate(table, '10.2.0.0/24', 'P') !== undefined,
        stale: candidate(table, '10.1.0.0/24', 'P')!.communities.includes(LLGR_STALE),
      };
    });
    p.crash();
    await until(() => atDown, { what: 'Wren notices P is gone' });
    assert.deepEqual(atDown, { state: 'gr', r10: true, r20: true, stale: false }, 'RFC 4724: routes kept as they were, still best');

    await until(() => P.gracefulRestartState === 'llgr', { what: 'LLGR phase after the 1 s restart time' });
    const r10 = candidate(table, '10.1.0.0/24', 'P')!;
    assert.ok(r10.communities.includes(LLGR_STALE), 'LLGR_STALE added');
    assert.equal(r10.best, false, 'least preferred');
    const q10 = candidate(table, '10.1.0.0/24', 'Q')!;
    assert.equal(q10.best, true);
    assert.equal(q10.reason, 'LLGR stale', 'decided by the LLGR step although P has the shorter AS path');
    assert.equal(candidate(table, '10.2.0.0/24', 'P'), undefined, 'NO_LLGR route flushed');
    const r30 = candidate(table, '10.3.0.0/24', 'P')!;
    assert.ok(r30.communities.includes(LLGR_STALE));
    assert.equal(r30.best, true, 'the only route, stale or not');
    // Receivers: 10.1 now via Q everywhere; 10.3 only to the LLGR-aware receiver, with 65535:6.
    await until(() => !n.rib.has('10.3.0.0/24') && !n.rib.has('10.2.0.0/24') && !a.rib.has('10.2.0.0/24'), { what: 'N loses 10.3 and 10.2, A loses 10.2' });
    await until(() => a.communities('10.3.0.0/24')?.includes(LLGR_STALE), { what: 'A gets 10.3 with LLGR_STALE' });
    await until(() => n.rib.get('10.1.0.0/24')?.asPath?.[0]?.asns.join(' ') === '65000 65002 65009', { what: 'N gets 10.1 via Q' });
    assert.deepEqual(a.rib.get('10.1.0.0/24')?.asPath, path(65000, 65002, 65009));
    assert.ok(P.staleTimerLeft !== undefined && P.staleTimerLeft > 0, 'long-lived stale timer running');
  });

  test('P back with the R and F bits: new routes replace the stale ones, its End-of-RIB sweeps the rest', async () => {
    p = new ScriptedPeer('p2', '127.0.0.2', 65001, listener.port, { gracefulRestart: { restartTime: 1, restarting: true }, llgr: { staleTime: 2 } });
    peers.push(p);
    await until(() => p.established, { what: 'P re-established', timeoutMs: 20_000 });
    assert.equal(P.gracefulRestartState, 'llgr', 'F bit set: stale routes kept until End-of-RIB');
    p.announce(['10.1.0.0/24', '10.4.0.0/24'], { asPath: path(65001) });
    await until(() => candidate(table, '10.1.0.0/24', 'P')?.best, { what: 'P best again for 10.1' });
    assert.deepEqual(candidate(table, '10.1.0.0/24', 'P')!.communities, [], 'fresh route, no LLGR_STALE');
    assert.ok(candidate(table, '10.3.0.0/24', 'P')!.communities.includes(LLGR_STALE), 'not re-announced yet: still stale');
    p.endOfRib();
    await until(() => candidate(table, '10.3.0.0/24', 'P') === undefined, { what: '10.3 swept by End-of-RIB' });
    assert.equal(P.gracefulRestartState, 'none');
    await until(() => !a.rib.has('10.3.0.0/24') && n.rib.has('10.4.0.0/24'), { what: 'A loses 10.3, N gets 10.4' });
    await until(() => n.rib.get('10.1.0.0/24')?.asPath?.[0]?.asns.join(' ') === '65000 65001', { what: 'N gets 10.1 via P again' });
  });

  test('P lost again: the long-lived stale timer (its new 2 s) removes the routes', async () => {
    p.crash();
    await until(() => P.gracefulRestartState === 'llgr', { what: 'LLGR phase' });
    assert.ok(candidate(table, '10.4.0.0/24', 'P')!.communities.includes(LLGR_STALE));
    await until(() => P.gracefulRestartState === 'none', { what: 'long-lived stale timer expiry', timeoutMs: 20_000 });
    assert.equal(candidate(table, '10.4.0.0/24', 'P'), undefined);
    assert.equal(candidate(table, '10.1.0.0/24', 'P'), undefined);
    assert.equal(candidate(table, '10.1.0.0/24', 'Q')?.best, true);
    await until(() => !n.rib.has('10.4.0.0/24') && !a.rib.has('10.4.0.0/24'), { what: '10.4 withdrawn at N and A' });
  });

  test('a GR peer back without the Forwarding State bit has its stale routes flushed at once (RFC 4724 §4.2)', async () => {
    q.crash();
    await until(() => Q.gracefulRestartState === 'gr', { what: 'Q routes stale' });
    assert.ok(candidate(table, '10.1.0.0/24', 'Q'), 'kept for its 60 s restart time');
    let atUp: boolean | undefined;
    Q.session.once('established', () => (atUp = candidate(table, '10.1.0.0/24', 'Q') !== undefined));
    q = new ScriptedPeer('q2', '127.0.0.3', 65002, listener.port, { gracefulRestart: { restartTime: 60 } });
    peers.push(q);
    await until(() => atUp !== undefined, { what: 'Q re-established', timeoutMs: 20_000 });
    assert.equal(atUp, false, 'flushed when the new session came up, before any UPDATE');
    assert.equal(Q.gracefulRestartState, 'none');
  });
});

describe('restarting side (-R): R and F bits, export held until recovery is over (RFC 4724 §4.1)', () => {
  test('a GR peer gets nothing, End-of-RIB included, until the gate opens; later OPENs have no R bit', async () => {
    const { listener, protos } = wrenSetup(true, `protocol static s { route 10.9.0.0/24 blackhole; }`);
    await listener.listen();
    const P = protos.get('P')!;
    let open = false;
    const waiting: (() => void)[] = [];
    const gate: RecoveryGate = {
      get done() { return open; },
      onDone(f) { if (open) f(); else waiting.push(f); },
    };
    P.deferExportUntil(gate);
    P.start();
    const p = new ScriptedPeer('p', '127.0.0.2', 65001, listener.port, { gracefulRestart: { restartTime: 60 }, llgr: { staleTime: 60 } });
    let p2: ScriptedPeer | undefined;
    try {
      await until(() => p.established, { what: 'P Established' });
      const neg = p.session.negotiated!;
      assert.equal(neg.gracefulRestart?.restarting, true, 'R bit');
      assert.equal(neg.gracefulRestart?.families.get(IPV4_UNICAST)?.forwardingPreserved, true, 'F bit');
      assert.equal(neg.llgr?.families.get(IPV4_UNICAST)?.forwardingPreserved, true, 'LLGR F bit');
      // Give the event loop a few turns: nothing may come.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.equal(p.rib.size, 0);
      assert.equal(p.endOfRibs, 0, 'no End-of-RIB before recovery');
      // Recovery over: routes, then End-of-RIB.
      open = true;
      P.recoveryDone();
      for (const f of waiting.splice(0)) f();
      await until(() => p.endOfRibs === 1, { what: 'End-of-RIB after recovery' });
      assert.ok(p.rib.has('10.9.0.0/24'), 'our route came before End-of-RIB');
      // A new session after recovery: no R bit, no F bit.
      p.crash();
      p2 = new ScriptedPeer('p2', '127.0.0.2', 65001, listener.port, { gracefulRestart: { restartTime: 60 } });
      await until(() => p2!.established, { what: 'P re-established', timeoutMs: 20_000 });
      assert.equal(p2.session.negotiated!.gracefulRestart?.restarting, false);
      assert.equal(p2.session.negotiated!.gracefulRestart?.families.get(IPV4_UNICAST)?.forwardingPreserved, false);
      await until(() => p2!.endOfRibs === 1 && p2!.rib.has('10.9.0.0/24'), { what: 'routes at once on the new session' });
    } finally {
      p.session.stop();
      p2?.session.stop();
      P.stop();
      await listener.close();
    }
  });

  test('the daemon with -R: R bit to the GR peer, its End-of-RIB ends recovery, then our routes and End-of-RIB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wren-llgr-'));
    const port = await freePort();
    const conf = join(dir, 'wren.conf');
    writeFileSync(conf, `
router id 192.0.2.1;
listen bgp address ${WREN} port ${port};
graceful restart wait 60;
protocol static s { route 10.9.0.0/24 blackhole; }
protocol bgp P { local as 65000; neighbor 127.0.0.2 as 65001; multihop; passive on; graceful restart on; import all; export all; }
protocol bgp R { local as 65000; neighbor 127.0.0.3 as 65002; multihop; passive on; graceful restart on; import all; export all; }
`);
    const daemon = new Daemon({ configFile: conf, socketPath: join(dir, 'ctl'), foreground: true, debug: false, recover: true, ipv6: false, jsonLogs: false }, nullLogger);
    await daemon.start();
    const src = new DaemonControlSource(daemon, { onDown: () => {} });
    // P does GR and is not restarting: it is waited for. R restarts itself (R bit): it is not.
    const p = new ScriptedPeer('p', '127.0.0.2', 65001, port, { gracefulRestart: { restartTime: 60 } });
    const r = new ScriptedPeer('r', '127.0.0.3', 65002, port, { gracefulRestart: { restartTime: 60, restarting: true } });
    try {
      await until(() => p.established && r.established, { what: 'P and R Established' });
      assert.equal(p.session.negotiated!.gracefulRestart?.restarting, true, 'our R bit');
      await until(() => r.endOfRibs === 1 && r.rib.has('10.9.0.0/24'), { what: 'R (restarting itself) gets our routes at once' });
      for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
      assert.equal(p.endOfRibs, 0, 'P waits for recovery');
      assert.equal(p.rib.size, 0);
      assert.equal(daemon.gracefulRecoveryActive, true, 'recovery waits for P');
      p.announce(['10.5.0.0/24'], { asPath: path(65001) });
      p.endOfRib();
      await until(() => p.endOfRibs === 1 && p.rib.has('10.9.0.0/24'), { what: 'P gets our routes and End-of-RIB after its own End-of-RIB' });
      assert.equal(daemon.gracefulRecoveryActive, false, 'recovery over');
      assert.equal(src.protocols().find((x) => x.name === 'P')?.state, 'up');
      assert.ok(r.rib.has('10.5.0.0/24'), "P's route reached R");
    } finally {
      p.session.stop();
      r.session.stop();
      src.close();
      await daemon.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a peer that is restarting itself (R bit) is not waited for', async () => {
    const { listener, protos } = wrenSetup(true);
    await listener.listen();
    const P = protos.get('P')!;
    P.deferExportUntil({ done: false, onDone: () => {} });
    P.start();
    const p = new ScriptedPeer('p', '127.0.0.2', 65001, listener.port, { gracefulRestart: { restartTime: 60, restarting: true } });
    try {
      await until(() => p.endOfRibs === 1, { what: 'End-of-RIB from Wren at once' });
    } finally {
      p.session.stop();
      P.stop();
      await listener.close();
    }
  });
});

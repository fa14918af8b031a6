// The whole daemon between real peers: BIRD 2 (AS 65001) → Wren (`wrend`, AS 65000) → FRR
// (AS 65002), all eBGP, each in its own namespace. Wren must re-advertise BIRD's routes to
// FRR with its AS prepended and itself as next hop, originate its own static route to both,
// pass FRR's routes back to BIRD, apply its export filter (a route it must not send stays
// home), and withdraw through the chain when BIRD withdraws. This is BIRD 1.6's behaviour
// for `protocol bgp` with `import all` and an export filter.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createLab } from '../helpers/netns.js';
import { Bird, Frr } from '../helpers/peers.js';
import { until, sleep } from '../helpers/poll.js';
import type { Proc } from '../helpers/process.js';
import { writeFileSync } from 'node:fs';
import { birdReady, calicoctlRows, bgpPeersStatus, calicoRoutes } from '../control/calico-parsers.js';

const root = new URL('../../', import.meta.url).pathname;
const WREN_AS = 65000, BIRD_AS = 65001, FRR_AS = 65002;
const W_B = '198.18.1.1', B = '198.18.1.2', W_F = '198.18.2.1', F = '198.18.2.2';

const wrenConfig = `
router id ${W_B};
protocol static { route 10.99.0.0/24 blackhole; route 10.98.0.0/24 blackhole; }
filter out { if net = 10.98.0.0/24 then reject; accept; }
template bgp t { local as ${WREN_AS}; hold time 9; connect delay time 1; connect retry time 2; error wait time 1,2; import all; export filter out; }
protocol bgp Node_198_18_1_2 from t { neighbor ${B} as ${BIRD_AS}; source address ${W_B}; }
protocol bgp Global_198_18_2_2 from t { neighbor ${F} as ${FRR_AS}; source address ${W_F}; passive on; }
`;

const birdConfig = `
router id ${B};
protocol device {}
protocol static feed { ipv4; route 10.1.0.0/24 blackhole; route 10.1.1.0/24 blackhole; }
protocol bgp w {
  local ${B} as ${BIRD_AS};
  neighbor ${W_B} as ${WREN_AS};
  passive on;
  hold time 9;
  graceful restart on;
  graceful restart time 60;
  ipv4 { import all; export where proto = "feed"; };
}
`;

const frrConfig = `
router bgp ${FRR_AS}
 bgp router-id ${F}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor ${W_F} remote-as ${WREN_AS}
 neighbor ${W_F} timers 3 9
 neighbor ${W_F} timers connect 1
 address-family ipv4 unicast
  network 10.2.0.0/24
  neighbor ${W_F} activate
 exit-address-family
`;

describe('Wren daemon relaying between BIRD and FRR', () => {
  const lab = createLab('relay');
  let bird: Bird;
  let frr: Frr;
  let wren: Proc;
  let wrenConf: string;
  let birdNs: string;

  before(async () => {
    const wns = await lab.ns(), bns = await lab.ns(), fns = await lab.ns();
    birdNs = bns;
    await lab.link({ a: wns, b: bns, aAddrs: [`${W_B}/24`], bAddrs: [`${B}/24`] });
    await lab.link({ a: wns, b: fns, aAddrs: [`${W_F}/24`], bAddrs: [`${F}/24`] });
    bird = await Bird.start(lab, bns, birdConfig);
    frr = await Frr.start(lab, fns, frrConfig, [F]);
    wrenConf = lab.file('wren.conf', wrenConfig);
    wren = lab.spawn(wns, [process.execPath, '--import', 'tsx', join(root, 'scripts/wrend-dev.mjs'), '-d', '-c', wrenConf, '-s', lab.path('wren.ctl')], { name: 'wren', cwd: root });
  });

  const frrPaths = async (prefix: string) => (await frr.route('ipv4', prefix)) ?? [];
  /** BIRD's routes for a prefix; birdc fails with "Network not found" when there are none. */
  const birdRoutes = async (prefix: string) => {
    try {
      return await bird.routes(prefix);
    } catch (e) {
      if (/Network not found/.test((e as Error).message)) return [];
      throw e;
    }
  };

  test("BIRD's routes reach FRR through Wren with AS path 65000 65001 and Wren as next hop", async () => {
    for (const p of ['10.1.0.0/24', '10.1.1.0/24']) {
      const paths = await until(async () => {
        const r = await frrPaths(p);
        return r.length ? r : undefined;
      }, { what: `${p} at FRR`, timeoutMs: 30_000, context: () => frr.proc.tail() });
      assert.equal(paths[0].aspath?.string ?? paths[0].path, `${WREN_AS} ${BIRD_AS}`);
      assert.equal(paths[0].nexthops?.[0]?.ip, W_F);
    }
  });

  test("Calico's readiness probe, calicoctl node status and CalicoNodeStatus accept Wren with both peers up", async () => {
    const sock = lab.path('wren.ctl');
    await until(async () => (await birdReady(sock, true)) === null, { what: 'readiness (young node: all peers Established)', timeoutMs: 20_000 });
    const rows = await calicoctlRows(sock);
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[4]]).sort(), [
      ['198.18.1.2', 'node specific', 'up', 'Established'],
      ['198.18.2.2', 'global', 'up', 'Established'],
    ]);
    const st = await bgpPeersStatus(sock);
    assert.equal(st.established, 2);
    const routes = await calicoRoutes(sock);
    assert.ok(routes.some((r) => r.dest === '10.1.0.0/24' && r.from === 'Node_198_18_1_2'), JSON.stringify(routes));
  });

  test("Wren's own static route reaches both peers; the one its export filter rejects reaches neither", async () => {
    await until(async () => (await frrPaths('10.99.0.0/24')).length > 0, { what: '10.99.0.0/24 at FRR', timeoutMs: 20_000 });
    const p = (await frrPaths('10.99.0.0/24'))[0];
    assert.equal(p.aspath?.string ?? p.path, `${WREN_AS}`);
    await until(async () => (await birdRoutes('10.99.0.0/24')).length > 0, { what: '10.99.0.0/24 at BIRD', timeoutMs: 20_000 });
    assert.equal((await frrPaths('10.98.0.0/24')).length, 0);
    assert.equal((await birdRoutes('10.98.0.0/24')).length, 0);
  });

  test("FRR's route reaches BIRD through Wren", async () => {
    const r = await until(async () => {
      const x = await birdRoutes('10.2.0.0/24');
      return x.length ? x : undefined;
    }, { what: '10.2.0.0/24 at BIRD', timeoutMs: 20_000 });
    assert.match(JSON.stringify(r[0]), new RegExp(`${WREN_AS} ${FRR_AS}`));
  });

  test('a withdrawal at BIRD is withdrawn at FRR', async () => {
    await bird.birdc('disable feed');
    await until(async () => (await frrPaths('10.1.0.0/24')).length === 0, { what: '10.1.0.0/24 gone at FRR', timeoutMs: 20_000 });
    await bird.birdc('enable feed');
    await until(async () => (await frrPaths('10.1.0.0/24')).length > 0, { what: '10.1.0.0/24 back at FRR', timeoutMs: 20_000 });
  });

  test('a ROUTE-REFRESH from FRR makes Wren send its routes again (RFC 2918, enhanced RFC 7313)', async () => {
    const stats = async () => {
      const j = await frr.json<Record<string, { messageStats?: { updatesRecv?: number; routeRefreshSent?: number } }>>(`show bgp neighbors ${W_F} json`);
      return j[W_F]!.messageStats!;
    };
    const before = await stats();
    await frr.vtysh(`clear bgp ipv4 unicast ${W_F} soft in`);
    await until(async () => ((await stats()).routeRefreshSent ?? 0) > (before.routeRefreshSent ?? 0), { what: 'FRR sent a refresh', timeoutMs: 10_000 });
    await until(async () => ((await stats()).updatesRecv ?? 0) >= (before.updatesRecv ?? 0) + 2, { what: 'Wren re-sent its UPDATEs', timeoutMs: 10_000, context: () => wren.tail() });
    assert.ok((await frrPaths('10.1.0.0/24')).length > 0);
    assert.ok((await frrPaths('10.99.0.0/24')).length > 0);
  });

  test('graceful restart, helper side: BIRD killed -9 keeps its routes at FRR; after its restart, End-of-RIB sweeps what it no longer has', async () => {
    process.kill(bird.proc.pid, 'SIGKILL');
    await sleep(3000);
    // Calico sees the peer go: not ready on a young node, calicoctl shows it down.
    const sock = lab.path('wren.ctl');
    await until(async () => (await birdReady(sock, true)) !== null, { what: 'readiness reports the lost peer', timeoutMs: 20_000 });
    const row = (await calicoctlRows(sock)).find((r) => r[0] === '198.18.1.2')!;
    assert.notEqual(row[4], 'Established');
    // Wren noticed (the TCP session is gone) and kept the routes as stale.
    await until(() => /graceful restart detected|Neighbor graceful restart/.test(wren.tail(300)), { what: 'GR detected in Wren log', timeoutMs: 20_000, context: () => wren.tail() });
    assert.ok((await frrPaths('10.1.0.0/24')).length > 0, 'stale route still advertised');
    assert.ok((await frrPaths('10.1.1.0/24')).length > 0, 'stale route still advertised');
    // BIRD comes back with one route fewer; its End-of-RIB makes Wren drop the other.
    bird = await Bird.start(lab, birdNs, birdConfig.replace(' route 10.1.1.0/24 blackhole;', ''), 'bird-restarted');
    await until(async () => (await frrPaths('10.1.1.0/24')).length === 0, { what: '10.1.1.0/24 swept at FRR', timeoutMs: 30_000, context: () => wren.tail() });
    // Restarted without -R, BIRD's OPEN has no Forwarding State bit: Wren flushed the stale
    // routes at once (RFC 4724 §4.2), and the one BIRD still has comes back with its UPDATE.
    await until(async () => (await frrPaths('10.1.0.0/24')).length > 0, { what: '10.1.0.0/24 re-announced', timeoutMs: 20_000, context: () => wren.tail() });
    await until(async () => (await birdReady(sock, true)) === null, { what: 'ready again after the restart', timeoutMs: 20_000 });
  });

  // ---- reloads (SIGHUP), BIRD 1.6 semantics (contract.md §2) ----------------------------

  const frrEstablished = async (): Promise<number> => {
    const j = await frr.json<Record<string, { connectionsEstablished?: number; bgpState?: string }>>(`show bgp neighbors ${W_F} json`);
    return j[W_F]?.bgpState === 'Established' ? (j[W_F]!.connectionsEstablished ?? 0) : -1;
  };
  const reload = (text: string) => {
    writeFileSync(wrenConf, text);
    process.kill(wren.pid, 'SIGHUP');
  };

  test('a broken file on SIGHUP is reported and changes nothing', async () => {
    const before = await frrEstablished();
    reload(wrenConfig + '\nprotocol bgp broken { neighbor 1.2.3 as 1; }\n');
    await until(() => /wren\.conf:\d+:\d+ /.test(wren.tail(200)), { what: 'config error in the log', timeoutMs: 10_000, context: () => wren.tail() });
    await sleep(1000);
    assert.equal(await frrEstablished(), before);
    assert.ok((await frrPaths('10.99.0.0/24')).length > 0);
  });

  test('only the export filter changed: the route it now accepts is announced, the session stays up', async () => {
    const before = await frrEstablished();
    assert.ok(before > 0);
    reload(wrenConfig.replace('if net = 10.98.0.0/24 then reject; accept;', 'accept;'));
    await until(async () => (await frrPaths('10.98.0.0/24')).length > 0, { what: '10.98.0.0/24 at FRR after reload', timeoutMs: 20_000, context: () => wren.tail() });
    assert.equal(await frrEstablished(), before, 'the session was not re-established');
  });

  test('a static route removed from the file is withdrawn, sessions untouched', async () => {
    const before = await frrEstablished();
    reload(wrenConfig.replace('if net = 10.98.0.0/24 then reject; accept;', 'accept;').replace(' route 10.99.0.0/24 blackhole;', ''));
    await until(async () => (await frrPaths('10.99.0.0/24')).length === 0, { what: '10.99.0.0/24 withdrawn at FRR', timeoutMs: 20_000, context: () => wren.tail() });
    assert.ok((await frrPaths('10.98.0.0/24')).length > 0);
    assert.equal(await frrEstablished(), before);
  });

  test('a peer removed from the file is shut down with Cease/Peer de-configured', async () => {
    reload(wrenConfig.replace(/protocol bgp Global_198_18_2_2[^\n]*\n/, ''));
    await until(async () => (await frrEstablished()) === -1, { what: 'FRR session down', timeoutMs: 20_000, context: () => wren.tail() });
    const j = await frr.json<Record<string, Record<string, unknown>>>(`show bgp neighbors ${W_F} json`);
    assert.equal(j[W_F]!.lastErrorCodeSubcode, '0603');
    // BIRD's session was not touched by any of this.
    assert.equal((await bird.protocol('w')).state, 'up');
  });
});

// Long-lived graceful restart (RFC 9494) against a real implementation: BIRD 2 (AS 65001,
// `graceful restart on; long lived graceful restart on;`) → the Wren daemon (AS 65000, LLGR
// `aware` by default) → two scripted Wren sessions, X without and Y with the LLGR
// capability; each in its own namespace. BIRD is killed -9: Wren keeps its routes through
// BIRD's restart time (RFC 4724), then makes them LLGR-stale — 65535:6 in Wren's
// `show route all`, "Neighbor graceful restart active" in `show protocols all`, the NO_LLGR
// route gone, X no longer sent them, Y sent them with 65535:6 — and when BIRD runs again
// (without -R: no Forwarding State bit) they come back clean, without 65535:6, to X and Y.
// Beside Wren, a second BIRD 2 (H, AS 65005) is a helper of the same restarting BIRD, so
// Wren's GR/LLGR lines in `show protocols all` ("Neighbor graceful restart active",
// "Restart timer", "Neighbor GR: Regular|Long-lived", "LL stale timer") and the `(100s)` of
// an LLGR-stale route in `show route` are compared with BIRD 2's own in the same situation
// (timers compared as `N/-`: BIRD 2 prints milliseconds, Wren whole seconds).

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { Bird } from '../helpers/peers.js';
import { WrenPeer } from '../helpers/wren.js';
import { Wrend } from '../helpers/wrend.js';
import { until } from '../helpers/poll.js';

const W_B = '198.18.40.1', B = '198.18.40.2', W_X = '198.18.41.1', X = '198.18.41.2', W_Y = '198.18.42.1', Y = '198.18.42.2';
const H = '198.18.43.1', B_H = '198.18.43.2';
const RESTART_TIME = 5;

const wrenConfig = `
router id ${W_B};
template bgp t { local as 65000; hold time 9; connect delay time 1; connect retry time 2; error wait time 1,2; import all; export all; }
protocol bgp Bird from t { neighbor ${B} as 65001; source address ${W_B}; }
protocol bgp X from t { neighbor ${X} as 65003; source address ${W_X}; passive on; }
protocol bgp Y from t { neighbor ${Y} as 65004; source address ${W_Y}; passive on; }
`;

/** One of BIRD's two sessions: to Wren (w) and to the second BIRD 2 that compares the output (h). */
const birdSession = (name: string, local: string, neighbor: string, as: number, imp: string) => `
protocol bgp ${name} {
  local ${local} as 65001;
  neighbor ${neighbor} as ${as};
  passive on;
  hold time 9;
  graceful restart on;
  graceful restart time ${RESTART_TIME};
  long lived graceful restart on;
  long lived stale time 120;
  ipv4 {
    import ${imp};
    export filter { if net = 10.7.1.0/24 then bgp_community.add((65535, 7)); if proto = "feed" then accept; reject; };
  };
}`;
const birdConfig = `
router id ${B};
protocol device {}
protocol static feed { ipv4; route 10.7.0.0/24 blackhole; route 10.7.1.0/24 blackhole; }
${birdSession('w', B, W_B, 65000, 'all')}
${birdSession('h', B_H, H, 65005, 'none')}
`;

/** H: a BIRD 2 helper of the same restarting BIRD, for comparing the `show` lines. */
const helperConfig = `
router id ${H};
protocol device {}
protocol bgp b {
  local ${H} as 65005;
  neighbor ${B_H} as 65001;
  hold time 9;
  connect delay time 1;
  connect retry time 2;
  error wait time 1,2;
  graceful restart on;
  long lived graceful restart on;
  ipv4 { import all; export none; };
}
`;

/** The graceful-restart lines of `show protocols all` (BIRD 2 bgp_show_proto_info), timers as N. */
const GR_LINE = /^\s+(Neighbor graceful restart active|Restart timer:|Neighbor GR:|LL stale timer:)/;
const grLines = (lines: readonly string[]): string[] => lines.filter((l) => GR_LINE.test(l)).map((l) => l.replace(/\d+(\.\d+)?\/-$/, 'N/-'));
/** The info column at the end of a `show route` line: ` * (100s) [AS65001i]`. */
const routeInfoOf = (line: string | undefined): string | undefined => /\] (\* )?(\(\d+[^)]*\) \[[^\]]*\])$/.exec(line ?? '')?.[0].slice(1);

describe('LLGR with BIRD 2: killed -9, LLGR-stale at Wren, back clean after its restart', () => {
  const lab = createLab('llgr');
  let bird: Bird;
  let wren: Wrend;
  let x: WrenPeer;
  let y: WrenPeer;
  let birdNs: string;
  let helper: Bird;
  /** `show protocols all` of both helpers: Wren's lines and H's (birdc output lines). */
  const both = async (): Promise<{ wren: string[]; bird: string[] }> => ({
    wren: await wren.text('show protocols all Bird'),
    bird: (await helper.birdc('show protocols all b')).split('\n'),
  });
  /** The `show route` line of 10.7.0.0/24 at Wren and at H. */
  const routeLines = async (): Promise<{ wren?: string; bird?: string }> => ({
    wren: (await wren.text('show route')).find((l) => l.startsWith('10.7.0.0/24 ')),
    bird: (await helper.birdc('show route')).split('\n').find((l) => l.startsWith('10.7.0.0/24 ')),
  });

  before(async () => {
    const wns = await lab.ns(), bns = await lab.ns(), xns = await lab.ns(), yns = await lab.ns(), hns = await lab.ns();
    birdNs = bns;
    await lab.link({ a: wns, b: bns, aAddrs: [`${W_B}/24`], bAddrs: [`${B}/24`] });
    await lab.link({ a: wns, b: xns, aAddrs: [`${W_X}/24`], bAddrs: [`${X}/24`] });
    await lab.link({ a: wns, b: yns, aAddrs: [`${W_Y}/24`], bAddrs: [`${Y}/24`] });
    await lab.link({ a: hns, b: bns, aAddrs: [`${H}/24`], bAddrs: [`${B_H}/24`] });
    helper = await Bird.start(lab, hns, helperConfig, 'helper');
    bird = await Bird.start(lab, bns, birdConfig);
    wren = await Wrend.start(lab, wns, 'wren', wrenConfig);
    const session = (name: string, as: number, addr: string, wrenAddr: string, llgr: boolean) => ({
      session: {
        name, localAs: as, peerAs: 65000, routerId: as, peerAddress: wrenAddr, localAddress: addr, holdTime: 9,
        connectDelayTime: 1, connectRetryTime: 2, families: ['ipv4' as const],
        gracefulRestart: { restartTime: 60 }, llgr: llgr ? { staleTime: 60 } : null,
      },
    });
    x = await WrenPeer.start(lab, xns, session('x', 65003, X, W_X, false));
    y = await WrenPeer.start(lab, yns, session('y', 65004, Y, W_Y, true));
    await wren.waitEstablished(['Bird', 'X', 'Y']);
  });

  const wrenRoute = async (prefix: string) => (await wren.routes(prefix)).find((r) => r.protocol === 'Bird');
  const communityOf = async (prefix: string) => (await wrenRoute(prefix))?.attrs['BGP.community'] ?? '';

  test("BIRD's routes reach X and Y through Wren; Wren sees BIRD as llgr-able", async () => {
    await until(() => x.route('10.7.0.0/24') && x.route('10.7.1.0/24') && y.route('10.7.0.0/24') && y.route('10.7.1.0/24'), {
      what: 'both prefixes at X and Y', timeoutMs: 30_000, context: () => wren.log(),
    });
    assert.deepEqual(x.route('10.7.1.0/24')?.communities, ['65535:7']);
    const all = (await wren.text('show protocols all Bird')).join('\n');
    assert.match(all, /Neighbor caps:.*restart-able.*llgr-able/);
    assert.equal(await communityOf('10.7.0.0/24'), '');
    await until(async () => (await helper.protocol('b')).info === 'Established', { what: 'H Established with BIRD', timeoutMs: 30_000, context: () => helper.log() });
    const lines = await both();
    assert.deepEqual(grLines(lines.wren), [], 'no GR lines at Wren');
    assert.deepEqual(grLines(lines.bird), [], 'no GR lines at H');
  });

  test('BIRD killed -9: routes kept through its restart time, then LLGR-stale (65535:6), NO_LLGR dropped, only Y still has them', async () => {
    process.kill(bird.proc.pid, 'SIGKILL');
    await until(() => /Neighbor graceful restart detected/.test(wren.log(300)), { what: 'GR detected in Wren log', timeoutMs: 20_000, context: () => wren.log() });
    // RFC 4724 phase at both helpers (both saw the connection close): the same GR lines as H,
    // compared on one capture taken while both are in it.
    let grPhase: { wren: string[]; bird: string[] } | undefined;
    await until(async () => {
      const l = await both();
      if (grLines(l.wren).includes('    Neighbor GR:    Regular') && grLines(l.bird).includes('    Neighbor GR:    Regular')) grPhase = l;
      return grPhase;
    }, { what: 'Wren and H in GR (Neighbor GR: Regular)', timeoutMs: RESTART_TIME * 1000, context: async () => JSON.stringify(await both()) });
    assert.deepEqual(grLines(grPhase!.wren), grLines(grPhase!.bird), 'GR lines as BIRD 2');
    assert.deepEqual(grLines(grPhase!.wren), ['    Neighbor graceful restart active', '    Restart timer:    N/-', '    Neighbor GR:    Regular']);
    // RFC 4724 phase (BIRD's 5 s restart time): the routes are there as they were.
    assert.ok(await wrenRoute('10.7.1.0/24'), 'NO_LLGR route still kept during plain GR');
    // RFC 9494 phase.
    await until(async () => (await communityOf('10.7.0.0/24')).includes('(65535,6)'), {
      what: 'LLGR_STALE on 10.7.0.0/24 at Wren', timeoutMs: 20_000, context: () => wren.log(),
    });
    assert.equal(await wrenRoute('10.7.1.0/24'), undefined, 'NO_LLGR route flushed');
    const all = (await wren.text('show protocols all Bird')).join('\n');
    assert.match(all, /Neighbor graceful restart active/);
    // RFC 9494 phase: the same LLGR lines and the same `(100s)` route info as H.
    await until(async () => grLines((await both()).bird).includes('    Neighbor GR:    Long-lived'), { what: 'H in LLGR', timeoutMs: 20_000, context: () => helper.log() });
    const llgr = await both();
    assert.deepEqual(grLines(llgr.wren), grLines(llgr.bird), 'LLGR lines as BIRD 2');
    assert.deepEqual(grLines(llgr.wren), ['    Neighbor graceful restart active', '    Neighbor GR:    Long-lived', '    LL stale timer: N/-']);
    const routes = await routeLines();
    assert.equal(routeInfoOf(routes.wren), routeInfoOf(routes.bird), `route info as BIRD 2: ${JSON.stringify(routes)}`);
    assert.equal(routeInfoOf(routes.wren), ' * (100s) [AS65001i]');
    await until(() => !x.route('10.7.0.0/24') && !x.route('10.7.1.0/24'), { what: 'X (no LLGR) loses both', timeoutMs: 20_000, context: () => x.log() });
    await until(() => y.route('10.7.0.0/24')?.communities?.includes('65535:6') && !y.route('10.7.1.0/24'), {
      what: 'Y (LLGR) keeps 10.7.0.0/24 with 65535:6, loses the NO_LLGR one', timeoutMs: 20_000, context: () => y.log(),
    });
  });

  test('BIRD back: the routes come back clean (no 65535:6) and reach X again', async () => {
    bird = await Bird.start(lab, birdNs, birdConfig, 'bird-restarted');
    await wren.waitEstablished(['Bird']);
    await until(async () => (await wrenRoute('10.7.0.0/24')) && !(await communityOf('10.7.0.0/24')).includes('(65535,6)') && (await wrenRoute('10.7.1.0/24')), {
      what: 'both prefixes back at Wren without LLGR_STALE', timeoutMs: 30_000, context: () => wren.log(),
    });
    await until(() => x.route('10.7.0.0/24') && x.route('10.7.1.0/24'), { what: 'X has both again', timeoutMs: 20_000, context: () => x.log() });
    await until(() => y.route('10.7.0.0/24') && !y.route('10.7.0.0/24')!.communities?.includes('65535:6'), { what: 'Y has 10.7.0.0/24 without 65535:6', timeoutMs: 20_000 });
    const all = (await wren.text('show protocols all Bird')).join('\n');
    assert.doesNotMatch(all, /Neighbor graceful restart active/);
    await until(async () => grLines((await both()).bird).length === 0 && (await helper.protocol('b')).info === 'Established', {
      what: 'H back to no GR', timeoutMs: 30_000, context: () => helper.log(),
    });
    assert.deepEqual(grLines((await both()).wren), [], 'no GR lines at Wren, as at H');
    const routes = await routeLines();
    assert.equal(routeInfoOf(routes.wren), routeInfoOf(routes.bird), `route info as BIRD 2: ${JSON.stringify(routes)}`);
    assert.equal(routeInfoOf(routes.wren), ' * (100) [AS65001i]');
  });
});

// Long-lived graceful restart (RFC 9494) against a real implementation: BIRD 2 (AS 65001,
// `graceful restart on; long lived graceful restart on;`) → the Wren daemon (AS 65000, LLGR
// `aware` by default) → two scripted Wren sessions, X without and Y with the LLGR
// capability; each in its own namespace. BIRD is killed -9: Wren keeps its routes through
// BIRD's restart time (RFC 4724), then makes them LLGR-stale — 65535:6 in Wren's
// `show route all`, "Neighbor graceful restart active" in `show protocols all`, the NO_LLGR
// route gone, X no longer sent them, Y sent them with 65535:6 — and when BIRD runs again
// (without -R: no Forwarding State bit) they come back clean, without 65535:6, to X and Y.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { Bird } from '../helpers/peers.js';
import { WrenPeer } from '../helpers/wren.js';
import { Wrend } from '../helpers/wrend.js';
import { until } from '../helpers/poll.js';

const W_B = '198.18.40.1', B = '198.18.40.2', W_X = '198.18.41.1', X = '198.18.41.2', W_Y = '198.18.42.1', Y = '198.18.42.2';
const RESTART_TIME = 5;

const wrenConfig = `
router id ${W_B};
template bgp t { local as 65000; hold time 9; connect delay time 1; connect retry time 2; error wait time 1,2; import all; export all; }
protocol bgp Bird from t { neighbor ${B} as 65001; source address ${W_B}; }
protocol bgp X from t { neighbor ${X} as 65003; source address ${W_X}; passive on; }
protocol bgp Y from t { neighbor ${Y} as 65004; source address ${W_Y}; passive on; }
`;

const birdConfig = `
router id ${B};
protocol device {}
protocol static feed { ipv4; route 10.7.0.0/24 blackhole; route 10.7.1.0/24 blackhole; }
protocol bgp w {
  local ${B} as 65001;
  neighbor ${W_B} as 65000;
  passive on;
  hold time 9;
  graceful restart on;
  graceful restart time ${RESTART_TIME};
  long lived graceful restart on;
  long lived stale time 120;
  ipv4 {
    import all;
    export filter { if net = 10.7.1.0/24 then bgp_community.add((65535, 7)); if proto = "feed" then accept; reject; };
  };
}
`;

describe('LLGR with BIRD 2: killed -9, LLGR-stale at Wren, back clean after its restart', () => {
  const lab = createLab('llgr');
  let bird: Bird;
  let wren: Wrend;
  let x: WrenPeer;
  let y: WrenPeer;
  let birdNs: string;

  before(async () => {
    const wns = await lab.ns(), bns = await lab.ns(), xns = await lab.ns(), yns = await lab.ns();
    birdNs = bns;
    await lab.link({ a: wns, b: bns, aAddrs: [`${W_B}/24`], bAddrs: [`${B}/24`] });
    await lab.link({ a: wns, b: xns, aAddrs: [`${W_X}/24`], bAddrs: [`${X}/24`] });
    await lab.link({ a: wns, b: yns, aAddrs: [`${W_Y}/24`], bAddrs: [`${Y}/24`] });
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
  });

  test('BIRD killed -9: routes kept through its restart time, then LLGR-stale (65535:6), NO_LLGR dropped, only Y still has them', async () => {
    process.kill(bird.proc.pid, 'SIGKILL');
    await until(() => /Neighbor graceful restart detected/.test(wren.log(300)), { what: 'GR detected in Wren log', timeoutMs: 20_000, context: () => wren.log() });
    // RFC 4724 phase (BIRD's 5 s restart time): the routes are there as they were.
    assert.ok(await wrenRoute('10.7.1.0/24'), 'NO_LLGR route still kept during plain GR');
    // RFC 9494 phase.
    await until(async () => (await communityOf('10.7.0.0/24')).includes('(65535,6)'), {
      what: 'LLGR_STALE on 10.7.0.0/24 at Wren', timeoutMs: 20_000, context: () => wren.log(),
    });
    assert.equal(await wrenRoute('10.7.1.0/24'), undefined, 'NO_LLGR route flushed');
    const all = (await wren.text('show protocols all Bird')).join('\n');
    assert.match(all, /Neighbor graceful restart active/);
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
  });
});

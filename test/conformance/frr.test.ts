// Conformance with FRR bgpd (run without zebra): a Wren Session peers with bgpd over IPv4
// (Wren dials, FRR `passive`) and IPv6 (FRR dials, Wren listens). Checked: Established on
// both sides and kept past several keepalive intervals; 4-octet AS, ADD-PATH (FRR
// addpath-tx-all-paths ⇒ Wren receives path ids), graceful restart, route refresh and
// enhanced route refresh in Wren's negotiated view and in `show bgp neighbors json`; FRR's
// `network` routes (with a route-map setting community, large community and MED) reach Wren
// with End-of-RIB; Wren's UPDATEs land in FRR's table (AS path, communities, next hop) and
// are withdrawn; ROUTE-REFRESH from Wren is counted by FRR and answered; Wren's
// Administrative Shutdown communication appears as lastShutdownDescription.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { Frr } from '../helpers/peers.js';
import { WrenPeer } from '../helpers/wren.js';
import { until, untilMatches, assertSubset, sleep, ABSENT } from '../helpers/poll.js';
import { twoNodes, wrenSession, W4, P4, W6, P6, WREN_AS, HOLD_TIME } from '../helpers/topology.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../../src/rib/prefix.js';

const FRR_AS = 65003;

const frrConfig = `
route-map SETATTR permit 10
 set community 65003:7
 set large-community 65003:1:2
 set metric 33
exit
router bgp ${FRR_AS}
 bgp router-id ${P4}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 bgp graceful-restart
 neighbor ${W4} remote-as ${WREN_AS}
 neighbor ${W4} timers 3 ${HOLD_TIME}
 neighbor ${W4} passive
 neighbor ${W6} remote-as ${WREN_AS}
 neighbor ${W6} timers 3 ${HOLD_TIME}
 neighbor ${W6} timers connect 1
 address-family ipv4 unicast
  network 10.3.0.0/24 route-map SETATTR
  network 10.3.1.0/24
  neighbor ${W4} activate
  neighbor ${W4} addpath-tx-all-paths
 exit-address-family
 address-family ipv6 unicast
  network fd10:3::/48 route-map SETATTR
  neighbor ${W6} activate
 exit-address-family
`;

describe('FRR bgpd', () => {
  const lab = createLab('frr');
  let frr: Frr;
  let w4: WrenPeer;
  let w6: WrenPeer;
  let establishedAt = 0;

  before(async () => {
    const { wns, pns } = await twoNodes(lab);
    frr = await Frr.start(lab, pns, frrConfig, [P4, P6]);
    [w4, w6] = await Promise.all([
      WrenPeer.start(lab, wns, {
        session: wrenSession({ name: 'frr4', peerAs: FRR_AS, peerAddress: P4, families: ['ipv4'], addPath: { ipv4: 'receive' } }),
      }),
      WrenPeer.start(lab, wns, {
        session: wrenSession({ name: 'frr6', peerAs: FRR_AS, peerAddress: P6, families: ['ipv6'], passive: true }),
        listen: { address: W6 },
      }),
    ]);
  });

  test('IPv4 and IPv6 sessions reach Established on both sides', async () => {
    await Promise.all([w4.waitEstablished(), w6.waitEstablished()]);
    establishedAt = Date.now();
    for (const a of [W4, W6]) {
      await until(async () => (await frr.neighbor(a))?.bgpState === 'Established', {
        what: `FRR neighbor ${a} Established`,
        context: () => frr.log(),
      });
    }
  });

  test('capabilities: Wren and FRR agree on 4-octet AS, ADD-PATH, graceful restart, route refresh', async () => {
    assertSubset(w4.negotiated, {
      peerAs: FRR_AS, as4: true, holdTime: HOLD_TIME, families: [IPV4_UNICAST],
      addPathRx: [IPV4_UNICAST], addPathTx: [], routeRefresh: true, enhancedRouteRefresh: true,
      gracefulRestart: { restartTime: 120 }, peerHostname: 'frr',
    }, 'Wren IPv4 negotiated');
    assertSubset(w6.negotiated, { as4: true, families: [IPV6_UNICAST], addPathRx: [], routeRefresh: true }, 'Wren IPv6 negotiated');
    const n4 = await frr.neighbor(W4);
    assertSubset(n4, {
      remoteAs: WREN_AS,
      bgpTimerHoldTimeMsecs: HOLD_TIME * 1000,
      neighborCapabilities: {
        '4byteAs': 'advertisedAndReceived',
        // FRR's words: tx = FRR sends path ids (Wren said receive), rx…AndReceived = both said receive.
        addPath: { ipv4Unicast: { txAdvertised: true, rxAdvertisedAndReceived: true } },
        routeRefresh: /advertisedAndReceived/,
        enhancedRouteRefresh: 'advertisedAndReceived',
        gracefulRestart: 'advertisedAndReceived',
        multiprotocolExtensions: { ipv4Unicast: { advertisedAndReceived: true } },
      },
    }, 'FRR view of the IPv4 session');
    const n6 = await frr.neighbor(W6);
    assertSubset(n6, {
      neighborCapabilities: { '4byteAs': 'advertisedAndReceived', multiprotocolExtensions: { ipv6Unicast: { advertisedAndReceived: true } } },
    }, 'FRR view of the IPv6 session');
  });

  test('FRR routes reach Wren with their attributes, then End-of-RIB', async () => {
    await until(() => w4.endOfRib.has('ipv4') && w6.endOfRib.has('ipv6'), {
      what: 'End-of-RIB from FRR on both sessions',
      context: () => w4.log() + '\n' + w6.log(),
    });
    assertSubset(w4.routes('ipv4'), [
      {
        prefix: '10.3.0.0/24', nextHop: P4, origin: 'igp', asPath: [FRR_AS], med: 33,
        communities: ['65003:7'], largeCommunities: ['65003:1:2'], pathId: (n: number) => n > 0,
      },
      { prefix: '10.3.1.0/24', nextHop: P4, asPath: [FRR_AS], communities: ABSENT, pathId: (n: number) => n > 0 },
    ], 'IPv4 routes from FRR');
    assertSubset(w6.routes('ipv6'), [
      { prefix: 'fd10:3::/48', nextHop: P6, asPath: [FRR_AS], med: 33, communities: ['65003:7'], largeCommunities: ['65003:1:2'] },
    ], 'IPv6 routes from FRR (MP_REACH_NLRI)');
  });

  test("Wren routes reach FRR's table with AS path, communities and next hop; withdrawals remove them", async () => {
    await w4.announce({
      prefixes: ['10.1.0.0/24', '10.1.1.0/24'], nextHop: W4, asPath: [WREN_AS, 64512],
      med: 44, communities: ['65001:1', '65001:2'], largeCommunities: ['4200000001:5:6'],
    });
    await w6.announce({ prefixes: ['fd10:1::/48'], nextHop: W6, asPath: [WREN_AS], communities: ['65001:3'] });
    await w4.sendEndOfRib('ipv4');
    await w6.sendEndOfRib('ipv6');
    await untilMatches(() => frr.route('ipv4', '10.1.0.0/24'), [{
      aspath: { string: `${WREN_AS} 64512` }, metric: 44, origin: 'IGP',
      community: { list: ['65001:1', '65001:2'] }, largeCommunity: { list: ['4200000001:5:6'] },
      nexthops: [{ ip: W4 }], peer: { peerId: W4 },
    }], { what: 'Wren IPv4 route in FRR', context: () => frr.log() });
    await untilMatches(() => frr.route('ipv6', 'fd10:1::/48'), [{
      aspath: { string: String(WREN_AS) }, community: { list: ['65001:3'] },
      nexthops: (nh: { ip: string }[]) => nh.some((x) => x.ip === W6),
    }], { what: 'Wren IPv6 route in FRR' });
    await until(async () => (await frr.rib('ipv4'))['10.1.1.0/24'], { what: '10.1.1.0/24 in FRR' });

    await w4.withdraw({ prefixes: ['10.1.1.0/24'] });
    await until(async () => !(await frr.rib('ipv4'))['10.1.1.0/24'], { what: 'withdrawal in FRR' });
    assert.ok((await frr.rib('ipv4'))['10.1.0.0/24'], 'the other route stays');
    const n = await frr.neighbor(W4);
    assert.equal(n.gracefulRestartInfo?.endOfRibRecv?.ipv4Unicast, true, 'FRR received our End-of-RIB');
  });

  test('ROUTE-REFRESH from Wren is counted by FRR and answered with its routes', async () => {
    const rrBefore = (await frr.neighbor(W4)).messageStats.routeRefreshRecv as number;
    const before = w4.updates;
    await w4.refresh('ipv4');
    await until(async () => (await frr.neighbor(W4)).messageStats.routeRefreshRecv > rrBefore, { what: 'FRR counts the ROUTE-REFRESH' });
    await until(() => w4.updates > before, { what: 'routes re-sent by FRR', context: () => w4.log() });
    assert.deepEqual(w4.routes('ipv4').map((r) => r.prefix), ['10.3.0.0/24', '10.3.1.0/24']);
  });

  test('sessions stay Established past several keepalive intervals', async () => {
    const wait = establishedAt + 10_000 - Date.now();
    if (wait > 0) await sleep(wait);
    for (const w of [w4, w6]) {
      assert.equal(w.state, 'Established', `${w.name} still Established`);
      assert.equal(w.establishedCount, 1, `${w.name} never flapped`);
    }
    for (const a of [W4, W6]) {
      const n = await frr.neighbor(a);
      assert.equal(n.bgpState, 'Established');
      assert.ok(n.messageStats.keepalivesRecv >= 3, `FRR received keepalives from Wren (${n.messageStats.keepalivesRecv})`);
    }
    const ka = [await w4.keepalivesIn(), await w6.keepalivesIn()];
    assert.ok(ka[0]! >= 3 && ka[1]! >= 3, `keepalives received by Wren: ${ka}`);
  });

  test('Administrative Shutdown with a shutdown communication is shown by FRR', async () => {
    const text = 'wren conformance: maintenance 43';
    await w4.stop(2, text);
    await untilMatches(() => frr.neighbor(W4), {
      lastNotificationReason: 'Cease/Administrative Shutdown',
      lastShutdownDescription: text,
      lastErrorCodeSubcode: '0602',
    }, { what: 'FRR shows the shutdown communication', context: () => frr.log() });
    assert.notEqual((await frr.neighbor(W4)).bgpState, 'Established');
  });
});

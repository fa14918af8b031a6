// Conformance with GoBGP 3: a Wren Session peers with gobgpd over IPv4 (Wren dials, GoBGP
// passive-mode) and IPv6 (GoBGP dials, Wren listens). Checked: Established on both sides and
// kept past several keepalive intervals; 4-octet AS, ADD-PATH (GoBGP send-max/receive),
// graceful restart and route refresh in Wren's negotiated view and in `gobgp neighbor`;
// routes added with `gobgp global rib add` (community, large community, MED, AS path,
// origin) reach Wren with End-of-RIB; Wren's UPDATEs land in GoBGP's RIB and are withdrawn;
// ROUTE-REFRESH from Wren is answered; Wren's Administrative Shutdown takes GoBGP's session
// down. GoBGP 3.10 quirks (crash on unknown message types, hold time 0) are avoided: see
// /work/shared/reference/node-kernel-options.md.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { Gobgp } from '../helpers/peers.js';
import { WrenPeer } from '../helpers/wren.js';
import { until, untilMatches, assertSubset, sleep, unordered } from '../helpers/poll.js';
import { twoNodes, wrenSession, W4, P4, W6, P6, WREN_AS, HOLD_TIME } from '../helpers/topology.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../../src/rib/prefix.js';

const GOBGP_AS = 65004;
const community = (a: number, b: number): number => a * 65536 + b;

const gobgpConfig = `
[global.config]
  as = ${GOBGP_AS}
  router-id = "${P4}"
  local-address-list = ["${P4}", "${P6}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${W4}"
    peer-as = ${WREN_AS}
  [neighbors.timers.config]
    hold-time = ${HOLD_TIME}
    keepalive-interval = 3
  [neighbors.transport.config]
    local-address = "${P4}"
    passive-mode = true
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.add-paths.config]
      receive = true
      send-max = 8
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${W6}"
    peer-as = ${WREN_AS}
  [neighbors.timers.config]
    hold-time = ${HOLD_TIME}
    keepalive-interval = 3
    connect-retry = 1
  [neighbors.transport.config]
    local-address = "${P6}"
  # GoBGP sends End-of-RIB only to graceful-restart peers.
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
`;

describe('GoBGP', () => {
  const lab = createLab('gobgp');
  let gobgp: Gobgp;
  let w4: WrenPeer;
  let w6: WrenPeer;
  let establishedAt = 0;

  before(async () => {
    const { wns, pns } = await twoNodes(lab);
    gobgp = await Gobgp.start(lab, pns, gobgpConfig);
    // Routes first, so the initial table transfer carries them before End-of-RIB.
    await gobgp.cli(['global', 'rib', 'add', '10.4.0.0/24', 'origin', 'egp', 'aspath', '64600,64601', 'med', '33',
      'community', '65004:7', 'large-community', '65004:1:2', '-a', 'ipv4']);
    await gobgp.cli(['global', 'rib', 'add', '10.4.1.0/24', '-a', 'ipv4']);
    await gobgp.cli(['global', 'rib', 'add', 'fd10:4::/48', 'community', '65004:8', '-a', 'ipv6']);
    [w4, w6] = await Promise.all([
      WrenPeer.start(lab, wns, {
        session: wrenSession({ name: 'gobgp4', peerAs: GOBGP_AS, peerAddress: P4, families: ['ipv4'], addPath: { ipv4: 'both' } }),
      }),
      WrenPeer.start(lab, wns, {
        session: wrenSession({ name: 'gobgp6', peerAs: GOBGP_AS, peerAddress: P6, families: ['ipv6'], passive: true }),
        listen: { address: W6 },
      }),
    ]);
  });

  test('IPv4 and IPv6 sessions reach Established on both sides', async () => {
    await Promise.all([w4.waitEstablished(), w6.waitEstablished()]);
    establishedAt = Date.now();
    for (const a of [W4, W6]) {
      await until(() => gobgp.established(a), { what: `GoBGP neighbor ${a} established`, context: () => gobgp.log() });
    }
  });

  test('capabilities: Wren and GoBGP agree on 4-octet AS, ADD-PATH, graceful restart, route refresh', async () => {
    assertSubset(w4.negotiated, {
      peerAs: GOBGP_AS, as4: true, holdTime: HOLD_TIME, families: [IPV4_UNICAST],
      addPathRx: [IPV4_UNICAST], addPathTx: [IPV4_UNICAST], routeRefresh: true,
      gracefulRestart: { restartTime: 120 },
    }, 'Wren IPv4 negotiated');
    assertSubset(w6.negotiated, { as4: true, families: [IPV6_UNICAST], addPathRx: [], routeRefresh: true }, 'Wren IPv6 negotiated');
    const caps = await gobgp.capabilities(W4);
    assertSubset(caps, {
      '4-octet-as': 'advertised and received',
      'add-path': 'advertised and received',
      'route-refresh': 'advertised and received',
      'graceful-restart': 'advertised and received',
    }, 'GoBGP view of the IPv4 session');
    const n = await gobgp.neighbor(W4);
    assertSubset(n, { conf: { peer_asn: WREN_AS }, timers: { state: { negotiated_hold_time: HOLD_TIME } } }, 'GoBGP neighbor state');
  });

  test('GoBGP routes reach Wren with their attributes, then End-of-RIB', async () => {
    await until(() => w4.endOfRib.has('ipv4') && w6.endOfRib.has('ipv6'), {
      what: 'End-of-RIB from GoBGP on both sessions',
      context: () => w4.log() + '\n' + w6.log(),
    });
    assertSubset(w4.routes('ipv4'), [
      {
        prefix: '10.4.0.0/24', nextHop: P4, origin: 'egp', asPath: [GOBGP_AS, 64600, 64601], med: 33,
        communities: ['65004:7'], largeCommunities: ['65004:1:2'], pathId: (n: number) => n > 0,
      },
      { prefix: '10.4.1.0/24', nextHop: P4, origin: 'incomplete' /* gobgp CLI default */, asPath: [GOBGP_AS] },
    ], 'IPv4 routes from GoBGP');
    assertSubset(w6.routes('ipv6'), [
      { prefix: 'fd10:4::/48', nextHop: P6, asPath: [GOBGP_AS], communities: ['65004:8'] },
    ], 'IPv6 routes from GoBGP (MP_REACH_NLRI)');
  });

  test("Wren routes reach GoBGP's RIB with AS path, communities and next hop; withdrawals remove them", async () => {
    await w4.announce({
      prefixes: ['10.1.0.0/24', '10.1.1.0/24'], nextHop: W4, pathId: 1, asPath: [WREN_AS, 64512],
      med: 44, communities: ['65001:1'], largeCommunities: ['4200000001:5:6'],
    });
    await w6.announce({ prefixes: ['fd10:1::/48'], nextHop: W6, asPath: [WREN_AS], communities: ['65001:3'] });
    await w4.sendEndOfRib('ipv4');
    await w6.sendEndOfRib('ipv6');
    await untilMatches(() => gobgp.adjIn(W4, 'ipv4'), {
      '10.1.0.0/24': [{
        attrs: unordered([
          { type: 2, as_paths: [{ segment_type: 2, asns: [WREN_AS, 64512] }] },
          { type: 3, nexthop: W4 },
          { type: 4, metric: 44 },
          { type: 8, communities: [community(65001, 1)] },
          { type: 32, value: [{ ASN: 4200000001, LocalData1: 5, LocalData2: 6 }] },
        ], true),
      }],
      '10.1.1.0/24': [{ attrs: unordered([{ type: 2, as_paths: [{ asns: [WREN_AS, 64512] }] }], true) }],
    }, { what: 'Wren IPv4 routes in GoBGP', context: () => gobgp.log() });
    await untilMatches(() => gobgp.adjIn(W6, 'ipv6'), {
      'fd10:1::/48': [{
        attrs: unordered([
          { type: 2, as_paths: [{ asns: [WREN_AS] }] },
          { type: 8, communities: [community(65001, 3)] },
          { type: 14, nexthop: W6 },
        ], true),
      }],
    }, { what: 'Wren IPv6 route in GoBGP' });

    await w4.withdraw({ prefixes: ['10.1.1.0/24'], pathId: 1 });
    await until(async () => !(await gobgp.adjIn(W4, 'ipv4'))['10.1.1.0/24'], { what: 'withdrawal in GoBGP' });
    assert.ok((await gobgp.rib('ipv4'))['10.1.0.0/24'], 'the other route stays in the global RIB');
  });

  test('ROUTE-REFRESH from Wren makes GoBGP re-send its routes', async () => {
    const before = w4.updates;
    await w4.refresh('ipv4');
    await until(() => w4.updates >= before + 2, { what: 'routes re-sent by GoBGP', context: () => w4.log() });
    assert.deepEqual(w4.routes('ipv4').map((r) => r.prefix), ['10.4.0.0/24', '10.4.1.0/24']);
    const n = await gobgp.neighbor(W4);
    assert.ok((n.state.messages.received.refresh ?? 0) >= 1, `GoBGP counted the ROUTE-REFRESH: ${JSON.stringify(n.state.messages.received)}`);
  });

  test('sessions stay Established past several keepalive intervals', async () => {
    const wait = establishedAt + 10_000 - Date.now();
    if (wait > 0) await sleep(wait);
    for (const w of [w4, w6]) {
      assert.equal(w.state, 'Established', `${w.name} still Established`);
      assert.equal(w.establishedCount, 1, `${w.name} never flapped`);
    }
    for (const a of [W4, W6]) {
      const n = await gobgp.neighbor(a);
      assert.equal(n.state.session_state, 6);
      assert.ok(n.state.messages.received.keepalive >= 3, `GoBGP received keepalives (${n.state.messages.received.keepalive})`);
    }
    const ka = [await w4.keepalivesIn(), await w6.keepalivesIn()];
    assert.ok(ka[0]! >= 3 && ka[1]! >= 3, `keepalives received by Wren: ${ka}`);
  });

  test('Administrative Shutdown from Wren takes the GoBGP session down', async () => {
    await w4.stop(2, 'wren conformance: maintenance 44');
    await until(async () => !(await gobgp.established(W4)), { what: 'GoBGP session down', context: () => gobgp.log() });
    const n = await gobgp.neighbor(W4);
    assert.ok((n.state.messages.received.notification ?? 0) >= 1, `GoBGP counted the NOTIFICATION: ${JSON.stringify(n.state.messages.received)}`);
    assert.ok(gobgp.proc.output().some((l) => /notification/i.test(l) && /administrative|shutdown|subcode 2|code 6/i.test(l)),
      `GoBGP logged the NOTIFICATION:\n${gobgp.log()}`);
  });
});

// Self-test of the conformance harness with no Wren involved: the reference speakers peer
// with one another (BIRD ↔ FRR over IPv4 and IPv6, GoBGP ↔ ExaBGP over IPv4) inside lab
// namespaces, and the drivers' parsers must report the sessions and routes. When a Wren
// conformance test fails, this file tells whether the harness or Wren is at fault.
// BIRD's IPv6 session is multihop so that it sends no link-local next hop: bgpd without zebra
// knows no interface for its peer and treats such a next hop as a withdrawal ("no peer
// interface information"). Single-hop, the test raced DAD: BIRD sent a link-local address
// only when the kernel had finished DAD on it before the session came up. Multihop next hops
// resolve recursively, hence the direct protocol.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { Bird, Frr, Gobgp, Exabgp, EXABGP_API } from '../helpers/peers.js';
import { until, untilMatches, unordered } from '../helpers/poll.js';

describe('harness: BIRD ↔ FRR', () => {
  const lab = createLab('harness-bf');
  let bird: Bird;
  let frr: Frr;

  before(async () => {
    const a = await lab.ns();
    const b = await lab.ns();
    await lab.link({ a, b, aAddrs: ['198.18.0.1/24', 'fd00::1/64'], bAddrs: ['198.18.0.2/24', 'fd00::2/64'] });
    [bird, frr] = await Promise.all([
      Bird.start(lab, a, `
router id 198.18.0.1;
protocol device {}
protocol direct { ipv6; }
protocol static s4 { ipv4; route 10.1.0.0/24 blackhole; }
protocol static s6 { ipv6; route fd10:1::/48 blackhole; }
protocol bgp p4 {
  local 198.18.0.1 as 65001; neighbor 198.18.0.2 as 4200000002; hold time 9;
  ipv4 { import all; export all; add paths on; };
}
protocol bgp p6 {
  local fd00::1 as 65001; neighbor fd00::2 as 4200000002; hold time 9; multihop;
  ipv6 { import all; export where proto = "s6"; };
}`),
      Frr.start(lab, b, `
router bgp 4200000002
 bgp router-id 198.18.0.2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 198.18.0.1 remote-as 65001
 neighbor 198.18.0.1 timers 3 9
 neighbor fd00::1 remote-as 65001
 address-family ipv4 unicast
  network 10.2.0.0/24
  neighbor 198.18.0.1 activate
  neighbor 198.18.0.1 addpath-tx-all-paths
 exit-address-family
 address-family ipv6 unicast
  network fd10:2::/48
  neighbor fd00::1 activate
 exit-address-family
`, ['198.18.0.2', 'fd00::2']),
    ]);
  });

  test('sessions establish and the parsers see capabilities', async () => {
    for (const p of ['p4', 'p6']) {
      await until(async () => (await bird.protocol(p)).info === 'Established', { what: `bird ${p} Established`, context: () => bird.log() });
    }
    const p4 = await bird.protocol('p4');
    assert.equal(p4.state, 'up');
    const bgp = p4.details['BGP state'] as Record<string, any>;
    assert.equal(bgp._, 'Established');
    assert.equal(bgp['Neighbor AS'], '4200000002');
    assert.equal(bgp['Neighbor capabilities']['4-octet AS numbers'], true);
    assert.equal(bgp['Neighbor capabilities']['ADD-PATH']['TX'], 'ipv4');
    const n = await frr.neighbor('198.18.0.1');
    assert.equal(n.bgpState, 'Established');
    assert.equal(n.neighborCapabilities['4byteAs'], 'advertisedAndReceived');
  });

  test('routes cross in both directions', async () => {
    await untilMatches(() => bird.routes('protocol p4'), unordered([
      { prefix: '10.2.0.0/24', protocol: 'p4', via: ['198.18.0.2'], attrs: { 'BGP.as_path': '4200000002' } },
    ]), { what: 'FRR IPv4 route in BIRD', context: () => bird.log() });
    await untilMatches(() => bird.routes('protocol p6'), unordered([
      { prefix: 'fd10:2::/48', protocol: 'p6', attrs: { 'BGP.next_hop': /^fd00::2/ } },
    ]), { what: 'FRR IPv6 route in BIRD' });
    await untilMatches(() => frr.rib('ipv4'), {
      '10.1.0.0/24': [{ path: '65001', nexthops: [{ ip: '198.18.0.1' }] }],
    }, { what: 'BIRD IPv4 route in FRR' });
    await untilMatches(() => frr.rib('ipv6'), {
      'fd10:1::/48': [{ path: '65001' }],
    }, { what: 'BIRD IPv6 route in FRR', context: () => frr.log() });
  });
});

describe('harness: GoBGP ↔ ExaBGP', () => {
  const lab = createLab('harness-ge');
  let gobgp: Gobgp;
  let exa: Exabgp;

  before(async () => {
    const a = await lab.ns();
    const b = await lab.ns();
    await lab.link({ a, b, aAddrs: ['198.18.1.1/24'], bAddrs: ['198.18.1.2/24'] });
    gobgp = await Gobgp.start(lab, a, `
[global.config]
  as = 65001
  router-id = "198.18.1.1"
  local-address-list = ["198.18.1.1"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "198.18.1.2"
    peer-as = 65002
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`);
    exa = await Exabgp.start(lab, b, `
neighbor 198.18.1.1 {
  router-id 198.18.1.2;
  local-address 198.18.1.2;
  local-as 65002;
  peer-as 65001;
  hold-time 9;
  family { ipv4 unicast; }
  api { processes [ ${EXABGP_API} ]; receive { parsed; update; notification; } neighbor-changes; }
  static {
    route 10.3.0.0/24 next-hop 198.18.1.2 med 50 community [65000:1] large-community [65002:1:2] as-path [ 65002 64999 ];
  }
}
`);
  });

  test('session up, static route in GoBGP, API route in ExaBGP', async () => {
    await until(() => gobgp.established('198.18.1.2'), { what: 'GoBGP Established', context: () => gobgp.log() });
    await until(() => exa.state('198.18.1.1') === 'up', { what: 'ExaBGP up', context: () => exa.log() });
    const caps = await gobgp.capabilities('198.18.1.2');
    assert.equal(caps['4-octet-as'], 'advertised and received');
    await untilMatches(() => gobgp.rib('ipv4'), {
      '10.3.0.0/24': [{ attrs: unordered([
        { type: 2, as_paths: [{ asns: [65002, 64999] }] },
        { type: 4, metric: 50 },
        { type: 8, communities: [65000 * 65536 + 1] },
        { type: 32, value: [{ ASN: 65002, LocalData1: 1, LocalData2: 2 }] },
      ], true) }],
    }, { what: 'ExaBGP route in GoBGP' });
    await gobgp.cli(['global', 'rib', 'add', '10.4.0.0/24', 'community', '65001:9', '-a', 'ipv4']);
    await untilMatches(() => exa.announcements('198.18.1.1'), unordered([
      { family: 'ipv4 unicast', nlri: '10.4.0.0/24', nexthop: '198.18.1.1', attribute: { community: [[65001, 9]] } },
    ], true), { what: 'GoBGP route in ExaBGP' });
    // ExaBGP API: announce through the command file.
    exa.send('announce route 10.5.0.0/24 next-hop 198.18.1.2');
    await until(async () => (await gobgp.rib('ipv4'))['10.5.0.0/24'], { what: 'ExaBGP API route in GoBGP' });
  });
});

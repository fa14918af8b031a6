// Conformance with ExaBGP 4: ExaBGP dials a listening Wren Session over IPv4 and IPv6.
// Checked: Established on both sides and kept past several keepalive intervals (no 'down'
// event at ExaBGP); Wren's OPEN as parsed by ExaBGP (4-octet ASN, ADD-PATH, graceful
// restart, route refresh) and ExaBGP's capabilities in Wren's negotiated view; ExaBGP's
// static routes with communities, large communities, MED, origin, AS path and ADD-PATH ids
// reach Wren with End-of-RIB; Wren's UPDATEs arrive parsed at ExaBGP's API (attributes and
// next hop) and withdrawals too; Wren's
// Administrative Shutdown takes the session down at ExaBGP (which, in 4.2.21, cannot parse
// a shutdown communication: checked with BIRD too).
// Not checked here: ROUTE-REFRESH. ExaBGP 4.2.21 drops the session when it receives one
// (from BIRD's `reload in` as well) and its API prints refresh events as invalid JSON.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { Exabgp, EXABGP_API } from '../helpers/peers.js';
import { WrenPeer } from '../helpers/wren.js';
import { until, untilMatches, assertSubset, sleep, unordered } from '../helpers/poll.js';
import { twoNodes, wrenSession, W4, P4, W6, P6, WREN_AS, HOLD_TIME } from '../helpers/topology.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../../src/rib/prefix.js';

const EXA_AS = 65005;
const API = `api { processes [ ${EXABGP_API} ]; receive { parsed; update; notification; open; } neighbor-changes; }`;

const exaConfig = `
neighbor ${W4} {
  router-id ${P4};
  local-address ${P4};
  local-as ${EXA_AS};
  peer-as ${WREN_AS};
  hold-time ${HOLD_TIME};
  capability { route-refresh; graceful-restart 120; add-path send/receive; }
  family { ipv4 unicast; }
  ${API}
  static {
    route 10.5.0.0/24 next-hop ${P4} origin incomplete med 33 community [ 65005:7 65005:8 ] large-community [ 65005:1:2 ] as-path [ ${EXA_AS} 64700 ] path-information 0.0.0.9;
    route 10.5.1.0/24 next-hop ${P4} as-path [ ${EXA_AS} ] path-information 0.0.0.10;
  }
}
neighbor ${W6} {
  router-id ${P4};
  local-address ${P6};
  local-as ${EXA_AS};
  peer-as ${WREN_AS};
  hold-time ${HOLD_TIME};
  capability { route-refresh; }
  family { ipv6 unicast; }
  ${API}
  static {
    route fd10:5::/48 next-hop ${P6} community [ 65005:9 ] large-community [ 65005:3:4 ] as-path [ ${EXA_AS} ];
  }
}
`;

describe('ExaBGP', () => {
  const lab = createLab('exabgp');
  let exa: Exabgp;
  let w4: WrenPeer;
  let w6: WrenPeer;
  let establishedAt = 0;

  before(async () => {
    const { wns, pns } = await twoNodes(lab);
    [w4, w6] = await Promise.all([
      WrenPeer.start(lab, wns, {
        session: wrenSession({ name: 'exa4', peerAs: EXA_AS, peerAddress: P4, families: ['ipv4'], addPath: { ipv4: 'both' }, passive: true }),
        listen: { address: W4 },
      }),
      WrenPeer.start(lab, wns, {
        session: wrenSession({ name: 'exa6', peerAs: EXA_AS, peerAddress: P6, families: ['ipv6'], passive: true }),
        listen: { address: W6 },
      }),
    ]);
    exa = await Exabgp.start(lab, pns, exaConfig);
  });

  test('IPv4 and IPv6 sessions reach Established on both sides', async () => {
    await Promise.all([w4.waitEstablished(), w6.waitEstablished()]);
    establishedAt = Date.now();
    for (const a of [W4, W6]) await until(() => exa.state(a) === 'up', { what: `ExaBGP ${a} up`, context: () => exa.log() });
  });

  test("capabilities: Wren's OPEN as ExaBGP parsed it, and ExaBGP's in Wren's negotiated view", async () => {
    assertSubset(w4.negotiated, {
      peerAs: EXA_AS, as4: true, holdTime: HOLD_TIME, families: [IPV4_UNICAST],
      addPathRx: [IPV4_UNICAST], addPathTx: [IPV4_UNICAST], routeRefresh: true, gracefulRestart: { restartTime: 120 },
    }, 'Wren IPv4 negotiated');
    assertSubset(w6.negotiated, { as4: true, families: [IPV6_UNICAST], addPathRx: [], routeRefresh: true }, 'Wren IPv6 negotiated');
    const open = exa.events().find((e) => e.type === 'open' && e.neighbor?.address?.peer === W4 && e.neighbor?.direction === 'receive');
    assert.ok(open, `ExaBGP reported Wren's OPEN: ${JSON.stringify(exa.events().slice(0, 6))}`);
    const o = open.neighbor.open;
    assertSubset(o, { version: 4, asn: 23456 /* AS_TRANS: the real ASN is in the capability */, hold_time: HOLD_TIME }, "Wren's OPEN header");
    const caps = Object.values<any>(o.capabilities ?? {});
    const byName = (re: RegExp) => caps.find((c) => re.test(String(c.name)));
    assertSubset(byName(/asn4/i), { asn4: WREN_AS }, '4-octet AS capability');
    assert.ok(byName(/add-?path/i), `ADD-PATH capability in Wren's OPEN: ${JSON.stringify(caps)}`);
    assert.ok(byName(/graceful/i), `graceful restart capability in Wren's OPEN: ${JSON.stringify(caps)}`);
    assert.ok(byName(/^route-refresh/i), `route refresh capability in Wren's OPEN: ${JSON.stringify(caps)}`);
  });

  test('ExaBGP static routes reach Wren with their attributes, then End-of-RIB', async () => {
    await until(() => w4.endOfRib.has('ipv4') && w6.endOfRib.has('ipv6'), {
      what: 'End-of-RIB from ExaBGP on both sessions',
      context: () => w4.log() + '\n' + w6.log(),
    });
    assertSubset(w4.routes('ipv4'), [
      {
        prefix: '10.5.0.0/24', pathId: 9, nextHop: P4, origin: 'incomplete', asPath: [EXA_AS, 64700], med: 33,
        communities: ['65005:7', '65005:8'], largeCommunities: ['65005:1:2'],
      },
      { prefix: '10.5.1.0/24', pathId: 10, nextHop: P4, origin: 'igp', asPath: [EXA_AS] },
    ], 'IPv4 routes from ExaBGP');
    assertSubset(w6.routes('ipv6'), [
      { prefix: 'fd10:5::/48', nextHop: P6, asPath: [EXA_AS], communities: ['65005:9'], largeCommunities: ['65005:3:4'] },
    ], 'IPv6 routes from ExaBGP (MP_REACH_NLRI)');
  });

  test('Wren routes reach ExaBGP parsed with their attributes; withdrawals too', async () => {
    await w4.announce({
      prefixes: ['10.1.0.0/24', '10.1.1.0/24'], nextHop: W4, pathId: 3, asPath: [WREN_AS, 64512], origin: 'egp',
      med: 44, communities: ['65001:1'], largeCommunities: ['4200000001:5:6'],
    });
    await w6.announce({ prefixes: ['fd10:1::/48'], nextHop: W6, asPath: [WREN_AS], communities: ['65001:3'] });
    await untilMatches(() => exa.announcements(W4), unordered([
      {
        family: 'ipv4 unicast', nexthop: W4, nlri: '10.1.0.0/24', pathId: '0.0.0.3',
        attribute: { origin: 'egp', 'as-path': [WREN_AS, 64512], med: 44, community: [[65001, 1]], 'large-community': [[4200000001, 5, 6]] },
      },
      { family: 'ipv4 unicast', nexthop: W4, nlri: '10.1.1.0/24', pathId: '0.0.0.3' },
    ], true), { what: 'Wren IPv4 routes at ExaBGP', context: () => exa.log() });
    await untilMatches(() => exa.announcements(W6), unordered([
      { family: 'ipv6 unicast', nexthop: W6, nlri: 'fd10:1::/48', attribute: { 'as-path': [WREN_AS], community: [[65001, 3]] } },
    ], true), { what: 'Wren IPv6 route at ExaBGP' });

    await w4.withdraw({ prefixes: ['10.1.1.0/24'], pathId: 3 });
    await until(() => exa.events().some((e) => e.type === 'update' && e.neighbor?.address?.peer === W4 &&
      JSON.stringify(e.neighbor?.message?.update?.withdraw ?? {}).includes('10.1.1.0/24')), { what: 'withdrawal at ExaBGP' });
  });

  test('sessions stay Established past several keepalive intervals', async () => {
    const wait = establishedAt + 10_000 - Date.now();
    if (wait > 0) await sleep(wait);
    for (const w of [w4, w6]) {
      assert.equal(w.state, 'Established', `${w.name} still Established`);
      assert.equal(w.establishedCount, 1, `${w.name} never flapped`);
    }
    for (const a of [W4, W6]) assert.equal(exa.state(a), 'up', `ExaBGP ${a} still up`);
    const ka = [await w4.keepalivesIn(), await w6.keepalivesIn()];
    assert.ok(ka[0]! >= 3 && ka[1]! >= 3, `keepalives received by Wren: ${ka}`);
  });

  test('Administrative Shutdown from Wren takes the ExaBGP session down', async () => {
    // ExaBGP 4.2.21 cannot parse a Cease NOTIFICATION carrying a shutdown communication
    // ("can not decode update message of type 3"); it does the same with BIRD's `disable
    // "text"`. So the check is that the NOTIFICATION went out and ExaBGP took the session down.
    const downBefore = exa.events().filter((e) => e.type === 'state' && e.neighbor?.address?.peer === W6 && e.neighbor.state === 'down').length;
    await w6.stop(2, 'wren conformance: maintenance 45');
    await until(() => w6.notificationsSent.length > 0, { what: 'Wren sent the NOTIFICATION', context: () => w6.log() });
    assertSubset(w6.notificationsSent[0], { code: 6, subcode: 2 });
    await until(() => exa.events().filter((e) => e.type === 'state' && e.neighbor?.address?.peer === W6 && e.neighbor.state === 'down').length > downBefore, {
      what: 'ExaBGP IPv6 session down',
      context: () => exa.log(),
    });
    assert.equal(w4.state, 'Established', 'the IPv4 session is not affected');
  });
});

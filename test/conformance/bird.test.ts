// Conformance with BIRD 2: a Wren Session (child process in its own namespace) peers with a
// real BIRD over IPv4 (Wren dials, BIRD passive) and IPv6 (BIRD dials, Wren listens).
// Checked: Established on both sides and kept past several keepalive intervals; 4-octet AS,
// ADD-PATH, graceful restart and (enhanced) route refresh as seen by Wren AND by BIRD;
// BIRD's static routes with communities, large communities and MED reach Wren with End-of-RIB
// (IPv6 through MP_REACH_NLRI with BIRD's next hop); Wren's UPDATEs land in BIRD's table with
// their attributes and are withdrawn; ROUTE-REFRESH from Wren makes BIRD re-send; an UPDATE
// with a bad ORIGIN is treated as withdraw by BIRD (RFC 7606) without a reset; a header error
// draws a NOTIFICATION; Wren's Administrative Shutdown text shows in `show protocols all`.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../../src/rib/prefix.js';
import { Bird } from '../helpers/peers.js';
import { WrenPeer } from '../helpers/wren.js';
import { until, untilMatches, unordered, assertSubset, sleep, ABSENT } from '../helpers/poll.js';
import { twoNodes, wrenSession, W4, P4, W6, P6, WREN_AS, HOLD_TIME, rawMessage, rawUpdateBody, nlriHex } from '../helpers/topology.js';

const BIRD_AS = 65002;

const birdConfig = `
router id ${P4};
protocol device {}
protocol static s4 {
  ipv4;
  route 10.2.0.0/24 blackhole;
  route 10.2.1.0/24 blackhole;
}
protocol static s6 {
  ipv6;
  route fd10:2::/48 blackhole;
}
filter to_wren {
  if net = 10.2.0.0/24 || net = fd10:2::/48 then {
    bgp_community.add((65002, 7));
    bgp_large_community.add((65002, 1, 2));
    bgp_med = 33;
  }
  accept;
}
protocol bgp w4 {
  local ${P4} as ${BIRD_AS};
  neighbor ${W4} as ${WREN_AS};
  passive on;
  hold time ${HOLD_TIME};
  graceful restart on;
  ipv4 { import all; export filter to_wren; add paths on; };
}
protocol bgp w6 {
  local ${P6} as ${BIRD_AS};
  neighbor ${W6} as ${WREN_AS};
  hold time ${HOLD_TIME};
  connect delay time 1;
  graceful restart on;
  ipv6 { import all; export filter to_wren; };
}
`;

describe('BIRD 2', () => {
  const lab = createLab('bird');
  let bird: Bird;
  let w4: WrenPeer;
  let w6: WrenPeer;
  let establishedAt = 0;

  before(async () => {
    const { wns, pns } = await twoNodes(lab);
    bird = await Bird.start(lab, pns, birdConfig);
    [w4, w6] = await Promise.all([
      WrenPeer.start(lab, wns, {
        session: wrenSession({ name: 'bird4', peerAs: BIRD_AS, peerAddress: P4, families: ['ipv4'], addPath: { ipv4: 'both' } }),
      }),
      WrenPeer.start(lab, wns, {
        session: wrenSession({ name: 'bird6', peerAs: BIRD_AS, peerAddress: P6, families: ['ipv6'], passive: true }),
        listen: { address: W6 },
      }),
    ]);
  });

  test('IPv4 and IPv6 sessions reach Established on both sides', async () => {
    await Promise.all([w4.waitEstablished(), w6.waitEstablished()]);
    establishedAt = Date.now();
    for (const p of ['w4', 'w6']) {
      await until(async () => (await bird.protocol(p)).info === 'Established', {
        what: `BIRD ${p} Established`,
        context: () => bird.log(),
      });
    }
  });

  test('capabilities: Wren and BIRD agree on 4-octet AS, ADD-PATH, graceful restart, route refresh', async () => {
    // Wren's view (Negotiated of src/bgp/negotiate.ts, Sets as arrays).
    assertSubset(w4.negotiated, {
      peerAs: BIRD_AS, ebgp: true, as4: true, holdTime: HOLD_TIME, keepaliveTime: 3,
      families: [IPV4_UNICAST], addPathRx: [IPV4_UNICAST], addPathTx: [IPV4_UNICAST],
      routeRefresh: true, enhancedRouteRefresh: true,
      gracefulRestart: { restartTime: 120, families: { [IPV4_UNICAST]: (v: unknown) => v !== undefined } },
      codec: { as4: true, addPathRx: [IPV4_UNICAST], addPathTx: [IPV4_UNICAST] },
    }, 'Wren IPv4 negotiated');
    assertSubset(w6.negotiated, {
      as4: true, families: [IPV6_UNICAST], addPathRx: [], addPathTx: [], routeRefresh: true,
      gracefulRestart: { restartTime: 120 },
    }, 'Wren IPv6 negotiated');
    // BIRD's view of the IPv4 session.
    const p4 = await bird.protocol('w4');
    assertSubset(p4.details, {
      'BGP state': {
        _: 'Established',
        'Neighbor AS': String(WREN_AS),
        'Session': /external AS4/,
        'Neighbor capabilities': {
          'Multiprotocol': { 'AF announced': 'ipv4' },
          '4-octet AS numbers': true,
          'ADD-PATH': { RX: 'ipv4', TX: 'ipv4' },
          'Route refresh': true,
          'Enhanced refresh': true,
          'Graceful restart': (v: unknown) => v !== undefined,
        },
        'Hold timer': /\/9$/,
        'Keepalive timer': /\/3$/,
      },
    }, 'BIRD w4 capabilities');
    const p6 = await bird.protocol('w6');
    assertSubset(p6.details, {
      'BGP state': {
        _: 'Established',
        'Neighbor capabilities': { 'Multiprotocol': { 'AF announced': 'ipv6' }, '4-octet AS numbers': true, 'ADD-PATH': ABSENT },
      },
    }, 'BIRD w6 capabilities');
  });

  test('BIRD routes reach Wren with their attributes, then End-of-RIB', async () => {
    await until(() => w4.endOfRib.has('ipv4') && w6.endOfRib.has('ipv6'), {
      what: 'End-of-RIB from BIRD on both sessions',
      context: () => w4.log() + '\n' + w6.log(),
    });
    assertSubset(w4.routes('ipv4'), [
      {
        prefix: '10.2.0.0/24', nextHop: P4, origin: 'igp', asPath: [BIRD_AS], med: 33,
        communities: ['65002:7'], largeCommunities: ['65002:1:2'], pathId: (n: number) => n > 0,
      },
      { prefix: '10.2.1.0/24', nextHop: P4, asPath: [BIRD_AS], communities: ABSENT, med: ABSENT },
    ], 'IPv4 routes from BIRD (ADD-PATH ids, attributes)');
    assertSubset(w6.routes('ipv6'), [
      {
        prefix: 'fd10:2::/48', nextHop: P6, asPath: [BIRD_AS], med: 33, pathId: 0,
        communities: ['65002:7'], largeCommunities: ['65002:1:2'],
      },
    ], 'IPv6 routes from BIRD (MP_REACH_NLRI)');
  });

  test('Wren routes reach BIRD with AS path, communities and next hop; withdrawals remove them', async () => {
    await w4.announce({
      prefixes: ['10.1.0.0/24', '10.1.1.0/24'], nextHop: W4, pathId: 1, asPath: [WREN_AS, 64512],
      med: 44, communities: ['65001:1', '65001:2'], largeCommunities: ['4200000001:5:6'],
    });
    await w6.announce({ prefixes: ['fd10:1::/48'], nextHop: W6, asPath: [WREN_AS], communities: ['65001:3'] });
    await w4.sendEndOfRib('ipv4');
    await w6.sendEndOfRib('ipv6');
    await untilMatches(() => bird.routes('protocol w4'), unordered([
      {
        prefix: '10.1.0.0/24', via: [W4],
        attrs: {
          'BGP.as_path': `${WREN_AS} 64512`, 'BGP.next_hop': W4, 'BGP.med': '44',
          'BGP.community': '(65001,1) (65001,2)', 'BGP.large_community': '(4200000001, 5, 6)',
        },
      },
      { prefix: '10.1.1.0/24', attrs: { 'BGP.as_path': `${WREN_AS} 64512` } },
    ]), { what: 'Wren IPv4 routes in BIRD', context: () => bird.log() });
    await untilMatches(() => bird.routes('protocol w6'), [
      { prefix: 'fd10:1::/48', attrs: { 'BGP.as_path': String(WREN_AS), 'BGP.next_hop': W6, 'BGP.community': '(65001,3)' } },
    ], { what: 'Wren IPv6 route in BIRD' });

    await w4.withdraw({ prefixes: ['10.1.1.0/24'], pathId: 1 });
    await untilMatches(() => bird.routes('protocol w4'), [{ prefix: '10.1.0.0/24' }], { what: 'withdrawal in BIRD' });
  });

  test('ROUTE-REFRESH from Wren makes BIRD re-send its routes', async () => {
    const before = w4.updates;
    const eorBefore = w4.events.filter((e) => e.ev === 'endOfRib' || e.ev === 'routeRefresh').length;
    await w4.refresh('ipv4');
    // BIRD re-sends both IPv4 routes (and, with enhanced route refresh, BoRR/EoRR markers).
    await until(() => w4.updates >= before + 2, { what: 'routes re-sent after ROUTE-REFRESH', context: () => w4.log() });
    await until(() => w4.events.filter((e) => e.ev === 'endOfRib' || e.ev === 'routeRefresh').length > eorBefore, {
      what: 'end of the refresh (EoRR or End-of-RIB) from BIRD',
      context: () => w4.log(),
    });
    assert.deepEqual(w4.routes('ipv4').map((r) => r.prefix), ['10.2.0.0/24', '10.2.1.0/24']);
  });

  test('UPDATE with an invalid ORIGIN is treated as withdraw by BIRD (RFC 7606), session kept', async () => {
    await w4.announce({ prefixes: ['10.1.9.0/24'], nextHop: W4, pathId: 1, asPath: [WREN_AS] });
    await until(async () => (await bird.routes('protocol w4')).some((r) => r.prefix === '10.1.9.0/24'), { what: '10.1.9.0/24 in BIRD' });
    // ORIGIN = 5 (invalid), AS_PATH [WREN_AS] (4-octet), NEXT_HOP W4; NLRI with ADD-PATH id 1.
    const asn = WREN_AS.toString(16).padStart(8, '0');
    const attrs = '40010105' + '40020602' + '01' + asn + '400304c6120001';
    await w4.raw(rawMessage(2, rawUpdateBody('', attrs, nlriHex('10.1.9.0/24', 1))));
    await until(async () => !(await bird.routes('protocol w4')).some((r) => r.prefix === '10.1.9.0/24'), {
      what: '10.1.9.0/24 withdrawn by BIRD',
      context: () => bird.log(),
    });
    assert.equal((await bird.protocol('w4')).info, 'Established');
    assert.equal(w4.state, 'Established');
    assert.equal(w4.notificationsReceived.length, 0);
  });

  test('sessions stay Established past several keepalive intervals', async () => {
    const wait = establishedAt + 10_000 - Date.now();
    if (wait > 0) await sleep(wait);
    for (const w of [w4, w6]) {
      assert.equal(w.state, 'Established', `${w.name} still Established`);
      assert.equal(w.establishedCount, 1, `${w.name} never flapped`);
      const st = await w.stats();
      assertSubset(st, { state: 'Established' });
    }
    // Keepalives flowed both ways: BIRD's hold timer keeps being reset by Wren's keepalives.
    // Sampled over a few seconds, so that one keepalive delayed by a loaded machine does not
    // decide: if keepalives flow, some sample shows a recently reset timer.
    for (const p of ['w4', 'w6']) {
      let best = -1;
      let hold = '';
      for (let i = 0; i < 4 && best <= 9 - 3 - 1.5; i++) {
        if (i > 0) await sleep(1000);
        const d = await bird.protocol(p);
        assert.equal(d.info, 'Established');
        hold = String((d.details['BGP state'] as Record<string, unknown>)['Hold timer']);
        best = Math.max(best, Number(hold.split('/')[0]));
      }
      const left = best;
      assert.ok(left > 9 - 3 - 1.5, `BIRD ${p} hold timer recently reset by a keepalive (${hold})`);
    }
    const ka = [await w4.keepalivesIn(), await w6.keepalivesIn()];
    assert.ok(ka[0]! >= 3 && ka[1]! >= 3, `keepalives received by Wren: ${ka}`);
  });

  test('a message header error from Wren draws a NOTIFICATION (Connection Not Synchronized)', async () => {
    // A KEEPALIVE with a broken marker.
    await w6.raw(rawMessage(4, '', '00'.repeat(16)));
    await until(() => w6.notificationsReceived.length > 0, { what: 'NOTIFICATION from BIRD', context: () => w6.log() });
    assertSubset(w6.notificationsReceived[0], { code: 1, subcode: 1 });
    await until(() => w6.state !== 'Established', { what: 'Wren IPv6 session down after the NOTIFICATION' });
  });

  test('Administrative Shutdown with a shutdown communication is shown by BIRD', async () => {
    const text = 'wren conformance: maintenance 42';
    await w4.stop(2, text);
    await untilMatches(() => bird.protocol('w4'), {
      lastError: 'Received: Administrative shutdown',
      details: { Message: text },
    }, { what: 'BIRD shows the shutdown communication', context: () => bird.log() });
    assert.ok(bird.proc.output().some((l) => l.includes('Received: Administrative shutdown') && l.includes(text)), 'BIRD logged it');
    await until(() => w4.notificationsSent.length > 0, { what: 'Wren reports the NOTIFICATION it sent' });
  });
});

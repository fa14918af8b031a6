// Calico's parsers (contract.md §3, re-implemented in calico-parsers.ts) against our control
// socket: readiness (incl. GR via 0024), calicoctl node status, CalicoNodeStatus agent /
// BGP / routes, for peers up, down (5 fields), connecting, passive and during GR.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type Harness } from './harness.js';
import { at, globalDown } from './fake-source.js';
import { bgpStatusInfo } from '../../src/control/format.js';
import type { ProtocolStatus } from '../../src/control/model.js';
import { ControlClient } from '../../src/cli/client.js';
import { agentStatus, bgpPeersStatus, birdReady, calicoctlRows, calicoRoutes, getPeers, grInProgress } from './calico-parsers.js';

function setPeer(h: Harness, name: string, patch: Partial<ProtocolStatus>): void {
  const i = h.source.protocolList.findIndex((p) => p.name === name);
  assert.ok(i >= 0, name);
  h.source.protocolList[i] = { ...h.source.protocolList[i]!, ...patch };
}

describe('Calico consumers accept our output', () => {
  let h: Harness;
  before(async () => {
    h = await startServer();
  });
  after(async () => h.close());

  test('all peers up: ready, calicoctl rows, agent, BGP, routes', async () => {
    assert.equal(await birdReady(h.path, true), null);
    assert.equal(await grInProgress(h.path), false);
    assert.deepEqual(await calicoctlRows(h.path), [
      ['192.0.2.12', 'node-to-node mesh', 'up', '05:28:58', 'Established'],
      ['192.0.2.13', 'global', 'up', '05:29:00', 'Established'],
      ['192.0.2.1', 'node specific', 'up', '05:28:58', 'Established'],
    ]);
    assert.deepEqual(await agentStatus(h.path), {
      state: 'Ready',
      version: 'v0.3.3+birdv1.6.8',
      routerID: '192.0.2.11',
      serverTime: '2026-11-26 05:29:18',
      lastBootTime: '2026-11-26 05:28:56',
      lastReconfigurationTime: '2026-11-26 05:28:56',
    });
    const bgp = await bgpPeersStatus(h.path);
    assert.equal(bgp.established, 3);
    assert.equal(bgp.notEstablished, 0);
    assert.deepEqual(
      bgp.peers.map((p) => [p.peerIP, p.bgpState, p.neighborAddress]),
      [
        ['192.0.2.12', 'Established', '192.0.2.12'],
        ['192.0.2.13', 'Established', '192.0.2.13'],
        ['192.0.2.1', 'Established', '192.0.2.1'],
      ],
    );
    const routes = await calicoRoutes(h.path);
    assert.equal(routes.length, 9);
    const r = routes.filter((x) => x.dest === '10.244.2.0/26');
    assert.deepEqual(
      r.map((x) => [x.type, x.gateway, x.iface, x.from, x.primary]),
      [
        ['via', '192.0.2.12', 'eth0', 'Mesh_192_0_2_12', true],
        ['via', '192.0.2.12', 'eth0', 'Global_192_0_2_13', false],
      ],
      'the second route inherits the destination',
    );
    assert.deepEqual(
      routes.filter((x) => x.from === 'kernel1').map((x) => [x.dest, x.type, x.iface]),
      [
        ['10.244.1.6/32', 'dev', 'cali1112'],
        ['10.244.1.5/32', 'dev', 'cali1111'],
      ],
    );
    assert.deepEqual(routes.filter((x) => x.type === 'blackhole').map((x) => x.dest), ['10.96.0.0/12', '10.244.1.0/26']);
  });

  test('a disabled peer (state down, 5 fields) vanishes from the peer list', async () => {
    setPeer(h, 'Node_192_0_2_1', { state: 'down', since: at(5, 29, 26), info: bgpStatusInfo(true, 'Down') });
    try {
      const rows = await calicoctlRows(h.path);
      assert.deepEqual(rows.map((r) => r[0]), ['192.0.2.12', '192.0.2.13']);
      assert.equal(await birdReady(h.path, true), null);
      const bgp = await bgpPeersStatus(h.path);
      assert.equal(bgp.peers.length, 2);
    } finally {
      setPeer(h, 'Node_192_0_2_1', { state: 'up', since: at(5, 28, 58), info: bgpStatusInfo(false, 'Established') });
    }
  });

  test('a connecting peer: BGPState Active, info kept, not ready while young, ready later', async () => {
    const saved = h.source.protocolList.find((p) => p.name === 'Global_192_0_2_13')!;
    const i = h.source.protocolList.indexOf(saved);
    h.source.protocolList[i] = globalDown();
    try {
      const c = await ControlClient.connect(h.path);
      const peers = await getPeers(c);
      c.close();
      const g = peers.find((p) => p.peerIP === '192.0.2.13')!;
      assert.equal(g.state, 'start');
      assert.equal(g.bgpState, 'Active');
      assert.equal(g.info, 'Socket: Connection refused');
      assert.deepEqual((await calicoctlRows(h.path))[1], ['192.0.2.13', 'global', 'start', '05:29:52', 'Active Socket: Connection refused']);
      assert.equal(await birdReady(h.path, true), 'BGP not established with 192.0.2.13');
      assert.equal(await birdReady(h.path, false), null, 'after the threshold one Established peer is enough');
      const bgp = await bgpPeersStatus(h.path);
      assert.equal(bgp.established, 2);
      assert.equal(bgp.notEstablished, 1);
      assert.equal(bgp.peers[1]!.bgpState, 'Active');
      assert.equal(bgp.peers[1]!.neighborAddress, '192.0.2.13');
    } finally {
      h.source.protocolList[i] = saved;
    }
  });

  test('a passive peer maps to an empty BGP state in CalicoNodeStatus', async () => {
    setPeer(h, 'Mesh_192_0_2_12', {
      state: 'start',
      info: bgpStatusInfo(false, 'Passive'),
      bgp: { state: 'Passive', neighborAddress: '192.0.2.12', neighborAs: 64512 },
    });
    try {
      const bgp = await bgpPeersStatus(h.path);
      assert.equal(bgp.peers[0]!.session, 'Passive');
      assert.equal(bgp.peers[0]!.bgpState, '');
      assert.equal(await birdReady(h.path, true), 'BGP not established with 192.0.2.12');
    } finally {
      h.source.protocolList = (await import('./fake-source.js')).labProtocols();
    }
  });

  test('graceful restart in progress: young node not ready though every peer is Established', async () => {
    const saved = h.source.statusValue;
    h.source.statusValue = { ...saved, gracefulRestart: { waitingFor: 1, waitTimerLeft: 236, waitTimerTotal: 240 } };
    try {
      assert.equal(await grInProgress(h.path), true);
      assert.equal(await birdReady(h.path, true), 'Graceful restart in progress');
      assert.equal(await birdReady(h.path, false), null);
      assert.equal((await agentStatus(h.path)).state, 'Ready', 'the agent parser tolerates the 0024 block');
    } finally {
      h.source.statusValue = saved;
    }
    assert.equal(await grInProgress(h.path), false);
  });

  test('no routing table yet: the route populator sees an error, not an empty list', async () => {
    const saved = h.source.routeNets;
    h.source.routeNets = null;
    try {
      await assert.rejects(calicoRoutes(h.path), /unexpected route line: 8004 Routing table not ready/);
    } finally {
      h.source.routeNets = saved;
    }
  });
});

describe('IPv6 daemon naming', () => {
  test('Mesh_2001_db8__12 parses back to 2001:db8::12', async () => {
    const h = await startServer();
    try {
      h.source.protocolList = [
        {
          name: 'Mesh_2001_db8__12',
          proto: 'BGP',
          table: 'master',
          state: 'up',
          since: at(5, 30, 59),
          info: bgpStatusInfo(false, 'Established'),
          preference: 100,
          inputFilter: '(unnamed)',
          outputFilter: '(unnamed)',
        },
      ];
      const c = await ControlClient.connect(h.path);
      const peers = await getPeers(c, true);
      c.close();
      assert.deepEqual(peers.map((p) => [p.peerIP, p.bgpState]), [['2001:db8::12', 'Established']]);
    } finally {
      await h.close();
    }
  });
});

// The Calico lab, small: clusters of network namespaces where every node runs the whole Wren
// daemon exactly as calico-node runs BIRD (`bird -R -s … -d -c bird.cfg`, configs rendered
// in confd's shape by lab/confd.ts, Felix's workload routes in the kernel by lab/felix.ts),
// checked with real packets between workload namespaces and with the kernel routing tables:
//   - full mesh (3 nodes): every block in every kernel (proto bird), workloads reach each
//     other across nodes, Calico's readiness/liveness/calicoctl parsers accept every node,
//     a SIGHUP storm keeps every session up, a restart with -R leaves the node's kernel
//     routes untouched, a node that leaves has its block withdrawn from every kernel;
//   - route reflectors (2 RRs, one cluster id, 3 clients): reflection works, and kill -9 of
//     one RR changes no client kernel route and loses no probe;
//   - ToR eBGP (BIRD 2 as the ToR, MD5, GTSM, next hop kept, allow local as), IPv4 and IPv6
//     with bird and bird6 side by side in each node as in calico-node: the ToR learns every
//     block, workloads reach each other over both families.
// The large runs and the figures are `npm run lab` (lab/main.ts). Needs root.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { until } from '../helpers/poll.js';
import { Cluster } from '../../lab/cluster.js';
import { buildCluster } from '../../lab/model.js';
import { connectivity, hupStorm, killReflector, nodeLeaves, readiness, restartNode, torMissing, waitReady } from '../../lab/checks.js';

const log = process.env.WREN_LAB_LOG ? (l: string) => process.stderr.write(`${l}\n`) : undefined;

describe('Calico lab: full mesh, 3 nodes × 2 workloads', () => {
  const lab = createLab('lab-mesh');
  const c = new Cluster(lab, buildCluster({ topology: 'mesh', nodes: 3, workloads: 2 }), { daemon: 'wren', log });

  after(() => c.close());
  before(async () => {
    await c.build();
    await c.startAll();
  });

  test('every kernel gets every block from BGP (proto bird), its own as a blackhole', async () => {
    await c.waitConverged('mesh converged', 90_000);
    const r = await c.kernelRoutes('node-1', 4);
    const b2 = r.find((x) => x.dst === c.node('node-2').block4);
    assert.equal(b2?.gateway, c.node('node-2').ip4);
    assert.equal(b2?.metric, 1024, 'krt_metric = 2^31-1 - local_pref carried the normal priority');
    assert.equal(r.find((x) => x.dst === c.node('node-1').block4)?.type, 'blackhole');
    // Workload /32s stay aggregated: no other node has node-2's workload route.
    const w = c.node('node-2').workloads[0]!.ip4;
    assert.equal((await c.kernelRoutes('node-1', 4, true)).some((x) => x.dst === w), false);
  });

  test("Calico's readiness probe, liveness rule and calicoctl accept every node", async () => {
    const r = await waitReady(c, 30_000);
    for (const [k, v] of r.ready) assert.equal(v, null, k);
    for (const [k, v] of r.live) assert.equal(v, true, k);
    const rows = r.calicoctl.get('node-1/v4')!;
    assert.deepEqual(rows.map((x) => [x[0], x[1], x[2], x[4]]).sort(), [
      [c.node('node-2').ip4, 'node-to-node mesh', 'up', 'Established'],
      [c.node('node-3').ip4, 'node-to-node mesh', 'up', 'Established'],
    ]);
  });

  test('workloads reach every workload on the other nodes (TCP, answered by the right workload)', async () => {
    const r = await connectivity(c);
    assert.equal(r.mode, 'all');
    assert.equal(r.pairs, 6 * 4);
    assert.deepEqual(r.failed, []);
  });

  test('a SIGHUP storm (confd re-rendering every second) keeps every session up', async () => {
    const r = await hupStorm(c, 3);
    assert.equal(r.hups, 9);
    assert.deepEqual(r.flapped, []);
    assert.equal(r.converged, true);
  });

  test("restarting a node's daemon with -R does not touch its kernel routes", async () => {
    const r = await restartNode(c, 'node-1');
    assert.deepEqual(r.routeEvents.get('node-1'), [], 'no block route added, replaced or deleted in node-1');
    assert.deepEqual((await c.clusterDiff()).size, 0);
  });

  test('a node that leaves has its block withdrawn from every kernel', async () => {
    const gone = c.node('node-3').block4!;
    const r = await nodeLeaves(c, 'node-3');
    assert.equal(r.node, 'node-3');
    for (const n of ['node-1', 'node-2']) assert.equal((await c.kernelRoutes(n, 4)).some((x) => x.dst === gone), false, n);
    const after = await connectivity(c);
    assert.equal(after.pairs, 2 * 2 * 2);
    assert.deepEqual(after.failed, []);
  });
});

describe('Calico lab: 2 route reflectors (one cluster id) and 3 clients', () => {
  const lab = createLab('lab-rr');
  const c = new Cluster(lab, buildCluster({ topology: 'rr', nodes: 3, workloads: 1 }), { daemon: 'wren', log });

  after(() => c.close());
  before(async () => {
    await c.build();
    await c.startAll();
  });

  test('blocks are reflected to every client and reflector; workloads reach each other; probes say ready', async () => {
    await c.waitConverged('rr converged', 90_000);
    const r = await waitReady(c, 30_000);
    const rows = r.calicoctl.get('rr-1/v4')!;
    assert.equal(rows.length, 4, 'rr-1 peers with rr-2 and the three clients');
    assert.ok(rows.every((x) => x[1] === 'node specific' && x[4] === 'Established'), JSON.stringify(rows));
    const conn = await connectivity(c);
    assert.equal(conn.pairs, 3 * 2);
    assert.deepEqual(conn.failed, []);
  });

  test('kill -9 of one reflector: no client kernel route changes, no probe fails', async () => {
    const r = await killReflector(c, 6000);
    assert.ok(r.watch!.probes > 0);
    assert.equal(r.watch!.failures, 0, JSON.stringify(r.watch));
    for (const [node, ev] of r.routeEvents) assert.deepEqual(ev, [], node);
    assert.equal(r.converged, true, r.notes.join('\n'));
    // Calico's probe (after the young-node threshold) still finds an Established peer.
    const ready = await readiness(c, c.spec.nodes.filter((n) => !n.rrClusterId));
    for (const [k, rows] of ready.calicoctl) assert.ok(rows.some((x) => x[4] === 'Established'), k);
  });
});

describe('Calico lab: ToR eBGP (FRR), IPv4', () => {
  const lab = createLab('lab-tor-frr');
  const c = new Cluster(lab, buildCluster({ topology: 'tor', nodes: 2, workloads: 1, ipv6: false, torDaemon: 'frr' }), { daemon: 'wren', log });

  after(() => c.close());
  before(async () => {
    await c.build();
    await c.startAll();
  });

  test('FRR learns both blocks with the node as next hop (MD5, GTSM 1 hop); the nodes learn each other through it', async () => {
    await until(async () => (await torMissing(c)).length === 0, { what: 'FRR has both blocks', timeoutMs: 60_000, context: async () => (await torMissing(c)).join('\n') });
    await c.waitConverged('tor (FRR) converged', 60_000);
    // Next hop kept by the ToR and `allow local as 1` on the node: node-2's block arrives
    // with AS path 65001 64512 and the originating node as gateway.
    const r = (await c.kernelRoutes('node-1', 4)).find((x) => x.dst === c.node('node-2').block4);
    assert.equal(r?.gateway, c.node('node-2').ip4);
    const conn = await connectivity(c);
    assert.equal(conn.pairs, 2);
    assert.deepEqual(conn.failed, []);
    const ready = await waitReady(c, 30_000);
    assert.deepEqual(ready.calicoctl.get('node-1/v4')?.map((x) => [x[0], x[1], x[4]]), [['198.18.0.1', 'global', 'Established']]);
  });
});

describe('Calico lab: ToR eBGP (BIRD 2), IPv4 and IPv6, bird + bird6 per node', () => {
  const lab = createLab('lab-tor');
  const c = new Cluster(lab, buildCluster({ topology: 'tor', nodes: 2, workloads: 1, ipv6: true, torDaemon: 'bird' }), { daemon: 'wren', log });

  after(() => c.close());
  before(async () => {
    await c.build();
    await c.startAll();
  });

  test('the ToR learns every block over both families with the node as next hop', async () => {
    await until(async () => (await torMissing(c)).length === 0, { what: 'ToR has all blocks', timeoutMs: 60_000, context: async () => (await torMissing(c)).join('\n') });
  });

  test('every node kernel holds the other blocks over both families and workloads reach each other', async () => {
    await c.waitConverged('tor converged', 60_000);
    const conn = await connectivity(c);
    assert.equal(conn.pairs, 2 * 2);
    assert.deepEqual(conn.failed, []);
    const r = await readiness(c);
    for (const [k, v] of r.ready) assert.equal(v, null, k);
    assert.equal(r.calicoctl.get('node-1/v6')?.[0]?.[1], 'global');
  });
});

// The kernel protocol for IPv6 (the bird6 daemon's side, contract.md §4.2) against the real
// kernel of a namespace this test creates, in process (test/fib/harness.ts, dialect ipv6):
// Felix-style /128 workload routes on a veth learned with krt_source, krt_metric and ifname
// (the lowest metric of two); a BGP route (injected through the table, as kernel.test.ts
// does) installed with proto bird, its next hop on the link and metric 2^31-1 - local_pref;
// a static route without krt_metric filed by the kernel at metric 1024 (IPv6 turns 0 into
// 1024) and not rewritten on later scans; an IPv6 blackhole, which the kernel shows as
// `dev lo ... metric 1024`, installed once and left alone by later scans; ECMP ⇒ one
// multipath route, back to one path on withdrawal; the destinations BIRD 1.6's classifier
// skips (link-local, multicast, loopback) not learned; a bulk of 10 000 routes goes through
// without pausing route events (the echoes of our writes are dropped by the event socket's
// BPF filter, so hardly any event arrives), and a route of ours deleted and a Felix route
// added right after it are caught from their events. Addresses from fd00::/8.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Namespace, Rig, FakeBgpPeer, kernelRoutes } from './harness.js';
import { until, sleep } from '../helpers/poll.js';
import { RouteDest } from '../../src/rib/attr-set.js';
import { Afi } from '../../src/rib/prefix.js';

const config = `
router id 198.18.0.1;
filter calico_kernel_programming {
  if ( net ~ fd00:96::/108 ) then { reject; }
  if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {
      krt_metric = 1024;
      if (defined(bgp_local_pref)) then {
          krt_metric = 2147483647 - bgp_local_pref;
      }
      if (krt_metric < 1024) then {
          preference = 200;
      }
  }
  accept;
}
protocol kernel {
  learn;
  persist;
  scan time 2;
  import all;
  export filter calico_kernel_programming;
  graceful restart;
  merge paths on;
}
protocol device { scan time 2; }
protocol direct { interface -"cali*", "*"; }
protocol static {
  route fd00:10:244:0:1d::/122 blackhole;
  route fd00:96::/108 blackhole;
  route fd00:77::/64 via fd00:1::2;
}
`;

const METRIC_LP100 = 2147483647 - 100;

let ns: Namespace;

before(() => {
  ns = new Namespace();
  ns.ip('link', 'add', 'e0', 'type', 'veth', 'peer', 'name', 'e0p');
  ns.ip('-6', 'addr', 'add', 'fd00:1::1/64', 'dev', 'e0', 'nodad');
  ns.ip('link', 'set', 'e0', 'up');
  ns.ip('link', 'set', 'e0p', 'up');
  ns.ip('link', 'add', 'cali1', 'type', 'veth', 'peer', 'name', 'cali1p');
  ns.ip('link', 'set', 'cali1', 'up');
  ns.ip('link', 'set', 'cali1p', 'up');
  // Felix: workload /128s (one at the normal and the elevated priority), a block blackhole.
  ns.ip('-6', 'route', 'add', 'fd00:10:244:0:1d::5/128', 'dev', 'cali1', 'proto', 'boot', 'metric', '1024');
  ns.ip('-6', 'route', 'add', 'fd00:10:244:0:1d::6/128', 'dev', 'cali1', 'proto', 'boot', 'metric', '1024');
  ns.ip('-6', 'route', 'add', 'fd00:10:244:0:1d::6/128', 'dev', 'cali1', 'proto', 'boot', 'metric', '512');
  ns.ip('-6', 'route', 'add', 'blackhole', 'fd00:10:245::/122', 'proto', '80');
  // What BIRD 1.6 does not learn: link-local, multicast and loopback destinations.
  ns.ip('-6', 'route', 'add', 'fe80::1234/128', 'dev', 'cali1', 'proto', 'boot', 'metric', '1024');
  ns.ip('-6', 'route', 'add', 'ff0e:1::/32', 'dev', 'e0', 'proto', 'static');
  ns.ip('-6', 'route', 'add', '::1/128', 'dev', 'lo', 'proto', 'static', 'table', 'main');
});

after(() => ns?.destroy());

const one = (prefix: string) => {
  const rs = kernelRoutes(ns, prefix);
  return rs.length === 1 ? rs[0] : undefined;
};

describe('kernel protocol, IPv6', () => {
  let rig: Rig;
  let peerA: FakeBgpPeer;
  let peerB: FakeBgpPeer;

  before(async () => {
    rig = new Rig(ns, config, { family: Afi.IPV6 });
    rig.start();
    await until(() => rig.kernel.state === 'up' && rig.direct.state === 'up', { what: 'protocols up' });
    await until(() => rig.routes('fd00:1::/64').some((x) => x.kind === 'direct'), { what: 'direct fd00:1::/64' });
    await rig.kernel.settled();
    peerA = new FakeBgpPeer(rig, 'fd00:1::2');
    peerB = new FakeBgpPeer(rig, 'fd00:1::3');
  });

  after(() => rig?.stop());

  test('Felix /128 workload routes are learned with krt_source, krt_metric and ifname; the lowest metric wins', async () => {
    const r = await until(() => rig.routes('fd00:10:244:0:1d::5/128').find((x) => x.kind === 'kernel'), { what: 'workload /128 learned' });
    assert.equal(r.attrs.krtSource, 3);
    assert.equal(r.attrs.krtMetric, 1024);
    assert.equal(r.attrs.ifname, 'cali1');
    assert.equal(r.attrs.dest, RouteDest.DEVICE);
    assert.equal(r.preference, 10);
    const two = rig.routes('fd00:10:244:0:1d::6/128').filter((x) => x.kind === 'kernel');
    assert.equal(two.length, 1, 'two metrics of one prefix import as one route');
    assert.equal(two[0]!.attrs.krtMetric, 512);
    const bh = rig.routes('fd00:10:245::/122').find((x) => x.kind === 'kernel');
    assert.ok(bh, 'proto 80 blackhole learned');
    assert.equal(bh.attrs.krtSource, 80);
    assert.equal(bh.attrs.dest, RouteDest.BLACKHOLE);
    // The elevated route going away leaves the normal one learned.
    ns.ip('-6', 'route', 'del', 'fd00:10:244:0:1d::6/128', 'dev', 'cali1', 'proto', 'boot', 'metric', '512');
    await until(() => rig.routes('fd00:10:244:0:1d::6/128').find((x) => x.kind === 'kernel' && x.attrs.krtMetric === 1024), { what: 'metric 1024 route learned after the 512 one went' });
  });

  test('link-local, multicast and loopback destinations, and connected routes, are not learned', async () => {
    await rig.kernel.settled();
    assert.ok(kernelRoutes(ns, 'fe80::1234/128').length === 1, 'the link-local route is in the kernel');
    assert.ok(kernelRoutes(ns, 'ff0e:1::/32').length === 1, 'the multicast route is in the kernel');
    const learned = rig.prefixesOf('kernel').sort();
    assert.deepEqual(learned, ['fd00:10:244:0:1d::5/128', 'fd00:10:244:0:1d::6/128', 'fd00:10:245::/122']);
  });

  test('a BGP route: proto bird, via its next hop on the link, metric 2^31-1 - local_pref', async () => {
    peerA.announce('fd00:20::/64', 'fd00:1::2');
    const r = await until(() => one('fd00:20::/64'), { what: 'fd00:20::/64 in the kernel' });
    assert.equal(r.protocol, 'bird');
    assert.equal(r.gateway, 'fd00:1::2');
    assert.equal(r.dev, 'e0');
    assert.equal(r.metric, METRIC_LP100);
    assert.equal(r.type ?? 'unicast', 'unicast');
  });

  test('a route without krt_metric is filed at metric 1024 (kernel default), proto bird', async () => {
    const r = await until(() => one('fd00:77::/64'), { what: 'fd00:77::/64 in the kernel' });
    assert.equal(r.protocol, 'bird');
    assert.equal(r.gateway, 'fd00:1::2');
    assert.equal(r.metric, 1024);
  });

  test('an IPv6 blackhole shows as dev lo, metric 1024; scans do not rewrite it', async () => {
    const r = await until(() => one('fd00:10:244:0:1d::/122'), { what: 'blackhole block in the kernel' });
    assert.equal(r.type, 'blackhole');
    assert.equal(r.protocol, 'bird');
    assert.equal(r.dev, 'lo');
    assert.equal(r.metric, 1024);
    assert.equal(kernelRoutes(ns, 'fd00:96::/108').length, 0, 'the filter rejects the service range');
    await rig.kernel.settled();
    const s = rig.kernel.stats;
    const writes = s.adds + s.replaces + s.deletes;
    const scans = s.resyncs;
    // Two full scans: every route of ours must compare equal to what the kernel reports.
    rig.kernel.requestResync(0);
    await until(() => rig.kernel.stats.resyncs > scans, { what: 'a scan' });
    await rig.kernel.settled();
    rig.kernel.requestResync(0);
    await until(() => rig.kernel.stats.resyncs > scans + 1, { what: 'a second scan' });
    await rig.kernel.settled();
    assert.equal(s.adds + s.replaces + s.deletes, writes, `no write after the scans: ${JSON.stringify(s)}`);
    assert.equal(JSON.stringify(one('fd00:10:244:0:1d::/122')), JSON.stringify(r));
  });

  test('ECMP from two peers ⇒ one IPv6 multipath route; back to one path on withdrawal', async () => {
    peerA.announce('fd00:30::/64', 'fd00:1::2');
    peerB.announce('fd00:30::/64', 'fd00:1::3');
    const r = await until(() => {
      const x = one('fd00:30::/64');
      return x?.nexthops?.length === 2 ? x : undefined;
    }, { what: 'multipath fd00:30::/64', context: () => JSON.stringify(kernelRoutes(ns, 'fd00:30::/64')) });
    assert.deepEqual(r.nexthops.map((h: { gateway: string }) => h.gateway).sort(), ['fd00:1::2', 'fd00:1::3']);
    assert.ok(r.nexthops.every((h: { dev: string }) => h.dev === 'e0'));
    assert.equal(r.protocol, 'bird');
    assert.equal(r.metric, METRIC_LP100);
    // A scan compares the multipath route as equal: nothing rewritten.
    await rig.kernel.settled();
    const s = rig.kernel.stats;
    const writes = s.adds + s.replaces + s.deletes;
    const scans = s.resyncs;
    rig.kernel.requestResync(0);
    await until(() => rig.kernel.stats.resyncs > scans, { what: 'a scan' });
    await rig.kernel.settled();
    assert.equal(s.adds + s.replaces + s.deletes, writes, 'multipath route left alone by the scan');
    peerB.withdraw('fd00:30::/64');
    const single = await until(() => {
      const rs = kernelRoutes(ns, 'fd00:30::/64');
      return rs.length === 1 && !rs[0].nexthops ? rs[0] : undefined;
    }, { what: 'single path again', context: () => JSON.stringify(kernelRoutes(ns, 'fd00:30::/64')) });
    assert.equal(single.gateway, 'fd00:1::2');
    assert.equal(single.protocol, 'bird');
  });

  test('a bulk of 10 000 routes: no pause, our echoes filtered; changes made right after it are caught', async () => {
    const N = 10_000;
    const s = rig.kernel.stats;
    const pauses = s.pauses;
    const events = s.events;
    const before = rig.kernel.ownCount;
    const p = (i: number) => `fd00:40::${(i >> 8).toString(16)}:${(i & 255).toString(16)}/128`;
    for (let i = 0; i < N; i++) peerA.announce(p(i), 'fd00:1::2');
    await until(() => rig.kernel.ownCount === before + N && (rig.kernel.writerStats?.requests ?? 0) > 0, { what: 'bulk written', timeoutMs: 30_000, context: () => JSON.stringify(s) });
    assert.equal(s.pauses, pauses, `route events stay on: ${JSON.stringify(s)}`);
    assert.ok(s.events - events < 100, `the echoes of ${N} writes were filtered: ${s.events - events} events`);
    // Straight after the bulk: one of ours deleted by hand, a Felix workload route added.
    ns.ip('-6', 'route', 'del', p(17), 'proto', 'bird');
    ns.ip('-6', 'route', 'add', 'fd00:10:244:0:1d::9/128', 'dev', 'cali1', 'proto', 'boot', 'metric', '1024');
    await until(() => rig.routes('fd00:10:244:0:1d::9/128').some((x) => x.kind === 'kernel'), { what: 'Felix route learned', timeoutMs: 10_000 });
    await until(() => one(p(17))?.protocol === 'bird', { what: 'our route deleted by hand is back', timeoutMs: 10_000 });
    await rig.kernel.settled();
    assert.equal(s.pauses, pauses, 'no pause');
    const ours = ns.ipJson<{ dst: string }[]>('-6', 'route', 'show', 'proto', 'bird').filter((r) => r.dst.startsWith('fd00:40::'));
    assert.equal(ours.length, N);
    assert.equal(rig.kernel.ownCount, before + N);
    for (let i = 0; i < N; i++) peerA.withdraw(p(i));
    await until(() => ns.ipJson<{ dst: string }[]>('-6', 'route', 'show', 'proto', 'bird').every((r) => !r.dst.startsWith('fd00:40::')), { what: 'bulk withdrawn', timeoutMs: 30_000 });
    await rig.kernel.settled();
    assert.equal(rig.kernel.ownCount, before);
    ns.ip('-6', 'route', 'del', 'fd00:10:244:0:1d::9/128', 'proto', 'boot');
  });

  test('a route of ours deleted by hand comes back; a withdrawn one is deleted', async () => {
    ns.ip('-6', 'route', 'del', 'fd00:20::/64', 'proto', 'bird');
    const r = await until(() => one('fd00:20::/64'), { what: 'fd00:20::/64 back' });
    assert.equal(r.protocol, 'bird');
    peerA.withdraw('fd00:20::/64');
    await until(() => kernelRoutes(ns, 'fd00:20::/64').length === 0, { what: 'deleted' });
    await sleep(50);
    assert.ok(one('fd00:10:244:0:1d::5/128'), 'the Felix route stays');
  });
});

// The kernel protocol against the real kernel of a namespace this test creates (BIRD 1.6
// semantics, contract.md §4.2), in process (test/fib/harness.ts): Felix-style alien routes
// learned with krt_source / krt_metric / ifname and the skipped kinds left out; static and
// BGP routes exported through Calico's calico_kernel_programming filter with protocol 12 and
// krt_metric; krt_tunnel ⇒ `dev tunl0 onlink`; ECMP ⇒ one multipath route; a route of ours
// deleted by hand comes back; a Felix route that replaced ours is left alone; an interface
// going away takes its learned routes; persist on stop, and a `-R` restart that adopts our
// routes without touching them and prunes the stale one only after recovery; no persist ⇒
// routes deleted; lost events (ENOBUFS) end in a consistent table. `tunl0` is a veth named
// tunl0 (this kernel has no ipip module).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Namespace, Rig, FakeBgpPeer, kernelRoutes } from './harness.js';
import { until, sleep } from '../helpers/poll.js';
import { RouteDest } from '../../src/rib/attr-set.js';

const FILTER = `
filter calico_kernel_programming {
  if ( net ~ 10.96.0.0/12 ) then { reject; }
  if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {
      krt_metric = 1024;
      if (defined(bgp_local_pref)) then {
          krt_metric = 2147483647 - bgp_local_pref;
      }
      if (krt_metric < 1024) then {
          preference = 200;
      }
  }
  if (net ~ 10.48.0.0/16) then { if (defined(bgp_next_hop)&&(bgp_next_hop ~ 198.18.0.0/24)) then krt_tunnel=""; else krt_tunnel="tunl0"; accept; }
  if (net ~ 10.49.0.0/16) then { reject; }
  accept;
}
`;

const config = (persist = true) => `
router id 198.18.0.1;
${FILTER}
protocol kernel {
  learn;
  ${persist ? 'persist;' : ''}
  scan time 2;
  import all;
  export filter calico_kernel_programming;
  graceful restart;
  merge paths on;
}
protocol device { scan time 2; }
protocol direct { interface -"cali*", "*"; }
protocol static {
  route 10.48.7.0/26 blackhole;
  route 10.96.0.0/12 blackhole;
}
`;

const METRIC_LP100 = 2147483647 - 100;

let ns: Namespace;

before(() => {
  ns = new Namespace();
  ns.ip('link', 'add', 'e0', 'type', 'veth', 'peer', 'name', 'e0p');
  ns.ip('addr', 'add', '198.18.0.1/24', 'dev', 'e0');
  ns.ip('link', 'set', 'e0', 'up');
  ns.ip('link', 'set', 'e0p', 'up');
  ns.ip('link', 'add', 'tunl0', 'type', 'veth', 'peer', 'name', 'tunl0p');
  ns.ip('addr', 'add', '10.48.7.1/32', 'dev', 'tunl0');
  ns.ip('link', 'set', 'tunl0', 'up');
  ns.ip('link', 'set', 'tunl0p', 'up');
  ns.ip('link', 'add', 'cali1', 'type', 'veth', 'peer', 'name', 'cali1p');
  ns.ip('link', 'set', 'cali1', 'up');
  ns.ip('link', 'set', 'cali1p', 'up');
  // Felix: a workload route, a proto-80 block blackhole, a route to another node's subnet.
  ns.ip('route', 'add', '10.48.7.5/32', 'dev', 'cali1', 'proto', 'boot', 'metric', '1024');
  ns.ip('route', 'add', 'blackhole', '10.49.3.0/26', 'proto', '80');
  ns.ip('route', 'add', '172.31.0.0/16', 'via', '198.18.0.254', 'proto', 'static');
  // What BIRD 1.6 does not learn: another table, TOS ≠ 0, multicast, loopback range.
  ns.ip('route', 'add', '10.66.0.0/16', 'via', '198.18.0.2', 'table', '100', 'proto', 'static');
  ns.ip('route', 'add', '10.77.0.0/16', 'tos', '0x10', 'via', '198.18.0.2', 'proto', 'static');
  ns.ip('route', 'add', '224.1.0.0/16', 'dev', 'e0', 'proto', 'static');
  ns.ip('route', 'add', '127.9.0.0/16', 'dev', 'lo', 'proto', 'static');
});

after(() => ns?.destroy());

const one = (prefix: string) => {
  const rs = kernelRoutes(ns, prefix);
  return rs.length === 1 ? rs[0] : undefined;
};

describe('kernel protocol (persist, graceful restart)', () => {
  let rig: Rig;
  let peerA: FakeBgpPeer;
  let peerB: FakeBgpPeer;

  before(async () => {
    rig = new Rig(ns, config());
    rig.start();
    await until(() => rig.kernel.state === 'up' && rig.direct.state === 'up', { what: 'protocols up' });
    await rig.kernel.settled();
    peerA = new FakeBgpPeer(rig, '198.18.0.2');
    peerB = new FakeBgpPeer(rig, '198.18.0.3');
  });

  test('Felix routes are learned with krt_source, krt_metric and ifname; preference 10', async () => {
    const r = await until(() => rig.routes('10.48.7.5/32').find((x) => x.kind === 'kernel'), { what: 'workload route learned' });
    assert.equal(r.attrs.krtSource, 3);
    assert.equal(r.attrs.krtMetric, 1024);
    assert.equal(r.attrs.ifname, 'cali1');
    assert.equal(r.attrs.dest, RouteDest.DEVICE);
    assert.equal(r.preference, 10);
    const bh = rig.routes('10.49.3.0/26').find((x) => x.kind === 'kernel');
    assert.ok(bh, 'proto 80 blackhole learned');
    assert.equal(bh.attrs.krtSource, 80);
    assert.equal(bh.attrs.dest, RouteDest.BLACKHOLE);
    assert.equal(bh.attrs.krtMetric, undefined);
    const gw = rig.routes('172.31.0.0/16').find((x) => x.kind === 'kernel');
    assert.ok(gw);
    assert.equal(gw.attrs.dest, RouteDest.ROUTER);
    assert.equal(gw.attrs.ifname, 'e0');
    assert.deepEqual([...gw.attrs.gateway!], [198, 18, 0, 254]);
  });

  test('connected routes, other tables, TOS, multicast and loopback destinations are not learned', () => {
    const learned = rig.prefixesOf('kernel').sort();
    assert.deepEqual(learned, ['10.48.7.5/32', '10.49.3.0/26', '172.31.0.0/16']);
  });

  test('direct routes: connected subnets of accepted interfaces, cali* excluded', async () => {
    await until(() => rig.routes('198.18.0.0/24').find((x) => x.kind === 'direct'), { what: 'direct 198.18.0.0/24' });
    const d = rig.routes('198.18.0.0/24').find((x) => x.kind === 'direct')!;
    assert.equal(d.attrs.ifname, 'e0');
    assert.equal(d.preference, 240);
    assert.ok(rig.routes('10.48.7.1/32').some((x) => x.kind === 'direct' && x.attrs.ifname === 'tunl0'), 'tunl0 /32 from direct');
    // Direct routes never reach the kernel as ours.
    assert.equal(kernelRoutes(ns, '198.18.0.0/24').filter((r) => r.protocol === 'bird').length, 0);
  });

  test('a static blackhole is installed with proto bird and metric 0; a rejected one is not', async () => {
    const r = await until(() => one('10.48.7.0/26'), { what: '10.48.7.0/26 in the kernel' });
    assert.equal(r.type, 'blackhole');
    assert.equal(r.protocol, 'bird');
    assert.equal(r.metric, undefined);
    assert.equal(kernelRoutes(ns, '10.96.0.0/12').length, 0);
  });

  test('a BGP route on the local subnet: via its next hop, metric 2^31-1 - local_pref', async () => {
    peerA.announce('10.48.9.0/26', '198.18.0.2');
    const r = await until(() => one('10.48.9.0/26'), { what: '10.48.9.0/26 in the kernel' });
    assert.equal(r.protocol, 'bird');
    assert.equal(r.gateway, '198.18.0.2');
    assert.equal(r.dev, 'e0');
    assert.equal(r.metric, METRIC_LP100);
    assert.ok(!(r.flags ?? []).includes('onlink'));
  });

  test('krt_tunnel = "tunl0" with a BGP next hop elsewhere ⇒ via <next hop> dev tunl0 onlink', async () => {
    peerA.announce('10.48.10.0/26', '172.31.5.9');
    const r = await until(() => one('10.48.10.0/26'), { what: '10.48.10.0/26 in the kernel' });
    assert.equal(r.gateway, '172.31.5.9');
    assert.equal(r.dev, 'tunl0');
    assert.ok((r.flags ?? []).includes('onlink'), JSON.stringify(r));
    assert.equal(r.protocol, 'bird');
  });

  test('an unreachable BGP route is not installed', async () => {
    peerA.announce('10.50.1.0/24', '203.0.113.9');
    await rig.kernel.settled();
    assert.equal(kernelRoutes(ns, '10.50.1.0/24').length, 0);
  });

  test('ECMP from two peers ⇒ one multipath route; back to one path on withdrawal', async () => {
    peerA.announce('10.48.11.0/26', '198.18.0.2');
    peerB.announce('10.48.11.0/26', '198.18.0.3');
    const r = await until(() => {
      const x = one('10.48.11.0/26');
      return x?.nexthops?.length === 2 ? x : undefined;
    }, { what: 'multipath 10.48.11.0/26' });
    assert.deepEqual(r.nexthops.map((h: any) => h.gateway).sort(), ['198.18.0.2', '198.18.0.3']);
    assert.equal(r.protocol, 'bird');
    assert.equal(r.metric, METRIC_LP100);
    peerB.withdraw('10.48.11.0/26');
    const single = await until(() => {
      const x = one('10.48.11.0/26');
      return x && !x.nexthops ? x : undefined;
    }, { what: 'single path again' });
    assert.equal(single.gateway, '198.18.0.2');
  });

  test('a route of ours deleted by hand comes back', async () => {
    const before = rig.kernel.stats.reinstalls;
    ns.ip('route', 'del', '10.48.9.0/26', 'proto', 'bird');
    const r = await until(() => one('10.48.9.0/26'), { what: '10.48.9.0/26 back' });
    assert.equal(r.protocol, 'bird');
    assert.ok(rig.kernel.stats.reinstalls > before);
  });

  test('a Felix route replacing ours is not touched (and is learned); ours returns when it goes', async () => {
    ns.ip('route', 'replace', '10.48.9.0/26', 'via', '198.18.0.3', 'dev', 'e0', 'proto', '80', 'metric', String(METRIC_LP100));
    await until(() => rig.routes('10.48.9.0/26').some((x) => x.kind === 'kernel' && x.attrs.krtSource === 80), { what: 'Felix route learned' });
    await sleep(300);
    await rig.kernel.settled();
    const r = kernelRoutes(ns, '10.48.9.0/26');
    assert.equal(r.length, 1);
    assert.equal(r[0].protocol, '80');
    assert.equal(r[0].gateway, '198.18.0.3');
    ns.ip('route', 'del', '10.48.9.0/26', 'proto', '80');
    const back = await until(() => one('10.48.9.0/26'), { what: 'ours back after Felix left' });
    assert.equal(back.protocol, 'bird');
    assert.equal(back.gateway, '198.18.0.2');
  });

  test('a withdrawn route is deleted from the kernel', async () => {
    peerA.announce('10.48.12.0/26', '198.18.0.2');
    await until(() => one('10.48.12.0/26'), { what: 'installed' });
    peerA.withdraw('10.48.12.0/26');
    await until(() => kernelRoutes(ns, '10.48.12.0/26').length === 0, { what: 'deleted' });
  });

  test('a krt_metric change moves our route; a second route of ours on the prefix is deleted; withdrawal leaves none', async () => {
    const P = '10.48.13.0/26';
    const ownBefore = rig.kernel.ownCount;
    peerA.announce(P, '198.18.0.2');
    await until(() => one(P)?.metric === METRIC_LP100, { what: 'installed at 2^31-1 - 100' });
    assert.equal(rig.kernel.ownCount, ownBefore + 1);
    // local_pref 200 ⇒ another metric: added there, the old one deleted (one route of ours per prefix).
    peerA.announce(P, '198.18.0.2', { localPref: 200 });
    await until(() => {
      const rs = kernelRoutes(ns, P);
      return rs.length === 1 && rs[0].metric === 2147483647 - 200 ? rs : undefined;
    }, { what: 'moved to 2^31-1 - 200', context: () => JSON.stringify(kernelRoutes(ns, P)) });
    await rig.kernel.settled();
    assert.equal(rig.kernel.ownCount, ownBefore + 1);
    // Someone adds a route of ours at another metric: it is not what the table wants.
    const writes = rig.kernel.stats.deletes;
    ns.ip('route', 'add', P, 'via', '198.18.0.3', 'dev', 'e0', 'proto', 'bird', 'metric', '5000');
    await until(() => {
      const rs = kernelRoutes(ns, P);
      return rs.length === 1 && rs[0].metric === 2147483647 - 200 && rs[0].gateway === '198.18.0.2' ? rs : undefined;
    }, { what: 'the stray route of ours deleted', context: () => JSON.stringify(kernelRoutes(ns, P)) });
    await rig.kernel.settled();
    assert.ok(rig.kernel.stats.deletes > writes);
    assert.equal(rig.kernel.ownCount, ownBefore + 1);
    peerA.withdraw(P);
    await until(() => kernelRoutes(ns, P).length === 0, { what: 'deleted' });
    await rig.kernel.settled();
    assert.equal(rig.kernel.ownCount, ownBefore);
  });

  test('an interface going away takes its learned routes out of the table', async () => {
    ns.ip('link', 'add', 'cali2', 'type', 'veth', 'peer', 'name', 'cali2p');
    ns.ip('link', 'set', 'cali2', 'up');
    ns.ip('route', 'add', '10.48.7.6/32', 'dev', 'cali2', 'proto', 'boot', 'metric', '1024');
    const r = await until(() => rig.routes('10.48.7.6/32').find((x) => x.kind === 'kernel'), { what: 'cali2 route learned' });
    assert.equal(r.attrs.ifname, 'cali2');
    ns.ip('link', 'del', 'cali2');
    await until(() => rig.routes('10.48.7.6/32').length === 0, { what: 'cali2 route withdrawn' });
  });

  test('stop with persist leaves our routes; a -R restart adopts them without a write and prunes the stale one after recovery', async () => {
    await rig.kernel.settled();
    const ours = ['10.48.7.0/26', '10.48.9.0/26', '10.48.10.0/26', '10.48.11.0/26'];
    for (const p of ours) assert.ok(one(p), `${p} installed before the stop`);
    const snapshot = new Map(ours.map((p) => [p, JSON.stringify(one(p))]));
    rig.stop();
    await sleep(200);
    for (const p of ours) assert.equal(JSON.stringify(one(p)), snapshot.get(p), `${p} left in place (persist)`);

    // The new instance, recovering: the same routes come back from BGP, except 10.48.11.0/26.
    let watching = true;
    const gaps: string[] = [];
    const watcher = (async () => {
      while (watching) {
        for (const p of ['10.48.7.0/26', '10.48.9.0/26', '10.48.10.0/26']) if (!one(p)) gaps.push(p);
        await sleep(10);
      }
    })();
    const rig2 = new Rig(ns, config(), { recovering: true });
    rig2.start();
    await until(() => rig2.kernel.state === 'up' && rig2.direct.state === 'up', { what: 'restarted protocols up' });
    assert.ok(rig2.kernel.awaitingRecovery);
    const a2 = new FakeBgpPeer(rig2, '198.18.0.2');
    a2.announce('10.48.9.0/26', '198.18.0.2');
    a2.announce('10.48.10.0/26', '172.31.5.9');
    await sleep(300);
    const s = rig2.kernel.stats;
    assert.equal(s.adds + s.replaces + s.deletes, 0, 'nothing written while recovering');
    assert.ok(one('10.48.11.0/26'), 'stale route kept while recovering');
    const fed = rig2.kernel.onceFed();
    rig2.kernel.recoveryDone();
    await fed;
    await rig2.kernel.settled();
    await until(() => kernelRoutes(ns, '10.48.11.0/26').length === 0, { what: 'stale route pruned after recovery' });
    watching = false;
    await watcher;
    assert.deepEqual(gaps, [], 'no route disappeared during the restart');
    for (const p of ['10.48.7.0/26', '10.48.9.0/26', '10.48.10.0/26']) assert.equal(JSON.stringify(one(p)), snapshot.get(p), `${p} untouched`);
    assert.equal(rig2.kernel.stats.adds + rig2.kernel.stats.replaces, 0, 'adopted, not rewritten');
    rig2.stop();
  });
});

describe('kernel protocol without persist', () => {
  test('stop deletes our routes and only ours', async () => {
    const rig = new Rig(ns, config(false));
    rig.start();
    await until(() => rig.kernel.state === 'up', { what: 'kernel up' });
    // Left over from the persist suite: 10.48.9.0/26 and 10.48.10.0/26 are ours but no
    // longer wanted (no BGP here): pruned after the initial feed.
    const birdRoutes = () => ns.ipJson<any[]>('-4', 'route', 'show', 'proto', 'bird').map((r) => r.dst);
    await until(() => JSON.stringify(birdRoutes()) === JSON.stringify(['10.48.7.0/26']), { what: 'only the static blackhole left', context: () => JSON.stringify(birdRoutes()) });
    await rig.kernel.settled();
    rig.stop();
    await until(() => kernelRoutes(ns, '10.48.7.0/26').length === 0, { what: 'deleted at stop' });
    assert.ok(one('10.49.3.0/26'), 'the proto 80 route stays');
    assert.ok(one('10.48.7.5/32'), 'the workload route stays');
    assert.equal(birdRoutes().length, 0);
  });
});

describe('lost kernel events (ENOBUFS)', () => {
  test('a burst that overflows the event socket still ends with every route learned', async () => {
    const rig = new Rig(ns, `router id 198.18.0.1; protocol kernel { learn; import all; export none; } protocol device {}`, { receiveBuffer: 16384 });
    rig.start();
    await until(() => rig.kernel.state === 'up', { what: 'kernel up' });
    const N = 20000;
    const lines: string[] = [];
    for (let i = 0; i < N; i++) lines.push(`route add 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev cali1 proto boot metric 1024`);
    const file = `/tmp/wren-fib-burst-${process.pid}.txt`;
    (await import('node:fs')).writeFileSync(file, lines.join('\n') + '\n');
    try {
      ns.ip('-batch', file);
    } finally {
      (await import('node:fs')).rmSync(file, { force: true });
    }
    await until(() => rig.kernel.alienCount >= N + 3, { what: `${N} routes learned`, timeoutMs: 30_000, context: () => JSON.stringify(rig.kernel.stats) });
    await rig.kernel.settled();
    assert.equal(rig.prefixesOf('kernel').filter((p) => p.startsWith('10.100.')).length, N);
    assert.ok(rig.kernel.stats.overruns > 0, `expected ENOBUFS with a 16 KiB buffer: ${JSON.stringify(rig.kernel.stats)}`);
    assert.ok(rig.kernel.stats.resyncs >= 2, 'dumped again after the overrun');
    rig.stop();
    const del = lines.map((l) => l.replace('route add', 'route del'));
    (await import('node:fs')).writeFileSync(file, del.join('\n') + '\n');
    try {
      ns.ip('-batch', file);
    } finally {
      (await import('node:fs')).rmSync(file, { force: true });
    }
  });
});

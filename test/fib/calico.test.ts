// The whole daemon (scripts/wrend-dev.mjs) as calico-node runs BIRD — Calico-shaped config
// with `protocol kernel { learn; persist; scan time 2; graceful restart; merge paths on;
// export filter calico_kernel_programming; }`, device, direct `-"cali*", "*"`, a static
// block blackhole and two iBGP mesh peers — in a lab namespace, against two BIRD 2 peers in
// their own namespaces (veth links). Checked with `ip -j route` in Wren's namespace, with
// BIRD's `show route all`, and over Wren's control socket:
//   - a Felix-style workload route (proto boot, metric 1024, dev cali1) is learned with
//     krt_source 3 / krt_metric 1024 / ifname and reaches BIRD through
//     calico_export_to_bgp_peers (local pref 2^31-1 - 1024);
//   - BIRD's routes land in the kernel `proto bird` with metric 2^31-1 - local_pref, a
//     next hop off the local subnets goes `dev tunl0 onlink` (krt_tunnel), the same prefix
//     from both peers becomes one multipath route;
//   - a route of ours deleted by hand comes back;
//   - SIGTERM leaves our routes (persist), and a restart with -R does not remove or rewrite
//     any of them (polled every 10 ms through the restart) until BGP has recovered.
// tunl0 is a veth named tunl0 (this kernel has no ipip module).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createLab, type Lab } from '../helpers/netns.js';
import { Bird } from '../helpers/peers.js';
import { until, sleep } from '../helpers/poll.js';
import { run } from '../helpers/process.js';
import type { Proc } from '../helpers/process.js';
import { controlCommand } from '../helpers/wrend.js';

const root = new URL('../../', import.meta.url).pathname;
const W0 = '198.18.0.1', B1 = '198.18.0.2', W1 = '198.18.1.1', B2 = '198.18.1.2';
const LP100 = 2147483647 - 100;

const wrenConfig = `
router id ${W0};
filter calico_kernel_programming {
  if ( net ~ 10.96.0.0/12 ) then { reject; }
  if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {
      krt_metric = 1024;
      if (defined(bgp_local_pref)) then { krt_metric = 2147483647 - bgp_local_pref; }
      if (krt_metric < 1024) then { preference = 200; }
  }
  if (net ~ 10.48.0.0/16) then { if (defined(bgp_next_hop)&&(bgp_next_hop ~ 198.18.0.0/15)) then krt_tunnel=""; else krt_tunnel="tunl0"; accept; }
  accept;
}
function calico_aggr () {
  if ( net = 10.48.7.0/26 ) then { accept; }
  if ( net ~ 10.48.7.0/26 && krt_metric < 1024 ) then { accept; }
  if ( net ~ 10.48.7.0/26 ) then { reject; }
}
function calico_export_to_bgp_peers(bool internal_peer) {
  if (internal_peer) then {
    if (defined(ifname)) then { if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then { reject; } }
  }
  calico_aggr();
  if (net ~ 10.48.0.0/16) then { accept; }
}
template kernel kernel_template { learn; persist; scan time 2; import all; }
protocol kernel from kernel_template { export filter calico_kernel_programming; graceful restart; merge paths on; }
protocol device { scan time 2; }
protocol direct { interface -"cali*", -"kube-ipvs*", "*"; }
protocol static { route 10.48.7.0/26 blackhole; }
template bgp bgp_template {
  local as 64512; gateway recursive; add paths on; graceful restart;
  connect delay time 1; connect retry time 2; error wait time 1,2; hold time 9;
}
${[
  ['198_18_0_2', B1, W0],
  ['198_18_1_2', B2, W1],
]
  .map(
    ([n, peer, src]) => `protocol bgp Mesh_${n} from bgp_template {
  neighbor ${peer} as 64512; source address ${src}; multihop;
  import filter { if (defined(bgp_local_pref)&&(bgp_local_pref > 2147482623)) then preference = 200; accept; };
  export filter {
    if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then { krt_metric = 2147483647 - bgp_local_pref; }
    else { if (!defined(krt_metric)) then { krt_metric = 1024; } bgp_local_pref = 2147483647 - krt_metric; }
    calico_export_to_bgp_peers(true);
    reject;
  };
}`,
  )
  .join('\n')}
`;

const birdConfig = (self: string, wren: string, extra: string) => `
router id ${self};
protocol device {}
protocol static feed { ipv4; ${extra} }
protocol bgp w {
  local ${self} as 64512;
  neighbor ${wren} as 64512;
  passive on;
  hold time 9;
  graceful restart on;
  ipv4 {
    import all;
    export filter { if proto != "feed" then reject; if net = 10.48.40.0/26 then bgp_next_hop = 172.31.5.9; accept; };
  };
}
`;

describe('wrend kernel sync as calico-node runs it', () => {
  const lab: Lab = createLab('fib');
  let wns: string;
  let b1: Bird;
  let wren: Proc;
  const ctl = () => lab.path('wren.ctl');

  const ip = async (...args: string[]) => {
    const r = await run(['ip', '-n', wns, ...args]);
    return r.stdout;
  };
  const routes = async (prefix: string): Promise<any[]> => JSON.parse((await ip('-j', '-d', 'route', 'show', 'table', 'main', 'exact', prefix)) || '[]');
  const one = async (prefix: string) => {
    const r = await routes(prefix);
    return r.length === 1 ? r[0] : undefined;
  };
  const startWren = (recover: boolean, name: string) =>
    lab.spawn(wns, [process.execPath, '--import', 'tsx', join(root, 'scripts/wrend-dev.mjs'), ...(recover ? ['-R'] : []), '-d', '-c', lab.path('wren.conf'), '-s', ctl()], { name, cwd: root });
  const show = async (command: string): Promise<string> => (await controlCommand(ctl(), command)).join('\n');

  before(async () => {
    wns = await lab.ns();
    const n1 = await lab.ns(), n2 = await lab.ns();
    await lab.link({ a: wns, b: n1, aIf: 'eth0', bIf: 'eth0', aAddrs: [`${W0}/24`], bAddrs: [`${B1}/24`] });
    await lab.link({ a: wns, b: n2, aIf: 'eth1', bIf: 'eth0', aAddrs: [`${W1}/24`], bAddrs: [`${B2}/24`] });
    await ip('link', 'add', 'tunl0', 'type', 'veth', 'peer', 'name', 'tunl0p');
    await ip('addr', 'add', '10.48.7.1/32', 'dev', 'tunl0');
    await ip('link', 'set', 'tunl0', 'up');
    await ip('link', 'set', 'tunl0p', 'up');
    await ip('link', 'add', 'cali1', 'type', 'veth', 'peer', 'name', 'cali1p');
    await ip('link', 'set', 'cali1', 'up');
    await ip('link', 'set', 'cali1p', 'up');
    // Felix's routes: a borrowed workload IP, and the way to another node's subnet.
    await ip('route', 'add', '10.48.99.5/32', 'dev', 'cali1', 'proto', 'boot', 'metric', '1024');
    await ip('route', 'add', '172.31.0.0/16', 'via', B1, 'proto', 'static');
    b1 = await Bird.start(lab, n1, birdConfig(B1, W0, 'route 10.48.20.0/26 blackhole; route 10.48.30.0/26 blackhole; route 10.48.40.0/26 blackhole;'), 'bird1');
    await Bird.start(lab, n2, birdConfig(B2, W1, 'route 10.48.30.0/26 blackhole;'), 'bird2');
    lab.file('wren.conf', wrenConfig);
    wren = startWren(false, 'wren');
  });

  test('a Felix workload route is learned (krt_source 3, krt_metric 1024, ifname) and reaches the BGP peer', async () => {
    const text = await until(async () => {
      const t = await show('show route 10.48.99.5/32 all');
      return /Kernel\.source/.test(t) ? t : undefined;
    }, { what: 'kernel route in wren', timeoutMs: 20_000, context: () => wren.tail() });
    assert.match(text, /Kernel\.source: 3/);
    assert.match(text, /Kernel\.metric: 1024/);
    assert.match(text, /dev cali1/);
    assert.match(text, /kernel1/);
    const r = await until(async () => (await b1.routes('10.48.99.5/32').catch(() => []))[0], { what: '10.48.99.5/32 at BIRD', timeoutMs: 30_000, context: () => wren.tail() });
    assert.equal(r.attrs['BGP.local_pref'], String(2147483647 - 1024));
  });

  test('BIRD routes are installed proto bird with metric 2^31-1 - local_pref', async () => {
    const r = await until(() => one('10.48.20.0/26'), { what: '10.48.20.0/26 in the kernel', timeoutMs: 30_000, context: () => wren.tail() });
    assert.equal(r.protocol, 'bird');
    assert.equal(r.gateway, B1);
    assert.equal(r.dev, 'eth0');
    assert.equal(r.metric, LP100);
  });

  test('krt_tunnel: a next hop off the local subnets goes dev tunl0 onlink', async () => {
    const r = await until(() => one('10.48.40.0/26'), { what: '10.48.40.0/26 in the kernel', timeoutMs: 20_000, context: () => wren.tail() });
    assert.equal(r.gateway, '172.31.5.9');
    assert.equal(r.dev, 'tunl0');
    assert.ok(r.flags.includes('onlink'));
  });

  test('ECMP from two peers: one multipath route', async () => {
    const r = await until(async () => {
      const x = await one('10.48.30.0/26');
      return x?.nexthops?.length === 2 ? x : undefined;
    }, { what: 'multipath 10.48.30.0/26', timeoutMs: 30_000, context: () => wren.tail() });
    assert.deepEqual(r.nexthops.map((h: any) => `${h.gateway} ${h.dev}`).sort(), [`${B1} eth0`, `${B2} eth1`]);
    assert.equal(r.protocol, 'bird');
  });

  test('the static block blackhole is installed; a route deleted by hand comes back', async () => {
    const bh = await until(() => one('10.48.7.0/26'), { what: 'blackhole 10.48.7.0/26' });
    assert.equal(bh.type, 'blackhole');
    assert.equal(bh.protocol, 'bird');
    await ip('route', 'del', '10.48.20.0/26', 'proto', 'bird');
    const back = await until(() => one('10.48.20.0/26'), { what: '10.48.20.0/26 back', timeoutMs: 5_000 });
    assert.equal(back.protocol, 'bird');
  });

  test('SIGTERM leaves our routes (persist); a -R restart neither removes nor rewrites them', async () => {
    const watched = ['10.48.7.0/26', '10.48.20.0/26', '10.48.30.0/26', '10.48.40.0/26'];
    const before = new Map<string, string>();
    for (const p of watched) before.set(p, JSON.stringify(await one(p)));
    // `ip monitor route` for the whole restart: any deletion or rewrite of ours shows.
    const monitor = lab.spawn(wns, ['ip', 'monitor', 'route'], { name: 'monitor' });
    await sleep(200);
    await wren.stop(5000);
    assert.equal(wren.exitStatus?.code, 0, wren.tail());
    for (const p of watched) assert.equal(JSON.stringify(await one(p)), before.get(p), `${p} kept after exit`);
    wren = startWren(true, 'wren-restarted');
    // Recovery: both sessions up with End-of-RIB, then the feed; wait past it.
    await until(async () => /Mesh_198_18_1_2\s+BGP\s+\S+\s+up/.test(await show('show protocols').catch(() => '')), { what: 'sessions up again', timeoutMs: 30_000, context: () => wren.tail() });
    await until(() => wren.output().some((l) => /Graceful restart recovery done/.test(l)), { what: 'recovery done', timeoutMs: 30_000, context: () => wren.tail() });
    await sleep(1000);
    for (const p of watched) assert.equal(JSON.stringify(await one(p)), before.get(p), `${p} unchanged after the restart`);
    await monitor.stop(1000);
    const ours = monitor.output().filter((l) => /proto bird/.test(l) && watched.some((p) => l.includes(p.replace('/26', ''))));
    assert.deepEqual(ours, [], 'no event for our routes during the restart');
  });
});

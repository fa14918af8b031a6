// Learned (alien) routes beyond via/dev, with the whole daemon (scripts/wrend-dev.mjs) in a
// lab namespace (BIRD 1.6 nl_parse_route / nl_send_route, contract.md §4.2 "import the rest
// with krt_source, krt_metric, ifname, scope, prefsrc; unicast via/dev/multipath"):
//   - `ip route add … nexthop via A dev v1 nexthop via B dev v2 weight 2 proto boot` is in
//     Wren's table as one multipath route with both next hops (`show route all`: multipath,
//     then `via … on … weight …` lines), and a second kernel protocol (`kernel table 100`,
//     `export all`) installs it so: one proto-bird route with both next hops and weights;
//     replacing one next hop in the kernel changes both;
//   - krt_prefsrc (RTA_PREFSRC), krt_realm (RTA_FLOW) and krt_scope (rtm_scope when it is not
//     the default: link for a device route) show in `show route all` as Kernel.prefsrc /
//     Kernel.realm / Kernel.scope, travel to the exported route as src / realm / scope, and
//     an import filter acts on them (`krt_scope = 200` rejects, `krt_prefsrc = …` sets
//     krt_metric).
// A device route with `scope link` carries no krt_scope: that is its default scope (1.6).
// And a BGP route with `gateway recursive` whose next hop resolves through the learned
// multipath route becomes multipath over the same next hops (BIRD 1.6 hostentry resolution)
// and is installed so.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createLab, type Lab } from '../helpers/netns.js';
import { until } from '../helpers/poll.js';
import { run, type Proc } from '../helpers/process.js';
import { controlCommand } from '../helpers/wrend.js';
import { WrenPeer } from '../helpers/wren.js';
import { ipToU32 } from '../helpers/topology.js';

const root = new URL('../../', import.meta.url).pathname;

const config = `
router id 198.18.1.1;
filter learn_in {
  if defined(krt_scope) then { if krt_scope = 200 then reject; }
  if defined(krt_prefsrc) then { if krt_prefsrc = 198.18.2.1 then krt_metric = 77; }
  accept;
}
protocol kernel kernel1 { learn; scan time 2; import filter learn_in; export none; }
protocol kernel kernel2 { kernel table 100; scan time 2; import none; export all; }
protocol device { scan time 2; }
protocol bgp p1 { local as 65000; neighbor 198.18.1.2 as 65000; passive on; gateway recursive; hold time 9; import all; export none; }
`;

describe('learned multipath routes, krt_prefsrc / krt_realm / krt_scope', () => {
  const lab: Lab = createLab('fib-learned');
  let ns: string;
  let wren: Proc;
  let peerNs: string;
  const ctl = () => lab.path('wren.ctl');
  const ip = async (...args: string[]) => (await run(['ip', '-n', ns, ...args])).stdout;
  const route = async (table: string, prefix: string): Promise<any> => {
    const rows = JSON.parse((await ip('-j', '-d', 'route', 'show', 'table', table, 'exact', prefix)) || '[]');
    return rows.length === 1 ? rows[0] : undefined;
  };
  const show = async (command: string): Promise<string> => (await controlCommand(ctl(), command)).join('\n');
  const shown = (prefix: string, re: RegExp) =>
    until(async () => {
      const t = await show(`show route ${prefix} all`).catch(() => '');
      return re.test(t) ? t : undefined;
    }, { what: `${prefix} in wren matching ${re}`, timeoutMs: 20_000, context: () => wren.tail() });

  before(async () => {
    ns = await lab.ns();
    const peer = await lab.ns();
    await lab.link({ a: ns, b: peer, aIf: 'v1', bIf: 'p1', aAddrs: ['198.18.1.1/24'], bAddrs: ['198.18.1.2/24'] });
    await lab.link({ a: ns, b: peer, aIf: 'v2', bIf: 'p2', aAddrs: ['198.18.2.1/24'], bAddrs: ['198.18.2.2/24'] });
    await ip('route', 'add', '10.20.0.0/24', 'proto', 'boot', 'nexthop', 'via', '198.18.1.2', 'dev', 'v1', 'nexthop', 'via', '198.18.2.2', 'dev', 'v2', 'weight', '2');
    await ip('route', 'add', '10.21.0.0/24', 'dev', 'v1', 'src', '198.18.1.1', 'proto', 'boot');
    await ip('route', 'add', '10.22.0.0/24', 'dev', 'v2', 'src', '198.18.2.1', 'scope', 'host', 'proto', 'boot');
    await ip('route', 'add', '10.23.0.0/24', 'dev', 'v1', 'scope', 'site', 'proto', 'boot');
    await ip('route', 'add', '10.24.0.0/24', 'via', '198.18.1.2', 'dev', 'v1', 'realm', '5', 'proto', 'static', 'metric', '300');
    peerNs = peer;
    lab.file('wren.conf', config);
    wren = lab.spawn(ns, [process.execPath, '--import', 'tsx', join(root, 'scripts/wrend-dev.mjs'), '-d', '-c', lab.path('wren.conf'), '-s', ctl()], { name: 'wren', cwd: root });
  });

  test('a multipath alien route is in the table with both next hops', async () => {
    const text = await shown('10.20.0.0/24', /multipath/);
    assert.match(text, /10\.20\.0\.0\/24\s+multipath \[kernel1 [^\]]+\] \* \(10\)/);
    assert.match(text, /\tvia 198\.18\.1\.2 on v1 weight 1/);
    assert.match(text, /\tvia 198\.18\.2\.2 on v2 weight 2/);
    assert.match(text, /Kernel\.source: 3/);
  });

  test('…and is exported as one multipath route (kernel table 100)', async () => {
    const r = await until(async () => {
      const x = await route('100', '10.20.0.0/24');
      return x?.nexthops?.length === 2 ? x : undefined;
    }, { what: 'multipath 10.20.0.0/24 in table 100', timeoutMs: 20_000, context: () => wren.tail() });
    assert.equal(r.protocol, 'bird');
    assert.deepEqual(r.nexthops.map((h: any) => `${h.gateway} ${h.dev} ${h.weight}`).sort(), ['198.18.1.2 v1 1', '198.18.2.2 v2 2']);
  });

  test('replacing one next hop in the kernel changes the learned route and the exported one', async () => {
    await ip('route', 'replace', '10.20.0.0/24', 'proto', 'boot', 'nexthop', 'via', '198.18.1.2', 'dev', 'v1', 'nexthop', 'via', '198.18.2.3', 'dev', 'v2');
    const text = await shown('10.20.0.0/24', /via 198\.18\.2\.3 on v2 weight 1/);
    assert.doesNotMatch(text, /198\.18\.2\.2/);
    const r = await until(async () => {
      const x = await route('100', '10.20.0.0/24');
      return x?.nexthops?.some((h: any) => h.gateway === '198.18.2.3') ? x : undefined;
    }, { what: 'new next hop in table 100', timeoutMs: 20_000, context: () => wren.tail() });
    assert.deepEqual(r.nexthops.map((h: any) => `${h.gateway} ${h.dev}`).sort(), ['198.18.1.2 v1', '198.18.2.3 v2']);
  });

  test('krt_prefsrc is shown and exported; a device route of scope link has no krt_scope', async () => {
    const text = await shown('10.21.0.0/24', /Kernel\.prefsrc/);
    assert.match(text, /dev v1 \[kernel1/);
    assert.match(text, /Kernel\.prefsrc: 198\.18\.1\.1/);
    assert.doesNotMatch(text, /Kernel\.scope/);
    const r = await until(() => route('100', '10.21.0.0/24'), { what: '10.21.0.0/24 in table 100', timeoutMs: 20_000 });
    assert.equal(r.prefsrc, '198.18.1.1');
    assert.equal(r.scope, 'link');
  });

  test('krt_scope and krt_prefsrc are filter-visible: `krt_prefsrc = …` sets krt_metric, `krt_scope = 200` rejects', async () => {
    const text = await shown('10.22.0.0/24', /Kernel\.scope/);
    assert.match(text, /Kernel\.prefsrc: 198\.18\.2\.1/);
    assert.match(text, /Kernel\.scope: 254/);
    assert.match(text, /Kernel\.metric: 77/, 'set by the import filter through krt_prefsrc');
    const r = await until(() => route('100', '10.22.0.0/24'), { what: '10.22.0.0/24 in table 100', timeoutMs: 20_000 });
    assert.equal(r.scope, 'host');
    assert.equal(r.prefsrc, '198.18.2.1');
    assert.equal(r.metric, 77);
    // The scope-site route was rejected by the import filter: not in the table, not exported.
    assert.equal((await show('show route 10.23.0.0/24')).includes('10.23.0.0/24'), false);
    assert.equal(await route('100', '10.23.0.0/24'), undefined);
    assert.match(await show('show route 10.24.0.0/24 all'), /Kernel\.realm: 5/);
  });

  test('a filter reads krt_scope in `show route where`', async () => {
    const t = await show('show route where krt_scope = 254');
    assert.match(t, /10\.22\.0\.0\/24/);
    assert.doesNotMatch(t, /10\.2[0134]\.0\.0\/24/);
  });

  test('a recursive BGP route resolving through the learned multipath route is multipath and installed so', async () => {
    // A scripted iBGP peer at the far end of v1 (the lab stops it with everything else).
    const bgpPeer = await WrenPeer.start(lab, peerNs, {
      session: {
        name: 'p1', localAs: 65000, peerAs: 65000, routerId: ipToU32('198.18.1.2'), peerAddress: '198.18.1.1', localAddress: '198.18.1.2',
        families: ['ipv4'], holdTime: 9, keepaliveTime: 3, connectRetryTime: 1, connectDelayTime: 0, errorWaitTime: [1, 2],
      },
    });
    await bgpPeer.waitEstablished();
    await bgpPeer.announce({ prefixes: ['10.30.0.0/24'], nextHop: '10.20.0.5', localPref: 100 });
    const learned = await route('main', '10.20.0.0/24');
    const want = learned.nexthops.map((h: any) => `${h.gateway} ${h.dev}`).sort();
    const text = await shown('10.30.0.0/24', /multipath/);
    assert.match(text, /10\.30\.0\.0\/24\s+multipath \[p1 /);
    const r = await until(async () => {
      const x = await route('100', '10.30.0.0/24');
      return x?.nexthops?.length === want.length ? x : undefined;
    }, { what: 'multipath 10.30.0.0/24 in table 100', timeoutMs: 20_000, context: () => wren.tail() });
    assert.equal(r.protocol, 'bird');
    assert.deepEqual(r.nexthops.map((h: any) => `${h.gateway} ${h.dev}`).sort(), want);
  });
});

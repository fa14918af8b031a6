// Pure parts of the kernel side: BIRD 1.6's learn/skip rules and learned attributes, the
// exported kernel route (metric, krt_tunnel, multipath, IPv6 metric 0 ⇒ 1024), the lenient
// comparison that stops rewrite loops, interface patterns (first match decides), the
// interface table's state machine fed with decoded link/address messages, and the
// graceful-restart recovery tracker.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RouteKind, classifyRoute, classifiable, exportRoute, learnedAttributes, prefixKey, sameKernelRoute, effectivePriority, lacksIfname, sameAlien, sameExport,
} from '../../src/fib/kernel-routes.js';
import { interfaceAccepted, patmatch, directEligible } from '../../src/fib/direct.js';
import { InterfaceTable, type IfaceEvent } from '../../src/fib/interfaces.js';
import { RecoveryTracker } from '../../src/fib/kernel.js';
import { RouteDest, intern, unref, type RouteAttributes } from '../../src/rib/attr-set.js';
import { Afi, parseAddress, parsePrefix } from '../../src/rib/prefix.js';
import { RouteFlag, RouteType, type KernelRoute } from '../../src/fib/netlink/route.js';
import { EventEmitter } from 'node:events';

const kr = (dst: string, extra: Partial<KernelRoute> = {}): KernelRoute => ({
  dst: parsePrefix(dst), tos: 0, table: 254, protocol: 3, scope: 0, type: RouteType.RTN_UNICAST, flags: 0, ...extra,
});

describe('what is learned', () => {
  test('alien protocols learned; 0, 1, 2 ignored; 12 is ours', () => {
    assert.equal(classifyRoute(kr('10.0.0.1/32', { protocol: 3 })), RouteKind.ALIEN);
    assert.equal(classifyRoute(kr('10.0.0.0/26', { protocol: 80, type: RouteType.RTN_BLACKHOLE })), RouteKind.ALIEN);
    for (const p of [0, 1, 2]) assert.equal(classifyRoute(kr('10.0.0.0/24', { protocol: p })), RouteKind.IGNORE);
    assert.equal(classifyRoute(kr('10.0.0.0/24', { protocol: 12 })), RouteKind.OURS);
  });
  test('other tables, TOS, IPv6 iif, local/broadcast types and bad destinations are skipped', () => {
    assert.equal(classifyRoute(kr('10.0.0.0/24', { table: 100 })), RouteKind.IGNORE);
    assert.equal(classifyRoute(kr('10.0.0.0/24', { table: 100 }), 100), RouteKind.ALIEN);
    assert.equal(classifyRoute(kr('10.0.0.0/24', { tos: 16 })), RouteKind.IGNORE);
    assert.equal(classifyRoute(kr('fd00::/64', { iif: 3 })), RouteKind.IGNORE);
    assert.equal(classifyRoute(kr('10.0.0.0/24', { type: RouteType.RTN_LOCAL })), RouteKind.IGNORE);
    assert.equal(classifyRoute(kr('10.0.0.0/24', { type: RouteType.RTN_THROW })), RouteKind.IGNORE);
    for (const p of ['127.0.0.0/8', '224.0.0.0/4', '0.1.0.0/16', '255.255.255.255/32', 'fe80::/64', 'ff02::/16', '::1/128']) {
      assert.equal(classifiable(parsePrefix(p)), false, p);
    }
    for (const p of ['0.0.0.0/0', '::/0', '240.0.0.0/4', '169.254.0.0/16', '10.0.0.0/8', 'fd00::/8', '2001:db8::/32']) {
      assert.equal(classifiable(parsePrefix(p)), true, p);
    }
  });
  test('learned attributes: dest, gateway, ifname, krt_source, krt_metric only when present', () => {
    const names = (i: number) => (i === 7 ? 'cali1' : undefined);
    assert.deepEqual(learnedAttributes(kr('10.0.0.1/32', { oif: 7, priority: 1024, scope: 253 }), names), { krtSource: 3, krtMetric: 1024, ifname: 'cali1', dest: RouteDest.DEVICE });
    const gw = learnedAttributes(kr('10.1.0.0/16', { protocol: 4, gateway: parseAddress('192.0.2.1'), oif: 9 }), names);
    assert.equal(gw.dest, RouteDest.ROUTER);
    assert.equal(gw.ifname, undefined);
    assert.equal(gw.krtMetric, undefined);
    assert.deepEqual(learnedAttributes(kr('10.2.0.0/26', { protocol: 80, type: RouteType.RTN_PROHIBIT }), names), { krtSource: 80, dest: RouteDest.PROHIBIT });
  });
  test('krt_scope only when not the default (link for device routes, universe otherwise); krt_prefsrc, krt_realm', () => {
    const names = (i: number) => (i === 7 ? 'v1' : undefined);
    const dev = learnedAttributes(kr('10.0.0.0/24', { oif: 7, scope: 254, prefsrc: parseAddress('198.18.1.1'), realm: 5 }), names);
    assert.equal(dev.krtScope, 254);
    assert.deepEqual([...dev.krtPrefsrc!], [198, 18, 1, 1]);
    assert.equal(dev.krtRealm, 5);
    assert.equal(learnedAttributes(kr('10.0.0.0/24', { oif: 7, scope: 0 }), names).krtScope, 0, 'a device route of scope universe');
    const gw = learnedAttributes(kr('10.0.1.0/24', { oif: 7, scope: 0, gateway: parseAddress('198.18.1.2') }), names);
    assert.equal(gw.krtScope, undefined);
    assert.equal(gw.krtPrefsrc, undefined);
    assert.equal(gw.krtRealm, undefined);
    assert.equal(learnedAttributes(kr('10.0.1.0/24', { oif: 7, scope: 200, gateway: parseAddress('198.18.1.2') }), names).krtScope, 200);
  });
  test('a multipath route keeps every next hop (gateway, interface, weight); one without a gateway is not learned', () => {
    const names = (i: number) => (i === 7 ? 'v1' : i === 8 ? 'v2' : undefined);
    const hops = [{ gateway: parseAddress('192.0.2.7'), oif: 7, flags: 0, weight: 1 }, { gateway: parseAddress('192.0.2.8'), oif: 8, flags: 0, weight: 3 }];
    const r = kr('10.3.0.0/16', { multipath: hops });
    assert.equal(classifyRoute(r), RouteKind.ALIEN);
    const mp = learnedAttributes(r, names);
    assert.equal(mp.dest, RouteDest.MULTIPATH);
    assert.equal(mp.gateway, undefined);
    assert.equal(mp.ifname, undefined);
    assert.deepEqual(mp.nextHops!.map((h) => [[...h.gateway].join('.'), h.ifname, h.weight]), [['192.0.2.7', 'v1', 1], ['192.0.2.8', 'v2', 3]]);
    assert.equal(lacksIfname(mp), false);
    const unnamed = learnedAttributes(kr('10.3.0.0/16', { multipath: [hops[0]!, { ...hops[1]!, oif: 9 }] }), names);
    assert.equal(unnamed.nextHops![1]!.ifname, '');
    assert.equal(lacksIfname(unnamed), true);
    assert.equal(classifyRoute(kr('10.3.0.0/16', { multipath: [hops[0]!, { oif: 8, flags: 0, weight: 1 }] })), RouteKind.IGNORE);
    const one = learnedAttributes(kr('10.4.0.0/16', { multipath: [hops[1]!] }), names);
    assert.equal(one.dest, RouteDest.ROUTER);
    assert.equal(one.ifname, 'v2');
    // Interning keeps them apart: other weights, other hops, other scope are other sets.
    const a = intern(mp), b = intern(learnedAttributes(kr('10.3.0.0/16', { multipath: [hops[0]!, { ...hops[1]!, weight: 1 }] }), names));
    const c = intern({ ...mp, krtScope: 253 }), d = intern(learnedAttributes(r, names));
    assert.notEqual(a, b);
    assert.notEqual(a, c);
    assert.equal(a, d);
    assert.deepEqual(d.nextHops!.map((h) => h.weight), [1, 3]);
    for (const x of [a, b, c, d]) unref(x);
  });
  test('prefix keys are distinct per address and length, both families', () => {
    const keys = ['10.0.0.0/8', '10.0.0.0/9', '10.0.0.1/32', '0.0.0.0/0', 'fd00::/8', 'fd00::/9', '::/0'].map((p) => prefixKey(parsePrefix(p)));
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(prefixKey(parsePrefix('10.1.2.3/32')), prefixKey(parsePrefix('10.1.2.3/32')));
  });
});

describe('what is installed', () => {
  const ctx = { ifindex: (n: string) => ({ eth0: 2, tunl0: 5 } as Record<string, number>)[n] };
  test('via gateway + dev, metric krt_metric or 0 (IPv6: 1024)', () => {
    const r = exportRoute(parsePrefix('10.48.1.0/26'), { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.2'), ifname: 'eth0', krtMetric: 2147483547, nextHop: parseAddress('198.18.0.2') }, ctx)!;
    assert.equal(r.priority, 2147483547);
    assert.equal(r.oif, 2);
    assert.equal(r.protocol, 12);
    assert.deepEqual([...r.gateway!], [198, 18, 0, 2]);
    assert.equal(exportRoute(parsePrefix('10.48.2.0/26'), { dest: RouteDest.BLACKHOLE }, ctx)!.priority, 0);
    assert.equal(exportRoute(parsePrefix('fd00:48::/64'), { dest: RouteDest.BLACKHOLE }, ctx)!.priority, 1024);
    assert.equal(effectivePriority(Afi.IPV6, 0), 1024);
  });
  test('krt_tunnel naming an existing interface + BGP next hop ⇒ onlink via the next hop; else normal', () => {
    const a = { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.254'), ifname: 'eth0', nextHop: parseAddress('172.31.5.9'), krtTunnel: 'tunl0' };
    const t = exportRoute(parsePrefix('10.48.3.0/26'), a, ctx)!;
    assert.equal(t.oif, 5);
    assert.equal(t.flags, RouteFlag.RTNH_F_ONLINK);
    assert.deepEqual([...t.gateway!], [172, 31, 5, 9]);
    const missing = exportRoute(parsePrefix('10.48.3.0/26'), { ...a, krtTunnel: 'vxlan0' }, ctx)!;
    assert.equal(missing.oif, 2);
    assert.deepEqual([...missing.gateway!], [198, 18, 0, 254]);
    assert.equal(exportRoute(parsePrefix('10.48.3.0/26'), { ...a, krtTunnel: '' }, ctx)!.flags, undefined);
  });
  test('a device route needs a known interface; merged companions make one multipath route', () => {
    assert.equal(exportRoute(parsePrefix('10.9.0.0/24'), { dest: RouteDest.DEVICE, ifname: 'gone0' }, ctx), undefined);
    const a = { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.2'), ifname: 'eth0' };
    const b = { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.3'), ifname: 'eth0' };
    const m = exportRoute(parsePrefix('10.48.4.0/26'), a, ctx, [b, a])!;
    assert.equal(m.multipath!.length, 2);
    assert.equal(m.gateway, undefined);
  });
  test('a multipath table route goes out as one multipath route; next hops on unknown interfaces are dropped', () => {
    const hop = (gw: string, ifname: string, weight = 1) => ({ gateway: parseAddress(gw), ifname, weight });
    const mp = { dest: RouteDest.MULTIPATH, nextHops: [hop('198.18.0.2', 'eth0'), hop('198.18.0.3', 'tunl0', 2)], krtMetric: 10 };
    const r = exportRoute(parsePrefix('10.5.0.0/24'), mp, ctx)!;
    assert.equal(r.gateway, undefined);
    assert.deepEqual(r.multipath!.map((h) => [[...h.gateway!].join('.'), h.oif, h.weight]), [['198.18.0.2', 2, 1], ['198.18.0.3', 5, 2]]);
    assert.equal(r.priority, 10);
    const half = exportRoute(parsePrefix('10.5.0.0/24'), { ...mp, nextHops: [hop('198.18.0.2', 'eth0'), hop('198.18.0.3', 'gone0')] }, ctx)!;
    assert.equal(half.multipath, undefined);
    assert.equal(half.oif, 2);
    assert.deepEqual([...half.gateway!], [198, 18, 0, 2]);
    assert.equal(exportRoute(parsePrefix('10.5.0.0/24'), { ...mp, nextHops: [hop('198.18.0.3', 'gone0'), hop('198.18.0.4', 'gone1')] }, ctx), undefined);
    // A multipath companion adds its next hops to the best route's.
    const m = exportRoute(parsePrefix('10.5.0.0/24'), { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.9'), ifname: 'eth0' }, ctx, [mp])!;
    assert.equal(m.multipath!.length, 3);
    // Weights count in the comparison.
    assert.ok(sameKernelRoute(r, r));
    assert.ok(!sameKernelRoute({ ...r, multipath: r.multipath!.map((h) => ({ ...h, weight: 1 })) }, r));
  });
  test('krt_prefsrc, krt_realm, krt_scope are written and compared', () => {
    const a = { dest: RouteDest.DEVICE, ifname: 'eth0', krtPrefsrc: parseAddress('198.18.0.1'), krtRealm: 7, krtScope: 254 };
    const r = exportRoute(parsePrefix('10.6.0.0/24'), a, ctx)!;
    assert.deepEqual([...r.prefsrc!], [198, 18, 0, 1]);
    assert.equal(r.realm, 7);
    assert.equal(r.scope, 254);
    const kernel = kr('10.6.0.0/24', { protocol: 12, oif: 2, scope: 254, prefsrc: parseAddress('198.18.0.1'), realm: 7, priority: 0 });
    assert.ok(sameKernelRoute(kernel, r));
    assert.ok(!sameKernelRoute({ ...kernel, scope: 253 }, r), 'scope');
    assert.ok(!sameKernelRoute({ ...kernel, prefsrc: undefined }, r), 'prefsrc');
    assert.ok(!sameKernelRoute({ ...kernel, realm: undefined }, r), 'realm');
    const plain = exportRoute(parsePrefix('10.6.0.0/24'), { dest: RouteDest.DEVICE, ifname: 'eth0' }, ctx)!;
    assert.ok(sameKernelRoute({ ...kernel, scope: 253, prefsrc: undefined, realm: undefined }, plain), 'device route: the kernel reports scope link');
    assert.ok(!sameKernelRoute(kernel, plain), 'a prefsrc we no longer want');
    // IPv6 has no route scopes: the kernel's universe is what we asked for.
    const v6 = exportRoute(parsePrefix('fd00:6::/64'), { dest: RouteDest.DEVICE, ifname: 'eth0' }, ctx)!;
    assert.ok(sameKernelRoute(kr('fd00:6::/64', { protocol: 12, oif: 2, scope: 0, priority: 1024 }), v6));
    // Learned routes differing only in prefsrc, scope or a second next hop are different.
    const base = kr('10.7.0.0/24', { oif: 2, scope: 253 });
    assert.ok(sameAlien(base, { ...base }));
    assert.ok(!sameAlien(base, { ...base, scope: 254 }));
    assert.ok(!sameAlien(base, { ...base, prefsrc: parseAddress('198.18.0.1') }));
    const mp = kr('10.7.0.0/24', { multipath: [{ gateway: parseAddress('198.18.0.2'), oif: 2, flags: 0, weight: 1 }, { gateway: parseAddress('198.18.0.3'), oif: 2, flags: 0, weight: 1 }] });
    assert.ok(!sameAlien(mp, { ...mp, multipath: [mp.multipath![0]!, { ...mp.multipath![1]!, gateway: parseAddress('198.18.0.4') }] }));
  });
  test('metrics (RTA_METRICS): learned ids 1–15, written, compared as the kernel keeps them', () => {
    const learned = learnedAttributes(kr('10.8.0.0/24', { gateway: parseAddress('198.18.0.2'), metrics: { 1: 4, 2: 1300, 16: 0x636262, 17: 1 } }), () => 'eth0');
    assert.deepEqual({ ...learned.krtMetrics }, { 1: 4, 2: 1300 }, 'RTAX_CC_ALGO and RTAX_FASTOPEN_NO_COOKIE are not kept (1.6)');
    assert.equal(learnedAttributes(kr('10.8.0.0/24', { gateway: parseAddress('198.18.0.2'), metrics: { 16: 1 } }), () => 'eth0').krtMetrics, undefined);
    const want = exportRoute(parsePrefix('10.8.0.0/24'), { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.2'), krtMetrics: { 2: 1400, 3: 0, 10: 300 } }, ctx)!;
    assert.deepEqual(want.metrics, { 2: 1400, 3: 0, 10: 300 });
    const bh = exportRoute(parsePrefix('10.8.1.0/24'), { dest: RouteDest.BLACKHOLE, krtMetrics: { 2: 1400 } }, ctx)!;
    assert.deepEqual(bh.metrics, { 2: 1400 });
    // The kernel drops zeros and clamps hoplimit to 255, MTU to 65520, advmss to 65495.
    const kernel = kr('10.8.0.0/24', { protocol: 12, gateway: parseAddress('198.18.0.2'), priority: 0, metrics: { 2: 1400, 10: 255 } });
    assert.ok(sameKernelRoute(kernel, want));
    assert.ok(!sameKernelRoute({ ...kernel, metrics: { 2: 1500, 10: 255 } }, want), 'another MTU');
    assert.ok(!sameKernelRoute({ ...kernel, metrics: undefined }, want), 'none');
    assert.ok(!sameKernelRoute({ ...kernel, metrics: { 2: 1400, 4: 9, 10: 255 } }, want), 'one more');
    const big = exportRoute(parsePrefix('10.8.0.0/24'), { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.2'), krtMetrics: { 2: 70000, 8: 70000 } }, ctx)!;
    assert.ok(sameKernelRoute({ ...kernel, metrics: { 2: 65520, 8: 65495 } }, big));
    const plain = exportRoute(parsePrefix('10.8.0.0/24'), { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.2') }, ctx)!;
    assert.ok(!sameKernelRoute(kernel, plain), 'metrics we no longer want');
    assert.ok(sameExport(want, { ...want, metrics: { 2: 1400, 3: 0, 10: 300 } }), 'equal records, other objects');
    assert.ok(!sameExport(want, plain));
    const base = kr('10.8.0.0/24', { oif: 2, metrics: { 2: 1300 } });
    assert.ok(sameAlien(base, { ...base, metrics: { 2: 1300, 16: 5 } }), 'only the kept ids count');
    assert.ok(!sameAlien(base, { ...base, metrics: { 2: 1280 } }));
  });
  test('comparison ignores what the kernel fills in, not what we asked for', () => {
    const want = exportRoute(parsePrefix('10.48.1.0/26'), { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.2') }, ctx)!;
    const kernel = kr('10.48.1.0/26', { protocol: 12, gateway: parseAddress('198.18.0.2'), oif: 2, flags: RouteFlag.RTNH_F_LINKDOWN });
    assert.ok(sameKernelRoute(kernel, want), 'kernel picked the interface');
    assert.ok(!sameKernelRoute({ ...kernel, gateway: parseAddress('198.18.0.3') }, want));
    assert.ok(!sameKernelRoute({ ...kernel, priority: 5 }, want));
    const bh6 = exportRoute(parsePrefix('fd00:48::/64'), { dest: RouteDest.BLACKHOLE }, ctx)!;
    assert.ok(sameKernelRoute(kr('fd00:48::/64', { protocol: 12, type: RouteType.RTN_BLACKHOLE, priority: 1024, oif: 1 }), bh6), 'IPv6 blackhole dev lo metric 1024');
    const tun = exportRoute(parsePrefix('10.48.3.0/26'), { nextHop: parseAddress('172.31.5.9'), krtTunnel: 'tunl0', gateway: parseAddress('198.18.0.254') }, ctx)!;
    assert.ok(!sameKernelRoute(kr('10.48.3.0/26', { protocol: 12, gateway: parseAddress('172.31.5.9'), oif: 2, flags: RouteFlag.RTNH_F_ONLINK }), tun), 'tunnel vs. other interface differs');
  });
  test('sameExport: equal re-exports match; any field that reaches the kernel differs', () => {
    const p = parsePrefix('10.48.1.0/26');
    const a: RouteAttributes = { dest: RouteDest.ROUTER, gateway: parseAddress('198.18.0.2'), ifname: 'eth0', krtMetric: 1024 };
    const hop = (gw: string, ifname: string, weight = 1) => ({ gateway: parseAddress(gw), ifname, weight });
    const x = exportRoute(p, a, ctx)!;
    // A fresh but equal export (other byte arrays, other prefix object) matches.
    assert.ok(sameExport(x, exportRoute(parsePrefix('10.48.1.0/26'), { ...a, gateway: parseAddress('198.18.0.2') }, ctx)!));
    assert.ok(!sameExport(x, exportRoute(p, { ...a, gateway: parseAddress('198.18.0.3') }, ctx)!), 'gateway');
    assert.ok(!sameExport(x, exportRoute(p, { ...a, krtMetric: 1025 }, ctx)!), 'metric');
    assert.ok(!sameExport(x, exportRoute(p, { ...a, ifname: 'tunl0' }, ctx)!), 'output interface');
    assert.ok(!sameExport(x, exportRoute(p, { ...a, krtPrefsrc: parseAddress('198.18.0.1') }, ctx)!), 'prefsrc');
    assert.ok(!sameExport(x, exportRoute(p, { ...a, krtRealm: 3 }, ctx)!), 'realm');
    assert.ok(!sameExport(x, exportRoute(p, { ...a, krtScope: 200 }, ctx)!), 'scope');
    assert.ok(!sameExport(x, exportRoute(p, { ...a, ifname: undefined, krtTunnel: 'tunl0', nextHop: parseAddress('172.31.5.9') }, ctx)!), 'onlink');
    assert.ok(!sameExport(x, exportRoute(p, { dest: RouteDest.BLACKHOLE, krtMetric: 1024 }, ctx)!), 'type');
    const mp: RouteAttributes = { dest: RouteDest.MULTIPATH, nextHops: [hop('198.18.0.2', 'eth0'), hop('198.18.0.3', 'tunl0', 2)] };
    const m = exportRoute(p, mp, ctx)!;
    assert.ok(sameExport(m, exportRoute(p, { ...mp, nextHops: [hop('198.18.0.2', 'eth0'), hop('198.18.0.3', 'tunl0', 2)] }, ctx)!));
    assert.ok(!sameExport(m, exportRoute(p, { ...mp, nextHops: [hop('198.18.0.2', 'eth0'), hop('198.18.0.3', 'tunl0', 3)] }, ctx)!), 'weight');
    assert.ok(!sameExport(m, exportRoute(p, { ...mp, nextHops: [hop('198.18.0.2', 'eth0'), hop('198.18.0.4', 'tunl0', 2)] }, ctx)!), 'next-hop gateway');
    assert.ok(!sameExport(m, x), 'multipath vs. single path');
  });
});

describe('interface patterns', () => {
  test('shell-style matching', () => {
    assert.ok(patmatch('cali*', 'cali12ab'));
    assert.ok(patmatch('*', ''));
    assert.ok(patmatch('e?h0', 'eth0'));
    assert.ok(!patmatch('cali*', 'eth0'));
    assert.ok(patmatch('*.cali', 'bpfout.cali'));
    assert.ok(!patmatch('kube-ipvs*', 'kube-ipv'));
  });
  test('first match decides; no match excludes; no patterns accept everything', () => {
    const calico = [{ pattern: 'cali*', negated: true }, { pattern: 'kube-ipvs*', negated: true }, { pattern: '*', negated: false }];
    assert.equal(interfaceAccepted(calico, 'cali0'), false);
    assert.equal(interfaceAccepted(calico, 'kube-ipvs0'), false);
    assert.equal(interfaceAccepted(calico, 'eth0'), true);
    assert.equal(interfaceAccepted([{ pattern: 'eth*', negated: false }], 'tunl0'), false);
    assert.equal(interfaceAccepted([], 'anything'), true);
  });
});

describe('interface table state', () => {
  const link = (index: number, name: string, up: boolean) => ({ index, name, type: 1, flags: up ? 0x1 | 0x10000 : 0 });
  const addr = (index: number, a: string, len: number, flags = 0) => ({ afi: a.includes(':') ? Afi.IPV6 : Afi.IPV4, prefixLen: len, flags, scope: 0, index, address: parseAddress(a), local: a.includes(':') ? undefined : parseAddress(a) });

  test('links and addresses, events, down hides addresses, removal', () => {
    const t = new InterfaceTable();
    const events: string[] = [];
    t.on('link', (e: IfaceEvent) => events.push(`link ${e.change} ${e.iface.name}`));
    t.on('addr', (e: IfaceEvent) => e.type === 'addr' && events.push(`addr ${e.change} ${e.iface.name} ${e.addr.prefix.len}`));
    t.applyLink(link(2, 'eth0', true), false);
    t.applyAddr(addr(2, '198.18.0.1', 24), false);
    t.applyAddr(addr(2, 'fe80::1', 64), false);
    assert.equal(t.indexOf('eth0'), 2);
    assert.equal(t.nameOf(2), 'eth0');
    assert.equal(t.connected(parseAddress('198.18.0.77'))?.iface.name, 'eth0');
    assert.equal(t.connected(parseAddress('198.19.0.77')), undefined);
    const eth0 = t.get('eth0')!;
    assert.deepEqual(eth0.addrs.map((a) => [a.prefix.len, a.prefix.addr.join('.')]), [[24, '198.18.0.0'], [64, '254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.0']]);
    assert.equal(directEligible(eth0.addrs[0]!), true);
    assert.equal(directEligible(eth0.addrs[1]!), false, 'link-local skipped by direct');
    t.applyLink(link(2, 'eth0', false), false);
    assert.equal(t.connected(parseAddress('198.18.0.77')), undefined, 'down: addresses ignored');
    assert.equal(t.addresses(t.get('eth0')!).length, 0);
    t.applyLink(link(2, 'eth0', true), false);
    assert.equal(t.connected(parseAddress('198.18.0.77'))?.iface.name, 'eth0');
    t.applyLink(link(2, 'eth0', true), true);
    assert.equal(t.get('eth0'), undefined);
    assert.deepEqual(events, [
      'link add eth0', 'addr add eth0 24', 'addr add eth0 64',
      'addr remove eth0 24', 'addr remove eth0 64', 'link down eth0',
      'link up eth0', 'addr add eth0 24', 'addr add eth0 64',
      'addr remove eth0 24', 'addr remove eth0 64', 'link remove eth0',
    ]);
  });

  test('a re-dump reconciles: vanished links and addresses removed, new ones added', () => {
    const t = new InterfaceTable();
    t.applyLink(link(2, 'eth0', true), false);
    t.applyLink(link(3, 'cali1', true), false);
    t.applyAddr(addr(2, '198.18.0.1', 24), false);
    t.reconcile([link(2, 'eth0', true), link(4, 'eth1', true)], [addr(2, '198.18.9.1', 24), addr(4, '198.18.1.1', 24)]);
    assert.deepEqual(t.list().map((i) => i.name), ['eth0', 'eth1']);
    assert.deepEqual(t.get('eth0')!.addrs.map((a) => a.prefix.addr.join('.')), ['198.18.9.0']);
    assert.equal(t.connected(parseAddress('198.18.1.9'))?.iface.name, 'eth1');
  });
});

describe('graceful-restart recovery tracker', () => {
  const session = () => new EventEmitter() as EventEmitter & { on: any };
  test('done once every watched session is up with End-of-RIB for its families', async () => {
    const t = new RecoveryTracker(60);
    const a = session(), b = session();
    t.watch('a', a);
    t.watch('b', b);
    let done = false;
    t.onDone(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    a.emit('established', { families: new Set([0x101]), gracefulRestart: { restartTime: 120 } });
    a.emit('endOfRib', 0x101);
    assert.equal(done, false);
    b.emit('established', { families: new Set([0x101]), gracefulRestart: null });
    assert.equal(done, true, 'a peer without GR counts at Established');
    assert.equal(t.done, true);
  });
  test('no watched protocol: done after one turn; the wait timer ends it regardless', async () => {
    const t = new RecoveryTracker(60);
    assert.equal(t.done, false);
    await new Promise((r) => setImmediate(r));
    assert.equal(t.done, true);
    const u = new RecoveryTracker(0.05);
    u.watch('x', session());
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(u.done, true);
  });
});

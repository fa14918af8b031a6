// Filter semantics: Calico's filters from the example configurations run on sample routes
// give BIRD 1.6's answers (accept/reject and the attributes they set), plus the language
// rules they rely on (accept/reject inside functions end the filter, undefined values,
// prefix sets, path masks, copy-on-write attributes, runtime errors).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig, parseConfigText, printConfig } from '../../conf/index.js';
import type { CompiledFilter, Config, FilterResult } from '../../conf/index.js';
import { RouteDest, RouteSource } from '../../conf/filter/route.js';
import { AsPathSegmentType } from '../../src/bgp/codec/types.js';
import { FIXTURES, route, ip } from './helpers.js';
import type { RouteSpec } from './helpers.js';

const quiet = { print: () => {} };
const load = (f: string, dialect: 'ipv4' | 'ipv6' = 'ipv4') => loadConfig(join(FIXTURES, f), { dialect, ...quiet });
const mesh = load('mesh-node.conf');
const rr = load('route-reflector.conf');
const split = load('include-split/main.conf');
const tor = load('tor-ebgp.conf');

function proto(c: Config, name: string) {
  const p = c.protocols.find((x) => x.name === name);
  assert.ok(p, name);
  return p;
}
const named = (c: Config, name: string): CompiledFilter => c.filters.find((f) => f.name === name)!.filter;
const run = (f: CompiledFilter, s: RouteSpec): FilterResult => f.run(route(s));

const LP_NORMAL = 2147483647 - 1024; // 2147482623
const LP_ELEVATED = 2147483647 - 512; // 2147483135
const comm = (a: number, b: number) => ((a << 16) | b) >>> 0;

const bgpRoute = (net: string, nh: string, attrs: Record<string, unknown> = {}): RouteSpec => ({
  net, source: RouteSource.RTS_BGP, proto: 'Mesh_192_0_2_10', preference: 100, gw: nh, ifname: 'eth0', dest: RouteDest.RTD_ROUTER,
  attrs: { nextHop: ip(nh), ...attrs },
});
const workload = (net: string, metric: number, ifname = 'cali1234567890a'): RouteSpec => ({
  net, source: RouteSource.RTS_INHERIT, proto: 'kernel1', preference: 10, ifname, dest: RouteDest.RTD_DEVICE, attrs: { krtMetric: metric, krtSource: 3 },
});
const blackhole = (net: string): RouteSpec => ({ net, source: RouteSource.RTS_STATIC, proto: 'static1', preference: 200, ifname: '', dest: RouteDest.RTD_BLACKHOLE });

describe('calico_kernel_programming (mesh-node)', () => {
  const k = proto(mesh, 'kernel1').export;

  test('BGP route from a mesh peer on the node subnet: metric from local pref, no tunnel', () => {
    const r = run(k, bgpRoute('10.48.5.0/26', '192.0.2.10', { localPref: LP_NORMAL }));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.krtMetric, 1024);
    assert.equal(r.attrs.krtTunnel, '');
    assert.equal(r.preference, 100);
    assert.equal(r.error, undefined);
  });

  test('BGP route from outside the node subnet goes through tunl0 (IPIP CrossSubnet)', () => {
    const r = run(k, bgpRoute('10.48.5.0/26', '198.51.100.7', { localPref: LP_NORMAL }));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.krtTunnel, 'tunl0');
  });

  test('elevated priority (live migration): metric 512 and preference 200', () => {
    const r = run(k, bgpRoute('10.48.5.9/32', '192.0.2.10', { localPref: LP_ELEVATED }));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.krtMetric, 512);
    assert.equal(r.preference, 200);
  });

  test('BGP route without local pref (eBGP) gets metric 1024', () => {
    const r = run(k, bgpRoute('10.48.6.0/26', '192.0.2.10'));
    assert.equal(r.attrs.krtMetric, 1024);
    assert.equal(r.preference, 100);
  });

  test('routes via the WireGuard peer are rejected', () => {
    assert.equal(run(k, bgpRoute('10.48.8.0/26', '192.0.2.30', { localPref: LP_NORMAL })).accepted, false);
  });

  test('service range is not programmed; VXLAN pool belongs to Felix', () => {
    assert.equal(run(k, blackhole('10.96.0.0/12')).accepted, false);
    assert.equal(run(k, bgpRoute('10.49.3.0/26', '192.0.2.10', { localPref: LP_NORMAL })).accepted, false);
  });

  test('local IPAM block blackhole is programmed and keeps its attributes object', () => {
    const rt = route(blackhole('10.50.1.0/26'));
    const r = k.run(rt);
    assert.equal(r.accepted, true);
    assert.equal(r.attrs, rt.attrs);
  });

  test('kernel-learned workload route is accepted unchanged (krt_metric already set)', () => {
    const rt = route(workload('10.48.7.5/32', 1024));
    const r = k.run(rt);
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.krtMetric, 1024);
    assert.equal(r.attrs.krtTunnel, 'tunl0'); // no bgp_next_hop: the else branch
  });
});

describe('per-peer export filter + calico_export_to_bgp_peers (mesh-node)', () => {
  const ex = proto(mesh, 'Mesh_192_0_2_10').export;

  test('workload /32 at normal priority 1024 is aggregated into its block (rejected)', () => {
    assert.equal(run(ex, workload('10.48.7.5/32', 1024)).accepted, false);
  });

  test('workload /32 at elevated priority 512 escapes aggregation, with communities', () => {
    const r = run(ex, workload('10.48.7.5/32', 512));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.localPref, LP_ELEVATED);
    assert.deepEqual(r.attrs.communities, [comm(64512, 300)]);
    assert.deepEqual(r.attrs.largeCommunities, [{ global: 64512, local1: 7, local2: 1 }]);
    assert.equal(r.attrs.krtMetric, 512);
  });

  test('the IPAM block blackhole is exported with normal priority and its communities', () => {
    const r = run(ex, blackhole('10.48.7.0/26'));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.krtMetric, 1024);
    assert.equal(r.attrs.localPref, LP_NORMAL);
    assert.deepEqual(r.attrs.communities, [comm(64512, 300)]);
  });

  test('second block without communities', () => {
    const r = run(ex, blackhole('10.48.9.64/26'));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.communities, undefined);
  });

  test('service cluster range is advertised', () => {
    const r = run(ex, blackhole('10.96.0.0/12'));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.localPref, LP_NORMAL);
  });

  test('pool with disableBGPExport is rejected', () => {
    assert.equal(run(ex, blackhole('10.50.1.0/26')).accepted, false);
  });

  test('Felix VXLAN routes on vxlan.calico are not sent to iBGP peers', () => {
    assert.equal(run(ex, { ...workload('10.49.3.0/26', 0, 'vxlan.calico'), attrs: { krtSource: 80 } }).accepted, false);
  });

  test('routes on bpf*.cali interfaces are rejected (reject_local_routes)', () => {
    assert.equal(run(ex, workload('10.48.0.0/16', 1024, 'bpfout.cali')).accepted, false);
  });

  test('BGP-learned route is re-advertised keeping its local pref; krt_metric derived', () => {
    const r = run(ex, bgpRoute('10.48.5.0/26', '192.0.2.10', { localPref: 100 }));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.localPref, 100);
    assert.equal(r.attrs.krtMetric, 2147483547);
  });

  test('anything else falls through to the final reject', () => {
    assert.equal(run(ex, blackhole('203.0.113.0/24')).accepted, false);
  });

  test('import filter: elevated local pref raises preference to 200', () => {
    const im = proto(mesh, 'Mesh_192_0_2_10').import;
    const hi = run(im, bgpRoute('10.48.5.9/32', '192.0.2.10', { localPref: LP_ELEVATED }));
    assert.equal(hi.accepted, true);
    assert.equal(hi.preference, 200);
    const lo = run(im, bgpRoute('10.48.5.0/26', '192.0.2.10', { localPref: LP_NORMAL }));
    assert.equal(lo.accepted, true);
    assert.equal(lo.preference, 100);
  });
});

describe('route reflector and older layout', () => {
  test('RR: tunl0 routes rejected towards iBGP, LB and external ranges passed through', () => {
    const ex = proto(rr, 'Node_192_0_2_11').export;
    assert.equal(run(ex, { ...workload('10.48.3.0/26', 0, 'tunl0'), attrs: { krtSource: 80 } }).accepted, false);
    assert.equal(run(ex, bgpRoute('203.0.113.0/24', '192.0.2.12', { localPref: 100 })).accepted, true);
    assert.equal(run(ex, bgpRoute('198.51.100.0/25', '192.0.2.12', { localPref: 100 })).accepted, true);
    assert.equal(run(ex, bgpRoute('198.51.100.128/25', '192.0.2.12', { localPref: 100 })).accepted, false);
  });

  test('older layout: named export filter with reject_disabled_pools()', () => {
    const ex = proto(split, 'Mesh_192_0_2_51').export;
    assert.equal(ex.kind, 'named');
    assert.equal(run(ex, blackhole('10.52.4.0/26')).accepted, true);
    assert.equal(run(ex, blackhole('10.53.4.0/26')).accepted, false);
    assert.equal(run(ex, blackhole('10.54.4.0/26')).accepted, false);
  });

  test('older layout: unbraced if/else around krt_tunnel', () => {
    const k = named(split, 'calico_kernel_programming');
    assert.equal(run(k, bgpRoute('10.52.1.0/26', '192.0.2.51')).attrs.krtTunnel, '');
    assert.equal(run(k, bgpRoute('10.52.1.0/26', '203.0.113.9')).attrs.krtTunnel, 'tunl0');
    assert.equal(run(k, bgpRoute('10.53.1.0/26', '203.0.113.9')).attrs.krtTunnel, '');
    const other = run(k, bgpRoute('10.99.0.0/16', '203.0.113.9'));
    assert.equal(other.accepted, true);
    assert.equal(other.attrs.krtTunnel, undefined);
  });
});

describe('BGPFilter functions (tor-ebgp)', () => {
  const im = proto(tor, 'Node_192_0_2_1').import;
  const ex = proto(tor, 'Node_192_0_2_1').export;
  const path = (...asns: number[]) => [{ type: AsPathSegmentType.AS_SEQUENCE, asns }];

  test('prefix set with length range {24,28}, + and -', () => {
    const at = (net: string) => run(im, bgpRoute(net, '192.0.2.1', { asPath: path(65009) })).preference;
    assert.equal(run(im, bgpRoute('10.70.1.0/24', '192.0.2.1')).accepted, true);
    assert.equal(run(im, bgpRoute('10.74.9.128/25', '192.0.2.1')).accepted, true);
    assert.equal(run(im, bgpRoute('10.75.0.0/16', '192.0.2.1')).accepted, true);
    assert.equal(at('10.70.1.0/29'), 100);
  });

  test('a path mask on a route without bgp_path is a runtime error (BIRD drops the route)', () => {
    const r = run(im, bgpRoute('10.80.0.0/16', '192.0.2.1'));
    assert.equal(r.accepted, false);
    assert.match(r.error!, /'~' applied on unknown type pair/);
  });

  test('path mask [= 65001 * =] rejects, other paths fall through to accept', () => {
    assert.equal(run(im, bgpRoute('10.80.0.0/16', '192.0.2.1', { asPath: path(65001, 65003) })).accepted, false);
    assert.equal(run(im, bgpRoute('10.72.0.0/16', '192.0.2.1', { asPath: path(65001, 65003) })).accepted, true);
    assert.equal(run(im, bgpRoute('10.80.0.0/16', '192.0.2.1', { asPath: path(65003, 65001) })).accepted, true);
  });

  test('large community match rejects unless inside 10.73.0.0/16', () => {
    const lc = { asPath: path(65009), largeCommunities: [{ global: 65000, local1: 100, local2: 999 }] };
    // (not on eth0: the source/ifname rule before it would accept)
    assert.equal(run(im, { ...bgpRoute('10.80.0.0/16', '192.0.2.1', lc), ifname: 'eth1' }).accepted, false);
    assert.equal(run(im, { ...bgpRoute('10.73.1.0/24', '192.0.2.1', lc), ifname: 'eth1' }).accepted, true);
    assert.equal(run(im, bgpRoute('10.80.0.0/16', '192.0.2.1', lc)).accepted, true);
  });

  test('is_same_as guard: false for this eBGP peer, so the community rule does not apply', () => {
    const r = run(im, bgpRoute('10.71.0.0/24', '192.0.2.1', { asPath: path(65009), communities: [comm(65000, 100)] }));
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.localPref, undefined);
  });

  test('export: communities, large communities and two prepends (last one ends up first)', () => {
    const r = run(ex, blackhole('10.60.3.0/26'));
    assert.equal(r.accepted, true);
    assert.deepEqual(r.attrs.communities, [comm(65000, 200)]);
    assert.deepEqual(r.attrs.largeCommunities, [{ global: 65000, local1: 1, local2: 2 }]);
    assert.deepEqual(r.attrs.asPath, path(4294967294, 64512));
    assert.equal(r.attrs.localPref, 2147483647 - 80);
  });

  test('export: the priority rule rejects elevated routes in 10.61/16 with long prefixes', () => {
    const rej = run(ex, workload('10.61.0.64/26', 512));
    assert.equal(rej.accepted, false);
    assert.equal(rej.error, undefined);
    const acc = run(ex, workload('10.60.9.0/26', 512));
    assert.equal(acc.accepted, true);
    assert.equal(acc.attrs.localPref, LP_ELEVATED);
  });
});

describe('hand-written filters (custom-filters.conf: case, unset, mask, kernel metrics)', () => {
  const custom = load('custom-filters.conf');
  const toTor = named(custom, 'to_tor'), fromTor = named(custom, 'from_tor'), toKernel = named(custom, 'to_kernel');

  test('to_tor: a static block is tagged by its length through a case in a function, its MED unset', () => {
    for (const [net, tag] of [['10.70.5.0/26', 26], ['10.70.0.0/16', 16], ['10.70.5.0/24', 24], ['10.70.5.1/32', 32]] as const) {
      const r = run(toTor, { net, source: RouteSource.RTS_STATIC, attrs: { med: 7 } });
      assert.equal(r.accepted, true, net);
      assert.deepEqual(r.attrs.communities, [comm(64512, tag)], net);
      assert.equal(r.attrs.med, undefined, net);
    }
    const asPath = (asns: number[]) => [{ type: AsPathSegmentType.AS_SEQUENCE, asns }];
    assert.equal(run(toTor, { net: '10.9.0.0/16', source: RouteSource.RTS_BGP, attrs: { asPath: asPath([65001, 65010]) } }).accepted, false);
    assert.equal(run(toTor, { net: '10.9.0.0/16', source: RouteSource.RTS_BGP, attrs: { asPath: asPath([65020]) } }).accepted, true);
    assert.equal(run(toTor, { net: '10.9.0.0/16', source: RouteSource.RTS_INHERIT }).accepted, false, 'no arm: on to the reject');
  });

  test('from_tor: pair set, ip.mask on the pool, case on net with a default and a pattern', () => {
    const r = run(fromTor, { net: '192.168.4.0/24', source: RouteSource.RTS_BGP, attrs: { communities: [comm(65001, 150)] } });
    assert.equal(r.accepted, true);
    assert.equal(r.attrs.localPref, 50);
    assert.equal(r.attrs.med, 10);
    const own = run(fromTor, { net: '10.70.9.0/24', source: RouteSource.RTS_BGP });
    assert.equal(own.accepted, false);
    assert.equal(run(fromTor, { net: '0.0.0.0/0', source: RouteSource.RTS_BGP }).attrs.med, undefined);
  });

  test('to_kernel: metrics for the ToR\'s routes, the MTU unset again inside the pool', () => {
    assert.deepEqual({ ...run(toKernel, { net: '192.168.1.0/24', proto: 'tor' }).attrs.krtMetrics }, { 1: 4, 2: 1400, 12: 1 });
    assert.deepEqual({ ...run(toKernel, { net: '10.70.1.0/24', proto: 'tor' }).attrs.krtMetrics }, { 1: 4, 12: 1 });
    assert.equal(run(toKernel, { net: '10.70.1.0/24', proto: 'static1' }).attrs.krtMetrics, undefined);
  });
});

describe('language rules', () => {
  const cfg = (text: string, out: string[] = []) => parseConfigText(text, 't.conf', { print: (l) => out.push(l) });
  const f = (body: string, prelude = '') => cfg(`${prelude}\nfilter t ${body}\n`).filters.find((x) => x.name === 't')!.filter;
  const r0 = (net = '10.1.2.0/24', attrs = {}) => route({ net, attrs });

  test('accept inside a called function ends the whole filter', () => {
    const flt = f('{ g(); reject; }', 'function g() { accept; }');
    assert.equal(flt.run(r0()).accepted, true);
  });

  test('falling off the end of a filter is a runtime error (route rejected, reason given)', () => {
    const r = f('{ if net ~ 10.0.0.0/8 then krt_metric = 5; }').run(r0());
    assert.equal(r.accepted, false);
    assert.equal(r.error, 'Filter t did not return accept nor reject. Make up your mind');
  });

  test('arithmetic on an undefined attribute is a runtime error', () => {
    const r = f('{ krt_metric = krt_metric + 1; accept; }').run(r0());
    assert.equal(r.accepted, false);
    assert.match(r.error!, /type void/);
  });

  test('undefined compares below any int (BIRD 1.6 val_compare), so `x < 5` holds', () => {
    assert.equal(f('{ if krt_metric < 5 then accept; reject; }').run(r0()).accepted, true);
    assert.equal(f('{ if krt_metric = 5 then accept; reject; }').run(r0()).accepted, false);
  });

  test('kernel metrics (krt_mtu & co.): ints, lock and feature bits in one record, copy on write', () => {
    const input = r0('10.1.2.0/24', { krtMetrics: Object.freeze({ 2: 1300, 8: 1200 }) });
    const r = f('{ if krt_mtu = 1300 && krt_advmss = 1200 && !defined(krt_window) && !defined(krt_lock_mtu) then { krt_mtu = 1400; krt_lock_mtu = true; krt_lock_rto_min = true; krt_feature_allfrag = true; krt_feature_ecn = false; accept; } reject; }').run(input);
    assert.equal(r.accepted, true, r.error);
    // RTAX_LOCK (1): bits 2 (mtu) and 13 (rto_min); RTAX_FEATURES (12): bit 3 (allfrag), ecn cleared.
    assert.deepEqual({ ...r.attrs.krtMetrics }, { 1: (1 << 2) | (1 << 13), 2: 1400, 8: 1200, 12: 1 << 3 });
    assert.ok(Object.isFrozen(r.attrs.krtMetrics));
    assert.deepEqual({ ...input.attrs.krtMetrics }, { 2: 1300, 8: 1200 }, "the route's own record is untouched");
    const bits = f('{ if krt_lock_mtu && !krt_lock_window && krt_feature_ecn then accept; reject; }');
    assert.equal(bits.run(r0('10.1.2.0/24', { krtMetrics: { 1: 4, 12: 1 } })).accepted, true);
    assert.equal(bits.run(r0('10.1.2.0/24', { krtMetrics: { 1: 8, 12: 1 } })).accepted, false);
    // An absent bit field reads as void (1.6), so `if` on it is a runtime error.
    assert.match(bits.run(r0()).error ?? '', /bool/);
    assert.equal(f('{ krt_hoplimit = 64; krt_sstresh = 10; krt_quickack = 1; accept; }').run(r0()).attrs.krtMetrics?.[10], 64);
    assert.throws(() => f('{ krt_lock_mtu = 5; accept; }'), /Setting bool attribute to non-bool value/);
    assert.throws(() => f('{ krt_mtu = true; accept; }'), /Setting int attribute to non-int value/);
    assert.throws(() => cfg('filter krt_mtu { accept; }'), /syntax error/, 'the names are keywords, as in 1.6');
  });

  test('case: first arm whose labels hold the value, no fall-through, else:, value computed once', () => {
    const out: string[] = [];
    const flt = cfg(`
function bump() { print "eval"; return krt_metric; }
filter t {
  case bump() {
    1, 3..5: krt_realm = 1; accept;
    7: krt_realm = 2;
       krt_scope = 2;
    else: reject "none";
  }
  accept;
}`, out).filters.find((x) => x.name === 't')!.filter;
    for (const [m, realm] of [[1, 1], [4, 1], [7, 2]] as const) {
      out.length = 0;
      const r = flt.run(r0('10.1.2.0/24', { krtMetric: m }));
      assert.equal(r.accepted, true, String(m));
      assert.equal(r.attrs.krtRealm, realm, String(m));
      assert.deepEqual(out, ['eval'], 'the value is computed once');
    }
    assert.equal(flt.run(r0('10.1.2.0/24', { krtMetric: 7 })).attrs.krtScope, 2, 'an arm runs every command up to the next label');
    assert.equal(flt.run(r0('10.1.2.0/24', { krtMetric: 6 })).accepted, false);
    const nets = f('{ case net { 10.0.0.0/8+: krt_metric = 1; 192.168.0.0/16{24,32}: krt_metric = 2; } accept; }');
    assert.equal(nets.run(r0('10.1.2.0/24')).attrs.krtMetric, 1);
    assert.equal(nets.run(r0('192.168.3.0/24')).attrs.krtMetric, 2);
    assert.equal(nets.run(r0('172.16.0.0/12')).attrs.krtMetric, undefined, 'no arm and no else: nothing');
    const src = f('{ case source { RTS_BGP: reject; RTS_STATIC, RTS_DEVICE: accept; } reject; }');
    assert.equal(src.run(route({ net: '10.0.0.0/8', source: RouteSource.RTS_STATIC })).accepted, true);
    assert.equal(src.run(route({ net: '10.0.0.0/8', source: RouteSource.RTS_BGP })).accepted, false);
    assert.throws(() => f('{ case net { 5: accept; } reject; }'), /'~' applied on unknown type pair/, 'labels of another type');
    assert.throws(() => f('{ case net { else: accept; else: reject; } }'), /syntax error/);
  });

  test('define\'d int constants stand in sets, pair sets, path masks and case labels', () => {
    const prelude = 'define LO = 10; define HI = 20; define PEER = 65001;';
    const flt = f(`{
      if bgp_path ~ [= * PEER * =] && bgp_community ~ [(PEER, LO..HI)] && krt_metric ~ [ LO..HI, 100 ] then {
        case krt_metric { LO: krt_realm = 1; 11..HI: krt_realm = 2; }
        accept;
      }
      reject;
    }`, prelude);
    const attrs = (metric: number, c: number) => ({ krtMetric: metric, communities: [comm(65001, c)], asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [1, 65001, 2] }] });
    assert.equal(flt.run(r0('10.1.2.0/24', attrs(10, 15))).attrs.krtRealm, 1);
    assert.equal(flt.run(r0('10.1.2.0/24', attrs(20, 15))).attrs.krtRealm, 2);
    assert.equal(flt.run(r0('10.1.2.0/24', attrs(100, 15))).accepted, true);
    assert.equal(flt.run(r0('10.1.2.0/24', attrs(21, 15))).accepted, false);
    assert.equal(flt.run(r0('10.1.2.0/24', attrs(10, 21))).accepted, false);
    assert.throws(() => f('{ if krt_metric ~ [ NOPE ] then accept; reject; }'), /syntax error/, 'an undefined name');
    assert.throws(() => f('{ if krt_metric ~ [ S ] then accept; reject; }', 'define S = "x";'), /syntax error/, 'a constant of another type');
  });

  test('unset(attr) removes an extended attribute; a metric or a whole lock field; not a static one', () => {
    const r = f('{ unset(bgp_med); unset(krt_mtu); unset(krt_lock_window); accept; }')
      .run(r0('10.1.2.0/24', { med: 5, localPref: 100, krtMetrics: Object.freeze({ 1: 4, 2: 1400, 8: 9 }) }));
    assert.equal(r.attrs.med, undefined);
    assert.equal(r.attrs.localPref, 100);
    assert.deepEqual({ ...r.attrs.krtMetrics }, { 8: 9 }, 'krt_lock_window takes the lock field with it');
    assert.equal(f('{ unset(krt_advmss); accept; }').run(r0('10.1.2.0/24', { krtMetrics: { 8: 9 } })).attrs.krtMetrics, undefined);
    const same = r0('10.1.2.0/24', { med: 5 });
    assert.equal(f('{ unset(bgp_local_pref); accept; }').run(same).attrs, same.attrs, 'unsetting an absent one copies nothing');
    assert.throws(() => f('{ unset(preference); accept; }'), /Only extended attributes can be unset/);
  });

  test('IP sets: addresses and ranges, with ~, in case labels and for untyped values; one family, ranges in order', () => {
    const flt = f('{ if gw ~ [ 192.0.2.1, 198.51.100.8..198.51.100.15 ] then accept; reject; }');
    const via = (gw: string) => route({ net: '10.0.0.0/8', gw });
    assert.equal(flt.run(via('192.0.2.1')).accepted, true);
    assert.equal(flt.run(via('198.51.100.8')).accepted, true);
    assert.equal(flt.run(via('198.51.100.15')).accepted, true);
    assert.equal(flt.run(via('198.51.100.16')).accepted, false);
    assert.equal(flt.run(via('192.0.2.2')).accepted, false);
    const byPeer = f('{ case from { 192.0.2.9: krt_metric = 1; 192.0.2.10..192.0.2.19: krt_metric = 2; else: krt_metric = 3; } accept; }');
    assert.equal(byPeer.run({ ...r0(), from: ip('192.0.2.9') }).attrs.krtMetric, 1);
    assert.equal(byPeer.run({ ...r0(), from: ip('192.0.2.12') }).attrs.krtMetric, 2);
    assert.equal(byPeer.run(r0()).attrs.krtMetric, 3, 'no neighbour: the zero address');
    const fn = f('{ if g() ~ [ 10.0.0.1..10.0.0.3 ] then accept; reject; }', 'function g() { return 10.0.0.2; }');
    assert.equal(fn.run(r0()).accepted, true);
    assert.match(printConfig(cfg('filter t { if gw ~ [ 192.0.2.1, 198.51.100.8..198.51.100.15 ] then accept; reject; }')), /\[ 192\.0\.2\.1, 198\.51\.100\.8\.\.198\.51\.100\.15 \]/);
    assert.throws(() => f('{ if gw ~ [ 10.0.0.9..10.0.0.1 ] then accept; reject; }'), /Invalid address range in set/);
    assert.throws(() => parseConfigText('filter t { if gw ~ [ 10.0.0.1, fd00::1 ] then accept; reject; }', 't.conf', { dialect: 'auto', ...quiet }), /Addresses of both families in one set/);
    assert.throws(() => f('{ if gw ~ [ 10.0.0.1, 10.0.0.0/8 ] then accept; reject; }'), /syntax error/, 'addresses and prefixes do not mix');
  });

  test('`from` reads the BGP neighbour, the zero address without one; it is read-only', () => {
    const flt = f('{ if from = 192.0.2.9 then accept; if from = 0.0.0.0 then reject "none"; reject; }');
    assert.equal(flt.run({ ...r0(), from: ip('192.0.2.9') }).accepted, true);
    assert.equal(flt.run({ ...r0(), from: ip('192.0.2.8') }).error, undefined);
    assert.equal(flt.run(r0()).accepted, false);
    assert.throws(() => f('{ from = 1.2.3.4; accept; }'), /This static attribute is read-only/);
  });

  test('ip.mask(n) clears the bits past n; an int is needed', () => {
    const flt = f('{ if net.ip.mask(16) = 10.1.0.0 && 10.1.2.3.mask(0) = 0.0.0.0 && 10.1.2.3.mask(40) = 10.1.2.3 then accept; reject; }');
    assert.equal(flt.run(r0('10.1.2.0/24')).accepted, true);
    assert.equal(flt.run(r0('10.2.2.0/24')).accepted, false);
    assert.throws(() => f('{ if net.ip.mask(true) = 10.1.0.0 then accept; reject; }'), /Integer expected/);
    assert.throws(() => f('{ if net.mask(8) = 10.0.0.0 then accept; reject; }'), /\.mask is not supported on prefix/);
  });

  test('case, unset and .mask print canonically and parse back to the same print', () => {
    const text = `filter t {
  case net.ip.mask(8) { 10.0.0.0: accept; }
  case bgp_path.len { 0..1, 5: unset(bgp_med); unset(krt_lock_mtu); 2: krt_metric = 2; else: reject; }
  case source { RTS_BGP, RTS_STATIC: accept; }
  case bgp_community.len { 1: accept; }
  case (1, 2) { (1, 2..3), (4, *): accept; }
  case net { 10.0.0.0/8+, 192.168.0.0/16{24,32}: accept; }
  reject;
}`;
    const printed = printConfig(cfg(text));
    assert.equal(printConfig(cfg(printed)), printed);
    assert.match(printed, /case bgp_path\.len \{\n\s+0\.\.1, 5:\n\s+unset\(bgp_med\);\n\s+unset\(krt_lock_mtu\);\n\s+2:\n\s+krt_metric = 2;\n\s+else:\n\s+reject;\n\s+\}/);
    assert.match(printConfig(cfg('filter t { if net.ip.mask(8) = 10.0.0.0 then accept; reject; }')), /net\.ip\.mask\(8\) = 10\.0\.0\.0/);
    assert.match(printed, /case net\.ip\.mask\(8\) \{\n\s+10\.0\.0\.0:/);
  });

  test('&& and || share one precedence level and associate left', () => {
    // (true || true) && false → false in BIRD; true || (true && false) would be true.
    assert.equal(f('{ if true || true && false then accept; reject; }').run(r0()).accepted, false);
  });

  test('locals, parameters, return values and recursion', () => {
    const flt = f('int n; { n = fact(5); if n = 120 then accept; reject; }',
      'function fact(int x) int r; { if x <= 1 then return 1; r = x * fact(x - 1); return r; }');
    assert.equal(flt.run(r0()).accepted, true);
    const flt2 = f('{ int a = 7; int b; b = a / 2; if b = 3 && a % 2 = 1 then accept; reject; }');
    assert.equal(flt2.run(r0()).accepted, true);
  });

  test('net.len, net.ip, bgp_path.len/.first/.last, string ? pattern', () => {
    const flt = f('{ if net.len = 24 && net.ip = 10.1.2.0 && bgp_path.len = 3 && bgp_path.first = 1 && bgp_path.last = 3 && proto ~ "kern?l1" then accept; reject; }');
    const r = flt.run(route({ net: '10.1.2.0/24', attrs: { asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [1, 2, 3] }] } }));
    assert.equal(r.accepted, true);
  });

  test('community delete and large community add are copy-on-write', () => {
    const flt = f('{ bgp_community.delete((1, 2)); bgp_large_community.add((1, 2, 3)); accept; }');
    const rt = r0('10.0.0.0/8', { communities: [comm(1, 2), comm(3, 4)] });
    const r = flt.run(rt);
    assert.deepEqual(r.attrs.communities, [comm(3, 4)]);
    assert.deepEqual(rt.attrs.communities, [comm(1, 2), comm(3, 4)]);
    assert.notEqual(r.attrs, rt.attrs);
  });

  test('print and reject with a message go to the print sink', () => {
    const out: string[] = [];
    const c = cfg('filter t { printn "net "; print net, " ", 5; reject "no ", net.len; }', out);
    const r = c.filters[0]!.filter.run(r0());
    assert.equal(r.accepted, false);
    assert.deepEqual(out, ['net 10.1.2.0/24 5', 'no 24']);
  });

  test('where filters and dest/gw/source/defined', () => {
    const c = cfg('protocol static { import where dest = RTD_BLACKHOLE && gw = 0.0.0.0 && source ~ [ RTS_STATIC, RTS_BGP ] && defined(ifname); }');
    const im = c.protocols[0]!.import;
    assert.equal(im.kind, 'where');
    assert.equal(im.run(route(blackhole('10.0.0.0/8'))).accepted, true);
    assert.equal(im.run(route(workload('10.0.0.0/8', 1))).accepted, false);
  });

  test('define constants and int sets', () => {
    const c = cfg('define LOW = 10;\ndefine HIGH = LOW * 2;\nfilter t { if krt_metric ~ [ 1, 10..20 ] && krt_metric >= LOW && krt_metric <= HIGH then accept; reject; }');
    assert.equal(c.filters[0]!.filter.run(r0('10.0.0.0/8', { krtMetric: 15 })).accepted, true);
    assert.equal(c.filters[0]!.filter.run(r0('10.0.0.0/8', { krtMetric: 25 })).accepted, false);
    assert.deepEqual(c.constants, { LOW: '10', HIGH: '20' });
  });
});

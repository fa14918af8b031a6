// The decision process: one test per step (two routes differing only there, both orders,
// through compareRoutes and selectBest), the deterministic-MED and canonical-order cases,
// permutation tests (arrival order never changes the winner or the reason), a check of
// deterministic MED against RFC 4271 §9.1.2.2's elimination procedure written out
// independently, and ECMP mergeability.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compareRoutes, selectBest, mergeable, mergedPaths, DECISION_STEPS, DEFAULT_BEST_PATH_OPTIONS, type BestPathOptions,
} from './best-path.js';
import { AttrSetTable, type RouteAttributes } from './attr-set.js';
import { makeRoute, neighbourAs, type Route, type RouteSourceKind } from './route.js';
import { parsePrefix } from './prefix.js';
import { AsPathSegmentType, Origin } from '../bgp/codec/types.js';

const table = new AttrSetTable();
const PFX = parsePrefix('10.244.2.0/26');
const LOCAL_AS = 64512;

interface RouteSpec {
  name?: string;
  kind?: RouteSourceKind;
  addr?: number; // last byte of the neighbour address 192.0.2.x
  routerId?: number;
  peerAs?: number;
  ebgp?: boolean;
  attrs?: RouteAttributes;
  pref?: number;
  reachable?: boolean;
  igp?: number;
  pathId?: number;
  learnedAt?: number;
}

const seq = (...asns: number[]) => [{ type: AsPathSegmentType.AS_SEQUENCE, asns }];
const BASE_ATTRS: RouteAttributes = { origin: Origin.IGP, asPath: seq(65001), localPref: 100, nextHop: Uint8Array.of(192, 0, 2, 1) };

function route(s: RouteSpec = {}): Route {
  const kind = s.kind ?? 'bgp';
  const addr = s.addr ?? 1;
  const ebgp = s.ebgp ?? true;
  return makeRoute({
    prefix: PFX,
    attrs: table.intern(s.attrs ?? BASE_ATTRS),
    source: {
      name: s.name ?? (kind === 'bgp' ? `Node_192_0_2_${addr}` : `${kind}1`),
      kind,
      bgp: kind === 'bgp'
        ? { address: Uint8Array.of(192, 0, 2, addr), routerId: s.routerId ?? addr, peerAs: s.peerAs ?? (ebgp ? 65001 : LOCAL_AS), localAs: LOCAL_AS, ebgp }
        : undefined,
    },
    pathId: s.pathId,
    preference: s.pref,
    reachable: s.reachable,
    igpMetric: s.igp,
    learnedAt: s.learnedAt,
  });
}

/** a must beat b at `step`, whichever order they are given in. */
function expectWin(a: Route, b: Route, step: string, opts: BestPathOptions = DEFAULT_BEST_PATH_OPTIONS) {
  assert.deepEqual({ ...compareRoutes(a, b, opts) }, { winner: -1, step, index: DECISION_STEPS.findIndex((s) => s.name === step) });
  assert.equal(compareRoutes(b, a, opts).winner, 1);
  assert.equal(compareRoutes(b, a, opts).step, step);
  for (const order of [[a, b], [b, a]]) {
    const sel = selectBest(order, opts);
    assert.equal(sel.best, a);
    assert.equal(sel.reason, step);
  }
}

const opt = (o: Partial<BestPathOptions>): BestPathOptions => ({ ...DEFAULT_BEST_PATH_OPTIONS, ...o });
const A = (o: RouteAttributes) => ({ ...BASE_ATTRS, ...o });

const LLGR_STALE = 0xffff0006;

describe('one test per decision step', () => {
  test('preference', () => expectWin(route({ pref: 200, addr: 2 }), route({ pref: 100, addr: 1 }), 'preference'));
  test('protocol type (equal preference)', () => {
    expectWin(route({ kind: 'static', pref: 150 }), route({ kind: 'kernel', pref: 150 }), 'protocol type');
    expectWin(route({ kind: 'direct', pref: 100 }), route({ kind: 'bgp', pref: 100 }), 'protocol type');
  });
  test('deterministic MED (a suppressed route loses)', () => {
    const a = route({ addr: 2 }), b = route({ addr: 1 });
    assert.equal(compareRoutes(a, b, DEFAULT_BEST_PATH_OPTIONS, { suppressed: new Set([b]) }).step, 'deterministic MED');
    assert.equal(compareRoutes(a, b, DEFAULT_BEST_PATH_OPTIONS, { suppressed: new Set([b]) }).winner, -1);
    assert.equal(compareRoutes(b, a, DEFAULT_BEST_PATH_OPTIONS, { suppressed: new Set([b]) }).winner, 1);
    // Without the context the same pair is decided by the router id.
    assert.equal(compareRoutes(a, b).step, 'router id');
  });
  test('next hop resolvable', () => expectWin(route({ addr: 2, reachable: true }), route({ addr: 1, reachable: false }), 'next hop resolvable'));
  test('LLGR stale (RFC 9494): least preferred, before LOCAL_PREF and every RFC 4271 attribute step', () => {
    // Better in every later step (LOCAL_PREF, path, origin, eBGP, router id) and still loses when stale.
    const stale = route({ addr: 1, routerId: 1, attrs: A({ localPref: 500, origin: Origin.IGP, communities: [LLGR_STALE] }) });
    const fresh = route({ addr: 2, routerId: 9, ebgp: false, peerAs: LOCAL_AS, attrs: A({ origin: Origin.EGP, asPath: seq(65001, 65002, 65003) }) });
    expectWin(fresh, stale, 'LLGR stale');
    // Other communities do not count; two stale routes go on to the next steps.
    assert.equal(compareRoutes(route({ addr: 1, attrs: A({ communities: [0xffff0007, 65000 << 16] }) }), route({ addr: 2 })).step, 'router id');
    assert.equal(compareRoutes(stale, route({ addr: 2, attrs: A({ communities: [1, LLGR_STALE] }) })).step, 'local preference');
    // Protocol preference and protocol type still come first (BIRD rte_better), and an
    // unresolvable next hop is worse than staleness.
    expectWin(route({ addr: 1, pref: 200, attrs: A({ communities: [LLGR_STALE] }) }), route({ addr: 2, pref: 100 }), 'preference');
    expectWin(route({ addr: 1, attrs: A({ communities: [LLGR_STALE] }) }), route({ addr: 2, reachable: false }), 'next hop resolvable');
    assert.equal(compareRoutes(stale, route({ kind: 'kernel', pref: 10 })).step, 'preference');
  });
  test('local preference (absent = default_local_pref)', () => {
    expectWin(route({ addr: 2, attrs: A({ localPref: 200 }) }), route({ addr: 1, attrs: A({ localPref: 100 }) }), 'local preference');
    expectWin(route({ addr: 2, attrs: A({ localPref: undefined }) }), route({ addr: 1, attrs: A({ localPref: 99 }) }), 'local preference');
    expectWin(route({ addr: 2, attrs: A({ localPref: 101 }) }), route({ addr: 1, attrs: A({ localPref: undefined }) }), 'local preference');
    expectWin(route({ addr: 2, attrs: A({ localPref: undefined }) }), route({ addr: 1, attrs: A({ localPref: 150 }) }), 'local preference', opt({ defaultLocalPref: 200 }));
  });
  test('AS path length', () => {
    const a = route({ addr: 2, attrs: A({ asPath: seq(65001) }) }), b = route({ addr: 1, attrs: A({ asPath: seq(65001, 65002) }) });
    expectWin(a, b, 'AS path length');
    assert.equal(compareRoutes(a, b, opt({ comparePathLengths: false })).step, 'router id', 'path metric off skips the step');
    expectWin(route({ addr: 2, attrs: A({ asPath: [] }) }), route({ addr: 1, attrs: A({ asPath: undefined }) }), 'AS path length');
  });
  test('origin (absent = INCOMPLETE)', () => {
    expectWin(route({ addr: 2, attrs: A({ origin: Origin.IGP }) }), route({ addr: 1, attrs: A({ origin: Origin.EGP }) }), 'origin');
    expectWin(route({ addr: 2, attrs: A({ origin: Origin.EGP }) }), route({ addr: 1, attrs: A({ origin: undefined }) }), 'origin');
  });
  test('MED: same neighbour AS only, unless always-compare', () => {
    expectWin(route({ addr: 2, attrs: A({ med: 10 }) }), route({ addr: 1, attrs: A({ med: 20 }) }), 'MED');
    expectWin(route({ addr: 2, attrs: A({ med: undefined }) }), route({ addr: 1, attrs: A({ med: 1 }) }), 'MED');
    const a = route({ addr: 2, attrs: A({ med: 10, asPath: seq(65002) }) }), b = route({ addr: 1, attrs: A({ med: 20, asPath: seq(65001) }) });
    assert.equal(compareRoutes(a, b).step, 'router id', 'different neighbour AS: MED not compared');
    expectWin(a, b, 'MED', opt({ alwaysCompareMed: true }));
    // iBGP routes with an empty AS_PATH belong to the peer's (our) AS.
    const i1 = route({ addr: 2, ebgp: false, attrs: A({ asPath: [], med: 5 }) }), i2 = route({ addr: 1, ebgp: false, attrs: A({ asPath: [], med: 6 }) });
    assert.equal(neighbourAs(i1), LOCAL_AS);
    expectWin(i1, i2, 'MED');
  });
  test('eBGP over iBGP', () => expectWin(route({ addr: 2, ebgp: true, peerAs: 65001 }), route({ addr: 1, ebgp: false, peerAs: LOCAL_AS }), 'eBGP over iBGP'));
  test('IGP metric', () => {
    const a = route({ addr: 2, igp: 10 }), b = route({ addr: 1, igp: 20 });
    expectWin(a, b, 'IGP metric');
    assert.equal(compareRoutes(a, b, opt({ igpMetric: false })).step, 'router id');
  });
  test('prefer older (RFC 5004, option)', () => {
    const a = route({ addr: 2, routerId: 9, learnedAt: 1000 }), b = route({ addr: 1, routerId: 1, learnedAt: 2000 });
    expectWin(a, b, 'prefer older', opt({ preferOlder: true }));
    assert.equal(compareRoutes(a, b).step, 'router id', 'off by default');
  });
  test('router id (ORIGINATOR_ID replaces the peer router id)', () => {
    expectWin(route({ addr: 2, routerId: 1 }), route({ addr: 1, routerId: 2 }), 'router id');
    expectWin(route({ addr: 2, routerId: 9, attrs: A({ originatorId: 1 }) }), route({ addr: 1, routerId: 2 }), 'router id');
  });
  test('cluster list length', () => {
    expectWin(route({ addr: 2, attrs: A({ originatorId: 7, clusterList: [1] }) }), route({ addr: 1, attrs: A({ originatorId: 7, clusterList: [1, 2] }) }), 'cluster list length');
  });
  test('neighbour address', () => expectWin(route({ addr: 1, routerId: 5 }), route({ addr: 2, routerId: 5 }), 'neighbour address'));
  test('protocol name (non-BGP tie)', () => expectWin(route({ kind: 'static', name: 'static1' }), route({ kind: 'static', name: 'static2' }), 'protocol name'));
  test('path id (ADD-PATH paths of one peer)', () => expectWin(route({ pathId: 1 }), route({ pathId: 2 }), 'path id'));
  test('every step has a test above', () => {
    assert.equal(DECISION_STEPS.length, 17);
    for (const s of DECISION_STEPS) assert.match(s.rule, /RFC|BIRD|Wren/);
  });
});

describe('selection', () => {
  test('empty and single', () => {
    assert.equal(selectBest([]).best, undefined);
    const r = route();
    assert.deepEqual([selectBest([r]).best, selectBest([r]).reason], [r, 'only route']);
  });

  test('a MED cycle: deterministic MED picks like the RFC; without it the canonical order decides', () => {
    // A beats B on MED (same AS), B beats C on router id, C beats A on router id.
    const a = route({ name: 'pA', addr: 3, routerId: 3, attrs: A({ asPath: seq(65001), med: 10 }) });
    const b = route({ name: 'pB', addr: 1, routerId: 1, attrs: A({ asPath: seq(65001), med: 20 }) });
    const c = route({ name: 'pC', addr: 2, routerId: 2, attrs: A({ asPath: seq(65002), med: 0 }) });
    const perms = [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]];
    for (const p of perms) {
      const det = selectBest(p, opt({ deterministicMed: true }));
      assert.equal(det.best, c);
      assert.equal(det.reason, 'router id');
      assert.deepEqual([...det.suppressed!], [b]);
      const plain = selectBest(p);
      assert.equal(plain.reason, 'canonical order');
      assert.equal(plain.best, selectBest(perms[0]!).best);
    }
    // Canonical order: folding pA, pB, pC → A (A beats B on MED), then C beats A.
    assert.equal(selectBest([b, c, a]).best, c);
  });

  test('deterministic MED groups by preference too (BIRD same_group)', () => {
    const a = route({ addr: 1, pref: 100, attrs: A({ med: 10 }) });
    const b = route({ addr: 2, pref: 110, attrs: A({ med: 50 }) });
    const sel = selectBest([a, b], opt({ deterministicMed: true }));
    assert.equal(sel.best, b);
    assert.equal(sel.reason, 'preference');
    assert.equal(sel.suppressed, undefined, 'different groups: nothing suppressed');
  });
});

// ---- permutation and reference tests -------------------------------------------------------

const specArb: fc.Arbitrary<RouteSpec> = fc.record({
  addr: fc.integer({ min: 1, max: 6 }),
  routerId: fc.integer({ min: 1, max: 3 }),
  ebgp: fc.boolean(),
  pref: fc.constantFrom(100, 100, 100, 200),
  reachable: fc.constantFrom(true, true, true, false),
  igp: fc.integer({ min: 0, max: 1 }),
  pathId: fc.integer({ min: 0, max: 1 }),
  learnedAt: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom<RouteSourceKind>('bgp', 'bgp', 'bgp', 'bgp', 'static', 'kernel'),
  attrs: fc.record(
    {
      origin: fc.constantFrom(Origin.IGP, Origin.IGP, Origin.EGP),
      asPath: fc.oneof(fc.constant([]), fc.array(fc.integer({ min: 65001, max: 65003 }), { minLength: 1, maxLength: 2 }).map((asns) => seq(...asns))),
      med: fc.integer({ min: 0, max: 3 }),
      localPref: fc.constantFrom(100, 100, 200),
      originatorId: fc.integer({ min: 1, max: 3 }),
      clusterList: fc.array(fc.constant(1), { maxLength: 2 }),
      communities: fc.constantFrom<number[]>([], [LLGR_STALE], [1]),
    },
    { requiredKeys: ['origin', 'asPath', 'localPref'] },
  ),
});

/** Distinct routes: a table never holds two routes with the same (protocol, path id). */
const candidatesArb = fc.uniqueArray(specArb, { minLength: 1, maxLength: 7, selector: (s) => `${s.kind}|${s.addr}|${s.pathId}` });

const optionsArb: fc.Arbitrary<BestPathOptions> = fc.record({
  deterministicMed: fc.boolean(),
  alwaysCompareMed: fc.boolean(),
  comparePathLengths: fc.boolean(),
  igpMetric: fc.boolean(),
  preferOlder: fc.boolean(),
  defaultLocalPref: fc.constant(100),
  defaultMed: fc.constant(0),
});

describe('permutation invariance', () => {
  test('the order of arrival never changes the winner or the reason', () => {
    fc.assert(
      fc.property(candidatesArb, optionsArb, fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), (specs, opts, seeds) => {
        const routes = specs.map((s) => route({ ...s, name: s.kind === 'bgp' ? undefined : `${s.kind}${s.addr}`, peerAs: s.ebgp ? 65001 : LOCAL_AS }));
        const first = selectBest(routes, opts);
        const shuffled = routes.slice();
        for (const seed of seeds) {
          // Fisher–Yates with the generated seeds.
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = (seed + i * 7919) % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          const sel = selectBest(shuffled, opts);
          assert.equal(sel.best, first.best);
          assert.equal(sel.reason, first.reason);
          assert.deepEqual(new Set(mergedPaths(shuffled, sel, opts)), new Set(mergedPaths(routes, first, opts)));
        }
        // The best is never beaten by another candidate, except in a reported MED cycle.
        if (first.reason !== 'canonical order') {
          const ctx = first.suppressed ? { suppressed: first.suppressed } : {};
          for (const r of routes) if (r !== first.best) assert.equal(compareRoutes(first.best!, r, opts, ctx).winner, -1);
        } else assert.ok(!opts.deterministicMed && !opts.alwaysCompareMed, 'cycles only come from MED without deterministic MED');
      }),
      { numRuns: 3000 },
    );
  });
});

/**
 * RFC 4271 §9.1.2.2 as written: successive elimination over the BGP routes of equal
 * preference, MED only among routes from the same neighbouring AS. This is what deterministic
 * MED must compute. Written without the step table on purpose.
 */
function rfcEliminate(routes: Route[], o: BestPathOptions): Route {
  let s = routes;
  const keep = (f: (r: Route) => number, want: 'min' | 'max') => {
    const v = s.map(f);
    const best = want === 'min' ? Math.min(...v) : Math.max(...v);
    s = s.filter((_, i) => v[i] === best);
  };
  keep((r) => (r.reachable ? 1 : 0), 'max'); // §9.1.2.1
  keep((r) => (r.attrs.communities?.includes(LLGR_STALE) ? 1 : 0), 'min'); // RFC 9494: LLGR_STALE least preferred
  keep((r) => r.attrs.localPref ?? o.defaultLocalPref, 'max');
  if (o.comparePathLengths) keep((r) => r.attrs.asPathLength, 'min'); // (a)
  keep((r) => r.attrs.origin ?? 2, 'min'); // (b)
  const med = (r: Route) => r.attrs.med ?? o.defaultMed;
  const cur = s; // (c)
  s = cur.filter((r) => !cur.some((x) => (o.alwaysCompareMed || neighbourAs(x) === neighbourAs(r)) && med(x) < med(r)));
  keep((r) => (r.source.bgp!.ebgp ? 1 : 0), 'max'); // (d)
  if (o.igpMetric) keep((r) => r.igpMetric, 'min'); // (e)
  keep((r) => r.attrs.originatorId ?? r.source.bgp!.routerId, 'min'); // (f), RFC 4456 §9
  keep((r) => r.attrs.clusterListLength, 'min');
  keep((r) => r.source.bgp!.address[3]!, 'min'); // (g)
  keep((r) => r.pathId, 'min');
  assert.equal(s.length, 1);
  return s[0]!;
}

describe('deterministic MED equals the RFC elimination procedure', () => {
  test('random BGP candidates of equal preference', () => {
    fc.assert(
      fc.property(candidatesArb, optionsArb, (specs, o) => {
        const opts = { ...o, deterministicMed: true, preferOlder: false };
        // All BGP now: keep one spec per (peer, path id), as a table would.
        const uniq = [...new Map(specs.map((s) => [`${s.addr}|${s.pathId}`, s])).values()];
        const routes = uniq.map((s) => route({ ...s, kind: 'bgp', pref: 100, peerAs: s.ebgp ? 65001 : LOCAL_AS }));
        assert.equal(selectBest(routes, opts).best, rfcEliminate(routes, opts));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('ECMP (merge paths)', () => {
  test('equal up to the IGP metric merges; tie-breakers are ignored', () => {
    const a = route({ addr: 1, routerId: 1 });
    const b = route({ addr: 2, routerId: 2, attrs: A({ originatorId: 9, clusterList: [1, 2] }) });
    assert.ok(mergeable(a, b));
    assert.ok(!mergeable(a, route({ addr: 3, igp: 5 })), 'IGP metric differs');
    assert.ok(mergeable(a, route({ addr: 3, igp: 5 }), opt({ igpMetric: false })));
    assert.ok(!mergeable(a, route({ addr: 3, attrs: A({ med: 1 }) })), 'MED differs, same neighbour AS');
    assert.ok(mergeable(route({ attrs: A({ asPath: seq(65002), med: 1 }) }), route({ addr: 3, attrs: A({ med: 2 }) })), 'MED of other ASes not compared');
    assert.ok(!mergeable(a, route({ addr: 3, ebgp: false, peerAs: LOCAL_AS })), 'eBGP vs iBGP');
    assert.ok(!mergeable(a, route({ addr: 3, reachable: false })));
    assert.ok(!mergeable(a, route({ addr: 3, attrs: A({ localPref: 101 }) })));
    assert.ok(!mergeable(a, route({ addr: 3, attrs: A({ asPath: seq(65001, 1) }) })));
    assert.ok(mergeable(a, route({ addr: 3, attrs: A({ asPath: seq(65001, 1) }) }), opt({ comparePathLengths: false })));
    assert.ok(!mergeable(a, route({ addr: 3, attrs: A({ origin: Origin.EGP }) })));
    assert.ok(!mergeable(a, route({ addr: 3, pref: 101 })));
    assert.ok(!mergeable(route({ kind: 'static' }), route({ kind: 'static', name: 'static2' })), 'only BGP merges');
    assert.ok(!mergeable(a, route({ addr: 3, attrs: A({ communities: [LLGR_STALE] }) })), 'LLGR stale vs fresh');
    assert.ok(mergeable(route({ attrs: A({ communities: [LLGR_STALE] }) }), route({ addr: 3, attrs: A({ communities: [LLGR_STALE] }) })), 'both stale');
  });

  test('mergedPaths: best first, then the others by tie-breakers, limited', () => {
    const rs = [route({ addr: 4, routerId: 4 }), route({ addr: 2, routerId: 2 }), route({ addr: 3, routerId: 3, igp: 9 }), route({ addr: 1, routerId: 1 })];
    const sel = selectBest(rs);
    assert.equal(sel.best, rs[3]);
    assert.deepEqual(mergedPaths(rs, sel), [rs[3], rs[1], rs[0]]);
    assert.deepEqual(mergedPaths(rs, sel, DEFAULT_BEST_PATH_OPTIONS, 2), [rs[3], rs[1]]);
  });
});

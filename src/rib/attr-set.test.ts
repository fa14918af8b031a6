// Interning: equal attributes give the same frozen object, refcounts free at zero, ids are
// reused only after freeing, hash collisions are resolved by full equality (forced with a
// constant hash), and the default hash tells apart what equality tells apart.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttrSetTable, attributesEqual, hashAttributes, RouteDest, AS_PATH_MAXLEN, type RouteAttributes } from './attr-set.js';
import { AsPathSegmentType, Origin } from '../bgp/codec/types.js';

const base: RouteAttributes = {
  origin: Origin.IGP,
  asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65001, 65002] }, { type: AsPathSegmentType.AS_SET, asns: [1, 2, 3] }],
  nextHop: Uint8Array.of(192, 0, 2, 1),
  localPref: 100,
  communities: [0xfde80001],
};

/** Fresh objects each time, so identity can only come from interning. */
const fresh = (over: Partial<RouteAttributes> = {}): RouteAttributes => ({
  ...base,
  asPath: base.asPath!.map((s) => ({ type: s.type, asns: [...s.asns] })),
  nextHop: base.nextHop!.slice(),
  communities: [...base.communities!],
  ...over,
});

/** Every field a different way, to check that each one takes part in equality and hashing. */
const variants: [string, Partial<RouteAttributes>][] = [
  ['origin', { origin: Origin.EGP }],
  ['no origin', { origin: undefined }],
  ['as path asn', { asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65001, 65003] }, { type: AsPathSegmentType.AS_SET, asns: [1, 2, 3] }] }],
  ['as path segment type', { asPath: [{ type: AsPathSegmentType.AS_SET, asns: [65001, 65002] }, { type: AsPathSegmentType.AS_SET, asns: [1, 2, 3] }] }],
  ['empty as path', { asPath: [] }],
  ['next hop', { nextHop: Uint8Array.of(192, 0, 2, 2) }],
  ['med 0', { med: 0 }],
  ['local pref', { localPref: 200 }],
  ['atomic aggregate', { atomicAggregate: true }],
  ['aggregator', { aggregator: { asn: 1, address: Uint8Array.of(1, 2, 3, 4) } }],
  ['communities order', { communities: [0xfde80001, 0xfde80002] }],
  ['no communities', { communities: undefined }],
  ['originator id', { originatorId: 0x0a000001 }],
  ['cluster list', { clusterList: [1] }],
  ['ext communities', { extCommunities: [Uint8Array.of(0, 2, 0, 1, 0, 0, 0, 1)] }],
  ['large communities', { largeCommunities: [{ global: 1, local1: 2, local2: 3 }] }],
  ['otc', { otc: 65001 }],
  ['unknown', { unknown: [{ flags: 0xc0, type: 99, value: Uint8Array.of(1) }] }],
  ['link-local next hop', { nextHopLinkLocal: new Uint8Array(16) }],
  ['dest', { dest: RouteDest.BLACKHOLE }],
  ['gateway', { gateway: Uint8Array.of(192, 0, 2, 1) }],
  ['ifname', { ifname: 'eth0' }],
  ['krt_metric', { krtMetric: 1024 }],
  ['krt_source', { krtSource: 3 }],
  ['krt_tunnel empty', { krtTunnel: '' }],
  ['krt_tunnel', { krtTunnel: 'tunl0' }],
];

for (const [label, hash] of [['default hash', undefined], ['forced-collision hash', () => 42]] as const) {
  describe(`AttrSetTable (${label})`, () => {
    test('equal attributes intern to one frozen object; refcounts; free at zero', () => {
      const t = new AttrSetTable(hash ? { hash } : {});
      const a = t.intern(fresh());
      const b = t.intern(fresh());
      assert.equal(a, b);
      assert.ok(Object.isFrozen(a) && Object.isFrozen(a.asPath) && Object.isFrozen(a.communities));
      assert.equal(t.refcount(a), 2);
      assert.equal(t.size, 1);
      assert.equal(t.intern(a), a, 're-interning a set returns itself');
      assert.equal(t.refcount(a), 3);
      t.ref(a);
      assert.equal(t.stats().refs, 4);
      for (let i = 0; i < 3; i++) t.unref(a);
      assert.equal(t.get(a.id), a);
      t.unref(a);
      assert.equal(t.size, 0);
      assert.equal(t.get(a.id), undefined);
      assert.equal(t.refcount(a), 0);
      assert.throws(() => t.unref(a), { code: 'ERR_ATTR_SET_FREED' });
      const c = t.intern(fresh());
      assert.notEqual(c, a, 'a freed set is not resurrected');
      assert.equal(c.id, a.id, 'its id is reused');
      assert.ok(attributesEqual(c, a));
    });

    test('every field distinguishes sets', () => {
      const t = new AttrSetTable(hash ? { hash } : {});
      const sets = [t.intern(fresh()), ...variants.map(([, v]) => t.intern(fresh(v)))];
      assert.equal(new Set(sets).size, sets.length);
      assert.equal(new Set(sets.map((s) => s.id)).size, sets.length, 'ids unique among live sets');
      assert.equal(t.size, sets.length);
      // Interning again finds each one, even all in one bucket.
      for (const [i, [name, v]] of variants.entries()) assert.equal(t.intern(fresh(v)), sets[i + 1], name);
      // Free from the middle of a collision chain, then the others are still found.
      t.unref(sets[5]!); t.unref(sets[5]!);
      t.unref(sets[0]!); // its only reference
      assert.equal(t.intern(fresh(variants[10]![1])), sets[11]);
      assert.equal(t.get(sets[5]!.id), undefined);
      assert.equal(t.get(sets[0]!.id), undefined);
      assert.equal(t.size, sets.length - 2);
    });

    test('interned copies are not affected by later mutation of the input', () => {
      const t = new AttrSetTable(hash ? { hash } : {});
      const input = { ...fresh(), communities: [1, 2] };
      const s = t.intern(input);
      input.communities.push(3);
      (input.nextHop as Uint8Array)[3] = 99;
      assert.deepEqual(s.communities, [1, 2]);
      assert.equal(s.nextHop![3], 1);
      assert.equal(t.intern(fresh({ communities: [1, 2] })), s);
    });

    test('stats count live sets and bytes', () => {
      const t = new AttrSetTable(hash ? { hash } : {});
      const empty = t.stats().bytes;
      const sets = Array.from({ length: 200 }, (_, i) => t.intern(fresh({ med: i })));
      const st = t.stats();
      assert.equal(st.count, 200);
      assert.equal(st.refs, 200);
      assert.ok(st.bytes > empty + 200 * 200, `bytes ${st.bytes}`);
      for (const s of sets) t.unref(s);
      assert.equal(t.stats().count, 0);
      assert.ok(t.stats().bytes < st.bytes);
    });
  });
}

describe('derived values', () => {
  const t = new AttrSetTable();
  test('AS path length, neighbour AS, cluster list length', () => {
    const s = t.intern(fresh({ clusterList: [1, 2, 3] }));
    assert.equal(s.asPathLength, 3, 'sequence of 2 + a set counting 1');
    assert.equal(s.neighbourAs, 65001);
    assert.equal(s.clusterListLength, 3);
    const confed = t.intern({ asPath: [{ type: AsPathSegmentType.AS_CONFED_SEQUENCE, asns: [64512] }, { type: AsPathSegmentType.AS_SEQUENCE, asns: [7] }] });
    assert.equal(confed.asPathLength, 1, 'confederation segments count 0 (RFC 5065 §5.3)');
    assert.equal(confed.neighbourAs, -1, 'no leading AS_SEQUENCE');
    const none = t.intern({ origin: Origin.IGP });
    assert.equal(none.asPathLength, AS_PATH_MAXLEN);
    assert.equal(none.clusterListLength, 0);
  });
});

describe('random attributes', () => {
  const attrArb: fc.Arbitrary<RouteAttributes> = fc.record(
    {
      origin: fc.constantFrom(Origin.IGP, Origin.EGP, Origin.INCOMPLETE),
      asPath: fc.array(fc.record({ type: fc.constantFrom(AsPathSegmentType.AS_SEQUENCE, AsPathSegmentType.AS_SET), asns: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }) }), { maxLength: 2 }),
      med: fc.integer({ min: 0, max: 2 }),
      localPref: fc.integer({ min: 99, max: 100 }),
      communities: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
      nextHop: fc.constantFrom(Uint8Array.of(1, 1, 1, 1), Uint8Array.of(1, 1, 1, 2)),
      ifname: fc.constantFrom('eth0', 'eth1', ''),
      krtMetric: fc.integer({ min: 0, max: 1 }),
    },
    { requiredKeys: [] },
  );
  test('intern(x) === intern(y) iff attributesEqual(x, y); equal ⇒ equal hash', () => {
    fc.assert(
      fc.property(attrArb, attrArb, (x, y) => {
        for (const t of [new AttrSetTable(), new AttrSetTable({ hash: (a) => (a.med ?? 7) & 1 })]) {
          const eq = attributesEqual(x, y);
          assert.equal(t.intern(x) === t.intern(y), eq);
          if (eq) assert.equal(hashAttributes(x), hashAttributes(y));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

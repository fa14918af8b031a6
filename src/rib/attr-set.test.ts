// Interning: equal attributes give the same frozen object, refcounts free at zero, ids are
// reused only after freeing, hash collisions are resolved by full equality (forced with a
// constant hash), and the default hash tells apart what equality tells apart. Layout: the
// rare fields (side objects behind getters) round-trip one at a time and all together, sets
// with and without them share one prototype and one list of own properties, and AS paths
// are stored once per table.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttrSetTable, attributesEqual, bgpRouteAttributes, copyAttributes, hashAttributes, RouteDest, AS_PATH_MAXLEN, type AttrSet, type RouteAttributes } from './attr-set.js';
import { AsPathSegmentType, Origin } from '../bgp/codec/types.js';
import { detachOnRetire } from './columns.js';

// Every column growth detaches the old column (the daemon never does): code that kept a
// column across a growth would read a detached, empty one.
detachOnRetire(0);

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
  ['next hops', { dest: RouteDest.MULTIPATH, nextHops: [{ gateway: Uint8Array.of(192, 0, 2, 7), ifname: 'eth0', weight: 1 }, { gateway: Uint8Array.of(192, 0, 2, 8), ifname: 'eth1', weight: 2 }] }],
  ['krt_prefsrc', { krtPrefsrc: Uint8Array.of(192, 0, 2, 99) }],
  ['krt_realm', { krtRealm: 7 }],
  ['krt_scope', { krtScope: 253 }],
  ['krt_mtu', { krtMetrics: { 2: 1400 } }],
  ['krt_mtu value', { krtMetrics: { 2: 1500 } }],
  ['krt_mtu and lock', { krtMetrics: { 1: 4, 2: 1400 } }],
];

for (const [label, hash] of [['default hash', undefined], ['forced-collision hash', () => 42]] as const) {
  describe(`AttrSetTable (${label})`, () => {
    test('equal attributes intern to one frozen object; refcounts; free at zero', () => {
      const t = new AttrSetTable(hash ? { hash } : {});
      const input = fresh();
      const a = t.intern(input);
      const b = t.intern(fresh());
      assert.equal(a, b);
      assert.ok(Object.isFrozen(a));
      // The lists are the set's own copies (not frozen: read-only by type): the caller's
      // arrays stay the caller's, and writing into them changes no set.
      assert.notEqual(a.communities, input.communities);
      assert.notEqual(a.asPath, input.asPath);
      (input.communities as number[])[0] = 1;
      (input.asPath![0]!.asns as number[])[0] = 1;
      assert.deepEqual(a.communities, base.communities);
      assert.deepEqual(a.asPath, base.asPath);
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
      assert.ok(st.bytes > empty + 200 * 96, `bytes ${st.bytes}: at least a 96-byte object a set`);
      for (const s of sets) t.unref(s);
      assert.equal(t.stats().count, 0);
      assert.ok(t.stats().bytes < st.bytes);
      // A free takes off exactly what the insert added (the estimate is made again, not kept).
      const again = Array.from({ length: 200 }, (_, i) => t.intern(fresh({ med: i })));
      assert.equal(t.stats().bytes, st.bytes);
      for (const s of again) t.unref(s);
    });
  });
}

describe('the default hash', () => {
  test('an absent field hashes apart from a zero or empty one, and a value apart from the same value in another field', () => {
    const variants: RouteAttributes[] = [
      {},
      { med: 0 },
      { localPref: 0 },
      { originatorId: 0 },
      { origin: 0 },
      { communities: [] },
      { clusterList: [] },
      { asPath: [] },
      { med: 0, localPref: 0 },
      { krtMetric: 0 },
      { atomicAggregate: false },
    ];
    const hashes = variants.map(hashAttributes);
    assert.equal(new Set(hashes).size, variants.length, JSON.stringify(hashes));
    // Deterministic: the same fields in another object hash alike.
    assert.equal(hashAttributes({ med: 0, localPref: 0 }), hashAttributes(copyAttributes({ localPref: 0, med: 0 })));
  });
});

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

// ---- layout: frequent fields own, rare ones in side objects behind getters -----------------

/** Every field that lives in a side object, each with a value, fresh on every call. */
const rareFields = (): Partial<RouteAttributes> => ({
  atomicAggregate: true,
  aggregator: { asn: 65010, address: Uint8Array.of(10, 0, 0, 1) },
  originatorId: 0x0a000002,
  clusterList: [0x0a000003, 0x0a000004],
  extCommunities: [Uint8Array.of(0, 2, 0xfd, 0xe8, 0, 0, 0, 7)],
  largeCommunities: [{ global: 65000, local1: 1, local2: 2 }],
  otc: 65020,
  unknown: [{ flags: 0xe0, type: 200, value: Uint8Array.of(9, 8, 7) }],
  nextHopLinkLocal: Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
  krtMetric: 1024,
  krtSource: 3,
  krtTunnel: 'tunl0',
  nextHops: [{ gateway: Uint8Array.of(192, 0, 2, 7), ifname: 'eth0', weight: 1 }, { gateway: Uint8Array.of(192, 0, 2, 8), ifname: 'eth1', weight: 3 }],
  krtPrefsrc: Uint8Array.of(192, 0, 2, 10),
  krtRealm: 5,
  krtScope: 253,
  krtMetrics: { 1: 4, 2: 1400, 12: 1 },
});
const RARE_KEYS = Object.keys(rareFields()) as (keyof RouteAttributes)[];
/** A set's pooled Hop (a private field, read for the layout tests). */
const hopOfSet = (s: AttrSet): object => (s as unknown as { hop: object }).hop;
/** The fields of the pooled Hop. */
const HOP_KEYS: (keyof RouteAttributes)[] = ['nextHop', 'dest', 'gateway', 'ifname'];

/** What a set reads as, field by field, in plain form (Uint8Arrays as number arrays). */
const plain = (a: RouteAttributes): Record<string, unknown> =>
  JSON.parse(JSON.stringify(copyAttributes(a), (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v === undefined ? null : v))) as Record<string, unknown>;

describe('rare fields (side objects behind getters)', () => {
  test('the layout test covers every RouteAttributes field that is not an own property', () => {
    const t = new AttrSetTable();
    const own = Object.getOwnPropertyNames(t.intern(fresh()));
    const all = Object.keys(copyAttributes({}));
    assert.deepEqual(all.filter((k) => !own.includes(k)).sort(), [...RARE_KEYS, ...HOP_KEYS].sort());
  });

  test('each one round-trips through intern on its own, and reads undefined when absent', () => {
    const t = new AttrSetTable();
    const plainSet = t.intern(fresh());
    for (const k of RARE_KEYS) assert.equal(plainSet[k], undefined, k);
    for (const k of RARE_KEYS) {
      const input = fresh({ [k]: rareFields()[k] });
      const s = t.intern(input);
      assert.notEqual(s, plainSet, k);
      assert.deepEqual(plain(s), plain(input), k);
      assert.ok(attributesEqual(s, input), k);
      assert.equal(hashAttributes(s), hashAttributes(input), `${k}: a set hashes like its input`);
      for (const other of RARE_KEYS) if (other !== k) assert.equal(s[other], undefined, `${k}: ${other}`);
      assert.equal(t.intern(fresh({ [k]: rareFields()[k] })), s, `${k}: equal fresh input finds the set`);
      assert.equal(t.intern(copyAttributes(s)), s, `${k}: its copy finds the set`);
    }
  });

  test('all together round-trip, and the derived cluster list length follows', () => {
    const t = new AttrSetTable();
    const input = fresh(rareFields());
    const s = t.intern(input);
    assert.deepEqual(plain(s), plain(input));
    assert.equal(s.clusterListLength, 2);
    assert.equal(t.intern(fresh()).clusterListLength, 0);
    assert.equal(t.intern(fresh(rareFields())), s);
    assert.equal(t.refcount(s), 2);
    // Kernel fields alone and BGP rare fields alone are other sets.
    const bgpOnly = Object.fromEntries(RARE_KEYS.filter((k) => !k.startsWith('krt') && k !== 'nextHops').map((k) => [k, rareFields()[k]]));
    const krtOnly = Object.fromEntries(RARE_KEYS.filter((k) => k.startsWith('krt') || k === 'nextHops').map((k) => [k, rareFields()[k]]));
    const b = t.intern(fresh(bgpOnly)), k = t.intern(fresh(krtOnly));
    assert.equal(new Set([s, b, k, t.intern(fresh())]).size, 4);
    assert.deepEqual(plain(b), plain(fresh(bgpOnly)));
    assert.deepEqual(plain(k), plain(fresh(krtOnly)));
  });

  test('equal with and without rare fields: same set when equal, different when not', () => {
    for (const t of [new AttrSetTable(), new AttrSetTable({ hash: () => 1 })]) {
      const none = t.intern(fresh());
      // A rare field given as undefined is absent.
      assert.equal(t.intern({ ...fresh(), originatorId: undefined, krtTunnel: undefined, nextHops: undefined }), none);
      const one = t.intern(fresh({ originatorId: 1 }));
      assert.notEqual(one, none);
      assert.equal(t.intern(fresh({ originatorId: 1 })), one);
      assert.notEqual(t.intern(fresh({ originatorId: 2 })), one);
      // 0 and '' are values, not absence.
      assert.notEqual(t.intern(fresh({ otc: 0 })), none);
      assert.notEqual(t.intern(fresh({ krtTunnel: '' })), none);
      assert.notEqual(t.intern(fresh({ krtMetric: 0 })), none);
      assert.equal(t.intern(fresh({ krtMetric: 0 })).krtMetric, 0);
      // Lists compare by value, in order.
      assert.equal(t.intern(fresh({ clusterList: [1, 2] })), t.intern(fresh({ clusterList: [1, 2] })));
      assert.notEqual(t.intern(fresh({ clusterList: [1, 2] })), t.intern(fresh({ clusterList: [2, 1] })));
      assert.notEqual(t.intern(fresh({ krtTunnel: 'tunl0', krtMetric: 1 })), t.intern(fresh({ krtTunnel: 'tunl0' })));
    }
  });

  test('copyAttributes of a set keeps every field, rare ones included; an edited copy interns with them', () => {
    const t = new AttrSetTable();
    const s = t.intern(fresh(rareFields()));
    const c = copyAttributes(s);
    assert.equal(Object.getPrototypeOf(c), Object.prototype, 'a plain object');
    for (const k of RARE_KEYS) assert.ok(Object.hasOwn(c, k) && c[k] !== undefined, k);
    assert.deepEqual(plain(c), plain(fresh(rareFields())));
    c.med = 77;
    const e = t.intern(c);
    assert.notEqual(e, s);
    assert.equal(e.med, 77);
    assert.deepEqual(plain({ ...copyAttributes(e), med: undefined }), plain(s));
    assert.equal(e.krtTunnel, 'tunl0');
    assert.equal(e.originatorId, 0x0a000002);
  });

  test('bgpRouteAttributes over a set keeps its rare fields and sets the MP next hop', () => {
    const t = new AttrSetTable();
    const s = t.intern(fresh({ originatorId: 9, clusterList: [1], krtMetric: 3 }));
    const global = Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    const a = bgpRouteAttributes(s, { global, linkLocal: rareFields().nextHopLinkLocal! });
    assert.deepEqual(plain(a), plain(fresh({ originatorId: 9, clusterList: [1], krtMetric: 3, nextHop: global, nextHopLinkLocal: rareFields().nextHopLinkLocal! })));
    assert.equal(bgpRouteAttributes(s, { global }).nextHopLinkLocal, undefined);
    assert.equal(bgpRouteAttributes(s), s);
  });

  test('frozen, side objects and their lists included; a mutated input does not reach the set', () => {
    const t = new AttrSetTable();
    const input = fresh(rareFields()) as { -readonly [K in keyof RouteAttributes]: RouteAttributes[K] };
    const s = t.intern(input);
    assert.ok(Object.isFrozen(s));
    assert.throws(() => { (s as { med?: number }).med = 1; }, TypeError);
    assert.throws(() => { (s as { originatorId?: number }).originatorId = 1; }, TypeError, 'a getter without a setter');
    assert.throws(() => { (s as { krtTunnel?: string }).krtTunnel = 'x'; }, TypeError);
    assert.equal(s.originatorId, 0x0a000002);
    for (const k of ['clusterList', 'extCommunities', 'largeCommunities', 'unknown', 'nextHops', 'aggregator'] as const) assert.ok(Object.isFrozen(s[k]), k);
    assert.ok(Object.isFrozen(s.nextHops![0]) && Object.isFrozen(s.unknown![0]) && Object.isFrozen(s.largeCommunities![0]));
    (input.clusterList as number[]).push(9);
    (input.nextHops![0]!.gateway)[3] = 99;
    input.aggregator!.address[0] = 99;
    (input.extCommunities![0]!)[7] = 99;
    assert.deepEqual(s.clusterList, [0x0a000003, 0x0a000004]);
    assert.equal(s.nextHops![0]!.gateway[3], 7);
    assert.equal(s.aggregator!.address[0], 10);
    assert.equal(s.extCommunities![0]![7], 7);
    assert.equal(t.intern(fresh(rareFields())), s);
  });

  test('one prototype and one list of own properties, in one order, with and without rare fields', () => {
    const t = new AttrSetTable();
    const sets: AttrSet[] = [
      t.intern(fresh()),
      t.intern({}),
      t.intern(fresh(rareFields())),
      t.intern(fresh({ originatorId: 5 })),
      t.intern(fresh({ krtMetric: 5 })),
      t.intern({ dest: RouteDest.DEVICE, ifname: 'eth0', krtSource: 2 }),
    ];
    const proto = Object.getPrototypeOf(sets[0]);
    const names = Reflect.ownKeys(sets[0]!);
    for (const s of sets) {
      assert.equal(Object.getPrototypeOf(s), proto);
      assert.deepEqual(Reflect.ownKeys(s), names);
      assert.ok(Object.isFrozen(s));
    }
    // The fields that differ from set to set are own properties (read without a getter); the
    // pooled hop, the rare fields and the derived values are not.
    for (const k of ['id', 'origin', 'asPath', 'med', 'localPref', 'communities']) assert.ok(names.includes(k), k);
    for (const k of [...RARE_KEYS, ...HOP_KEYS, 'asPathLength', 'neighbourAs', 'clusterListLength']) assert.ok(!names.includes(k), k);
    // Sets with one next hop, dest, gateway and interface share one Hop.
    const x = t.intern(fresh({ med: 1 })), y = t.intern(fresh({ med: 2 }));
    assert.notEqual(x, y);
    assert.equal(hopOfSet(x), hopOfSet(y));
  });

  test('the hop pool empties when full and shares again; interning stays by value', () => {
    const t = new AttrSetTable();
    const gw = (i: number): Partial<RouteAttributes> => ({ gateway: Uint8Array.of(10, 1, i >> 8, i & 255) });
    const first = t.intern(fresh({ ...gw(0), med: 1 }));
    // More distinct hops than the pool holds (4096): it is emptied on the way.
    for (let i = 1; i < 5000; i++) t.intern(fresh(gw(i)));
    assert.equal(t.intern(fresh({ ...gw(0), med: 1 })), first, 'equal attributes, the same set');
    const x = t.intern(fresh({ ...gw(6000), med: 1 }));
    for (let i = 7000; i < 7004; i++) t.intern(fresh(gw(i))); // past the recent-hop check
    const y = t.intern(fresh({ ...gw(6000), med: 2 }));
    assert.notEqual(x, y);
    assert.equal(hopOfSet(x), hopOfSet(y), 'one Hop from the pool');
  });

  test('addresses are shared by value (a link-local next hop here), past the recent ones; the caller keeps its array; a free takes off what the insert added', () => {
    const t = new AttrSetTable();
    const ll = (i: number) => Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i >> 8, i & 255);
    const mine = ll(1);
    const a = t.intern(fresh({ nextHopLinkLocal: mine, med: 1 }));
    assert.notEqual(a.nextHopLinkLocal, mine, 'a copy, not the array given');
    mine[15] = 99;
    assert.deepEqual([...a.nextHopLinkLocal!], [...ll(1)], 'the caller writing into its array changes nothing');
    const sets = [a];
    for (let i = 2; i < 12; i++) sets.push(t.intern(fresh({ nextHopLinkLocal: ll(i), med: 1 })));
    const b = t.intern(fresh({ nextHopLinkLocal: ll(1), med: 2 }));
    assert.equal(b.nextHopLinkLocal, a.nextHopLinkLocal, 'one shared array for equal addresses, ten others later');
    sets.push(b);
    const full = t.stats().bytes;
    for (const s of sets) t.unref(s);
    const again = [1, ...Array.from({ length: 10 }, (_, i) => i + 2)].map((i) => t.intern(fresh({ nextHopLinkLocal: ll(i), med: 1 })));
    again.push(t.intern(fresh({ nextHopLinkLocal: ll(1), med: 2 })));
    assert.equal(t.stats().bytes, full);
    for (const s of again) t.unref(s);
  });

  test('stats: a set with side objects counts more bytes', () => {
    const a = new AttrSetTable(), b = new AttrSetTable();
    a.intern(fresh());
    b.intern(fresh({ originatorId: 1, krtMetric: 1 }));
    assert.ok(b.stats().bytes > a.stats().bytes, `${b.stats().bytes} > ${a.stats().bytes}`);
  });
});

describe('lists shared with the set they were derived from', () => {
  test('a set interned with `like` takes like\'s communities as they are; without it, a copy', () => {
    const t = new AttrSetTable();
    const rx = t.intern(fresh());
    // An export form: one more AS and another next hop, the received communities kept.
    const derived = (): RouteAttributes => ({ ...copyAttributes(rx), med: 7, nextHop: Uint8Array.of(192, 0, 2, 9) });
    const shared = t.intern(derived(), rx);
    assert.notEqual(shared, rx);
    assert.equal(shared.communities, rx.communities, 'the same array');
    const copied = t.intern({ ...derived(), med: 8 });
    assert.notEqual(copied.communities, rx.communities);
    assert.deepEqual(copied.communities, rx.communities);
    // `like` names where the array may come from; another array is still copied.
    const own = [...rx.communities!, 5];
    const other = t.intern({ ...derived(), communities: own }, rx);
    assert.notEqual(other.communities, own);
    assert.deepEqual(other.communities, own);
    // And a hit returns the existing set, whatever `like` says.
    assert.equal(t.intern(derived(), rx), shared);
    assert.equal(t.refcount(shared), 2);
  });
});

describe('shared AS paths', () => {
  test('equal paths in different sets are one path; freed with the last set that holds it', () => {
    for (const t of [new AttrSetTable(), new AttrSetTable({ hash: () => 3, pathHash: () => 5 })]) {
      const a = t.intern(fresh({ med: 1 })), b = t.intern(fresh({ med: 2 })), c = t.intern(fresh({ med: 3, asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65009] }] }));
      assert.notEqual(a, b);
      assert.equal(a.asPath, b.asPath, 'one path for both');
      assert.notEqual(a.asPath, c.asPath);
      assert.deepEqual(c.asPath, [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65009] }]);
      assert.equal(t.stats().paths, 2);
      const shared = a.asPath;
      t.unref(a);
      assert.equal(t.stats().paths, 2, 'still held by b');
      const d = t.intern(fresh({ med: 4 }));
      assert.equal(d.asPath, shared);
      t.unref(b);
      assert.equal(t.stats().paths, 2, 'still held by d');
      t.unref(d);
      assert.equal(t.stats().paths, 1, 'only c\'s path is left');
      const again = t.intern(fresh({ med: 1 }));
      assert.notEqual(again.asPath, shared, 'a freed path is not resurrected');
      assert.deepEqual(again.asPath, shared);
      t.unref(c);
      t.unref(again);
      assert.equal(t.stats().paths, 0);
      assert.equal(t.size, 0);
    }
  });

  for (const [label, pathHash] of [['default path hash', undefined], ['forced-collision path hash', () => -7]] as const)
  test(`an empty path, segment types and AS order keep paths apart (${label})`, () => {
    const t = new AttrSetTable(pathHash ? { pathHash } : {});
    const seq = (asns: number[], type = AsPathSegmentType.AS_SEQUENCE) => t.intern({ asPath: [{ type, asns }] });
    const sets = [t.intern({ asPath: [] }), t.intern({}), seq([1, 2]), seq([2, 1]), seq([1, 2], AsPathSegmentType.AS_SET), seq([1]), t.intern({ asPath: [{ type: 2, asns: [1] }, { type: 2, asns: [2] }] })];
    assert.equal(new Set(sets.map((s) => s.asPath)).size, sets.length);
    assert.equal(t.stats().paths, sets.length - 1, 'the set without AS_PATH holds none');
    assert.equal(sets[1]!.asPathLength, AS_PATH_MAXLEN);
    assert.equal(sets[0]!.asPathLength, 0);
  });

  test('random paths: sets share a path exactly when the paths are equal', () => {
    const segArb = fc.record({ type: fc.constantFrom(AsPathSegmentType.AS_SEQUENCE, AsPathSegmentType.AS_SET), asns: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(segArb, { maxLength: 2 }), fc.integer({ min: 0, max: 3 })), { maxLength: 30 }), fc.boolean(), (rows, collide) => {
        const t = new AttrSetTable(collide ? { pathHash: (p) => p.length } : {});
        const sets = rows.map(([asPath, med]) => t.intern({ asPath, med }));
        const key = (p: RouteAttributes['asPath']) => JSON.stringify(p);
        for (let i = 0; i < sets.length; i++) {
          assert.equal(key(sets[i]!.asPath), key(rows[i]![0]));
          for (let j = 0; j < i; j++) assert.equal(sets[i]!.asPath === sets[j]!.asPath, key(rows[i]![0]) === key(rows[j]![0]));
        }
        assert.equal(t.stats().paths, new Set(rows.map(([p]) => key(p))).size);
        // Free every other set, then intern everything again: the pool's chains stay sound.
        for (let i = 0; i < sets.length; i += 2) t.unref(sets[i]!);
        const again = rows.map(([asPath, med]) => t.intern({ asPath, med }));
        for (let i = 0; i < sets.length; i++) {
          if (i % 2 === 1) assert.equal(again[i], sets[i]);
          for (let j = 0; j < i; j++) assert.equal(again[i]!.asPath === again[j]!.asPath, key(rows[i]![0]) === key(rows[j]![0]));
        }
        for (let i = 1; i < sets.length; i += 2) t.unref(sets[i]!);
        for (const s of again) t.unref(s);
        assert.equal(t.stats().paths, 0);
        assert.equal(t.size, 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the index of ids (IdIndex) under interning and freeing', () => {
  // Hashes with few distinct values whose low bits are all ones: every probe run starts at
  // the last slots and wraps around, and a freed set in the middle of a run makes the later
  // ones shift back. Hundreds of live sets grow the index several times on the way.
  const skewed = (k: number) => -1 - (k & 3);
  test('random intern / unref against a model: a live set is always found, a freed one never comes back', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { minLength: 50, maxLength: 1500 }), fc.boolean(), (ops, collide) => {
        const t = collide ? new AttrSetTable({ hash: (a) => skewed(a.med ?? 0), pathHash: (p) => skewed(p[0]?.asns[0] ?? 0) }) : new AttrSetTable();
        const live = new Map<number, { set: AttrSet; refs: number }>();
        const freed = new Set<AttrSet>();
        const attrs = (k: number): RouteAttributes => ({ med: k, asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [k % 37, 65000] }] });
        for (const [add, k0] of ops) {
          const keys = [...live.keys()];
          const k = add || keys.length === 0 ? k0 : keys[k0 % keys.length]!;
          if (add || keys.length === 0) {
            const s = t.intern(attrs(k));
            const m = live.get(k);
            if (m) {
              assert.equal(s, m.set);
              m.refs++;
            } else {
              assert.ok(!freed.has(s), 'a freed set is not resurrected');
              assert.equal(s.med, k);
              live.set(k, { set: s, refs: 1 });
            }
          } else {
            const m = live.get(k)!;
            t.unref(m.set);
            if (--m.refs === 0) {
              live.delete(k);
              freed.add(m.set);
            }
          }
          assert.equal(t.size, live.size);
        }
        // Every live set is found again, by value, and the paths are those of the live sets.
        for (const [k, m] of live) {
          assert.equal(t.intern(attrs(k)), m.set);
          t.unref(m.set);
          assert.equal(t.refcount(m.set), m.refs);
        }
        assert.equal(t.stats().paths, new Set([...live.keys()].map((k) => k % 37)).size);
        for (const m of live.values()) for (let i = 0; i < m.refs; i++) t.unref(m.set);
        assert.equal(t.size, 0);
        assert.equal(t.stats().paths, 0);
      }),
      { numRuns: 200 },
    );
  });
});

// The routing table (src/rib/table.ts) against a model: random sequences of imports,
// replacements, withdrawals and flushes from several sources over IPv4 and IPv6 nets,
// checked after every step for the candidates of each net (arrival order, values), the
// best route (best-path.ts's selectBest over the model's candidates), the announcements
// heard by a 'best' and an 'any' subscriber, the counters (preferred routes per source too)
// and the attribute-set references.
// Sources come and go (a flushed source replaced by a new RouteSource object, as a session
// that flaps gets), and the table's registry of source ids must hold exactly the sources
// that have candidates: ids are freed and reused, so it does not grow.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RoutingTable, UpdateResult, type NetEntry, type TableSubscriber } from '../../src/rib/table.js';
import { selectBest } from '../../src/rib/best-path.js';
import { intern, unref, attrSets, type AttrSet, type RouteAttributes } from '../../src/rib/attr-set.js';
import { Afi, parsePrefix, formatPrefix, type Prefix } from '../../src/rib/prefix.js';
import { makeRoute, type Route, type RouteSource } from '../../src/rib/route.js';
import { detachOnRetire } from '../../src/rib/columns.js';

// Every column growth detaches the old column (the daemon never does): code that kept a
// column across a growth would read a detached, empty one.
detachOnRetire(0);

const bgpSource = (name: string, routerId: number, peerAs: number): RouteSource => ({
  name,
  kind: 'bgp',
  bgp: { address: new Uint8Array([10, 0, 0, routerId]), routerId, peerAs, localAs: 65000, ebgp: peerAs !== 65000 },
});
const SOURCES: RouteSource[] = [
  bgpSource('peer1', 1, 65001),
  bgpSource('peer2', 2, 65002),
  bgpSource('ibgp3', 3, 65000),
  { name: 'static1', kind: 'static' },
];
const PREFIXES: Prefix[] = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '192.0.2.0/24', '0.0.0.0/0', 'fd00::/48', 'fd00:0:0:1::/64'].map(parsePrefix);
const ATTRS: RouteAttributes[] = [
  { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: new Uint8Array([10, 0, 0, 1]) },
  { origin: 0, asPath: [{ type: 2, asns: [65001, 65010] }], nextHop: new Uint8Array([10, 0, 0, 1]) },
  { origin: 0, asPath: [{ type: 2, asns: [65002] }], nextHop: new Uint8Array([10, 0, 0, 2]), med: 5 },
  { origin: 1, asPath: [{ type: 2, asns: [65002] }], nextHop: new Uint8Array([10, 0, 0, 2]), localPref: 200 },
  { origin: 0, asPath: [], nextHop: new Uint8Array([10, 0, 0, 3]), localPref: 50 },
] as RouteAttributes[];

type Op =
  | { kind: 'put'; p: number; s: number; id: number; a: number; pref: number; reach: boolean; igp: number }
  | { kind: 'remove'; p: number; s: number; id: number }
  | { kind: 'flush'; s: number; renew: boolean }
  | { kind: 'pin'; p: number }
  | { kind: 'unpin'; p: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), p: fc.nat(PREFIXES.length - 1), s: fc.nat(SOURCES.length - 1), id: fc.nat(1), a: fc.nat(ATTRS.length - 1), pref: fc.constantFrom(100, 200), reach: fc.boolean(), igp: fc.constantFrom(0, 10, 0x80000000) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), p: fc.nat(PREFIXES.length - 1), s: fc.nat(SOURCES.length - 1), id: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const), s: fc.nat(SOURCES.length - 1), renew: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pin' as const), p: fc.nat(PREFIXES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unpin' as const), p: fc.nat(PREFIXES.length - 1) }) },
);

/** A candidate as compared: who, and everything it says. */
const describe = (r: Route | undefined): string =>
  r === undefined ? '-' : `${r.source.name}#${r.pathId} ${SETS.indexOf(r.attrs)} pref ${r.preference} ${r.reachable ? 'up' : 'down'} igp ${r.igpMetric} t ${r.learnedAt}`;
let SETS: AttrSet[] = [];

interface Heard {
  net: string;
  now: string;
  old: string;
}

/** The table's source registry: ids in use, and ids ever handed out (the high-water mark). */
function registry(table: RoutingTable): { live: number; ids: number } {
  return { live: table.sourceCount, ids: (table as unknown as { sources: unknown[] }).sources.length };
}

function recorder(mode: 'best' | 'any', log: Heard[]): TableSubscriber {
  return {
    exportMode: mode,
    tableChanged(net: NetEntry, now: Route | undefined, old: Route | undefined) {
      // The contract of TableSubscriber: `now` is one of net.routes, the same object.
      if (now !== undefined) assert.ok(net.routes.includes(now), 'now is one of net.routes');
      if (mode === 'best') assert.equal(now, net.best);
      log.push({ net: formatPrefix(net.prefix), now: describe(now), old: describe(old) });
    },
  };
}

test('table matches a model of candidates, best routes and announcements', () => {
  const baseline = attrSets.stats().count;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), (ops) => {
      SETS = ATTRS.map((a) => intern(a));
      const table = new RoutingTable();
      // This run's sources: a flush with `renew` replaces one by a new object (a new session).
      const sources = SOURCES.slice();
      const generation = SOURCES.map(() => 0);
      let renewed = 0;
      const best: Heard[] = [], any: Heard[] = [];
      table.subscribe(recorder('best', best));
      table.subscribe(recorder('any', any));
      // The model: per net, candidates in arrival order.
      const model = new Map<string, Route[]>();
      // Pins (an Adj-RIB-Out keeping state by net number): per net, how many and its number.
      const pins = new Map<string, { count: number; id: number }>();
      let clock = 1;
      const step = (p: Prefix, change: (list: Route[]) => { now?: Route; old?: Route } | null) => {
        const key = formatPrefix(p);
        const list = model.get(key) ?? [];
        const before = list.length ? selectBest(list, table.bestPathOptions).best : undefined;
        const res = change(list);
        if (list.length) model.set(key, list);
        else model.delete(key);
        if (res === null) return { expBest: [] as Heard[], expAny: [] as Heard[] };
        const after = list.length ? selectBest(list, table.bestPathOptions).best : undefined;
        const expAny = [{ net: key, now: describe(res.now), old: describe(res.old) }];
        const expBest = describe(after) === describe(before) ? [] : [{ net: key, now: describe(after), old: describe(before) }];
        return { expBest, expAny };
      };
      for (const op of ops) {
        best.length = 0;
        any.length = 0;
        let exp: { expBest: Heard[]; expAny: Heard[] } = { expBest: [], expAny: [] };
        if (op.kind === 'put') {
          const p = PREFIXES[op.p]!, source = sources[op.s]!;
          const t = clock++;
          const route = makeRoute({ prefix: p, attrs: SETS[op.a]!, source, pathId: op.id, preference: op.pref, reachable: op.reach, igpMetric: op.igp, learnedAt: t });
          let result = UpdateResult.NONE;
          exp = step(p, (list) => {
            const i = list.findIndex((r) => r.source === source && r.pathId === op.id);
            if (i < 0) {
              list.push(route);
              result = UpdateResult.ADDED;
              return { now: route };
            }
            const old = list[i]!;
            if (old.attrs === route.attrs && old.preference === route.preference && old.reachable === route.reachable && old.igpMetric === route.igpMetric) return null;
            list[i] = route;
            result = UpdateResult.REPLACED;
            return { now: route, old };
          });
          intern(ATTRS[op.a]!); // the reference the table takes over
          assert.equal(table.update(p, source, op.id, route), result);
        } else if (op.kind === 'remove') {
          const p = PREFIXES[op.p]!, source = sources[op.s]!;
          let result = UpdateResult.NONE;
          exp = step(p, (list) => {
            const i = list.findIndex((r) => r.source === source && r.pathId === op.id);
            if (i < 0) return null;
            const [old] = list.splice(i, 1);
            result = UpdateResult.REMOVED;
            return { old };
          });
          assert.equal(table.update(p, source, op.id, undefined), result);
        } else if (op.kind === 'pin') {
          // Only a net the table has can be pinned (an Adj-RIB-Out pins nets it heard of).
          const p = PREFIXES[op.p]!, key = formatPrefix(p);
          const id = table.netId(p);
          if (model.has(key) || pins.has(key)) {
            assert.ok(id >= 0, `net of ${key}`);
            const pin = pins.get(key) ?? { count: 0, id };
            pin.count++;
            pins.set(key, pin);
            table.pin(id);
          } else assert.equal(id, -1, `no net for ${key}`);
        } else if (op.kind === 'unpin') {
          const key = formatPrefix(PREFIXES[op.p]!);
          const pin = pins.get(key);
          if (pin !== undefined) {
            table.unpin(pin.id);
            if (--pin.count === 0) pins.delete(key);
          }
        } else {
          const source = sources[op.s]!;
          const all: { expBest: Heard[]; expAny: Heard[] } = { expBest: [], expAny: [] };
          let n = 0;
          // flush goes down the source's chain: forEachOf's order (its contents are checked
          // against the model after every step, below). Half the time in slices of 2.
          const order: { key: string; pathId: number }[] = [];
          table.forEachOf(source, (p, pathId) => order.push({ key: formatPrefix(p), pathId }));
          for (const { key, pathId } of order) {
            const p = PREFIXES.find((x) => formatPrefix(x) === key)!;
            const e = step(p, (list) => {
              const i = list.findIndex((r) => r.source === source && r.pathId === pathId);
              assert.ok(i >= 0, `${key}#${pathId} of ${source.name} in the model`);
              const [old] = list.splice(i, 1);
              return { old };
            });
            all.expBest.push(...e.expBest);
            all.expAny.push(...e.expAny);
            n++;
          }
          exp = all;
          if (op.renew) assert.equal(table.flush(source), n);
          else {
            let total = 0;
            for (let k = table.flushSome(source, 2); k > 0; k = table.flushSome(source, 2)) {
              assert.ok(k <= 2);
              total += k;
            }
            assert.equal(total, n);
          }
          if (op.renew) {
            // The same protocol, a new session: a new source object with a new name.
            sources[op.s] = { ...SOURCES[op.s]!, name: `${SOURCES[op.s]!.name}.${++generation[op.s]!}` };
            renewed++;
          }
        }
        assert.deepEqual(best, exp.expBest, `best subscriber after ${JSON.stringify(op)}`);
        assert.deepEqual(any, exp.expAny, `any subscriber after ${JSON.stringify(op)}`);
        // Every net: candidates and best; a pinned net keeps its number, with routes or not,
        // and one neither routed nor pinned has none.
        let routes = 0;
        for (const p of PREFIXES) {
          const list = model.get(formatPrefix(p));
          const net = table.get(p);
          const pin = pins.get(formatPrefix(p));
          if (pin !== undefined) assert.equal(table.netId(p), pin.id, `pinned ${formatPrefix(p)} keeps its number`);
          else if (list === undefined) assert.equal(table.netId(p), -1, `${formatPrefix(p)} freed`);
          if (net !== undefined) assert.equal(net.id, table.netId(p));
          // Longest match sees nets with routes only (the first address of each prefix).
          const lm = table.longestMatch(p.addr);
          const covering = [...model.keys()].map(parsePrefix).filter((q) => q.afi === p.afi && q.len <= p.len && cmpPrefix(maskTo(p, q.len), q) === 0);
          const expLm = covering.sort((a, b) => b.len - a.len)[0];
          assert.equal(lm === undefined ? '-' : formatPrefix(lm.prefix), expLm === undefined ? '-' : formatPrefix(expLm), `longest match for ${formatPrefix(p)}`);
          if (list === undefined) {
            assert.equal(net, undefined);
            continue;
          }
          routes += list.length;
          assert.ok(net);
          assert.deepEqual(net.routes.map(describe), list.map(describe));
          assert.equal(describe(net.best), describe(selectBest(list, table.bestPathOptions).best));
          assert.equal(net.reason, selectBest(list, table.bestPathOptions).reason);
          assert.equal(net.count, list.length);
        }
        assert.deepEqual(table.stats(), { nets: model.size, routes });
        // Preferred counts (kept as best routes change) are the model's best routes by source name.
        const preferred = new Map<string, number>();
        for (const list of model.values()) {
          const name = selectBest(list, table.bestPathOptions).best!.source.name;
          preferred.set(name, (preferred.get(name) ?? 0) + 1);
        }
        for (const name of new Set([...preferred.keys(), ...sources.map((x) => x.name), ...SOURCES.map((x) => x.name)])) {
          assert.equal(table.preferredCount(name), preferred.get(name) ?? 0, `preferred routes of ${name} after ${JSON.stringify(op)}`);
        }
        // A walk sees the same nets, in prefix order.
        const walked: string[] = [];
        table.walk((net) => walked.push(formatPrefix(net.prefix)));
        assert.deepEqual(walked.slice().sort(), [...model.keys()].sort());
        // So does a cursor, one net per call.
        const cursed: string[] = [];
        for (const afi of [Afi.IPV4, Afi.IPV6]) {
          const c = table.cursor(afi);
          for (let b = c.next(1); b.length > 0; b = c.next(1)) cursed.push(formatPrefix(b[0]!.prefix));
        }
        assert.deepEqual(cursed, walked);
        // Each source's candidates, by its own chain (forEachOf), are the model's.
        for (const source of sources) {
          const got: string[] = [];
          table.forEachOf(source, (p, pathId, attrs, _tag) => got.push(`${formatPrefix(p)}#${pathId} ${SETS.indexOf(attrs)}`));
          const want: string[] = [];
          for (const [net, list] of model) for (const r of list) if (r.source === source) want.push(`${net}#${r.pathId} ${SETS.indexOf(r.attrs)}`);
          assert.deepEqual(got.sort(), want.sort(), `candidates of ${source.name} after ${JSON.stringify(op)}`);
        }
        // The registry holds an id for exactly the sources with candidates, and never more
        // ids than sources alive at once (freed ids are reused).
        const withRoutes = new Set<RouteSource>();
        for (const list of model.values()) for (const r of list) withRoutes.add(r.source);
        const reg = registry(table);
        assert.equal(reg.live, withRoutes.size, `source ids in use after ${JSON.stringify(op)}`);
        assert.ok(reg.ids <= SOURCES.length, `registry of ${reg.ids} ids for ${SOURCES.length} sources alive at once (${renewed} renewed)`);
      }
      // Everything out: the table holds no attribute-set reference any more, and unpinned,
      // no net either.
      for (const s of sources) table.flush(s);
      for (const pin of pins.values()) for (let i = 0; i < pin.count; i++) table.unpin(pin.id);
      for (const p of PREFIXES) assert.equal(table.netId(p), -1);
      assert.deepEqual(table.stats(), { nets: 0, routes: 0 });
      assert.equal(registry(table).live, 0, 'no source id left in use');
      for (const s of SETS) unref(s);
      assert.equal(attrSets.stats().count, baseline, 'every reference dropped');
    }),
    { numRuns: 300, seed: 4242 },
  );
});

/** `p`'s address cut to `len` bits, as a prefix of that length. */
function maskTo(p: Prefix, len: number): Prefix {
  const addr = p.addr.slice();
  for (let i = 0; i < addr.length; i++) {
    const bits = Math.max(0, Math.min(8, len - 8 * i));
    addr[i] = addr[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return { afi: p.afi, len, addr };
}

function cmpPrefix(a: Prefix, b: Prefix): number {
  for (let i = 0; i < a.addr.length; i++) if (a.addr[i] !== b.addr[i]) return a.addr[i]! - b.addr[i]!;
  return a.len - b.len;
}

test('sessions that flap, each with a new source object, do not grow the source registry', () => {
  const table = new RoutingTable();
  const stay = SOURCES[0]!;
  const set = intern(ATTRS[0]!);
  const nets = PREFIXES.slice(0, 4);
  for (const p of nets) table.put(p, stay, 0, intern(ATTRS[0]!), 100, true, 0, 1);
  let bytesAfterFirst = 0;
  for (let round = 0; round < 500; round++) {
    const flapping: RouteSource = { ...SOURCES[1]!, name: `peer2.${round}` };
    for (const p of nets) table.put(p, flapping, 0, intern(ATTRS[2]!), 100, true, 0, round);
    assert.equal(registry(table).live, 2);
    assert.equal(table.get(nets[0]!)!.count, 2);
    assert.ok(table.get(nets[0]!)!.routes.some((r) => r.source === flapping), 'the new source is the one stored');
    // A withdrawal by an earlier, equal-looking source object finds nothing.
    if (round > 0) assert.equal(table.remove(nets[0]!, { ...SOURCES[1]!, name: `peer2.${round - 1}` }, 0), UpdateResult.NONE);
    assert.equal(table.flush(flapping), nets.length);
    assert.equal(table.flush(flapping), 0, 'a flushed source has no candidate left');
    if (round === 0) bytesAfterFirst = table.byteLength;
  }
  const reg = registry(table);
  assert.deepEqual(reg, { live: 1, ids: 2 }, '500 sessions came and went through two ids');
  assert.equal(table.get(nets[0]!)!.best!.source, stay);
  // `show memory` counts the registry: unchanged since the first round.
  assert.equal(table.byteLength, bytesAfterFirst);
  table.flush(stay);
  assert.deepEqual(registry(table), { live: 0, ids: 2 });
  unref(set);
});

test('source ids and pins are 16-bit: the 65,536th source with routes and the 65,536th pin are refused, and nothing is lost', () => {
  const table = new RoutingTable();
  // put takes over one reference to the set each time.
  const set = (): AttrSet => intern(ATTRS[0]!);
  // One route each, on a net of its own (a net with 65k candidates would make each put slow).
  const prefixOf = (i: number): Prefix => parsePrefix(`10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
  const sources = Array.from({ length: 0xffff }, (_, i): RouteSource => ({ ...SOURCES[1]!, name: `s${i}` }));
  sources.forEach((src, i) => table.put(prefixOf(i), src, 0, set(), 100, true, 0, 1));
  assert.equal(table.sourceCount, 0xffff);
  const one = { ...SOURCES[1]!, name: 'one too many' };
  const p = PREFIXES[3]!;
  const refused = set();
  assert.throws(() => table.put(p, one, 0, refused, 100, true, 0, 1), /more than 65535 route sources/);
  assert.equal(table.get(p), undefined, 'nothing half-added');
  unref(refused); // the refused put took nothing over
  assert.equal(table.get(prefixOf(7))!.best!.source, sources[7], 'the table is as it was');
  // A source that leaves frees its id for the next.
  assert.equal(table.flush(sources[7]!), 1);
  table.put(p, one, 0, set(), 100, true, 0, 1);
  assert.equal(table.get(p)!.best!.source, one);
  const n = table.netId(p);
  for (let i = 0; i < 0xffff; i++) table.pin(n);
  assert.throws(() => table.pin(n), /more than 65535 Adj-RIB-Outs/);
  for (let i = 0; i < 0xffff; i++) table.unpin(n);
  for (const src of [...sources, one]) table.flush(src);
  assert.equal(table.get(p), undefined);
  assert.equal(table.sourceCount, 0);
});

test('a net with one route is one slot; slots are reused after withdrawals', () => {
  const table = new RoutingTable();
  const src = SOURCES[0]!;
  const set = intern(ATTRS[0]!);
  for (let i = 0; i < 5000; i++) {
    const p = { afi: Afi.IPV4, len: 32, addr: new Uint8Array([10, 9, i >> 8, i & 255]) };
    table.update(p, src, 0, makeRoute({ prefix: p, attrs: intern(ATTRS[0]!), source: src }));
  }
  const slots = (table as unknown as { top: number }).top;
  assert.equal(slots, 5000);
  // `show memory` counts the columns (about 30 bytes a slot) and the trie (a node and an index pair a net at least).
  assert.ok(table.byteLength >= 5000 * (30 + 20 + 8), `byteLength ${table.byteLength}`);
  for (let i = 0; i < 5000; i++) table.update({ afi: Afi.IPV4, len: 32, addr: new Uint8Array([10, 9, i >> 8, i & 255]) }, src, 0, undefined);
  assert.deepEqual(table.stats(), { nets: 0, routes: 0 });
  for (let i = 0; i < 5000; i++) {
    const p = { afi: Afi.IPV4, len: 32, addr: new Uint8Array([10, 8, i >> 8, i & 255]) };
    table.update(p, src, 0, makeRoute({ prefix: p, attrs: intern(ATTRS[0]!), source: src }));
  }
  assert.equal((table as unknown as { top: number }).top, 5000, 'freed slots were reused');
  assert.equal(table.get({ afi: Afi.IPV4, len: 32, addr: new Uint8Array([10, 8, 1, 2]) })?.best?.attrs, set);
  table.flush(src);
  unref(set);
});

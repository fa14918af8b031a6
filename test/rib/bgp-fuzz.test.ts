// Mutated UPDATEs from three peers into one table, and what that table exports to a fourth.
// Each step encodes an UPDATE over a small pool of overlapping prefixes with varied
// attributes (AS loops, NO_EXPORT and NO_ADVERTISE, a 0.0.0.0 next hop, LOCAL_PREF and MED,
// ORIGINATOR_ID and CLUSTER_LIST from iBGP peers, our own among them), corrupts a third of
// them at the byte level (test/bgp/codec/fuzz-lib.ts), decodes it with the session's codec
// context and hands it to the protocol; an UPDATE the codec refuses resets that session, as
// its NOTIFICATION would. After every step:
// - each peer's routes in the table are exactly its Adj-RIB-In (import all), and the table
//   holds no other route;
// - the fourth peer's Adj-RIB-Out holds a prefix exactly when the export rules let the
//   table's best route for it go there, with the attributes those rules give it: to eBGP
//   our AS in front of the path and no NO_EXPORT / NO_ADVERTISE / NO_EXPORT_SUBCONFED route;
//   to an iBGP route-reflector client no NO_ADVERTISE route, the path as it is, and on a
//   reflected route ORIGINATOR_ID (kept, or the source's router id) and CLUSTER_LIST (our
//   cluster id in front) (RFC 1997, RFC 4271 §5.1.2, RFC 4456 §8); with ADD-PATH (RFC 7911)
//   a sends up to three paths per prefix and c has every exportable candidate, each under
//   its own path id;
// - with graceful restart negotiated (RFC 4724 helper side), a session that dies without a
//   NOTIFICATION leaves its routes in the table, stale; the peer's End-of-RIB after it comes
//   back leaves none stale;
// and at the end, every session down: no route, no net and no attribute-set reference left.
// FUZZ_SEED picks another run.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { BgpError, UpdateAction } from '../../src/bgp/errors.js';
import { MessageType, WellKnownCommunity, decodeMessage, encodeUpdate, type CodecContext, type PathAttributes, type UpdateMessage } from '../../src/bgp/codec/index.js';
import type { BgpProtocol } from '../../src/bgp/protocol.js';
import { attrSets } from '../../src/rib/attr-set.js';
import { formatPrefix, parsePrefix, type Nlri, type Prefix } from '../../src/rib/prefix.js';
import type { Route, RouteSource } from '../../src/rib/route.js';
import { localPathId } from '../../src/rib/channel.js';
import { mutate, rng } from '../bgp/codec/fuzz-lib.js';
import { LAB_ROUTER_ID, bgpLab, deliver, endOfRib, establish, negotiated, sessionDown } from '../helpers/socketless-bgp.js';

const POOL: Prefix[] = [
  '10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.128/25', '10.2.0.0/16', '10.2.3.0/24', '10.3.0.0/16', '10.3.4.0/24',
  '10.4.0.0/16', '10.4.5.0/24', '10.5.0.0/16', '10.5.6.0/24', '10.6.0.0/16', '10.7.0.0/16', '192.168.0.0/16', '192.168.1.0/24',
].map(parsePrefix);
const NO_EXPORTS = new Set<number>([WellKnownCommunity.NO_EXPORT, WellKnownCommunity.NO_ADVERTISE, WellKnownCommunity.NO_EXPORT_SUBCONFED]);
const CLUSTER_ID = 0x01010101;
const PEER_IDS = [0x0a000001, 0x0a000002, 0x0a000003, 0x0a000004];

type Internals = {
  source: RouteSource;
  adjRibIn: { forEach(fn: (p: Prefix, pathId: number, attrs: unknown, gen: number) => void): void };
  /** Graceful restart: routes of generations up to it are stale (-1: none). */
  staleMark: number;
  adjRibOut: {
    current(p: Prefix): PathAttributes | undefined;
    advertised(p: Prefix): { pathId: number; attrs: PathAttributes }[];
    queuedChanges(): { nlri: Nlri; want: PathAttributes | undefined }[];
  } | null;
  neg: { codec: CodecContext } | null;
};
const inside = (p: BgpProtocol) => p as unknown as Internals;

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

interface Topology {
  /** Peers a, b, d (the senders) and c (the receiver), each with its neighbor line. */
  readonly config: string;
  /**
   * What c should be sent for `route` (the best one; with ADD-PATH, any candidate) learned
   * from `from`: undefined for nothing, else the AS numbers and the reflection attributes.
   */
  expect(route: Route, from: BgpProtocol): { asns: number[]; originatorId?: number; clusterList?: number[] } | undefined;
  /** A sender that negotiates graceful restart: its session also dies without a NOTIFICATION, comes back, sends End-of-RIB. */
  readonly gr?: string;
  /** ADD-PATH (RFC 7911): a sends several paths per prefix (`add paths rx`), c gets every candidate (`add paths tx`). */
  readonly addPath?: boolean;
}

const asnsOf = (a: PathAttributes): number[] => (a.asPath ?? []).flatMap((s) => s.asns);
const hasAny = (a: PathAttributes, ks: ReadonlySet<number>): boolean => (a.communities ?? []).some((k) => ks.has(k));
/** a (AS 65001) and d (AS 65003) over eBGP, b over iBGP, to c over eBGP (AS 65002); `aOpts`, `cOpts`: more options of a and c. */
const ebgpPeers = (aOpts = '', cOpts = ''): string => `
protocol bgp a from t { neighbor 192.0.2.11 as 65001; source address 192.0.2.1; ${aOpts} }
protocol bgp b from t { neighbor 192.0.2.12 as 65000; source address 192.0.2.1; direct; gateway direct; }
protocol bgp d from t { neighbor 192.0.2.13 as 65003; source address 192.0.2.1; }
protocol bgp c from t { neighbor 192.0.2.14 as 65002; source address 192.0.2.1; ${cOpts} }
`;
/** To an eBGP peer: our AS in front, nothing with NO_EXPORT, NO_ADVERTISE or NO_EXPORT_SUBCONFED. */
const toEbgp: Topology['expect'] = (route) => (hasAny(route.attrs, NO_EXPORTS) ? undefined : { asns: [65000, ...asnsOf(route.attrs)] });

async function fuzzTopology(t: TestContext, topo: Topology): Promise<void> {
  const r = rng(Number(process.env.FUZZ_SEED ?? 1127));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const baseline = attrSets.stats().count;
  const { table, bgp } = bgpLab(topo.config);
  const senders = ['a', 'b', 'd'].map((n) => bgp.get(n)!);
  const out = bgp.get('c')!;
  const ids = new Map<BgpProtocol, number>([...senders, out].map((p, i) => [p, PEER_IDS[i]!]));
  const grPeer = topo.gr === undefined ? undefined : bgp.get(topo.gr)!;
  const multi = topo.addPath ? new Set([senders[0]!, out]) : new Set<BgpProtocol>();
  const neg = (p: BgpProtocol, restarting = false) =>
    negotiated(p, ids.get(p)!, { addPath: multi.has(p), ...(p === grPeer ? { gr: { restartTime: 120, restarting } } : {}) });
  for (const p of bgp.values()) establish(p, neg(p));
  await settle(); // c's update group has fed its (empty) table: from now on changes go out as they come

  const update = (p: BgpProtocol): UpdateMessage => {
    const c = p.config;
    const ebgp = c.localAs !== c.neighborAs;
    const some = () => POOL.filter(() => r() < 0.2).map((x): Nlri => ({ ...x, pathId: multi.has(p) ? 1 + Math.floor(r() * 3) : 0 }));
    const path = Array.from({ length: Math.floor(r() * 4) }, () => pick([64500, 64501, 64502, 65000, 65002, 4200000000]));
    const attributes: PathAttributes = {
      origin: pick([0, 1, 2] as const),
      asPath: ebgp ? [{ type: 2, asns: [c.neighborAs, ...path] }] : path.length ? [{ type: 2, asns: path }] : [],
      nextHop: r() < 0.05 ? Uint8Array.of(0, 0, 0, 0) : Uint8Array.of(192, 0, 2, 11 + senders.indexOf(p)),
      ...(r() < 0.5 ? { med: Math.floor(r() * 3) * 10 } : {}),
      ...(!ebgp ? { localPref: pick([50, 100, 200]) } : {}),
      ...(r() < 0.3 ? { communities: [pick([(65000 << 16) | 1, WellKnownCommunity.NO_EXPORT, WellKnownCommunity.NO_ADVERTISE, WellKnownCommunity.NO_EXPORT_SUBCONFED])] } : {}),
      // Reflected routes (ours among them: a loop, withdrawn on import).
      ...(!ebgp && r() < 0.3 ? { originatorId: pick([0x0a000009, LAB_ROUTER_ID]) } : {}),
      ...(!ebgp && r() < 0.3 ? { clusterList: pick([[0x02020202], [0x02020202, 0x03030303], [CLUSTER_ID]]) } : {}),
    };
    const nlri = some();
    return { type: MessageType.UPDATE, withdrawn: r() < 0.4 ? some() : [], attributes: nlri.length ? attributes : {}, nlri, action: UpdateAction.NONE, errors: [] };
  };

  const seen = { sent: 0, 'held back': 0, 'no route': 0 };
  let multiPath = 0; // prefixes × steps with more than one path to c
  const check = (step: string) => {
    let held = 0;
    for (const p of [...senders, out]) {
      const want: string[] = [];
      inside(p).adjRibIn.forEach((x, pathId) => want.push(`${formatPrefix(x)}#${pathId}`));
      const got: string[] = [];
      table.forEachOf(inside(p).source, (x, pathId) => got.push(`${formatPrefix(x)}#${pathId}`));
      assert.deepEqual(got.sort(), want.sort(), `${p.name}: table against Adj-RIB-In after ${step}`);
      held += got.length;
    }
    // …and nothing else: no route left behind by a session that went down.
    assert.equal(table.stats().routes, held, `routes in the table after ${step}`);
    const adjOut = inside(out).adjRibOut!;
    // With ADD-PATH tx every candidate goes out under its own path id (channel.ts localPathId).
    // What c is to have: what was drained for it, overridden by what waits in the queue.
    const queued = new Map<string, Map<number, PathAttributes | undefined>>();
    if (topo.addPath) {
      for (const q of adjOut.queuedChanges()) {
        const k = formatPrefix(q.nlri);
        if (!queued.has(k)) queued.set(k, new Map());
        queued.get(k)!.set(q.nlri.pathId, q.want);
      }
    }
    for (const x of POOL) {
      const net = table.get(x);
      const want = new Map<number, NonNullable<ReturnType<Topology['expect']>>>();
      for (const rt of topo.addPath ? net?.routes ?? [] : net?.best ? [net.best] : []) {
        const from = [...senders, out].find((p) => inside(p).source === rt.source);
        const w = from && from !== out ? topo.expect(rt, from) : undefined;
        if (w !== undefined) want.set(topo.addPath ? localPathId(rt) : 0, w);
      }
      let got: Map<number, PathAttributes>;
      if (topo.addPath) {
        got = new Map(adjOut.advertised(x).map((a) => [a.pathId, a.attrs]));
        for (const [id, a] of queued.get(formatPrefix(x)) ?? []) {
          if (a === undefined) got.delete(id);
          else got.set(id, a);
        }
      } else {
        const sent = adjOut.current(x);
        got = new Map(sent === undefined ? [] : [[0, sent]]);
      }
      seen[got.size > 0 ? 'sent' : net !== undefined ? 'held back' : 'no route']++;
      if (got.size > 1) multiPath++;
      const what = `${formatPrefix(x)} to c after ${step} (candidates from ${net?.routes.map((rt) => `${rt.source.name}#${rt.pathId}`).join(' ')})`;
      assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `paths of ${what}`);
      for (const [id, w] of want) {
        const a = got.get(id)!;
        assert.deepEqual(asnsOf(a), w.asns, `AS path of ${what}, path ${id}`);
        assert.equal(a.originatorId, w.originatorId, `ORIGINATOR_ID of ${what}, path ${id}`);
        assert.deepEqual(a.clusterList, w.clusterList, `CLUSTER_LIST of ${what}, path ${id}`);
      }
    }
  };

  let decoded = 0, refused = 0;
  const gr = { crashed: 0, back: 0, 'end-of-rib': 0 };
  let grDown = false;
  for (let i = 0; i < 1500; i++) {
    if (grPeer !== undefined) {
      const x = r();
      const g = inside(grPeer);
      if (grDown && x < 0.3) {
        establish(grPeer, neg(grPeer, true));
        grDown = false;
        gr.back++;
        check(`step ${i}: ${grPeer.name} back after a restart`);
        continue;
      }
      if (!grDown && g.staleMark >= 0 && x < 0.15) {
        const mark = g.staleMark;
        endOfRib(grPeer);
        gr['end-of-rib']++;
        g.adjRibIn.forEach((x, _p, _a, gen) => assert.ok(gen > mark, `${formatPrefix(x)} of ${grPeer.name} still stale after its End-of-RIB (step ${i})`));
        assert.equal(g.staleMark, -1, `step ${i}: no stale mark after End-of-RIB`);
        check(`step ${i}: End-of-RIB from ${grPeer.name}`);
        continue;
      }
      if (!grDown && x < 0.04) {
        const before = table.countOf(g.source);
        sessionDown(grPeer, 'connection lost');
        await settle();
        grDown = true;
        gr.crashed++;
        // RFC 4724 §4.2: the routes stay, stale, until End-of-RIB or the restart time.
        assert.equal(table.countOf(g.source), before, `step ${i}: ${grPeer.name}'s routes kept across its restart`);
        check(`step ${i}: ${grPeer.name} restarting`);
        continue;
      }
    }
    const p = pick(grDown ? senders.filter((s) => s !== grPeer) : senders);
    const ctx = inside(p).neg!.codec;
    let wire = encodeUpdate(update(p), ctx);
    if (r() < 0.33) wire = mutate(wire, r);
    let m;
    try {
      m = decodeMessage(wire, ctx);
    } catch (e) {
      if (!(e instanceof BgpError)) throw e;
      // The session sends a NOTIFICATION and goes down; the peer comes back.
      refused++;
      sessionDown(p, e.message, true);
      await settle();
      establish(p, neg(p));
      check(`step ${i}: ${p.name} reset (${e.message})`);
      continue;
    }
    if (m.type !== MessageType.UPDATE) continue;
    decoded++;
    deliver(p, m);
    check(`step ${i}: UPDATE from ${p.name}`);
  }
  // The run must have gone through every case, or the generator is not doing its job.
  assert.ok(decoded > 1000 && refused > 50, `decoded ${decoded}, refused ${refused}`);
  for (const [k, n] of Object.entries(seen)) assert.ok(n > 300, `${k}: ${n} of ${POOL.length} prefixes × steps`);
  if (grPeer !== undefined) for (const [k, n] of Object.entries(gr)) assert.ok(n > 10, `graceful restarts, ${k}: ${n}`);
  if (topo.addPath) assert.ok(multiPath > 1000, `several paths to c: ${multiPath}`);
  t.diagnostic(JSON.stringify({ decoded, refused, ...seen, ...(grPeer ? gr : {}), ...(topo.addPath ? { multiPath } : {}) }));

  for (const p of bgp.values()) sessionDown(p, 'end', true);
  await settle();
  assert.deepEqual(table.stats(), { nets: 0, routes: 0 });
  assert.equal(inside(out).adjRibOut, null, 'c left its update group, which closed');
  assert.equal(attrSets.stats().count, baseline, 'every attribute-set reference dropped');
}

test('eBGP and iBGP peers to an eBGP peer: the table follows the Adj-RIBs-In, the export follows the table, nothing leaks', (t) =>
  fuzzTopology(t, {
    config: ebgpPeers(),
    expect: toEbgp,
  }));

test('route reflector: an eBGP peer, a client and a non-client to a client', (t) =>
  fuzzTopology(t, {
    config: `
protocol bgp a from t { neighbor 192.0.2.11 as 65001; source address 192.0.2.1; }
protocol bgp b from t { neighbor 192.0.2.12 as 65000; source address 192.0.2.1; direct; gateway direct; rr client; rr cluster id 1.1.1.1; }
protocol bgp d from t { neighbor 192.0.2.13 as 65000; source address 192.0.2.1; direct; gateway direct; rr cluster id 1.1.1.1; }
protocol bgp c from t { neighbor 192.0.2.14 as 65000; source address 192.0.2.1; direct; gateway direct; rr client; rr cluster id 1.1.1.1; }
`,
    expect: (route, from) => {
      if (hasAny(route.attrs, new Set([WellKnownCommunity.NO_ADVERTISE]))) return undefined;
      const asns = asnsOf(route.attrs);
      if (from.config.localAs !== from.config.neighborAs) return { asns };
      return { asns, originatorId: route.attrs.originatorId ?? PEER_IDS[['a', 'b', 'd', 'c'].indexOf(from.name)]!, clusterList: [CLUSTER_ID, ...(route.attrs.clusterList ?? [])] };
    },
  }));

test('graceful restart (RFC 4724 helper side): a peer whose session dies keeps its routes stale until End-of-RIB', (t) =>
  fuzzTopology(t, {
    config: ebgpPeers('graceful restart on;'),
    expect: toEbgp,
    gr: 'a',
  }));

test('ADD-PATH (RFC 7911): several paths per prefix from one peer, every candidate to another', (t) =>
  fuzzTopology(t, {
    config: ebgpPeers('add paths rx;', 'add paths tx;'),
    expect: toEbgp,
    addPath: true,
  }));

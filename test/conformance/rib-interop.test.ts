// Routing-table interop (issue #4): the whole Wren daemon (scripts/wrend-dev.mjs, BIRD 1.6
// config dialect) with real BIRD 2, FRR and GoBGP (and ExaBGP as an injector), each in its
// own namespace, checked through each speaker's own CLI/API and Wren's control socket:
//   1. iBGP full mesh, two Wrens + BIRD: every node has the two others' routes, learnt
//      from their originator only (iBGP routes are not re-advertised to iBGP peers);
//   2. Wren as route reflector (RFC 4456) for BIRD, FRR and GoBGP clients at once:
//      ORIGINATOR_ID / CLUSTER_LIST on every reflected route, nothing reflected back to its
//      originator, routes carrying our cluster id (or our router id as ORIGINATOR_ID)
//      dropped on import, a withdrawal reaching every client;
//   3. Wren as a client of a BIRD route reflector;
//   4. eBGP to an FRR ToR: an iBGP-learnt route relayed with the default rule (self),
//      `next hop self` and `next hop keep`;
//   5. ADD-PATH (RFC 7911) both ways with BIRD: two paths sent, two paths received.
// The scenarios run side by side (each in its own lab) to keep the file short in time.
// Leaves out: IPv6 (the same code paths; covered by the Calico lab), BIRD 1.6's
// "same interface ⇒ keep next hop" eBGP rule (every eBGP case here crosses interfaces).

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { Bird, Frr, Gobgp, Exabgp, type BirdRoute } from '../helpers/peers.js';
import { until, holdsFalse } from '../helpers/poll.js';
import { Wrend, star, type WrenRoute } from '../helpers/wrend.js';

const AS = 65000;

/** Timers of every Wren peer here: short hold, quick (re)connects (as relay.test.ts). */
const WREN_TIMERS = 'hold time 9; connect delay time 1; connect retry time 2; error wait time 1,2;';
const BIRD_TIMERS = 'hold time 9; connect delay time 1; connect retry time 2; error wait time 1,2;';

/** BIRD's routes for a prefix; [] when birdc says "Network not found". */
async function birdRoutes(bird: Bird, prefix: string): Promise<BirdRoute[]> {
  try {
    return await bird.routes(prefix);
  } catch (e) {
    if (/Network not found/.test((e as Error).message)) return [];
    throw e;
  }
}

/** The Wren route line and attributes without what varies between runs (time). */
const wrenView = (r: WrenRoute) => ({
  prefix: r.prefix,
  kind: r.kind,
  via: r.via,
  protocol: r.protocol,
  from: r.from,
  primary: r.primary,
  type: r.type,
  attrs: r.attrs,
});

/** The BIRD 2 route without what varies between runs. */
const birdView = (r: BirdRoute) => ({ prefix: r.prefix, kind: r.kind, protocol: r.protocol, primary: r.primary, via: r.via, attrs: r.attrs });

/** A BIRD 2 route's BGP attributes only (no Type/Preference lines). */
const bgpAttrs = (r: BirdRoute): Record<string, string> =>
  Object.fromEntries(Object.entries(r.attrs).filter(([k]) => k.startsWith('BGP.')));

const wrenUntil = async (w: Wrend, prefix: string, n: number, what: string): Promise<WrenRoute[]> =>
  until(
    async () => {
      const r = await w.routes(prefix);
      return r.length === n ? r : undefined;
    },
    { what, timeoutMs: 30_000, context: () => w.log() },
  );

const birdUntil = async (b: Bird, prefix: string, n: number, what: string, pred: (r: BirdRoute[]) => boolean = () => true): Promise<BirdRoute[]> =>
  until(
    async () => {
      const r = await birdRoutes(b, prefix);
      return r.length === n && pred(r) ? r : undefined;
    },
    { what, timeoutMs: 30_000, context: () => b.log() },
  );

// The scenarios (each with its own lab) run side by side; the tests inside one run in order.
const SERIAL = { concurrency: 1 } as const;

describe('rib interop', { concurrency: true }, () => {
  // ---- 1. full mesh ----------------------------------------------------------------------

  describe('iBGP full mesh: two Wrens and BIRD 2', SERIAL, () => {
    const lab = createLab('rib-mesh');
    let wa: Wrend, wb: Wrend, bird: Bird;
    const A = '198.18.10.1', B = '198.18.10.2', C = '198.18.10.3';

    const wrenConfig = (me: string, others: readonly string[], route: string) => `
router id ${me};
protocol device { scan time 2; }
protocol direct { interface "eth0"; }
protocol static { route ${route} blackhole; }
filter to_peers { if net ~ 10.0.0.0/8 then accept; reject; }
template bgp bgp_template { local as ${AS}; gateway recursive; ${WREN_TIMERS} import all; export filter to_peers; }
${others
  .map((o) => `protocol bgp Mesh_${o.replace(/\./g, '_')} from bgp_template { neighbor ${o} as ${AS}; source address ${me};${o > me ? ' passive on;' : ''} }`)
  .join('\n')}
`;

    before(async () => {
      const { nodes } = await star(lab, '198.18.10', 3);
      [wa, wb, bird] = await Promise.all([
        Wrend.start(lab, nodes[0]!, 'wren-a', wrenConfig(A, [B, C], '10.10.1.0/24')),
        Wrend.start(lab, nodes[1]!, 'wren-b', wrenConfig(B, [A, C], '10.10.2.0/24')),
        Bird.start(lab, nodes[2]!, `
router id ${C};
protocol device {}
protocol direct { ipv4; interface "eth0"; }
protocol static feed { ipv4; route 10.10.3.0/24 blackhole; }
template bgp mesh { local ${C} as ${AS}; ${BIRD_TIMERS} ipv4 { import all; export where proto = "feed"; }; }
protocol bgp wa from mesh { neighbor ${A} as ${AS}; }
protocol bgp wb from mesh { neighbor ${B} as ${AS}; }
`),
      ]);
      await Promise.all([
        wa.waitEstablished([`Mesh_198_18_10_2`, `Mesh_198_18_10_3`]),
        wb.waitEstablished([`Mesh_198_18_10_1`, `Mesh_198_18_10_3`]),
      ]);
    });

    test("each Wren has the other two nodes' routes, each from its originator, with iBGP attributes", async () => {
      for (const [w, peers] of [
        [wa, { '10.10.2.0/24': B, '10.10.3.0/24': C }],
        [wb, { '10.10.1.0/24': A, '10.10.3.0/24': C }],
      ] as const) {
        for (const [prefix, from] of Object.entries(peers)) {
          const r = await wrenUntil(w, prefix, 1, `${prefix} at ${w.name}`);
          assert.deepEqual(wrenView(r[0]!), {
            prefix,
            kind: 'via',
            via: [from],
            protocol: `Mesh_${from.replace(/\./g, '_')}`,
            // BIRD 1.6 prints "from X" only when X is not the gateway.
            from: undefined,
            primary: true,
            type: 'BGP unicast univ',
            attrs: { 'BGP.origin': 'IGP', 'BGP.as_path': '', 'BGP.next_hop': from, 'BGP.local_pref': '100' },
          });
        }
        // Its own route is the static one, alone.
        const own = await w.routes(w === wa ? '10.10.1.0/24' : '10.10.2.0/24');
        assert.deepEqual(own.map((r) => [r.kind, r.protocol, r.primary]), [['blackhole', 'static1', true]]);
      }
    });

    test("BIRD has both Wrens' routes, each only from the Wren that originates it", async () => {
      for (const [prefix, proto, nh] of [
        ['10.10.1.0/24', 'wa', A],
        ['10.10.2.0/24', 'wb', B],
      ] as const) {
        const r = await birdUntil(bird, prefix, 1, `${prefix} at BIRD`);
        assert.deepEqual(birdView(r[0]!), {
          prefix,
          kind: 'unicast',
          protocol: proto,
          primary: true,
          via: [nh],
          attrs: { ...r[0]!.attrs, 'BGP.origin': 'IGP', 'BGP.as_path': '', 'BGP.next_hop': nh, 'BGP.local_pref': '100' },
        });
        assert.equal(r[0]!.attrs['BGP.originator_id'], undefined);
        assert.equal(r[0]!.attrs['BGP.cluster_list'], undefined);
      }
    });

    test('a Wren re-advertises no iBGP-learnt route to its iBGP peers', async () => {
      // What each Wren exports to each peer: its own route only.
      for (const [w, peers] of [
        [wa, ['Mesh_198_18_10_2', 'Mesh_198_18_10_3']],
        [wb, ['Mesh_198_18_10_1', 'Mesh_198_18_10_3']],
      ] as const) {
        for (const p of peers) {
          const ex = await w.routes(`export ${p}`);
          assert.deepEqual(
            ex.map((r) => r.prefix),
            [w === wa ? '10.10.1.0/24' : '10.10.2.0/24'],
            `${w.name} exports to ${p}`,
          );
        }
      }
      // And the receivers agree: one path each, from the originator (checked over a few
      // seconds, so a late re-advertisement would show).
      await holdsFalse(
        async () => {
          const counts = await Promise.all([
            wa.routes('10.10.2.0/24'), wa.routes('10.10.3.0/24'), wb.routes('10.10.1.0/24'), wb.routes('10.10.3.0/24'),
            birdRoutes(bird, '10.10.1.0/24'), birdRoutes(bird, '10.10.2.0/24'),
          ]);
          return counts.some((c) => c.length !== 1) ? counts.map((c) => c.length) : false;
        },
        { forMs: 3000, what: 'a second path for a mesh route' },
      );
    });
  });
  // ---- 2. Wren as route reflector ------------------------------------------------------------

  describe('Wren as route reflector for BIRD 2, FRR and GoBGP clients', SERIAL, () => {
    const lab = createLab('rib-rr');
    let wren: Wrend, bird: Bird, frr: Frr, gobgp: Gobgp, exa: Exabgp;
    const W = '198.18.20.1', B = '198.18.20.2', F = '198.18.20.3', G = '198.18.20.4', X = '198.18.20.5';
    // Router ids distinct from the addresses, so ORIGINATOR_ID shows which one is used.
    const B_ID = '2.2.2.2', F_ID = '3.3.3.3', G_ID = '4.4.4.4';
    const CLUSTER = '1.1.1.1';
    const name = (ip: string) => `Node_${ip.replace(/\./g, '_')}`;

    const wrenConfig = `
router id ${W};
protocol device { scan time 2; }
protocol direct { interface "eth0"; }
protocol static { route 10.20.1.0/24 blackhole; }
filter to_peers { if net ~ 10.0.0.0/8 then accept; reject; }
template bgp bgp_template { local as ${AS}; gateway recursive; ${WREN_TIMERS} import all; export filter to_peers; }
${[B, F, G, X].map((ip) => `protocol bgp ${name(ip)} from bgp_template { neighbor ${ip} as ${AS}; source address ${W}; passive on; rr client; rr cluster id ${CLUSTER}; }`).join('\n')}
`;
    const birdConfig = `
router id ${B_ID};
protocol device {}
protocol direct { ipv4; interface "eth0"; }
protocol static feed { ipv4; route 10.20.2.0/24 blackhole; }
protocol bgp refl { local ${B} as ${AS}; neighbor ${W} as ${AS}; ${BIRD_TIMERS} ipv4 { import all; export where proto = "feed"; }; }
`;
    const frrConfig = `
router bgp ${AS}
 bgp router-id ${F_ID}
 no bgp default ipv4-unicast
 neighbor ${W} remote-as ${AS}
 neighbor ${W} update-source ${F}
 neighbor ${W} timers 3 9
 neighbor ${W} timers connect 1
 address-family ipv4 unicast
  network 10.20.3.0/24
  neighbor ${W} activate
 exit-address-family
`;
    const gobgpConfig = `
[global.config]
  as = ${AS}
  router-id = "${G_ID}"
  local-address-list = ["${G}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${W}"
    peer-as = ${AS}
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
    connect-retry = 1
  [neighbors.transport.config]
    local-address = "${G}"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`;
    // ExaBGP, a fourth client, injects routes that carry reflection loop markers.
    const exaConfig = `
neighbor ${W} {
  router-id 5.5.5.5;
  local-address ${X};
  local-as ${AS};
  peer-as ${AS};
  hold-time 9;
  family { ipv4 unicast; }
  static {
    route 10.20.96.0/24 next-hop ${X} originator-id ${W};
    route 10.20.97.0/24 next-hop ${X} originator-id 9.9.9.9 cluster-list [ 8.8.8.8 ];
    route 10.20.98.0/24 next-hop ${X} originator-id 9.9.9.9 cluster-list [ 8.8.8.8 ${CLUSTER} ];
  }
}
`;

    before(async () => {
      const { nodes } = await star(lab, '198.18.20', 5);
      [wren, bird, frr, gobgp, exa] = await Promise.all([
        Wrend.start(lab, nodes[0]!, 'wren-rr', wrenConfig),
        Bird.start(lab, nodes[1]!, birdConfig),
        Frr.start(lab, nodes[2]!, frrConfig, [F]),
        (async () => {
          const g = await Gobgp.start(lab, nodes[3]!, gobgpConfig);
          await g.cli(['global', 'rib', 'add', '10.20.4.0/24', '-a', 'ipv4']);
          return g;
        })(),
        Exabgp.start(lab, nodes[4]!, exaConfig),
      ]);
      await wren.waitEstablished([B, F, G, X].map(name));
    });

    /** The reflected attributes every client must see for a client's route. */
    const reflected = {
      [B]: { prefix: '10.20.2.0/24', id: B_ID, origin: 'IGP', med: undefined },
      [F]: { prefix: '10.20.3.0/24', id: F_ID, origin: 'IGP', med: '0' },
      [G]: { prefix: '10.20.4.0/24', id: G_ID, origin: 'Incomplete', med: undefined },
    } as const;
    const ORIGIN_CODE = { IGP: 0, Incomplete: 2 } as const;
    const FRR_ORIGIN = { IGP: 'IGP', Incomplete: 'incomplete' } as const;

    const frrPaths = (prefix: string) => frr.route('ipv4', prefix);
    const gobgpPaths = async (prefix: string): Promise<any[]> => (await gobgp.rib('ipv4'))[prefix] ?? [];

    /** What FRR shows for a route reflected (or sent) by Wren: the essentials, exactly. */
    const frrView = (p: any) => ({
      aspath: p.aspath?.string,
      origin: p.origin,
      locPrf: p.locPrf,
      metric: p.metric,
      originatorId: p.originatorId,
      clusterList: p.clusterList?.list,
      nexthop: p.nexthops?.map((n: any) => n.ip),
      peer: p.peer?.peerId,
      valid: p.valid,
    });
    /** GoBGP's attributes by type code, sorted, for an exact comparison. */
    const gobgpAttrs = (p: any) => [...p.attrs].sort((a: any, b: any) => a.type - b.type);

    test('every client learns the other clients’ routes with ORIGINATOR_ID = the originator’s router id and CLUSTER_LIST = 1.1.1.1', async () => {
      // Wren itself: one path per client route, from that client.
      for (const [ip, r] of Object.entries(reflected)) {
        const w = await wrenUntil(wren, r.prefix, 1, `${r.prefix} at Wren`);
        assert.deepEqual(wrenView(w[0]!), {
          prefix: r.prefix, kind: 'via', via: [ip], protocol: name(ip), from: undefined, primary: true, type: 'BGP unicast univ',
          attrs: {
            'BGP.origin': r.origin, 'BGP.as_path': '', 'BGP.next_hop': ip, ...(r.med !== undefined ? { 'BGP.med': r.med } : {}), 'BGP.local_pref': '100',
          },
        });
      }
      // BIRD (client B) gets F's and G's routes.
      for (const ip of [F, G]) {
        const r = reflected[ip];
        const b = await birdUntil(bird, r.prefix, 1, `${r.prefix} at BIRD`);
        assert.deepEqual({ protocol: b[0]!.protocol, via: b[0]!.via, attrs: bgpAttrs(b[0]!) }, {
          protocol: 'refl',
          via: [ip],
          attrs: {
            'BGP.origin': r.origin, 'BGP.as_path': '', 'BGP.next_hop': ip, ...(r.med !== undefined ? { 'BGP.med': r.med } : {}), 'BGP.local_pref': '100',
            'BGP.originator_id': r.id, 'BGP.cluster_list': CLUSTER,
          },
        });
      }
      // FRR (client F) gets B's and G's routes.
      for (const ip of [B, G]) {
        const r = reflected[ip];
        const p = await until(async () => {
          const x = await frrPaths(r.prefix);
          return x.length ? x : undefined;
        }, { what: `${r.prefix} at FRR`, timeoutMs: 30_000, context: () => frr.log() });
        assert.equal(p.length, 1);
        assert.deepEqual(frrView(p[0]), {
          aspath: 'Local', origin: FRR_ORIGIN[r.origin], locPrf: 100, metric: undefined, originatorId: r.id, clusterList: [CLUSTER], nexthop: [ip], peer: W, valid: true,
        });
      }
      // GoBGP (client G) gets B's and F's routes.
      for (const ip of [B, F]) {
        const r = reflected[ip];
        const p = await until(async () => {
          const x = await gobgpPaths(r.prefix);
          return x.length ? x : undefined;
        }, { what: `${r.prefix} at GoBGP`, timeoutMs: 30_000, context: async () => `${gobgp.log()}\nadj-in: ${JSON.stringify(await gobgp.adjIn(W, 'ipv4'))}\nWren exports: ${JSON.stringify(await wren.routes(`export ${name(G)}`))}\n${wren.log(100)}` });
        assert.equal(p.length, 1);
        assert.equal(p[0]['neighbor-ip'], W);
        assert.deepEqual(gobgpAttrs(p[0]), [
          { type: 1, value: ORIGIN_CODE[r.origin] },
          { type: 2, as_paths: [] },
          { type: 3, nexthop: ip },
          ...(r.med !== undefined ? [{ type: 4, metric: Number(r.med) }] : []),
          { type: 5, value: 100 },
          { type: 9, value: r.id },
          { type: 10, value: [CLUSTER] },
        ]);
      }
    });

    test("Wren's own route reaches every client unreflected (no ORIGINATOR_ID, no CLUSTER_LIST)", async () => {
      const b = await birdUntil(bird, '10.20.1.0/24', 1, '10.20.1.0/24 at BIRD');
      assert.deepEqual(bgpAttrs(b[0]!), { 'BGP.origin': 'IGP', 'BGP.as_path': '', 'BGP.next_hop': W, 'BGP.local_pref': '100' });
      const f = await until(async () => ((await frrPaths('10.20.1.0/24')).length ? frrPaths('10.20.1.0/24') : undefined), { what: '10.20.1.0/24 at FRR' });
      assert.deepEqual(frrView(f[0]), {
        aspath: 'Local', origin: 'IGP', locPrf: 100, metric: undefined, originatorId: undefined, clusterList: undefined, nexthop: [W], peer: W, valid: true,
      });
      const g = await until(async () => ((await gobgpPaths('10.20.1.0/24')).length ? gobgpPaths('10.20.1.0/24') : undefined), { what: '10.20.1.0/24 at GoBGP' });
      assert.deepEqual(gobgpAttrs(g[0]), [{ type: 1, value: 0 }, { type: 2, as_paths: [] }, { type: 3, nexthop: W }, { type: 5, value: 100 }]);
    });

    test('a reflected route never goes back to its originator', async () => {
      // Wren's export view towards each client lacks that client's own route…
      for (const [ip, r] of Object.entries(reflected)) {
        const ex = (await wren.routes(`export ${name(ip)}`)).map((x) => x.prefix).sort();
        const others = Object.values(reflected).filter((o) => o.prefix !== r.prefix).map((o) => o.prefix);
        assert.deepEqual(ex, ['10.20.1.0/24', ...others, '10.20.97.0/24'].sort(), `export to ${name(ip)}`);
      }
      // …and each client holds only its own path for it.
      assert.deepEqual((await birdRoutes(bird, '10.20.2.0/24')).map((r) => r.protocol), ['feed']);
      assert.deepEqual((await frrPaths('10.20.3.0/24')).map((p) => p.peer?.peerId), ['0.0.0.0']);
      const g = await gobgpPaths('10.20.4.0/24');
      assert.equal(g.length, 1);
      assert.equal(g[0]['neighbor-ip'], undefined, 'the local path only');
    });

    test('routes carrying our cluster id or our router id as ORIGINATOR_ID are dropped; others are reflected with the cluster id prepended', async () => {
      // The control route (a foreign cluster list) arrived and went out to every client:
      const b = await birdUntil(bird, '10.20.97.0/24', 1, '10.20.97.0/24 at BIRD');
      assert.equal(b[0]!.attrs['BGP.originator_id'], '9.9.9.9', 'an existing ORIGINATOR_ID is kept');
      assert.equal(b[0]!.attrs['BGP.cluster_list'], `${CLUSTER} 8.8.8.8`);
      const f = await until(async () => ((await frrPaths('10.20.97.0/24')).length ? frrPaths('10.20.97.0/24') : undefined), { what: '10.20.97.0/24 at FRR' });
      assert.deepEqual(frrView(f[0]).clusterList, [CLUSTER, '8.8.8.8']);
      // ExaBGP announced all three in one go (it is Established, its other route is here):
      // the two loops are in no table, Wren's included.
      for (const p of ['10.20.96.0/24', '10.20.98.0/24']) {
        assert.deepEqual(await wren.routes(p), [], `${p} at Wren`);
        assert.deepEqual(await birdRoutes(bird, p), [], `${p} at BIRD`);
        assert.deepEqual(await frrPaths(p), [], `${p} at FRR`);
        assert.deepEqual(await gobgpPaths(p), [], `${p} at GoBGP`);
      }
      // ExaBGP received the other clients' routes but not its own loops back either.
      assert.equal(exa.proc.running, true);
    });

    test('a withdrawal at one client (FRR) reaches every other client', async () => {
      await frr.configure(`router bgp ${AS}`, 'address-family ipv4 unicast', 'no network 10.20.3.0/24');
      await until(async () => (await wren.routes('10.20.3.0/24')).length === 0, { what: '10.20.3.0/24 gone at Wren', timeoutMs: 20_000 });
      await until(async () => (await birdRoutes(bird, '10.20.3.0/24')).length === 0, { what: '10.20.3.0/24 gone at BIRD', timeoutMs: 20_000 });
      await until(async () => (await gobgpPaths('10.20.3.0/24')).length === 0, { what: '10.20.3.0/24 gone at GoBGP', timeoutMs: 20_000 });
      // The others stay.
      assert.equal((await birdRoutes(bird, '10.20.4.0/24')).length, 1);
      assert.equal((await gobgpPaths('10.20.2.0/24')).length, 1);
    });
  });
});

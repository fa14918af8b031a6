// Routing-table interop (issue #4): the whole Wren daemon (scripts/wrend-dev.mjs, BIRD 1.6
// config dialect) with real BIRD 2, FRR and GoBGP (and ExaBGP as an injector), each in its
// own namespace, checked through each speaker's own CLI/API and Wren's control socket:
//   1. iBGP full mesh, two Wrens + BIRD: every node has the two others' routes, learnt
//      from their originator only (iBGP routes are not re-advertised to iBGP peers);
//   2. Wren as route reflector (RFC 4456) for BIRD, FRR and GoBGP clients at once:
//      ORIGINATOR_ID / CLUSTER_LIST on every reflected route, no originator installing its
//      own route back from Wren, routes carrying our cluster id (or our router id as
//      ORIGINATOR_ID) dropped on import, a withdrawal reaching every client;
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
import { birdRoutes, bgpAttrs, wrenUntil, birdUntil, exportsUntil, gobgpIpv4Peer } from '../helpers/rib-interop.js';

const AS = 65000;

/** Timers of every Wren peer here: short hold, quick (re)connects (as relay.test.ts). */
const WREN_TIMERS = 'hold time 9; connect delay time 1; connect retry time 2; error wait time 1,2;';
const BIRD_TIMERS = 'hold time 9; connect delay time 1; connect retry time 2; error wait time 1,2;';

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
        for (const p of peers) await exportsUntil(w, p, [w === wa ? '10.10.1.0/24' : '10.10.2.0/24']);
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
    const gobgpConfig = gobgpIpv4Peer({ as: AS, routerId: G_ID, local: G, neighbor: W, peerAs: AS });
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
    const reflected: Readonly<Record<string, { prefix: string; id: string; origin: 'IGP' | 'Incomplete'; med: string | undefined }>> = {
      [B]: { prefix: '10.20.2.0/24', id: B_ID, origin: 'IGP', med: undefined },
      [F]: { prefix: '10.20.3.0/24', id: F_ID, origin: 'IGP', med: '0' },
      [G]: { prefix: '10.20.4.0/24', id: G_ID, origin: 'Incomplete', med: undefined },
    };
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
        const r = reflected[ip]!;
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
        const r = reflected[ip]!;
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
        const r = reflected[ip]!;
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

    test('a reflected route never loops back: its originator installs no copy from Wren', async () => {
      // Wren's export view towards each client holds the other clients' routes. (Its own
      // route may go back to a client in a shared update group, as FRR does; RFC 4456 §8
      // makes the client drop it by its ORIGINATOR_ID, which is what is checked below.)
      for (const [ip, r] of Object.entries(reflected)) {
        const others = Object.values(reflected).filter((o) => o.prefix !== r.prefix).map((o) => o.prefix);
        await exportsUntil(wren, name(ip), ['10.20.1.0/24', ...others, '10.20.97.0/24'], r.prefix);
      }
      // Each client holds only its own path for its route.
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
      // Both arrived and were treated as withdrawals (BIRD 1.6 bgp_decode_attrs: "goto
      // withdraw"): Wren's route change stats for ExaBGP's session count them, as ignored.
      const stats = await until(async () => {
        const t = (await wren.text(`show protocols all ${name(X)}`)).join('\n');
        const u = /Import updates:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(t);
        const w = /Import withdraws:\s+(\d+)\s+(\d+)\s+---\s+(\d+)\s+(\d+)/.exec(t);
        return u && w && w[1] === '2' ? { updates: u.slice(1).map(Number), withdraws: w.slice(1).map(Number) } : undefined;
      }, { what: "ExaBGP's two looped routes counted at Wren", context: () => wren.log() });
      assert.deepEqual(stats, { updates: [1, 0, 0, 0, 1], withdraws: [2, 0, 2, 0] });
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
  // ---- 3. Wren as a route-reflector client --------------------------------------------------

  describe('Wren as a client of a BIRD 2 route reflector', SERIAL, () => {
    const lab = createLab('rib-rrc');
    let wren: Wrend, rr: Bird, client: Bird;
    const R = '198.18.30.1', W = '198.18.30.2', C = '198.18.30.3';
    const W_ID = '7.7.7.7', C_ID = '3.3.3.3', CLUSTER = '5.5.5.5';

    before(async () => {
      const { nodes } = await star(lab, '198.18.30', 3);
      [rr, wren, client] = await Promise.all([
        Bird.start(lab, nodes[0]!, `
router id ${R};
protocol device {}
protocol direct { ipv4; interface "eth0"; }
template bgp clients { local ${R} as ${AS}; rr client; rr cluster id ${CLUSTER}; ${BIRD_TIMERS} ipv4 { import all; export where source = RTS_BGP; }; }
protocol bgp wren from clients { neighbor ${W} as ${AS}; }
protocol bgp node_c from clients { neighbor ${C} as ${AS}; }
`, 'bird-rr'),
        Wrend.start(lab, nodes[1]!, 'wren-client', `
router id ${W_ID};
protocol device { scan time 2; }
protocol direct { interface "eth0"; }
protocol static { route 10.30.2.0/24 blackhole; }
filter to_peers { if net ~ 10.0.0.0/8 then accept; reject; }
protocol bgp Node_198_18_30_1 { local as ${AS}; neighbor ${R} as ${AS}; source address ${W}; gateway recursive; ${WREN_TIMERS} import all; export filter to_peers; }
`),
        Bird.start(lab, nodes[2]!, `
router id ${C_ID};
protocol device {}
protocol direct { ipv4; interface "eth0"; }
protocol static feed { ipv4; route 10.30.3.0/24 blackhole; }
protocol bgp rrs { local ${C} as ${AS}; neighbor ${R} as ${AS}; ${BIRD_TIMERS} ipv4 { import all; export where proto = "feed"; }; }
`, 'bird-client'),
      ]);
      await wren.waitEstablished(['Node_198_18_30_1']);
    });

    test("Wren learns the other client's route through the RR, with its ORIGINATOR_ID and CLUSTER_LIST", async () => {
      const r = await wrenUntil(wren, '10.30.3.0/24', 1, '10.30.3.0/24 at Wren');
      assert.deepEqual(wrenView(r[0]!), {
        prefix: '10.30.3.0/24', kind: 'via', via: [C], protocol: 'Node_198_18_30_1', from: R, primary: true, type: 'BGP unicast univ',
        attrs: {
          'BGP.origin': 'IGP', 'BGP.as_path': '', 'BGP.next_hop': C, 'BGP.local_pref': '100', 'BGP.originator_id': C_ID, 'BGP.cluster_list': CLUSTER,
        },
      });
    });

    test("Wren's own route reaches the other client with ORIGINATOR_ID = Wren's router id", async () => {
      const r = await birdUntil(client, '10.30.2.0/24', 1, '10.30.2.0/24 at the BIRD client');
      assert.equal(r[0]!.protocol, 'rrs');
      assert.deepEqual(r[0]!.via, [W]);
      assert.deepEqual(bgpAttrs(r[0]!), {
        'BGP.origin': 'IGP', 'BGP.as_path': '', 'BGP.next_hop': W, 'BGP.local_pref': '100', 'BGP.originator_id': W_ID, 'BGP.cluster_list': CLUSTER,
      });
      // At the RR itself, as Wren sent it: no reflection attributes.
      const atRr = await birdUntil(rr, '10.30.2.0/24', 1, '10.30.2.0/24 at the RR');
      assert.deepEqual(bgpAttrs(atRr[0]!), { 'BGP.origin': 'IGP', 'BGP.as_path': '', 'BGP.next_hop': W, 'BGP.local_pref': '100' });
    });

    test('Wren does not take its own route back from the RR, nor send the reflected one back', async () => {
      // BIRD's RR does not reflect to the originating session; Wren's table has its static only.
      assert.deepEqual((await wren.routes('10.30.2.0/24')).map((r) => r.protocol), ['static1']);
      await exportsUntil(wren, 'Node_198_18_30_1', ['10.30.2.0/24']);
    });
  });

  // ---- 4. eBGP to an FRR ToR: next hop rules ---------------------------------------------------

  describe('eBGP to an FRR ToR: next hop default, self and keep', SERIAL, () => {
    const lab = createLab('rib-nh');
    let wren: Wrend, bird: Bird, frr: Frr;
    // Wren ─ BIRD (iBGP) on one link; Wren ─ FRR (eBGP, three sessions) on another.
    const W_B = '198.18.41.1', B = '198.18.41.2';
    const W1 = '198.18.42.1', W2 = '198.18.42.11', W3 = '198.18.42.12';
    const F1 = '198.18.42.2', F2 = '198.18.42.3', F3 = '198.18.42.4';
    const TOR_AS = 65100;

    before(async () => {
      const wns = await lab.ns(), bns = await lab.ns(), fns = await lab.ns();
      await lab.link({ a: wns, b: bns, aIf: 'eth0', bIf: 'eth0', aAddrs: [`${W_B}/24`], bAddrs: [`${B}/24`] });
      await lab.link({ a: wns, b: fns, aIf: 'eth1', bIf: 'eth0', aAddrs: [`${W1}/24`, `${W2}/24`, `${W3}/24`], bAddrs: [`${F1}/24`, `${F2}/24`, `${F3}/24`] });
      [wren, bird, frr] = await Promise.all([
        Wrend.start(lab, wns, 'wren-tor', `
router id ${W_B};
protocol device { scan time 2; }
protocol direct { interface "eth*"; }
protocol static { route 10.40.1.0/24 blackhole; }
filter to_peers { if net ~ 10.0.0.0/8 then accept; reject; }
template bgp t { local as ${AS}; ${WREN_TIMERS} import all; export filter to_peers; }
protocol bgp Node_198_18_41_2 from t { neighbor ${B} as ${AS}; source address ${W_B}; gateway recursive; }
protocol bgp Global_198_18_42_2 from t { neighbor ${F1} as ${TOR_AS}; source address ${W1}; }
protocol bgp Global_198_18_42_3 from t { neighbor ${F2} as ${TOR_AS}; source address ${W2}; next hop self; }
protocol bgp Global_198_18_42_4 from t { neighbor ${F3} as ${TOR_AS}; source address ${W3}; next hop keep; }
`),
        Bird.start(lab, bns, `
router id ${B};
protocol device {}
protocol static feed { ipv4; route 10.40.0.0/24 blackhole; }
protocol bgp w { local ${B} as ${AS}; neighbor ${W_B} as ${AS}; ${BIRD_TIMERS} ipv4 { import all; export where proto = "feed"; }; }
`),
        Frr.start(lab, fns, `
router bgp ${TOR_AS}
 bgp router-id ${F1}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
${[[W1, F1], [W2, F2], [W3, F3]]
  .map(([w, f]) => ` neighbor ${w} remote-as ${AS}\n neighbor ${w} update-source ${f}\n neighbor ${w} passive\n neighbor ${w} timers 3 9`)
  .join('\n')}
 address-family ipv4 unicast
${[W1, W2, W3].map((w) => `  neighbor ${w} activate`).join('\n')}
 exit-address-family
`, [F1, F2, F3]),
      ]);
      await wren.waitEstablished(['Node_198_18_41_2', 'Global_198_18_42_2', 'Global_198_18_42_3', 'Global_198_18_42_4']);
    });

    /** FRR's paths for a prefix: session (Wren's address) → [next hop, AS path]. */
    const frrBySession = async (prefix: string, n: number): Promise<Record<string, [string, string]>> => {
      const paths = await until(async () => {
        const x = await frr.route('ipv4', prefix);
        return x.length === n ? x : undefined;
      }, { what: `${n} paths for ${prefix} at FRR`, timeoutMs: 30_000, context: () => `${frr.log()}\n${wren.log()}` });
      return Object.fromEntries(paths.map((p: any) => [p.peer.peerId, [p.nexthops[0].ip, p.aspath.string]]));
    };

    test('an iBGP-learnt route goes to the ToR with next hop self by default and with `next hop self`, and keeps it with `next hop keep`', async () => {
      const w = await wrenUntil(wren, '10.40.0.0/24', 1, '10.40.0.0/24 at Wren');
      assert.equal(w[0]!.attrs['BGP.next_hop'], B);
      assert.deepEqual(await frrBySession('10.40.0.0/24', 3), {
        [W1]: [W1, `${AS}`],
        [W2]: [W2, `${AS}`],
        [W3]: [B, `${AS}`],
      });
    });

    test("Wren's own route (a blackhole: no gateway to keep) goes with next hop self on all three", async () => {
      assert.deepEqual(await frrBySession('10.40.1.0/24', 3), {
        [W1]: [W1, `${AS}`],
        [W2]: [W2, `${AS}`],
        [W3]: [W3, `${AS}`],
      });
    });
  });

  // ---- 5. ADD-PATH with BIRD ------------------------------------------------------------------

  describe('ADD-PATH with BIRD 2, both directions', SERIAL, () => {
    const lab = createLab('rib-addpath');
    let wren: Wrend, bird: Bird, frr: Frr, gobgp: Gobgp;
    const W = '198.18.50.1', B = '198.18.50.2';
    const B_AS = 65100, F_AS = 65201, G_AS = 65202;

    before(async () => {
      // Wren and BIRD share one link; the two upstreams sit on their own links to Wren (so
      // the eBGP next hop rule gives "self" under BIRD 1.6 semantics too).
      const wns = await lab.ns(), bns = await lab.ns(), fns = await lab.ns(), gns = await lab.ns();
      await lab.link({ a: wns, b: bns, aIf: 'eth0', bIf: 'eth0', aAddrs: [`${W}/24`], bAddrs: [`${B}/24`] });
      await lab.link({ a: wns, b: fns, aIf: 'eth1', bIf: 'eth0', aAddrs: ['198.18.51.1/24'], bAddrs: ['198.18.51.2/24'] });
      await lab.link({ a: wns, b: gns, aIf: 'eth2', bIf: 'eth0', aAddrs: ['198.18.52.1/24'], bAddrs: ['198.18.52.2/24'] });
      [wren, bird, frr, gobgp] = await Promise.all([
        Wrend.start(lab, wns, 'wren-ap', `
router id ${W};
protocol device { scan time 2; }
protocol direct { interface "eth*"; }
filter to_peers { if net ~ 10.0.0.0/8 then accept; reject; }
template bgp t { local as ${AS}; ${WREN_TIMERS} import all; export filter to_peers; }
protocol bgp Global_198_18_50_2 from t { neighbor ${B} as ${B_AS}; source address ${W}; add paths on; }
protocol bgp Global_198_18_51_2 from t { neighbor 198.18.51.2 as ${F_AS}; source address 198.18.51.1; }
protocol bgp Global_198_18_52_2 from t { neighbor 198.18.52.2 as ${G_AS}; source address 198.18.52.1; }
`),
        Bird.start(lab, bns, `
router id ${B};
protocol device {}
protocol static s1 { ipv4; route 10.51.0.0/24 blackhole; }
protocol static s2 { ipv4; route 10.51.0.0/24 blackhole; }
filter tag_paths {
  if proto = "s1" then bgp_community.add((${B_AS}, 1));
  if proto = "s2" then bgp_community.add((${B_AS}, 2));
  accept;
}
protocol bgp w { local ${B} as ${B_AS}; neighbor ${W} as ${AS}; ${BIRD_TIMERS} ipv4 { add paths on; import all; export filter tag_paths; }; }
`),
        Frr.start(lab, fns, `
router bgp ${F_AS}
 bgp router-id 198.18.51.2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 198.18.51.1 remote-as ${AS}
 neighbor 198.18.51.1 timers 3 9
 neighbor 198.18.51.1 timers connect 1
 address-family ipv4 unicast
  network 10.50.0.0/24
  neighbor 198.18.51.1 activate
 exit-address-family
`, ['198.18.51.2']),
        (async () => {
          const g = await Gobgp.start(lab, gns, gobgpIpv4Peer({ as: G_AS, routerId: '198.18.52.2', local: '198.18.52.2', neighbor: '198.18.52.1', peerAs: AS }));
          await g.cli(['global', 'rib', 'add', '10.50.0.0/24', '-a', 'ipv4']);
          return g;
        })(),
      ]);
      await wren.waitEstablished(['Global_198_18_50_2', 'Global_198_18_51_2', 'Global_198_18_52_2']);
    });

    /** BIRD's paths for a prefix from Wren, as [AS path, origin, next hop, MED] sorted. */
    const birdPathsFromWren = async (prefix: string, n: number, pred?: (r: BirdRoute[]) => boolean) => {
      const r = await birdUntil(bird, prefix, n, `${n} paths for ${prefix} at BIRD`, pred);
      assert.deepEqual(r.map((x) => x.protocol), Array(n).fill('w'));
      return r
        .map((x) => [x.attrs['BGP.as_path'], x.attrs['BGP.origin'], x.attrs['BGP.next_hop'], x.attrs['BGP.med'], x.via[0]])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    };

    test('Wren holds both upstream paths and sends both to BIRD (add paths on ⇄ BIRD add paths on)', async () => {
      const w = await wrenUntil(wren, '10.50.0.0/24', 2, 'two paths for 10.50.0.0/24 at Wren');
      assert.deepEqual(
        w.map((r) => [r.protocol, r.primary, r.attrs['BGP.as_path'], r.attrs['BGP.origin']]),
        [
          // ORIGIN IGP beats Incomplete: FRR's path is the best one.
          ['Global_198_18_51_2', true, `${F_AS}`, 'IGP'],
          ['Global_198_18_52_2', false, `${G_AS}`, 'Incomplete'],
        ],
      );
      assert.deepEqual(await birdPathsFromWren('10.50.0.0/24', 2), [
        // eBGP: our AS prepended, next hop self, MED from another AS not passed on.
        [`${AS} ${F_AS}`, 'IGP', W, undefined, W],
        [`${AS} ${G_AS}`, 'Incomplete', W, undefined, W],
      ]);
    });

    test("BIRD's two paths for one prefix (add paths on) are both in Wren's table", async () => {
      const w = await wrenUntil(wren, '10.51.0.0/24', 2, 'two paths for 10.51.0.0/24 at Wren');
      assert.deepEqual(
        w.map((r) => [r.protocol, r.via, r.attrs]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        [1, 2].map((n) => [
          'Global_198_18_50_2',
          [B],
          { 'BGP.origin': 'IGP', 'BGP.as_path': `${B_AS}`, 'BGP.next_hop': B, 'BGP.local_pref': '100', 'BGP.community': `(${B_AS},${n})` },
        ]),
      );
      assert.equal(w.filter((r) => r.primary).length, 1);
      // Neither goes back to BIRD (it has its two static routes only).
      assert.deepEqual((await birdRoutes(bird, '10.51.0.0/24')).map((r) => r.protocol).sort(), ['s1', 's2']);
    });

    test('withdrawing one path withdraws that path only, both ways', async () => {
      // Receive side: BIRD withdraws the path of s2 (its path id), the other stays.
      await bird.birdc('disable s2');
      const w = await wrenUntil(wren, '10.51.0.0/24', 1, 'one path for 10.51.0.0/24 at Wren');
      assert.equal(w[0]!.attrs['BGP.community'], `(${B_AS},1)`);
      // Send side: GoBGP withdraws its route; Wren withdraws that path id from BIRD.
      await gobgp.cli(['global', 'rib', 'del', '10.50.0.0/24', '-a', 'ipv4']);
      assert.deepEqual(await birdPathsFromWren('10.50.0.0/24', 1), [[`${AS} ${F_AS}`, 'IGP', W, undefined, W]]);
      // And the best path changing at Wren (FRR's goes, GoBGP's comes back) is seen at BIRD.
      await gobgp.cli(['global', 'rib', 'add', '10.50.0.0/24', '-a', 'ipv4']);
      await frr.configure(`router bgp ${F_AS}`, 'address-family ipv4 unicast', 'no network 10.50.0.0/24');
      const fromG = (r: BirdRoute[]) => r[0]!.attrs['BGP.as_path'] === `${AS} ${G_AS}`;
      assert.deepEqual(await birdPathsFromWren('10.50.0.0/24', 1, fromG), [[`${AS} ${G_AS}`, 'Incomplete', W, undefined, W]]);
    });
  });
});

// The rtnetlink codec against the real kernel, in a network namespace this test creates
// (wren-nl-<pid>-<n>, deleted at the end): routes made with `ip route add` decoded from a
// dump; routes installed, replaced and deleted with the batch writer and checked with
// `ip -j route`; an error in the middle of a batch attributed to its seq; link and address
// dumps; link/address events after subscribing. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Namespace } from './netns.js';
import { RtnlGroup } from '../../../src/fib/netlink/socket.js';
import { MsgType, forEachMessage } from '../../../src/fib/netlink/message.js';
import {
  AddressFamily,
  RouteFlag,
  RouteOp,
  RouteProtocol,
  RouteScope,
  RouteType,
  buildRouteDump,
  decodeRoute,
  type KernelRoute,
  type RouteInput,
} from '../../../src/fib/netlink/route.js';
import { LinkFlag, buildLinkDump, decodeLink, isUp, type KernelLink } from '../../../src/fib/netlink/link.js';
import { buildAddrDump, decodeAddr, type KernelAddr } from '../../../src/fib/netlink/addr.js';
import { Afi, formatAddress, formatPrefix, parseAddress, parsePrefix } from '../../../src/rib/prefix.js';

let ns: Namespace;
let client: Client;
let d0: number;

before(() => {
  ns = new Namespace();
  ns.ip('link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
  ns.ip('addr', 'add', '198.18.0.1/24', 'dev', 'd0');
  ns.ip('addr', 'add', 'fd00::1/64', 'dev', 'd0', 'nodad');
  ns.ip('link', 'set', 'd0', 'up');
  ns.ip('link', 'set', 'd1', 'up');
  d0 = ns.ifindex('d0');
  client = new Client(ns);
});

after(() => {
  client?.close();
  ns?.destroy();
});

async function dumpRoutes(family: number = AddressFamily.AF_UNSPEC): Promise<KernelRoute[]> {
  for (;;) {
    const r = await client.dump((seq) => buildRouteDump(seq, family), decodeRoute);
    if (!r.interrupted) return r.items.filter((x): x is KernelRoute => x !== undefined);
  }
}

const find = (rs: KernelRoute[], p: string): KernelRoute => {
  const want = parsePrefix(p);
  const r = rs.find((x) => x.table === 254 && x.dst.afi === want.afi && formatPrefix(x.dst) === formatPrefix(want));
  assert.ok(r, `route ${p} not in dump`);
  return r;
};

const countProto = (proto: string, extra: string[] = []): number =>
  ns.ipJson<unknown[]>('-4', 'route', 'show', 'proto', proto, ...extra).length + ns.ipJson<unknown[]>('-6', 'route', 'show', 'proto', proto, ...extra).length;

describe('dump of routes made with ip route', () => {
  test('unicast via/dev/onlink, multipath, blackhole/unreachable/prohibit, tos, metrics, RTA_VIA, IPv6', async () => {
    const add = (...a: string[]) => ns.ip('route', 'add', ...a);
    add('198.18.5.0/24', 'via', '198.18.0.2', 'proto', 'boot', 'metric', '1024');
    add('198.18.6.0/24', 'nexthop', 'via', '198.18.0.2', 'nexthop', 'via', '198.18.0.3', 'weight', '3');
    add('blackhole', '198.18.7.0/24', 'proto', '80');
    add('unreachable', '198.18.7.64/26');
    add('prohibit', '198.18.7.128/26');
    add('198.18.8.0/24', 'via', '203.0.113.1', 'dev', 'd0', 'onlink');
    add('198.18.9.0/24', 'via', 'inet6', 'fd00::9', 'dev', 'd0');
    add('198.18.10.0/24', 'via', '198.18.0.2', 'mtu', '1400', 'advmss', '1360');
    add('198.18.11.0/24', 'tos', '0x10', 'via', '198.18.0.2');
    add('198.18.12.0/24', 'dev', 'd0', 'proto', 'static', 'src', '198.18.0.1');
    add('fd00:1::/64', 'nexthop', 'via', 'fd00::2', 'nexthop', 'via', 'fd00::3');
    add('blackhole', 'fd00:2::/64');
    add('fd00:3::/64', 'via', 'fd00::2', 'metric', '1024', 'proto', 'boot');
    const rs = await dumpRoutes();

    const via = find(rs, '198.18.5.0/24');
    assert.equal(via.protocol, RouteProtocol.RTPROT_BOOT);
    assert.equal(via.priority, 1024);
    assert.equal(via.type, RouteType.RTN_UNICAST);
    assert.equal(via.scope, RouteScope.RT_SCOPE_UNIVERSE);
    assert.deepEqual(via.gateway, parseAddress('198.18.0.2'));
    assert.equal(via.oif, d0);
    assert.equal(via.tos, 0);

    const mp = find(rs, '198.18.6.0/24');
    assert.equal(mp.gateway, undefined);
    assert.deepEqual(mp.multipath, [
      { gateway: parseAddress('198.18.0.2'), oif: d0, flags: 0, weight: 1 },
      { gateway: parseAddress('198.18.0.3'), oif: d0, flags: 0, weight: 3 },
    ]);

    const bh = find(rs, '198.18.7.0/24');
    assert.equal(bh.type, RouteType.RTN_BLACKHOLE);
    assert.equal(bh.protocol, 80);
    assert.equal(find(rs, '198.18.7.64/26').type, RouteType.RTN_UNREACHABLE);
    assert.equal(find(rs, '198.18.7.128/26').type, RouteType.RTN_PROHIBIT);

    const onlink = find(rs, '198.18.8.0/24');
    assert.equal(onlink.flags & RouteFlag.RTNH_F_ONLINK, RouteFlag.RTNH_F_ONLINK);
    assert.deepEqual(onlink.gateway, parseAddress('203.0.113.1'));

    assert.deepEqual(find(rs, '198.18.9.0/24').gateway, parseAddress('fd00::9'));
    assert.deepEqual(find(rs, '198.18.10.0/24').metrics, { 2: 1400, 8: 1360 });
    assert.equal(find(rs, '198.18.11.0/24').tos, 0x10);

    const dev = find(rs, '198.18.12.0/24');
    assert.equal(dev.scope, RouteScope.RT_SCOPE_LINK);
    assert.equal(dev.gateway, undefined);
    assert.deepEqual(dev.prefsrc, parseAddress('198.18.0.1'));
    assert.equal(dev.protocol, RouteProtocol.RTPROT_STATIC);

    // The connected route of d0: protocol kernel, no RTA_PRIORITY for IPv4.
    const conn = find(rs, '198.18.0.0/24');
    assert.equal(conn.protocol, RouteProtocol.RTPROT_KERNEL);
    assert.equal(conn.priority, undefined);

    const mp6 = find(rs, 'fd00:1::/64');
    assert.deepEqual(
      mp6.multipath?.map((n) => formatAddress(n.gateway!)),
      ['fd00::2', 'fd00::3'],
    );
    assert.equal(mp6.priority, 1024);
    const bh6 = find(rs, 'fd00:2::/64');
    assert.equal(bh6.type, RouteType.RTN_BLACKHOLE);
    assert.equal(bh6.oif, ns.ifindex('lo'), 'an IPv6 blackhole shows as dev lo');
    assert.equal(bh6.priority, 1024);
    const v6 = find(rs, 'fd00:3::/64');
    assert.deepEqual(v6.gateway, parseAddress('fd00::2'));
    assert.equal(v6.protocol, RouteProtocol.RTPROT_BOOT);

    // Other tables are in the dump too (local table), told apart by `table`.
    assert.ok(rs.some((r) => r.table === 255 && r.type === RouteType.RTN_LOCAL && formatPrefix(r.dst) === '198.18.0.1/32'));
    // A family-filtered dump has only that family.
    const only6 = await dumpRoutes(AddressFamily.AF_INET6);
    assert.ok(only6.length > 0 && only6.every((r) => r.dst.afi === Afi.IPV6));
  });
});

describe('batch writer against the kernel', () => {
  const N = 10000;
  const host = (i: number): RouteInput => ({
    dst: { afi: Afi.IPV4, len: 32, addr: Uint8Array.from([198, 19, (i >> 8) & 0xff, i & 0xff]) },
    gateway: parseAddress('198.18.0.2'),
  });

  test(`add ${N} /32s in a few datagrams, replace the gateway, delete them`, async () => {
    const w = client.writer;
    const before = w.stats.batches;
    for (let i = 0; i < N; i++) w.enqueue(RouteOp.ADD, host(i));
    const added = await w.flush();
    assert.deepEqual(added, { requests: N, failures: [] });
    const datagrams = w.stats.batches - before;
    assert.ok(datagrams <= 8, `${datagrams} datagrams for ${N} routes`);
    assert.equal(ns.ipJson<unknown[]>('-4', 'route', 'show', 'proto', 'bird').length, N);

    // Adding again: EEXIST for each (NLM_F_EXCL), reported per seq.
    for (let i = 0; i < 3; i++) w.enqueue(RouteOp.ADD, host(i));
    const again = await w.flush();
    assert.deepEqual(again.failures.map((f) => f.error.code), ['EEXIST', 'EEXIST', 'EEXIST']);

    for (let i = 0; i < N; i++) w.enqueue(RouteOp.REPLACE, { ...host(i), gateway: parseAddress('198.18.0.3'), priority: 0 });
    assert.equal((await w.flush()).failures.length, 0);
    const shown = ns.ipJson<{ dst: string; gateway: string; protocol: string }[]>('-4', 'route', 'show', 'proto', 'bird');
    assert.equal(shown.length, N, 'replace must not add a second route');
    assert.ok(shown.every((r) => r.gateway === '198.18.0.3'));
    const dumped = (await dumpRoutes(AddressFamily.AF_INET)).filter((r) => r.protocol === RouteProtocol.RTPROT_BIRD);
    assert.equal(dumped.length, N);
    assert.ok(dumped.every((r) => formatAddress(r.gateway!) === '198.18.0.3' && r.oif === d0 && r.dst.len === 32));

    for (let i = 0; i < N; i++) w.enqueue(RouteOp.DELETE, host(i));
    assert.equal((await w.flush()).failures.length, 0);
    assert.equal(ns.ipJson<unknown[]>('-4', 'route', 'show', 'proto', 'bird').length, 0);
  });

  test('an error in the middle of a batch is reported for exactly its seq; the rest succeed', async () => {
    const w = client.writer;
    for (let i = 0; i < 100; i++) {
      if (i === 30) w.enqueue(RouteOp.ADD, { dst: parsePrefix('198.20.0.30/32'), gateway: parseAddress('10.9.9.9') }); // not reachable, no onlink
      else if (i === 60) w.enqueue(RouteOp.DELETE, { dst: parsePrefix('198.20.9.9/32') }); // no such route
      else w.enqueue(RouteOp.ADD, { dst: { afi: Afi.IPV4, len: 32, addr: Uint8Array.from([198, 20, 0, i]) }, gateway: parseAddress('198.18.0.2') });
    }
    const before = w.stats.batches;
    const r = await w.flush();
    assert.equal(w.stats.batches - before, 1, 'one datagram');
    assert.deepEqual(
      r.failures.map((f) => [formatPrefix(f.route.dst), f.op, f.error.code]),
      [
        ['198.20.0.30/32', RouteOp.ADD, 'ENETUNREACH'],
        ['198.20.9.9/32', RouteOp.DELETE, 'ESRCH'],
      ],
    );
    assert.equal(r.failures[1]!.seq - r.failures[0]!.seq, 30, 'errors carry the seq of their own request');
    assert.match(r.failures[0]!.error.message ?? '', /gateway/i, 'NETLINK_EXT_ACK message');
    assert.equal(ns.ipJson<unknown[]>('-4', 'route', 'show', 'proto', 'bird').length, 98);
    // The same gateway with RTNH_F_ONLINK on d0 is accepted (krt_tunnel style).
    w.enqueue(RouteOp.ADD, { dst: parsePrefix('198.20.0.30/32'), gateway: parseAddress('10.9.9.9'), oif: d0, flags: RouteFlag.RTNH_F_ONLINK });
    assert.deepEqual((await w.flush()).failures, []);
    assert.match(ns.ip('route', 'show', '198.20.0.30/32'), /via 10\.9\.9\.9 dev d0 proto bird onlink/);
    for (let i = 0; i < 100; i++) if (i !== 60) w.enqueue(RouteOp.DELETE, { dst: { afi: Afi.IPV4, len: 32, addr: Uint8Array.from([198, 20, 0, i]) } });
    assert.deepEqual((await w.flush()).failures, []);
    assert.equal(countProto('bird'), 0);
  });

  test('every route shape Wren exports, installed and read back', async () => {
    const w = client.writer;
    const lo = ns.ifindex('lo');
    const routes: RouteInput[] = [
      { dst: parsePrefix('198.21.1.0/24'), gateway: parseAddress('198.18.0.2'), oif: d0, priority: 1024 },
      { dst: parsePrefix('198.21.2.0/24'), type: RouteType.RTN_BLACKHOLE },
      { dst: parsePrefix('198.21.3.0/24'), type: RouteType.RTN_UNREACHABLE },
      { dst: parsePrefix('198.21.4.0/24'), type: RouteType.RTN_PROHIBIT },
      {
        dst: parsePrefix('198.21.5.0/24'),
        multipath: [
          { gateway: parseAddress('198.18.0.2'), oif: d0, flags: 0, weight: 1 },
          { gateway: parseAddress('198.18.0.3'), oif: d0, flags: 0, weight: 2 },
        ],
      },
      { dst: parsePrefix('198.21.6.0/24'), gateway: parseAddress('fd00::6'), oif: d0 },
      { dst: parsePrefix('198.21.7.0/24'), gateway: parseAddress('192.0.2.7'), oif: d0, flags: RouteFlag.RTNH_F_ONLINK },
      { dst: parsePrefix('198.21.8.0/24'), oif: d0 },
      { dst: parsePrefix('198.21.9.0/24'), gateway: parseAddress('198.18.0.2'), table: 1000 },
      { dst: parsePrefix('fd00:21:1::/64'), gateway: parseAddress('fd00::2'), priority: 1024 },
      { dst: parsePrefix('fd00:21:2::/64'), type: RouteType.RTN_BLACKHOLE, priority: 1024 },
      {
        dst: parsePrefix('fd00:21:3::/64'),
        multipath: [
          { gateway: parseAddress('fd00::2'), oif: d0, flags: 0, weight: 1 },
          { gateway: parseAddress('fd00::3'), oif: d0, flags: 0, weight: 1 },
        ],
      },
    ];
    for (const r of routes) w.enqueue(RouteOp.ADD, r);
    assert.deepEqual((await w.flush()).failures, []);
    const text = ns.ip('route', 'show') + ns.ip('-6', 'route', 'show') + ns.ip('route', 'show', 'table', '1000');
    for (const line of [
      '198.21.1.0/24 via 198.18.0.2 dev d0 proto bird metric 1024',
      'blackhole 198.21.2.0/24 proto bird',
      'unreachable 198.21.3.0/24 proto bird',
      'prohibit 198.21.4.0/24 proto bird',
      '198.21.6.0/24 via inet6 fd00::6 dev d0 proto bird',
      '198.21.7.0/24 via 192.0.2.7 dev d0 proto bird onlink',
      '198.21.8.0/24 dev d0 proto bird scope link',
      '198.21.9.0/24 via 198.18.0.2 dev d0 proto bird',
      'fd00:21:1::/64 via fd00::2 dev d0 proto bird metric 1024',
      'blackhole fd00:21:2::/64 dev lo proto bird metric 1024',
    ]) assert.ok(text.includes(line), `missing "${line}" in:\n${text}`);
    assert.match(text, /198\.21\.5\.0\/24 proto bird \n\s+nexthop via 198\.18\.0\.2 dev d0 weight 1 \n\s+nexthop via 198\.18\.0\.3 dev d0 weight 2/);
    assert.match(text, /fd00:21:3::\/64 proto bird metric 1024 pref medium\s*\n\s+nexthop via fd00::2 dev d0 weight 1 \n\s+nexthop via fd00::3 dev d0 weight 1/);

    const rs = await dumpRoutes();
    const mine = (p: string) => {
      const want = formatPrefix(parsePrefix(p));
      const r = rs.find((x) => x.protocol === RouteProtocol.RTPROT_BIRD && formatPrefix(x.dst) === want);
      assert.ok(r, p);
      return r;
    };
    assert.equal(mine('198.21.9.0/24').table, 1000);
    assert.equal(mine('fd00:21:2::/64').oif, lo);
    assert.equal(mine('198.21.5.0/24').multipath?.[1]?.weight, 2);
    assert.equal(mine('198.21.7.0/24').flags & RouteFlag.RTNH_F_ONLINK, RouteFlag.RTNH_F_ONLINK);

    // Deleting by key with protocol 12 leaves a route of another protocol alone.
    ns.ip('route', 'add', '198.21.10.0/24', 'via', '198.18.0.2', 'proto', '80');
    w.enqueue(RouteOp.DELETE, { dst: parsePrefix('198.21.10.0/24') });
    const del = await w.flush();
    assert.deepEqual(del.failures.map((f) => f.error.code), ['ESRCH']);
    assert.match(ns.ip('route', 'show', '198.21.10.0/24'), /proto 80/);

    for (const r of routes) w.enqueue(RouteOp.DELETE, r);
    assert.deepEqual((await w.flush()).failures, []);
    assert.equal(countProto('bird'), 0);
    assert.equal(ns.ipJson<unknown[]>('-4', 'route', 'show', 'table', '1000').length, 0);
  });
});

describe('links and addresses', () => {
  test('dumps see the veth pair and its addresses', async () => {
    const links = (await client.dump((seq) => buildLinkDump(seq), decodeLink)).items;
    const byName = new Map(links.map((l) => [l.name, l]));
    const l0 = byName.get('d0');
    assert.ok(l0);
    assert.equal(l0.index, d0);
    assert.equal(l0.kind, 'veth');
    assert.equal(l0.mtu, 1500);
    assert.ok(isUp(l0));
    assert.equal(byName.get('d1')?.link, d0, "d1's IFLA_LINK is its peer");
    assert.ok((byName.get('lo')!.flags & LinkFlag.IFF_LOOPBACK) !== 0);
    assert.equal(links.length, ns.ipJson<unknown[]>('link', 'show').length);

    const addrs = (await client.dump((seq) => buildAddrDump(seq), decodeAddr)).items.filter((a): a is KernelAddr => a !== undefined);
    const on0 = addrs.filter((a) => a.index === d0).map((a) => `${formatAddress(a.local ?? a.address!)}/${a.prefixLen}`);
    assert.ok(on0.includes('198.18.0.1/24'), on0.join(' '));
    assert.ok(on0.includes('fd00::1/64'), on0.join(' '));
    assert.ok(addrs.some((a) => a.index === ns.ifindex('lo') && a.afi === Afi.IPV4 && formatAddress(a.local!) === '127.0.0.1'));
  });

  test('events for a link and an address added after subscribing', async () => {
    const mon = ns.socket([RtnlGroup.RTNLGRP_LINK, RtnlGroup.RTNLGRP_IPV4_IFADDR]);
    try {
      const links: [number, KernelLink][] = [];
      const addrs: [number, KernelAddr][] = [];
      mon.on('message', (d: Buffer) =>
        forEachMessage(d, (m) => {
          if (m.type === MsgType.RTM_NEWLINK || m.type === MsgType.RTM_DELLINK) links.push([m.type, decodeLink(m)]);
          if (m.type === MsgType.RTM_NEWADDR || m.type === MsgType.RTM_DELADDR) addrs.push([m.type, decodeAddr(m)!]);
        }),
      );
      ns.ip('link', 'add', 'm0', 'type', 'veth', 'peer', 'name', 'm1');
      ns.ip('addr', 'add', '198.18.50.1/24', 'dev', 'm0');
      ns.ip('link', 'del', 'm0');
      const end = Date.now() + 5000;
      while (!links.some(([t, l]) => t === MsgType.RTM_DELLINK && l.name === 'm0') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const m0 = links.find(([t, l]) => t === MsgType.RTM_NEWLINK && l.name === 'm0');
      assert.ok(m0, `no RTM_NEWLINK for m0 in ${links.map(([t, l]) => `${t}:${l.name}`).join(' ')}`);
      assert.equal(m0[1].kind, 'veth');
      assert.ok(links.some(([t, l]) => t === MsgType.RTM_DELLINK && l.name === 'm0' && l.index === m0[1].index));
      const a = addrs.find(([t, x]) => t === MsgType.RTM_NEWADDR && x.index === m0[1].index);
      assert.ok(a);
      assert.equal(formatAddress(a[1].local!), '198.18.50.1');
      assert.equal(a[1].prefixLen, 24);
    } finally {
      mon.close();
    }
  });
});

describe('sender thread and echo filter', () => {
  test('queued batches are sent in order off the JS thread; an event socket filtering our port id sees others\' changes only', async () => {
    const q = new Client(ns);
    const mon = ns.socket([RtnlGroup.RTNLGRP_IPV4_ROUTE]);
    try {
      assert.equal(q.socket.startSendThread(), true);
      assert.equal(mon.filterOwnEchoes(q.socket.portId), true);
      const seen: string[] = [];
      mon.on('message', (d: Buffer) =>
        forEachMessage(d, (m) => {
          const r = m.type === MsgType.RTM_NEWROUTE || m.type === MsgType.RTM_DELROUTE ? decodeRoute(m) : undefined;
          if (r && r.protocol !== RouteProtocol.RTPROT_KERNEL) seen.push(`${m.type === MsgType.RTM_NEWROUTE ? 'new' : 'del'} ${formatPrefix(r.dst)}`);
        }),
      );
      const { RouteBatchWriter } = await import('../../../src/fib/netlink/batch.js');
      const w = new RouteBatchWriter({ send: (b) => q.socket.send(b), queueSend: (b, id) => q.socket.sendQueued(b, id), maxBatchBytes: 4096 });
      q.socket.on('message', (d: Buffer) => w.receive(d));
      q.socket.on('sendError', (id: number, e: Error & { code?: string }) => w.sendFailed(id, e.code ?? 'ESEND', e.message));
      const dst = (i: number): RouteInput => ({ dst: parsePrefix(`10.231.${i >> 8}.${i & 255}/32`), gateway: parseAddress('198.18.0.2') });
      // Adds then deletes of the same routes across many datagrams: only in-order sending leaves none behind.
      for (let i = 0; i < 500; i++) w.enqueue(RouteOp.ADD, dst(i));
      for (let i = 0; i < 500; i += 2) w.enqueue(RouteOp.DELETE, dst(i));
      const res = await w.flush();
      assert.equal(res.failures.length, 0, JSON.stringify(res.failures.slice(0, 2).map((f) => f.error)));
      assert.ok(w.stats.batches >= 6, `many datagrams: ${w.stats.batches}`);
      const left = ns.ipJson<{ dst: string }[]>('-4', 'route', 'show', 'proto', 'bird').filter((r) => r.dst.startsWith('10.231.'));
      assert.equal(left.length, 250);
      assert.ok(left.every((r) => Number(r.dst.split('.')[3]) % 2 === 1));
      // Someone else's change gets through the filter; none of our 750 writes did.
      ns.ip('route', 'add', '10.232.0.0/24', 'via', '198.18.0.2', 'proto', 'static');
      const deadline = Date.now() + 5000;
      while (!seen.includes('new 10.232.0.0/24') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen, ['new 10.232.0.0/24']);
      ns.ip('route', 'del', '10.232.0.0/24');
      for (let i = 1; i < 500; i += 2) w.enqueue(RouteOp.DELETE, dst(i));
      assert.equal((await w.flush()).failures.length, 0);
    } finally {
      mon.close();
      q.close();
    }
  });
});

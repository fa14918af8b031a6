// Recursive next-hop resolution (src/rib/nexthop.ts) against a model: random host addresses
// of both families, and random static routes put into and removed from the table. After
// every change the resolver must have told its dependent about exactly the hosts whose
// resolving route (longest match, by brute force over the model's routes) changed, and
// resolve() must answer what the model says. The resolver finds the hosts a net covers by
// binary search over its sorted entries: the model finds them by testing every host.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RoutingTable } from '../../src/rib/table.js';
import { NextHopResolver, type NextHopDependent } from '../../src/rib/nexthop.js';
import { intern, RouteDest, type AttrSet } from '../../src/rib/attr-set.js';
import { formatAddress, parseAddress, parsePrefix, type Prefix } from '../../src/rib/prefix.js';
import { makeRoute, type RouteSource } from '../../src/rib/route.js';

const STATIC: RouteSource = { name: 'static1', kind: 'static' };

// Nets from wide to host routes over a small corner of each family, so that they nest and
// the hosts fall inside, outside and on the edges of them.
const NETS: Prefix[] = [
  '0.0.0.0/0', '10.0.0.0/8', '10.0.0.0/16', '10.0.1.0/24', '10.0.1.128/25', '10.0.1.252/30', '10.0.1.255/32', '10.0.0.0/32', '10.0.2.0/23',
  '::/0', 'fd00::/16', 'fd00::/64', 'fd00::100/120', 'fd00::1f0/124', 'fd00::1ff/128', 'fd00::/128', 'fd00:0:0:1::/64',
].map(parsePrefix);
const HOSTS: string[] = [
  '10.0.0.0', '10.0.0.1', '10.0.1.1', '10.0.1.127', '10.0.1.128', '10.0.1.253', '10.0.1.255', '10.0.2.7', '10.0.3.255', '10.1.0.1', '192.0.2.1', '255.255.255.255',
  'fd00::', 'fd00::1', 'fd00::100', 'fd00::1f3', 'fd00::1ff', 'fd00::200', 'fd00:0:0:1::5', 'fd01::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

const covers = (p: Prefix, a: Uint8Array): boolean => {
  if (p.addr.length !== a.length) return false;
  for (let bit = 0; bit < p.len; bit++) if (((p.addr[bit >> 3]! ^ a[bit >> 3]!) & (0x80 >> (bit & 7))) !== 0) return false;
  return true;
};

type Op = { put: boolean; net: number; gw: number };
const opArb: fc.Arbitrary<Op> = fc.record({ put: fc.boolean(), net: fc.nat(NETS.length - 1), gw: fc.nat(2) });

test('the resolver tells exactly the hosts whose resolving route changed, whatever the order of changes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.subarray(HOSTS, { minLength: 1 }), fc.array(opArb, { maxLength: 40 }), async (hostTexts, ops) => {
      const table = new RoutingTable();
      const resolver = new NextHopResolver(table);
      const told: string[] = [];
      const dep: NextHopDependent = { nextHopChanged: (addr) => told.push(formatAddress(addr)) };
      const hosts = hostTexts.map(parseAddress);
      const gateways = (v6: boolean) => [1, 2, 3].map((i) => parseAddress(v6 ? `fe80::${i}` : `192.168.0.${i}`));
      // A reference per route: the table takes over the caller's (and drops it with the route).
      const setFor = (v6: boolean, gw: number): AttrSet => intern({ dest: RouteDest.ROUTER, gateway: gateways(v6)[gw] });
      // The model: the gateway index of each net in the table.
      const model = new Map<number, number>();
      const expected = (a: Uint8Array): string => {
        let best = -1;
        for (const [n] of model) if (covers(NETS[n]!, a) && (best < 0 || NETS[n]!.len > NETS[best]!.len)) best = n;
        return best < 0 ? 'unreachable' : formatAddress(gateways(a.length === 16)[model.get(best)!]!);
      };
      const answer = (a: Uint8Array): string => {
        const r = resolver.resolve(a, dep);
        return r.reachable ? formatAddress(r.gateway!) : 'unreachable';
      };
      for (const h of hosts) assert.equal(answer(h), 'unreachable');
      for (const op of ops) {
        const before = hosts.map(expected);
        const p = NETS[op.net]!;
        if (op.put) {
          table.update(p, STATIC, 0, makeRoute({ prefix: p, attrs: setFor(p.afi === 2, op.gw), source: STATIC }));
          model.set(op.net, op.gw);
        } else {
          table.update(p, STATIC, 0, undefined);
          model.delete(op.net);
        }
        await Promise.resolve(); // the resolver tells its dependents in a microtask
        const after = hosts.map(expected);
        const want = hosts.filter((_, i) => before[i] !== after[i]).map(formatAddress).sort();
        assert.deepEqual(told.sort(), want, `after ${op.put ? 'putting' : 'removing'} ${NETS[op.net]!.addr.length === 4 ? '' : 'v6 '}net ${op.net}`);
        told.length = 0;
        for (let i = 0; i < hosts.length; i++) assert.equal(answer(hosts[i]!), after[i]);
      }
    }),
    { numRuns: 200 },
  );
});

test('forget drops the hosts only the forgotten dependent used, and their changes go unheard', async () => {
  const table = new RoutingTable();
  const resolver = new NextHopResolver(table);
  const heard: string[] = [];
  const a: NextHopDependent = { nextHopChanged: (addr) => heard.push(`a ${formatAddress(addr)}`) };
  const b: NextHopDependent = { nextHopChanged: (addr) => heard.push(`b ${formatAddress(addr)}`) };
  resolver.resolve(parseAddress('10.0.0.1'), a);
  resolver.resolve(parseAddress('10.0.0.2'), a);
  resolver.resolve(parseAddress('10.0.0.2'), b);
  resolver.resolve(parseAddress('fd00::1'), a);
  assert.equal(resolver.size, 3);
  resolver.forget(a);
  assert.equal(resolver.size, 1, '10.0.0.2 stays: b still uses it');
  const p = parsePrefix('10.0.0.0/24');
  table.update(p, STATIC, 0, makeRoute({ prefix: p, attrs: intern({ dest: RouteDest.ROUTER, gateway: parseAddress('192.168.0.1') }), source: STATIC }));
  const q = parsePrefix('fd00::/64');
  table.update(q, STATIC, 0, makeRoute({ prefix: q, attrs: intern({ dest: RouteDest.ROUTER, gateway: parseAddress('fe80::1') }), source: STATIC }));
  await Promise.resolve();
  assert.deepEqual(heard, ['b 10.0.0.2']);
});

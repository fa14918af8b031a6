import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleOrderer } from './idle-order.js';
import { RoutingTable } from './table.js';
import { intern } from './attr-set.js';
import { Afi, Nlri4, type Prefix } from './prefix.js';
import { makeRoute, type RouteSource } from './route.js';

const source: RouteSource = { name: 'static1', kind: 'static' };

function load(table: RoutingTable, from: number, n: number): void {
  for (let i = from; i < from + n; i++) {
    const prefix = new Nlri4((10 << 24) | (i << 8), 24, 0);
    table.update(prefix, source, 0, makeRoute({ prefix, attrs: intern({ origin: 0, nextHop: new Uint8Array([192, 0, 2, 1]) }), source }));
  }
}

const turn = () => new Promise((r) => setImmediate(r));

test('orders only once a tick sees no new prefix, in slices, and stops for a new load', async () => {
  const table = new RoutingTable();
  const orderer = new IdleOrderer(table, 1000);
  load(table, 0, 5000);
  assert.equal(table.pendingOrder, 5000);
  orderer.tick(); // first look: the count is new, so a load may be going on
  assert.equal(orderer.ordering, false);
  load(table, 5000, 100);
  orderer.tick(); // it grew: still loading
  assert.equal(orderer.ordering, false);
  assert.equal(table.pendingOrder, 5100);
  orderer.tick(); // quiet since the last tick: one slice now, the rest on the next turns
  assert.equal(orderer.ordering, true);
  // A slice sorts the load (one run of it), the next ones put it into the order.
  for (let i = 0; i < 10 && table.pendingOrder === 5100; i++) await turn();
  const mid = table.pendingOrder;
  assert.ok(mid < 5100 && mid > 0, `${mid} left after some slices`);
  // A new load between slices: the orderer steps back until a quiet tick.
  load(table, 6000, 10);
  await turn();
  assert.equal(orderer.ordering, false);
  assert.equal(table.pendingOrder, mid + 10);
  orderer.tick();
  orderer.tick();
  while (orderer.ordering) await turn();
  assert.equal(table.pendingOrder, 0);
  // The order is whole: a walk in prefix order finds every net, and settles nothing more.
  const seen: Prefix[] = [];
  table.walk((net) => seen.push(net.prefix));
  assert.equal(seen.length, 5110);
  assert.equal(table.longestMatch(new Uint8Array([10, 0, 42, 7]))?.prefix.len, 24);
  orderer.stop();
  load(table, 7000, 5);
  orderer.tick();
  orderer.tick();
  assert.equal(orderer.ordering, false, 'stopped: no more ordering');
  assert.equal(table.pendingOrder, 5);
});

test('with its timer, a quiet table gets ordered without anyone walking it', async () => {
  const table = new RoutingTable();
  load(table, 0, 20000);
  const orderer = new IdleOrderer(table);
  orderer.start(5);
  // No wall-time assertion: wait (up to a generous bound) for the ordering to finish.
  for (let i = 0; i < 2000 && table.pendingOrder > 0; i++) await new Promise((r) => setTimeout(r, 5));
  orderer.stop();
  assert.equal(table.pendingOrder, 0);
  assert.equal(table.stats().nets, 20000);
});

test('a cursor over a big unordered load orders it in slices, returning nothing until it is ordered, and then every net in order', () => {
  const table = new RoutingTable();
  load(table, 0, 40000);
  const cursor = table.cursor(Afi.IPV4);
  let empty = 0;
  const seen: number[] = [];
  while (!cursor.done) {
    const before = table.pendingOrder;
    const batch = cursor.next(1000);
    if (batch.length === 0 && !cursor.done) {
      empty++;
      // A slice sorted a run of the load or put part of it into the order.
      assert.ok(table.pendingOrder <= before, 'nothing pending came back');
    }
    for (const e of batch) seen.push(e.prefix.addr[1]! * 256 + e.prefix.addr[2]!);
  }
  assert.ok(empty >= 2, `${empty} calls ordered slices first`);
  assert.equal(seen.length, 40000);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, 'prefix order');
});

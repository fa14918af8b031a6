// The JIT warm-up (warmup.ts): both families go through real loopback sessions into a
// private table and out to both peers, announcements and withdrawals; afterwards nothing
// of it is left (attribute sets, sockets, servers); a timeout rejects and cleans up too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_WARM_UP_ROUTES, warmUp, syntheticRoutes } from './warmup.js';
import { nullLogger } from './log.js';
import { attrSets } from './rib/attr-set.js';
import { Afi } from './rib/prefix.js';
import { DEFAULT_CODEC_CONTEXT, decodeUpdate } from './bgp/codec/index.js';
import type { RoutingTable } from './rib/table.js';
import type { NextHopResolver } from './rib/nexthop.js';
import type { ProtocolContext } from './protocol.js';

const context = (table: RoutingTable, resolver: NextHopResolver): ProtocolContext => ({ table, resolver, log: nullLogger, routerId: 0xc0000201, recovering: false });

/** Sockets and servers of this process, by kind. */
function handles(): string {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).sort().join(',');
}

async function settled(): Promise<void> {
  // Closed sockets leave the resource list a turn or two later.
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
}

for (const ipv6 of [false, true]) {
  test(`${ipv6 ? 'IPv6 over ::1' : 'IPv4 over 127.0.0.1'}: every route reaches both peers and is withdrawn from them; nothing is left`, async () => {
    const sets = attrSets.size, before = handles();
    const r = await warmUp({ ipv6, routes: 3000, context });
    assert.deepEqual(r.received, [{ announced: 3000, withdrawn: 3000 }, { announced: 3000, withdrawn: 3000 }], 'the eBGP and the iBGP peer');
    assert.equal(r.routes, 3000);
    await settled();
    assert.equal(attrSets.size, sets, 'every attribute set released');
    assert.equal(handles(), before, 'every socket and server closed');
  });
}

test('more routes than MAX_WARM_UP_ROUTES are capped (the UPDATEs are encoded up front)', async () => {
  const r = await warmUp({ ipv6: false, routes: Infinity, context });
  assert.equal(r.routes, MAX_WARM_UP_ROUTES);
  assert.deepEqual(r.received[0], { announced: MAX_WARM_UP_ROUTES, withdrawn: MAX_WARM_UP_ROUTES });
  await settled();
});

test('a warm-up that cannot finish in time rejects, and cleans up all the same', async () => {
  const sets = attrSets.size, before = handles();
  await assert.rejects(warmUp({ ipv6: false, routes: 3000, context, timeoutMs: 1 }), /timed out after 1 ms/);
  await settled();
  assert.equal(attrSets.size, sets);
  assert.equal(handles(), before);
});

test('the synthetic routes: distinct prefixes in the family, attributes as a table has them', () => {
  for (const afi of [Afi.IPV4, Afi.IPV6]) {
    const ctx = { ...DEFAULT_CODEC_CONTEXT, as4: true };
    const { announce, withdraw, count } = syntheticRoutes(afi, 2000, ctx);
    assert.equal(count, 2000);
    const seen = new Set<string>();
    let withMed = 0, withCommunities = 0, as4 = 0;
    for (const m of announce) {
      const u = decodeUpdate(m, ctx);
      const nlri = afi === Afi.IPV4 ? u.nlri : u.mpReach!.nlri;
      assert.ok(nlri.length >= 1 && nlri.length <= 12);
      for (const n of nlri) {
        assert.equal(n.afi, afi);
        seen.add(`${n.addr.join('.')}/${n.len}`);
      }
      if (u.attributes.med !== undefined) withMed++;
      if (u.attributes.communities !== undefined) withCommunities++;
      if (u.attributes.asPath![0]!.asns.some((a) => a > 0xffff)) as4++;
    }
    assert.equal(seen.size, 2000, 'distinct prefixes');
    // Each kind of set is common, none is universal.
    for (const k of [withMed, withCommunities, as4]) assert.ok(k > announce.length / 10 && k < announce.length, `${k} of ${announce.length}`);
    let withdrawn = 0;
    for (const m of withdraw) {
      const u = decodeUpdate(m, ctx);
      withdrawn += afi === Afi.IPV4 ? u.withdrawn.length : u.mpUnreach!.withdrawn.length;
    }
    assert.equal(withdrawn, 2000);
  }
});

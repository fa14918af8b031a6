// Shared by the routing-table interop tests (test/conformance/rib-interop*.test.ts): waiting
// for routes at Wren and at BIRD, and for what Wren exports to a peer, with the context to
// show when a wait runs out.

import assert from 'node:assert/strict';
import type { Bird, BirdRoute } from './peers.js';
import { until } from './poll.js';
import type { Wrend, WrenRoute } from './wrend.js';

/** BIRD's routes for a prefix; [] when birdc says "Network not found". */
export async function birdRoutes(bird: Bird, prefix: string): Promise<BirdRoute[]> {
  try {
    return await bird.routes(prefix);
  } catch (e) {
    if (/Network not found/.test((e as Error).message)) return [];
    throw e;
  }
}

/** A BIRD 2 route's BGP attributes only (no Type/Preference lines). */
export const bgpAttrs = (r: BirdRoute): Record<string, string> =>
  Object.fromEntries(Object.entries(r.attrs).filter(([k]) => k.startsWith('BGP.')));

export const wrenUntil = async (w: Wrend, prefix: string, n: number, what: string): Promise<WrenRoute[]> =>
  until(
    async () => {
      const r = await w.routes(prefix);
      return r.length === n ? r : undefined;
    },
    { what, timeoutMs: 30_000, context: () => w.log() },
  );

export const birdUntil = async (b: Bird, prefix: string, n: number, what: string, pred: (r: BirdRoute[]) => boolean = () => true): Promise<BirdRoute[]> =>
  until(
    async () => {
      const r = await birdRoutes(b, prefix);
      return r.length === n && pred(r) ? r : undefined;
    },
    { what, timeoutMs: 30_000, context: () => b.log() },
  );

/**
 * Waits until `show route export <proto>` lists exactly `prefixes` (what Wren's export rules
 * and filter pass to that peer), then asserts it.
 */
export async function exportsUntil(w: Wrend, proto: string, prefixes: readonly string[], mayAlsoHold?: string): Promise<void> {
  const want = [...prefixes].sort();
  let last: string[] = [];
  const matches = () => JSON.stringify(last.filter((p) => p !== mayAlsoHold)) === JSON.stringify(want);
  await until(
    async () => {
      last = (await w.routes(`export ${proto}`)).map((r) => r.prefix).sort();
      return matches();
    },
    { what: `${w.name} exports ${want.join(' ')} to ${proto}`, timeoutMs: 30_000, context: () => w.log() },
  );
  assert.ok(matches(), `${w.name} exports to ${proto}: ${last.join(' ')}`);
}

/** A GoBGP TOML configuration with one IPv4 unicast neighbour and the tests' short timers. */
export function gobgpIpv4Peer(o: { as: number; routerId: string; local: string; neighbor: string; peerAs: number }): string {
  return `
[global.config]
  as = ${o.as}
  router-id = "${o.routerId}"
  local-address-list = ["${o.local}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${o.neighbor}"
    peer-as = ${o.peerAs}
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
    connect-retry = 1
  [neighbors.transport.config]
    local-address = "${o.local}"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`;
}

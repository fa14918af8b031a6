// `show route` over a table whose last load is not yet in the trie's order (a full table
// still arriving): the daemon's listing yields ROUTES_PAUSE while its cursor orders slices of
// the backlog, the server lets the event loop turn at each, and the listing is still whole
// and in prefix order (rib/table.ts TableCursor, control/daemon-source.ts, execute.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon } from '../../src/daemon.js';
import { DaemonControlSource } from '../../src/control/daemon-source.js';
import { ROUTES_PAUSE, type RouteQuery } from '../../src/control/model.js';
import { runLine } from '../../src/control/execute.js';
import { stringSink } from '../../src/control/format.js';
import { intern } from '../../src/rib/attr-set.js';
import { Nlri4 } from '../../src/rib/prefix.js';
import { makeRoute, type RouteSource } from '../../src/rib/route.js';
import { nullLogger } from '../../src/log.js';

const N = 40000;

function daemonWithLoad(): Daemon {
  const d = new Daemon({ configFile: '/nonexistent', socketPath: '/nonexistent', foreground: true, debug: false, recover: false, ipv6: false, jsonLogs: false }, nullLogger);
  const source: RouteSource = { name: 'static1', kind: 'static' };
  for (let i = 0; i < N; i++) {
    const prefix = new Nlri4((10 << 24) | (i << 8), 24, 0);
    d.table.update(prefix, source, 0, makeRoute({ prefix, attrs: intern({ origin: 0, nextHop: new Uint8Array([192, 0, 2, 1]) }), source }));
  }
  return d;
}

const LIST: RouteQuery = { verbose: false, primaryOnly: false, filtered: false, stats: 0 };

test('the listing pauses while the backlog is ordered, then gives every net in prefix order', () => {
  const d = daemonWithLoad();
  assert.ok(d.table.pendingOrder > 16384, 'a backlog to order');
  const nets = new DaemonControlSource(d).routes(LIST)!;
  let pauses = 0;
  const prefixes: string[] = [];
  for (const net of nets) {
    if (net === ROUTES_PAUSE) pauses++;
    else prefixes.push(net.prefix);
  }
  assert.ok(pauses >= 2, `${pauses} pauses`);
  assert.equal(prefixes.length, N);
  assert.equal(prefixes[0], '10.0.0.0/24');
  assert.equal(prefixes[N - 1], `10.${(N - 1) >> 8}.${(N - 1) & 255}.0/24`);
  assert.equal(d.table.pendingOrder, 0);
});

test('show route count turns the event loop at each pause and counts only the nets', async () => {
  const d = daemonWithLoad();
  const base = stringSink();
  let paces = 0;
  const sink = { ...base, pace: async () => { paces++; await base.pace(); } };
  await runLine('show route count', { source: new DaemonControlSource(d), now: () => new Date(), family: 'ipv4', batch: 1_000_000 }, { restricted: false }, sink);
  assert.match(base.text(), new RegExp(`${N} of ${N} routes for ${N} networks`));
  assert.ok(paces >= 2, `${paces} turns (the batch of a million lines alone would give none)`);
});

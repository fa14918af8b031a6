// Smoke test of the propagation benchmark harness (bench/harness): the whole tester → BIRD 2
// → monitor path in network namespaces with a 2 000-prefix IPv4 table, checking that the
// monitor ends up holding every prefix with the DUT's AS first in every AS_PATH and the
// sampled attributes intact, and that the DUT figures were read. No assertion on time.
// Needs root and bird2 (a system test, like test/conformance). The harness's pure parts are
// tested in harness-parts.test.ts.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, parsePrefix } from '../../src/rib/prefix.js';
import { ebgpScenario, runOnce } from '../../bench/harness/run.js';
import { encodeTable, generateTable } from '../../bench/harness/table.js';

describe('tester → BIRD 2 → monitor (namespaces)', () => {
  test('the monitor holds all 2 000 prefixes with BIRD\'s AS first', { timeout: 30_000 }, async () => {
    const r = await runOnce('bird', ebgpScenario(Afi.IPV4, 2000), { timeoutS: 20 });
    assert.equal(r.status, 'ok', r.detail);
    assert.equal(r.held, 2000);
    assert.equal(r.target, 2000);
    const c = r.checks;
    assert.ok(c && 'firstAsBad' in c);
    assert.ok(c.updates > 0);
    assert.equal(c.firstAsBad, 0, c.examples.join('; '));
    assert.ok(c.sampled >= 1000);
    assert.equal(c.sampleBad, 0, c.examples.join('; '));
    const sc = ebgpScenario(Afi.IPV4, 2000);
    assert.ok(sc.kind === 'ebgp');
    const expected = encodeTable(generateTable({ afi: Afi.IPV4, count: 2000, seed: sc.seed, firstAs: 65001 }), { global: parsePrefix('198.18.1.2').addr });
    assert.equal(r.messages, expected.messages.length);
    assert.ok(r.cpuS !== undefined && r.cpuS >= 0);
    assert.ok(r.peakRssMiB !== undefined && r.peakRssMiB > 1);
    assert.ok(r.wallS !== undefined && r.wallS > 0);
  });
});

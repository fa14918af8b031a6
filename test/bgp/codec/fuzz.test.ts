// Fuzz: 20k mutated messages decoded with random contexts; only BgpError may escape.
// (bench/fuzz.ts runs the same fuzzer for ≥ 1M mutations.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz } from './fuzz-lib.js';

test('20k mutations: decodeMessage throws nothing but BgpError', () => {
  const r = fuzz(20_000, Number(process.env.FUZZ_SEED ?? 7));
  assert.deepEqual(r.failures, []);
  assert.equal(r.count, 20_000);
  // The mutations must exercise both outcomes, or the fuzzer is not doing its job.
  assert.ok(r.decoded > 1000, `decoded ${r.decoded}`);
  assert.ok(r.bgpErrors > 1000, `BgpErrors ${r.bgpErrors}`);
});

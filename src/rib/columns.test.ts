import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { grown, retire, RETIRE_FREES } from './columns.js';

const BIG = 1 << 16; // entries: above retire's size threshold for every column type

test('grown keeps the contents, fills the tail, and returns a column big enough as it is', () => {
  const a = new Int32Array(BIG);
  for (let i = 0; i < a.length; i++) a[i] = i * 3 - 7;
  const snapshot = a.slice();
  const b = grown(a, 2 * BIG, -1);
  assert.ok(b instanceof Int32Array);
  assert.equal(b.length, 2 * BIG);
  assert.deepEqual(b.subarray(0, BIG), snapshot);
  assert.ok(b.subarray(BIG).every((x) => x === -1));
  assert.equal(grown(b, BIG), b, 'no copy when it is big enough');
  const u = grown(new Uint16Array([1, 2, 3]), 5);
  assert.ok(u instanceof Uint16Array);
  assert.deepEqual([...u], [1, 2, 3, 0, 0]);
});

test('retire frees the old storage at once (Node 20 lends ArrayBuffer.prototype.transfer from a context made with its flag)', () => {
  assert.equal(RETIRE_FREES, true, 'every Node this project supports (>= 20) has or lends transfer');
  const a = new Float64Array(BIG).fill(1.5);
  const b = grown(a, 2 * BIG);
  assert.equal(b[BIG - 1], 1.5);
  assert.equal(a.length, 0, 'the old column is detached');
  // The flag is set back: this realm's prototype is as it was.
  const own = (ArrayBuffer.prototype as { transfer?: unknown }).transfer;
  assert.ok(own === undefined || process.versions.node.split('.')[0] !== '20');
  // Small columns, subarrays and shared buffers are never detached.
  const small = new Int32Array(16);
  retire(small);
  assert.equal(small.length, 16);
  const whole = new Int32Array(2 * BIG);
  const part = whole.subarray(0, BIG);
  retire(part);
  assert.equal(whole.length, 2 * BIG);
  assert.equal(part.length, BIG);
});

test('a plain node process (no flags) frees them too, and prints nothing about flags', () => {
  const here = fileURLToPath(new URL('./columns.js', import.meta.url)).replace(/\.js$/, '.ts');
  const script = `import { grown, RETIRE_FREES } from ${JSON.stringify(here)};
    const a = new Int32Array(${BIG}).fill(5); const b = grown(a, ${2 * BIG});
    console.log(JSON.stringify({ frees: RETIRE_FREES, old: a.length, kept: b[${BIG - 1}] }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual(JSON.parse(r.stdout), { frees: true, old: 0, kept: 5 });
});

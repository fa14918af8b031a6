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

test('retire frees the old storage where the runtime has ArrayBuffer.prototype.transfer, and is a no-op otherwise', () => {
  const a = new Float64Array(BIG).fill(1.5);
  const b = grown(a, 2 * BIG);
  assert.equal(b[BIG - 1], 1.5);
  if (RETIRE_FREES) assert.equal(a.length, 0, 'the old column is detached');
  else assert.equal(a.length, BIG, 'without transfer the old column is left to the GC');
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

test('with the daemon flag (DAEMON_NODE_FLAGS) retire detaches the old column; without it the column stays', () => {
  const here = fileURLToPath(new URL('./columns.js', import.meta.url)).replace(/\.js$/, '.ts');
  const script = `import { grown, RETIRE_FREES } from ${JSON.stringify(here)};
    const a = new Int32Array(${BIG}).fill(5); const b = grown(a, ${2 * BIG});
    console.log(JSON.stringify({ frees: RETIRE_FREES, old: a.length, kept: b[${BIG - 1}] }));`;
  const run = (flags: string[]) => {
    const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { frees: boolean; old: number; kept: number };
  };
  assert.deepEqual(run(['--harmony-rab-gsab-transfer']), { frees: true, old: 0, kept: 5 });
  assert.deepEqual(run([]), { frees: false, old: BIG, kept: 5 });
});

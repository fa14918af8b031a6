import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { grown, retire, RETIRE_FREES } from './columns.js';

const BIG = 1 << 16; // entries: above retire's size threshold for every column type

/** This process's resident anonymous memory, KiB. */
const rssAnon = (): number => Number(/RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

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

test('retire gives the old storage back at once and leaves the buffer attached', () => {
  assert.equal(RETIRE_FREES, true, 'the native addon is built (npm ci)');
  const n = 8 << 20; // 64 MiB of float64
  const a = new Float64Array(n).fill(1.5);
  const before = rssAnon();
  const b = grown(a, n + 1);
  assert.equal(b[n - 1], 1.5);
  // b's copy made 64 MiB resident and a's 64 MiB went back: about no net growth, where a
  // left to the GC would still count (+64 MiB).
  const grew = rssAnon() - before;
  assert.ok(grew < 16 * 1024, `resident anonymous memory grew by ${grew} KiB, expected ~0, not ~64 MiB`);
  assert.equal(a.length, n, 'not detached: detaching would slow every typed-array access in the process');
  assert.equal(a[n >> 1], 0, 'the released pages read as zeros');
  // Small columns and subarrays are left alone.
  const small = new Int32Array(16).fill(7);
  retire(small);
  assert.equal(small[3], 7);
  const whole = new Int32Array(2 * BIG).fill(9);
  retire(whole.subarray(0, BIG));
  assert.equal(whole[BIG >> 1], 9);
});

test('a plain node process (no flags) gives storage back too, never detaches, and prints nothing', () => {
  const here = fileURLToPath(new URL('./columns.js', import.meta.url)).replace(/\.js$/, '.ts');
  const script = `import { grown, RETIRE_FREES } from ${JSON.stringify(here)};
    const a = new Int32Array(${BIG}).fill(5); const b = grown(a, ${2 * BIG});
    console.log(JSON.stringify({ frees: RETIRE_FREES, old: a.length, kept: b[${BIG - 1}], zero: a[${BIG >> 1}] }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual(JSON.parse(r.stdout), { frees: true, old: BIG, kept: 5, zero: 0 });
});

test('detachOnRetire (tests only) makes retired columns empty, and leaves this realm\'s prototype as it was', () => {
  const here = fileURLToPath(new URL('./columns.js', import.meta.url)).replace(/\.js$/, '.ts');
  const script = `import { grown, detachOnRetire } from ${JSON.stringify(here)};
    detachOnRetire(0);
    const a = new Int32Array(4).fill(5); const b = grown(a, 8);
    const own = ArrayBuffer.prototype.transfer;
    console.log(JSON.stringify({ old: a.length, kept: b[3], proto: own === undefined || process.versions.node.split('.')[0] !== '20' }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { old: 0, kept: 5, proto: true });
});

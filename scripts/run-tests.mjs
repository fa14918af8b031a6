// Test runner: finds every *.test.ts under test/, src/ and conf/ and runs them with node's
// test runner through tsx. `--unit` leaves out the tests that need root and network
// namespaces (test/conformance, test/native, the lab). Conformance tests run one file at a time (they create
// namespaces and start real daemons); unit tests run in parallel.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const filter = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    if (e === 'node_modules' || e === 'dist') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = ['src', 'conf', 'test'].flatMap((d) => walk(d, [])).sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
// Tests that need root, network namespaces and real daemons: left out by --unit.
const isSystem = (f) =>
  f.startsWith('test/conformance') || f.startsWith('test/native') || f.startsWith('test/bench') || f.includes('/lab') ||
  f.endsWith('kernel.test.ts') || (f.startsWith('test/fib/') && !f.startsWith('test/fib/netlink/'));
const isSerial = (f) => f.startsWith('test/conformance') || f.includes('/lab');
const unit = files.filter((f) => !isSerial(f) && !(unitOnly && isSystem(f)));
const serial = unitOnly ? [] : files.filter(isSerial);

const args = ['--import', 'tsx', '--test', '--test-reporter=spec'];
let status = 0;
if (unit.length) {
  const r = spawnSync(process.execPath, [...args, ...unit], { stdio: 'inherit' });
  status ||= r.status ?? 1;
}
if (serial.length) {
  const r = spawnSync(process.execPath, [...args, '--test-concurrency=1', ...serial], { stdio: 'inherit' });
  status ||= r.status ?? 1;
}
process.exit(status);

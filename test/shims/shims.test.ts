// `wrenc install-calico-shims` (src/shims.ts) against the process contract of contract.md §1:
// the scripts it writes make argv[0] read exactly `bird`/`bird6` (calicoctl's /proc/*/cmdline
// scan), `bird --version` prints a BIRD version line, `bird -p` parse-checks, the daemon runs
// in the foreground with signals reaching it, and `birdcl -s <sock> show status` prints
// output starting with `BIRD` (the liveness probe). The compiled runtime is tested from a
// private build (tsc into a temporary root, so the repository's dist/ is left alone); the
// dev runtime from the sources.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, readdirSync, existsSync, mkdirSync, copyFileSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCalicoShims, pickRuntime, shimScripts, SHIM_NAMES, DAEMON_NODE_FLAGS } from '../../src/shims.js';
import { runCli } from '../../src/cli/main.js';
import { WrenError } from '../../src/bgp/errors.js';
import { until } from '../helpers/poll.js';

const repo = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const dir = mkdtempSync(join(tmpdir(), 'wren-shims-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const GOOD_V4 = 'router id 192.0.2.1;\nprotocol device { scan time 2; }\nprotocol static { route 198.18.9.0/24 blackhole; }\n';
const GOOD_V6 = 'router id 192.0.2.1;\nprotocol device { scan time 2; }\nprotocol static { route fd00:9::/64 blackhole; }\n';
const BAD = 'router id 192.0.2.1;\nprotocol bgp p {\n  local as 65000;\n  neighbor 192.0.2.999 as 65001;\n}\n';

function conf(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 });
}

/** argv as /proc/<pid>/cmdline holds it. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').slice(0, -1);
}

/** calicoctl's psContains: pids of processes whose argv[0] is exactly `name`. */
function psContains(name: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (cmdline(Number(e))[0] === name) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

// ---- the scripts themselves -------------------------------------------------------------------

test('each script execs node with argv[0] set to its own name, paths quoted for the shell', () => {
  const s = shimScripts({ root: "/opt/it's wren", runtime: 'dist', node: '/usr/bin/node', bash: '/bin/bash' });
  assert.deepEqual(Object.keys(s).sort(), [...SHIM_NAMES].sort());
  for (const name of SHIM_NAMES) {
    const text = s[name];
    assert.ok(text.startsWith('#!/bin/bash\n# wren-calico-shim (dist)'), text);
    const last = text.trimEnd().split('\n').at(-1)!;
    const prog = name.startsWith('birdcl') ? 'wrenc.js' : 'wrend.js';
    // The daemon runs with DAEMON_NODE_FLAGS (a small young generation); the client without.
    const flags = prog === 'wrend.js' ? `${DAEMON_NODE_FLAGS.join(' ')} ` : '';
    assert.equal(last, `exec -a ${name} '/usr/bin/node' ${flags}'/opt/it'\\''s wren/bin/${prog}' "$@"`);
    // Syntactically valid bash.
    const f = join(dir, `syntax-${name}`);
    writeFileSync(f, text);
    assert.equal(run('/bin/bash', ['-n', f]).status, 0);
  }
  const dev = shimScripts({ root: '/r', runtime: 'dev', node: '/n', bash: '/bin/bash' });
  assert.match(dev.bird, /\nexec -a bird '\/n' --max-semi-space-size=4 --no-allocation-site-pretenuring --import '\/r\/node_modules\/tsx\/dist\/loader\.mjs' '\/r\/scripts\/wrend-dev\.mjs' "\$@"\n$/);
  assert.match(dev.birdcl6, /\nexec -a birdcl6 '\/n' --import '\/r\/node_modules\/tsx\/dist\/loader\.mjs' '\/r\/src\/cli\/main\.ts' "\$@"\n$/);
});

test('the installer refuses to replace files it did not write (unless forced) and replaces its own', () => {
  const d = join(dir, 'refuse');
  mkdirSync(d);
  writeFileSync(join(d, 'birdcl'), '#!/bin/sh\necho real birdcl\n');
  assert.throws(() => installCalicoShims(d, { runtime: 'dev' }), (e: unknown) => e instanceof WrenError && e.code === 'SHIM_EXISTS');
  // Nothing was written: the refusal comes before any file.
  assert.deepEqual(readdirSync(d), ['birdcl']);
  assert.equal(readFileSync(join(d, 'birdcl'), 'utf8'), '#!/bin/sh\necho real birdcl\n');
  const r = installCalicoShims(d, { runtime: 'dev', force: true });
  assert.equal(r.runtime, 'dev');
  assert.deepEqual(readdirSync(d).sort(), [...SHIM_NAMES].sort());
  for (const f of r.files) assert.equal(statSync(f).mode & 0o777, 0o755, f);
  assert.match(readFileSync(join(d, 'birdcl'), 'utf8'), /wren-calico-shim/);
  // Re-installing over our own scripts needs no force.
  assert.equal(installCalicoShims(d, { runtime: 'dev' }).files.length, 4);
});

test('runtime choice: dist needs a build, auto falls back to the sources', () => {
  const fake = join(dir, 'no-build');
  mkdirSync(join(fake, 'src'), { recursive: true });
  assert.throws(() => pickRuntime(fake, 'dist'), (e: unknown) => e instanceof WrenError && e.code === 'SHIM_NO_DIST');
  assert.throws(() => pickRuntime(fake, 'auto'), (e: unknown) => e instanceof WrenError && e.code === 'SHIM_NO_RUNTIME');
  mkdirSync(join(fake, 'node_modules/tsx/dist'), { recursive: true });
  writeFileSync(join(fake, 'node_modules/tsx/dist/loader.mjs'), '');
  writeFileSync(join(fake, 'src/main.ts'), '');
  assert.equal(pickRuntime(fake, 'auto'), 'dev');
  mkdirSync(join(fake, 'dist/src/cli'), { recursive: true });
  writeFileSync(join(fake, 'dist/src/main.js'), '');
  writeFileSync(join(fake, 'dist/src/cli/main.js'), '');
  assert.equal(pickRuntime(fake, 'auto'), 'dist');
  assert.equal(pickRuntime(fake, 'dev'), 'dev');
});

test('wrenc install-calico-shims: usage errors exit 1, success lists the files', async () => {
  const io = () => {
    const o = { out: '', err: '' };
    return { o, io: { out: (t: string) => void (o.out += t), err: (t: string) => void (o.err += t) } };
  };
  let c = io();
  assert.equal(await runCli(['install-calico-shims'], c.io), 1);
  assert.match(c.o.err, /^Usage: wrenc install-calico-shims <dir>/);
  c = io();
  assert.equal(await runCli(['install-calico-shims', join(dir, 'x'), '--bogus'], c.io), 1);
  c = io();
  const d = join(dir, 'via-cli');
  assert.equal(await runCli(['install-calico-shims', d, '--dev'], c.io), 0, c.o.err);
  assert.equal(c.o.out, SHIM_NAMES.map((n) => `installed ${join(d, n)} (dev)\n`).join(''));
  writeFileSync(join(dir, 'foreign'), 'x');
  c = io();
  const d2 = join(dir, 'foreign-dir');
  mkdirSync(d2);
  writeFileSync(join(d2, 'bird'), 'ELF');
  assert.equal(await runCli(['install-calico-shims', d2, '--dev'], c.io), 1);
  assert.match(c.o.err, /bird exists and was not written by wrenc/);
});

// ---- the compiled runtime, end to end ---------------------------------------------------------

/** A private Wren installation: package.json, bin/, a fresh build, node_modules and native linked. */
const built = join(dir, 'wren-root');
const shimDir = join(dir, 'bin');

before(() => {
  mkdirSync(join(built, 'bin'), { recursive: true });
  copyFileSync(join(repo, 'package.json'), join(built, 'package.json'));
  for (const f of ['wrend.js', 'wrenc.js']) copyFileSync(join(repo, 'bin', f), join(built, 'bin', f));
  symlinkSync(join(repo, 'node_modules'), join(built, 'node_modules'));
  symlinkSync(join(repo, 'native'), join(built, 'native'));
  // tsc emits even when files other helpers are editing do not type-check yet; what matters
  // here is the emitted JavaScript (type errors are `npm run typecheck`'s business).
  const r = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.build.json'), '--outDir', join(built, 'dist')], {
    cwd: repo,
    encoding: 'utf8',
  });
  assert.ok(existsSync(join(built, 'dist/src/main.js')) && existsSync(join(built, 'dist/src/cli/main.js')), `build failed:\n${r.stdout}${r.stderr}`);
  // Installed through the compiled client itself: the installer finds its root from there.
  const i = spawnSync(process.execPath, [join(built, 'bin/wrenc.js'), 'install-calico-shims', shimDir], { encoding: 'utf8' });
  assert.equal(i.status, 0, i.stderr);
  assert.equal(i.stdout, SHIM_NAMES.map((n) => `installed ${join(shimDir, n)} (dist)\n`).join(''));
});

test('dist: `bird --version` prints a BIRD version line on stderr; bird/bird6 -p parse-check in their own dialect', () => {
  assert.match(readFileSync(join(shimDir, 'bird'), 'utf8'), new RegExp(`'${built}/bin/wrend\\.js' "\\$@"\\n$`));
  const v = run(join(shimDir, 'bird'), ['--version']);
  assert.equal(v.status, 0);
  assert.ok(v.stderr.startsWith('BIRD version v'), v.stderr);
  assert.equal(v.stdout, '');

  const good = conf('good.conf', GOOD_V4);
  const p = run(join(shimDir, 'bird'), ['-p', '-c', good]);
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stderr, '');
  const bad = run(join(shimDir, 'bird'), ['-p', '-c', conf('bad.conf', BAD)]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^bird: .*bad\.conf:4:\d+ /);

  // bird6 is the IPv6 daemon (argv0 `bird6`): it takes an IPv6 static route that bird refuses.
  const v6 = conf('good6.conf', GOOD_V6);
  const p6 = run(join(shimDir, 'bird6'), ['-p', '-c', v6]);
  assert.equal(p6.status, 0, p6.stderr);
  const p6as4 = run(join(shimDir, 'bird'), ['-p', '-c', v6]);
  assert.equal(p6as4.status, 1);
  assert.match(p6as4.stderr, /^bird: /);
  const p6bad = run(join(shimDir, 'bird6'), ['-p', '-c', conf('bad6.conf', BAD)]);
  assert.equal(p6bad.status, 1);
  assert.match(p6bad.stderr, /^bird6: /);
});

class Running {
  readonly proc: ChildProcess;
  log = '';
  constructor(cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
  }
  get pid(): number {
    assert.ok(this.proc.pid !== undefined);
    return this.proc.pid;
  }
  async stop(): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    const exited = new Promise<number | null>((r) => this.proc.once('exit', (code) => r(code)));
    this.proc.kill('SIGTERM');
    return exited;
  }
}

for (const [name, client, text] of [
  ['bird', 'birdcl', GOOD_V4],
  ['bird6', 'birdcl6', GOOD_V6],
] as const) {
  test(`dist: \`${name} -d -c <conf> -s <sock>\` runs as argv[0] \`${name}\`, \`${client} -s <sock> show status\` starts with BIRD, SIGHUP reloads, SIGTERM stops`, async () => {
    const sock = join(dir, `${name}.ctl`);
    const d = new Running(join(shimDir, name), ['-d', '-c', conf(`${name}-run.conf`, text), '-s', sock]);
    try {
      // The control socket (the daemon's, wired in runDaemon): poll up to 20 s.
      await until(() => existsSync(sock), { what: `control socket ${sock}`, timeoutMs: 20_000, context: () => d.log });
      // `exec` replaced bash by node: the spawned pid IS the daemon, with argv[0] exactly the name.
      const argv = cmdline(d.pid);
      assert.equal(argv[0], name, argv.join(' '));
      assert.deepEqual(argv.slice(1, 2 + DAEMON_NODE_FLAGS.length), [...DAEMON_NODE_FLAGS, join(built, 'bin/wrend.js')]);
      assert.ok(psContains(name).includes(d.pid), 'calicoctl-style scan finds the daemon');
      // Node's thread name, not bash's (Node 24 names its main thread `MainThread`).
      assert.match(readFileSync(`/proc/${d.pid}/comm`, 'utf8').trim(), /^(node|MainThread)$/);

      const st = run(join(shimDir, client), ['-s', sock, 'show', 'status']);
      assert.equal(st.status, 0, st.stderr);
      assert.ok(st.stdout.startsWith('BIRD'), st.stdout);
      assert.match(st.stdout, /Daemon is up and running/);
      const pr = run(join(shimDir, client), ['-s', sock, 'show', 'protocols']);
      assert.equal(pr.status, 0, pr.stderr);
      assert.match(pr.stdout, /^name\s+proto\s+table\s+state\s+since\s+info$/m);
      assert.match(pr.stdout, /^static1\s+Static\s+master\s+up\s/m);

      // runit's `sv hup`: SIGHUP goes to the pid runit started, which is node itself.
      const before = d.log.length;
      d.proc.kill('SIGHUP');
      await until(() => /Reconfigured/.test(d.log.slice(before)), { what: 'reload after SIGHUP', context: () => d.log });
      assert.equal(d.proc.exitCode, null);
      assert.equal(await d.stop(), 0);
      assert.ok(!psContains(name).includes(d.pid));
    } finally {
      await d.stop();
    }
  });
}

test('dist: birdcl and birdcl6 default to /var/run/calico/bird.ctl and bird6.ctl', () => {
  for (const [client, path] of [
    ['birdcl', '/var/run/calico/bird.ctl'],
    ['birdcl6', '/var/run/calico/bird6.ctl'],
  ] as const) {
    // Fails fast when nothing listens there; the message names the socket it tried.
    const r = run(join(shimDir, client), ['show', 'status']);
    if (r.status !== 0) assert.ok(r.stderr.includes(`(${path})`), `${client}: ${r.stderr}`);
    else assert.ok(existsSync(path) && r.stdout.startsWith('BIRD'), `${client}: connected, so ${path} must be a live BIRD socket`);
  }
});

// ---- the dev runtime ------------------------------------------------------------------------

test("dev: shims run the TypeScript sources, also from a root path with a quote and a space", () => {
  const odd = join(dir, "it's wren");
  symlinkSync(repo, odd);
  const d = join(dir, 'dev-bin');
  const r = installCalicoShims(d, { root: odd, runtime: 'dev' });
  assert.equal(r.runtime, 'dev');
  const v = run(join(d, 'bird'), ['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.ok(v.stderr.startsWith('BIRD version v'), v.stderr);
  const p = run(join(d, 'bird6'), ['-p', '-c', conf('dev6.conf', GOOD_V6)]);
  assert.equal(p.status, 0, p.stderr);
  const c = run(join(d, 'birdcl6'), ['-s', join(dir, 'nothing.ctl'), 'show', 'status']);
  assert.equal(c.status, 1);
  assert.match(c.stderr, /nothing\.ctl/);
});

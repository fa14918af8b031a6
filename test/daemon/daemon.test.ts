// The daemon as calico-node runs it: `-p` parse checks, `--version`, and two daemons on
// loopback peering over real sockets while their configurations are reloaded with SIGHUP
// (BIRD 1.6 semantics, contract.md §2) and finally stopped with SIGTERM.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/cli/client.js';

const root = new URL('../../', import.meta.url).pathname;
const entry = join(root, 'scripts/wrend-dev.mjs');
const dir = mkdtempSync(join(tmpdir(), 'wren-daemon-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function wrend(args: string[], argv0 = 'bird') {
  return spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, encoding: 'utf8', argv0 });
}

test('-p accepts a good configuration silently and exits 0', () => {
  const f = join(dir, 'good.conf');
  writeFileSync(f, 'router id 192.0.2.1;\nprotocol device { scan time 2; }\n');
  const r = wrend(['-p', '-c', f]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, '');
});

test('-p reports a broken configuration as `bird: file:line:col message` and exits 1', () => {
  const f = join(dir, 'bad.conf');
  writeFileSync(f, 'router id 192.0.2.1;\nprotocol bgp p {\n  local as 65000;\n  neighbor 192.0.2.999 as 65001;\n}\n');
  const r = wrend(['-p', '-c', f]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`^bird: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+ .+\\n$`));
});

test('-p accepts every Calico-shaped example, run as `bird` (IPv4) or `bird6` (IPv6) from another directory', () => {
  const fixtures = join(root, 'test/conf/fixtures');
  for (const [file, prog] of [
    ['mesh-node.conf', 'bird'],
    ['route-reflector.conf', 'bird'],
    ['tor-ebgp.conf', 'bird'],
    ['include-split/main.conf', 'bird'],
    ['ipv6-node.conf', 'bird6'],
  ] as const) {
    const tsx = join(root, 'node_modules/tsx/dist/loader.mjs');
    const r = spawnSync(process.execPath, ['--import', tsx, entry, '-p', '-c', join(fixtures, file)], { cwd: tmpdir(), encoding: 'utf8', argv0: prog });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    assert.equal(r.stderr, '');
  }
});

test('-p as `bird` rejects an IPv6 literal, as the IPv4 daemon does', () => {
  const f = join(dir, 'v6-in-v4.conf');
  writeFileSync(f, 'router id 192.0.2.1;\nprotocol static { route fd00::/64 blackhole; }\n');
  const r = wrend(['-p', '-c', f]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^bird: .*v6-in-v4\.conf:2:\d+ /);
});

test('-p on a missing file says it cannot open it', () => {
  const r = wrend(['-p', '-c', join(dir, 'missing.conf')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Unable to open configuration file .*missing\.conf: No such file or directory/);
});

test('--version prints a BIRD-style version line on stderr', () => {
  const r = wrend(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stderr, /^BIRD version v\S+\n$/);
});

test('unknown flags are refused with a usage hint', () => {
  const r = wrend(['--no-such-flag']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Unknown argument/);
});

test('-l reads bird.conf from the working directory (bird6.conf as bird6), like BIRD', () => {
  const d = mkdtempSync(join(tmpdir(), 'wren-l-'));
  try {
    writeFileSync(join(d, 'bird.conf'), 'router id 192.0.2.1;\nprotocol device {}\n');
    writeFileSync(join(d, 'bird6.conf'), 'router id 192.0.2.1;\nprotocol static { route fd00::/64 unreachable; }\n');
    const tsx = join(root, 'node_modules/tsx/dist/loader.mjs');
    const run = (argv0: string) => spawnSync(process.execPath, ['--import', tsx, entry, '-l', '-p'], { cwd: d, encoding: 'utf8', argv0 });
    assert.equal(run('bird').status, 0);
    assert.equal(run('bird6').status, 0);
    writeFileSync(join(d, 'bird.conf'), 'router id 192.0.2.1;\nprotocol bogus {}\n');
    const r = run('bird');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bird\.conf:2:\d+ /);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('-P writes the PID file while running and removes it on SIGTERM', async () => {
  const f = join(dir, 'pid.conf');
  const pidFile = join(dir, 'wren.pid');
  writeFileSync(f, 'router id 192.0.2.1;\nprotocol static { route 198.18.9.0/24 blackhole; }\n');
  const p = spawn(process.execPath, ['--import', 'tsx', entry, '-f', '-P', pidFile, '-c', f, '-s', join(dir, 'pid.ctl')], { cwd: root, argv0: 'bird', stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(p.pid));
  p.kill('SIGTERM');
  assert.equal(await new Promise<number | null>((r) => p.once('exit', r)), 0);
  assert.equal(existsSync(pidFile), false);
});

test('bird and bird6 listen side by side on one port (0.0.0.0, and :: with IPV6_V6ONLY)', async () => {
  const port = 30000 + (process.pid % 20000);
  const v4 = join(dir, 'dual4.conf'), v6 = join(dir, 'dual6.conf');
  writeFileSync(v4, `router id 192.0.2.1;\nlisten bgp port ${port};\nprotocol bgp p { local as 65000; neighbor 192.0.2.77 as 65000; passive on; }\n`);
  writeFileSync(v6, `router id 192.0.2.1;\nlisten bgp port ${port};\nprotocol bgp p { local as 65000; neighbor fd00::77 as 65000; passive on; }\n`);
  const start = (conf: string, argv0: string, sock: string) => {
    const p = spawn(process.execPath, ['--import', 'tsx', entry, '-d', '-c', conf, '-s', join(dir, sock)], { cwd: root, argv0, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    return { p, log: () => log };
  };
  const a = start(v4, 'bird', 'dual4.ctl');
  const b = start(v6, 'bird6', 'dual6.ctl');
  try {
    for (let i = 0; i < 200 && !(/Listening for BGP/.test(a.log()) && /Listening for BGP/.test(b.log())); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(a.log(), new RegExp(`Listening for BGP on 0\\.0\\.0\\.0 port ${port}`));
    assert.match(b.log(), new RegExp(`Listening for BGP on :: port ${port}`));
    assert.equal(a.p.exitCode, null, a.log());
    assert.equal(b.p.exitCode, null, b.log());
  } finally {
    a.p.kill('SIGTERM');
    b.p.kill('SIGTERM');
    await Promise.all([a.p, b.p].map((p) => (p.exitCode !== null ? null : new Promise((r) => p.once('exit', r)))));
  }
});

test('--json-logs writes one JSON object per log line on stderr', async () => {
  const f = join(dir, 'json.conf');
  writeFileSync(f, 'router id 192.0.2.1;\nprotocol static { route 198.18.9.0/24 blackhole; }\n');
  const p = spawn(process.execPath, ['--import', 'tsx', entry, '-d', '--json-logs', '-c', f, '-s', join(dir, 'json.ctl')], { cwd: root, argv0: 'bird', stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  for (let i = 0; i < 200 && !err.includes('Started'); i++) await new Promise((r) => setTimeout(r, 50));
  p.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  assert.equal(code, 0, err);
  const lines = err.trim().split('\n').map((l) => JSON.parse(l) as { time: string; level: string; msg: string; prog: string });
  assert.ok(lines.length >= 3);
  assert.ok(lines.some((l) => l.msg === 'Started' && l.level === 'info' && l.prog === 'bird'));
  assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.time))));
});

test('log statements: a file gets the lines by class, stderr only warnings; a reload naming an unopenable file is refused and the running config kept', async () => {
  const f = join(dir, 'log.conf');
  const logFile = join(dir, 'bird.log');
  const good = `log stderr { warning, error, fatal, bug };\nlog "${logFile}" all;\nrouter id 192.0.2.1;\nprotocol static { route 198.18.9.0/24 blackhole; }\n`;
  writeFileSync(f, good);
  const p = spawn(process.execPath, ['--import', 'tsx', entry, '-f', '-c', f, '-s', join(dir, 'log.ctl')], { cwd: root, argv0: 'bird', stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const fileText = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  for (let i = 0; i < 200 && !fileText().includes('Started'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(fileText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d <INFO> Started$/m);
  assert.match(fileText(), /<INFO> static1: State changed to up/);
  // A reload whose log file cannot be opened: refused, as BIRD refuses it; logging goes on as before.
  writeFileSync(f, good.replace(logFile, join(dir, 'no', 'such', 'dir', 'bird.log')));
  p.kill('SIGHUP');
  for (let i = 0; i < 200 && !err.includes('Unable to open log file'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(err, /^bird: Unable to open log file `.*bird\.log': /m);
  assert.doesNotMatch(err, /Started|State changed/, 'stderr takes warnings and errors only');
  p.kill('SIGTERM');
  assert.equal(await new Promise<number | null>((r) => p.once('exit', r)), 0, err);
  assert.match(fileText(), /<ERROR> Unable to open log file/, 'the running configuration\'s file still gets the lines');
  assert.match(fileText(), /<INFO> Got SIGTERM, shutting down/);
});

// ---- two daemons on loopback ---------------------------------------------------------

class Daemon {
  readonly proc: ChildProcess;
  log = '';
  constructor(readonly conf: string, readonly name: string, args: readonly string[] = []) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', entry, '-d', ...args, '-c', conf, '-s', join(dir, `${name}.ctl`)], {
      cwd: root,
      argv0: 'bird',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
  }
  /** Waits until the log, from `from` on, matches; returns the index after the match. */
  async waitFor(re: RegExp, from = 0, timeoutMs = 15000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.log.slice(from));
      if (m) return from + m.index + m[0].length;
      if (Date.now() > deadline || this.proc.exitCode !== null) {
        throw new Error(`${this.name}: no ${re} in log:\n${this.log.slice(from)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  stop(): Promise<number | null> {
    if (this.proc.exitCode !== null) return Promise.resolve(this.proc.exitCode);
    return new Promise((res) => {
      this.proc.once('exit', (code) => res(code));
      this.proc.kill('SIGTERM');
    });
  }
}

const port = 20000 + (process.pid % 20000);
const confA = (extra = '', filter = 'accept;') => `
router id 127.0.0.1;
listen bgp address 127.0.0.1 port ${port};
filter out { if net ~ 198.18.0.0/15 then ${filter} reject; }
protocol bgp Mesh_127_0_0_2 {
  local as 64512;
  neighbor 127.0.0.2 port ${port} as 64512;
  source address 127.0.0.1;
  passive on;
  hold time 9;
  export filter out;
  ${extra}
}
`;
const confB = `
router id 127.0.0.2;
listen bgp address 127.0.0.2 port ${port};
protocol bgp Mesh_127_0_0_1 {
  local as 64512;
  neighbor 127.0.0.1 port ${port} as 64512;
  source address 127.0.0.2;
  connect delay time 1;
  connect retry time 1;
  error wait time 1,2;
  hold time 9;
}
`;

test('two daemons peer, survive SIGHUP reloads as BIRD does, and part with a Cease', async () => {
  const fa = join(dir, 'a.conf');
  const fb = join(dir, 'b.conf');
  writeFileSync(fa, confA());
  writeFileSync(fb, confB);
  const a = new Daemon(fa, 'a');
  const b = new Daemon(fb, 'b');
  try {
    let ia = await a.waitFor(/Mesh_127_0_0_2: State changed to up/);
    let ib = await b.waitFor(/Mesh_127_0_0_1: State changed to up/);

    // A broken file: error reported with file:line:col, old configuration kept, session stays.
    writeFileSync(fa, confA('this is not bird;'));
    a.proc.kill('SIGHUP');
    ia = await a.waitFor(new RegExp(`${fa.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ `), ia);

    // Only the export filter changed: reconfigured in place, the session is not touched.
    writeFileSync(fa, confA('', 'accept "changed";'));
    a.proc.kill('SIGHUP');
    ia = await a.waitFor(/Mesh_127_0_0_2: Reconfigured/, ia);
    ia = await a.waitFor(/Reconfigured\n/, ia);

    // A session option changed (hold time): that protocol restarts, with a Cease to the peer.
    writeFileSync(fa, confA('hold time 12;', 'accept "changed";'));
    a.proc.kill('SIGHUP');
    ia = await a.waitFor(/Mesh_127_0_0_2: Restarting protocol/, ia);
    ib = await b.waitFor(/Received: Cease: Other configuration change/, ib);
    ia = await a.waitFor(/Mesh_127_0_0_2: State changed to up/, ia);
    ib = await b.waitFor(/Mesh_127_0_0_1: State changed to up/, ib);
    // The session went down exactly once (the restart), on the side that saw the Cease.
    assert.equal((b.log.match(/Established -> Idle/g) ?? []).length, 1, b.log);
    assert.equal((b.log.match(/State changed to up/g) ?? []).length, 2, b.log);

    // SIGTERM: an orderly shutdown, the peer hears an Administrative shutdown.
    assert.equal(await a.stop(), 0);
    await b.waitFor(/Received: Cease: Administrative shutdown/, ib);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('--warm-up 12000: the JIT warm-up runs after start, out of sight (no protocol, route or log line of its own); none by default, nor in a daemon without BGP', async () => {
  const f = join(dir, 'warm.conf');
  writeFileSync(f, confA());
  const d = new Daemon(f, 'warm', ['--warm-up', '12000']);
  try {
    await d.waitFor(/JIT warm-up: 12000 routes in \d+ ms/);
    const c = await ControlClient.connect(join(dir, 'warm.ctl'));
    try {
      await c.greeting();
      const protocols = (await c.command('show protocols'))!.join('\n');
      assert.match(protocols, /Mesh_127_0_0_2/);
      assert.doesNotMatch(protocols, /wu_/, 'the warm-up\'s protocols are not the daemon\'s');
      const count = (await c.command('show route count'))!.join('\n');
      assert.match(count, /\b0 of 0 routes for 0 networks/, 'none of its routes is left');
    } finally {
      c.close();
    }
    assert.doesNotMatch(d.log, /wu_/, 'its protocols log nothing');
    assert.doesNotMatch(d.log, /JIT warm-up skipped/);
  } finally {
    assert.equal(await d.stop(), 0);
  }
  // By default, and in a daemon with nothing but a static protocol: no warm-up at all.
  for (const [conf, args] of [[confA(), []], ['router id 192.0.2.1;\nprotocol static { route 198.18.9.0/24 blackhole; }\n', ['--warm-up', '12000']]] as const) {
    writeFileSync(f, conf);
    const p = spawn(process.execPath, ['--import', 'tsx', entry, '-d', ...args, '-c', f, '-s', join(dir, 'warm0.ctl')], { cwd: root, argv0: 'bird', stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    for (let i = 0; i < 200 && !err.includes('Started'); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500));
    p.kill('SIGTERM');
    assert.equal(await new Promise<number | null>((r) => p.once('exit', r)), 0, err);
    assert.match(err, /Started/);
    assert.doesNotMatch(err, /JIT warm-up/, args.length === 0 ? 'by default' : 'static only');
  }
});

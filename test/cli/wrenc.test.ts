// wrenc as a process against a running ControlServer (fake source): birdcl-compatible
// one-shot output (the liveness probe's check), -v, -r, abbreviations, --json, exit
// statuses, and interactive mode driven through a stdin pipe.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, type Harness } from '../control/harness.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function wrenc(args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

describe('wrenc', () => {
  let h: Harness;
  before(async () => {
    h = await startServer();
  });
  after(async () => h.close());

  test('one-shot show status: like birdcl §3.9, starts with BIRD (liveness probe), exit 0', async () => {
    const r = await wrenc(['-s', h.path, 'show', 'status']);
    assert.equal(r.code, 0);
    assert.ok(r.stdout.startsWith('BIRD'));
    assert.equal(
      r.stdout,
      [
        'BIRD v0.3.3+birdv1.6.8 ready.',
        'BIRD v0.3.3+birdv1.6.8',
        'Router ID is 192.0.2.11',
        'Current server time is 2026-11-26 05:29:18',
        'Last reboot on 2026-11-26 05:28:56',
        'Last reconfiguration on 2026-11-26 05:28:56',
        'Daemon is up and running',
        '',
      ].join('\n'),
    );
  });

  test('abbreviations are expanded by the client; -v keeps codes', async () => {
    const r = await wrenc(['-s', h.path, 'sh', 'pro', 'al', 'kernel1']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^BIRD v0\.3\.3\+birdv1\.6\.8 ready\.\nname     proto    table    state  since       info\nkernel1  Kernel   master   up     05:28:56    \n  Preference:     10\n/);
    assert.ok(!r.stdout.includes('0000'), 'the 0000 line is not printed');
    const v = await wrenc(['-v', '-s', h.path, 'show', 'status']);
    assert.equal(v.stdout.split('\n').slice(0, 4).join('\n'), ['0001 BIRD v0.3.3+birdv1.6.8 ready.', '1000-BIRD v0.3.3+birdv1.6.8', '1011-Router ID is 192.0.2.11', '     Current server time is 2026-11-26 05:29:18'].join('\n'));
  });

  test('ambiguous or unknown command: message, exit 1, nothing sent', async () => {
    const r = await wrenc(['-s', h.path, 'sh', 'st']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Ambiguous command, possible expansions are:\nshow status  +Show router status\nshow static/);
    const u = await wrenc(['-s', h.path, 'frob']);
    assert.equal(u.code, 1);
    assert.equal(u.stdout, "No such command. Press `?' for help.\n");
  });

  test('server errors print like birdcl with exit 0', async () => {
    const r = await wrenc(['-s', h.path, 'show', 'protocols', 'nosuch']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'BIRD v0.3.3+birdv1.6.8 ready.\nnosuch is not a protocol\n');
  });

  test('missing socket: birdcl message on stderr, exit 1', async () => {
    const path = `${h.dir}/missing.ctl`;
    const r = await wrenc(['-s', path, 'show', 'status']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `Unable to connect to server control socket (${path}): No such file or directory\n`);
  });

  test('-r: restricted session', async () => {
    const before = h.source.calls.actions.length;
    const r = await wrenc(['-r', '-s', h.path, 'disable', 'kernel1']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'BIRD v0.3.3+birdv1.6.8 ready.\nAccess restricted\nAccess denied\n');
    assert.equal(h.source.calls.actions.length, before);
  });

  test('--json', async () => {
    const p = await wrenc(['--json', '-s', h.path, 'show', 'protocols']);
    assert.equal(p.code, 0);
    const rows = JSON.parse(p.stdout) as { name: string; proto: string; state: string; info: string }[];
    assert.equal(rows.length, 7);
    assert.deepEqual(rows[4], { name: 'Mesh_192_0_2_12', proto: 'BGP', table: 'master', state: 'up', since: '05:28:58', info: 'Established' });

    const all = JSON.parse((await wrenc(['--json', '-s', h.path, 'sh', 'pro', 'al', 'Mesh_192_0_2_12'])).stdout) as { details: Record<string, unknown> }[];
    assert.equal(all[0]!.details['BGP state'], 'Established');
    assert.equal(all[0]!.details['Neighbor address'], '192.0.2.12');
    assert.deepEqual(all[0]!.details['Export updates'], { received: 9, rejected: 2, filtered: 5, accepted: 2 });

    const st = JSON.parse((await wrenc(['--json', '-s', h.path, 'show', 'status'])).stdout) as Record<string, unknown>;
    assert.equal(st.routerId, '192.0.2.11');
    assert.equal(st.version, 'v0.3.3+birdv1.6.8');
    assert.equal(st.gracefulRestart, null);
    assert.equal(st.state, 'Daemon is up and running');

    const routes = JSON.parse((await wrenc(['--json', '-s', h.path, 'show', 'route', 'all', '10.244.2.0/26'])).stdout) as Record<string, unknown>[];
    assert.equal(routes.length, 2);
    assert.deepEqual(
      { ...routes[1], attributes: undefined },
      { network: '10.244.2.0/26', type: 'router', gateway: '192.0.2.12', iface: 'eth0', protocol: 'Global_192_0_2_13', since: '05:29:00', from: '192.0.2.13', primary: false, info: '(100/0) [i]', routeType: 'BGP unicast univ', attributes: undefined },
    );
    assert.equal((routes[1]!.attributes as Record<string, string>)['BGP.cluster_list'], '244.0.0.1');

    assert.deepEqual(JSON.parse((await wrenc(['--json', '-s', h.path, 'show', 'route', 'count'])).stdout), { shown: 9, routes: 9, networks: 8 });

    const e = await wrenc(['--json', '-s', h.path, 'show', 'route', '10.1.2.3/32']);
    assert.equal(e.code, 1);
    assert.deepEqual(JSON.parse(e.stdout), { error: { code: 8001, message: 'Network not in table' } });
  });

  test('interactive through a pipe: greeting, commands in order, help, quit', async () => {
    const r = await wrenc(['-s', h.path], 'show route count\n\nhelp\nsh st\nsh int su\nshow protocols nosuch\nquit\nshow status\n');
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        'BIRD v0.3.3+birdv1.6.8 ready.',
        '9 of 9 routes for 8 networks',
        "Press `?' for context sensitive help.",
        'Ambiguous command, possible expansions are:',
        'show status                                    Show router status',
        'show static [<name>]                           Show details of static protocol',
        'interface state address',
        'nosuch is not a protocol',
        '',
      ].join('\n'),
      'nothing after quit runs',
    );
  });

  test('interactive: EOF ends with exit 0', async () => {
    const r = await wrenc(['-s', h.path], 'show symbols table\n');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'BIRD v0.3.3+birdv1.6.8 ready.\nmaster  \trouting table\n');
  });
});

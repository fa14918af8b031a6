// Fuzz: mutated birdc commands (tokens dropped, replaced or put in, the line cut short, a
// byte put in) to a ControlServer on a real unix socket. Every reply must end in a line
// with a reply code, as birdc and Calico's parsers expect, and the server must answer the
// next `show status` as before. FUZZ_SEED picks another run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, startServer } from './harness.js';
import { rng } from '../bgp/codec/fuzz-lib.js';

const COMMANDS = [
  'show protocols', 'show protocols all', 'show protocols all Mesh_192_0_2_10', 'show protocols "Mesh_*"', 'show route', 'show route all',
  'show route for 10.65.0.1 all', 'show route protocol kernel1', 'show route filter calico_kernel_programming',
  'show route where net ~ 10.0.0.0/8', 'show route count', 'show route primary', 'show route export Mesh_192_0_2_10', 'show route 10.65.0.0/26',
  'show route table master', 'show route where bgp_path.len > 2 && net.len = 24', 'show status', 'show interfaces', 'show interfaces summary',
  'show memory', 'show symbols', 'show symbols filter', 'show static', 'disable Mesh_192_0_2_10', 'enable Mesh_192_0_2_10', 'restart Mesh_192_0_2_10',
  'reload in Mesh_192_0_2_10', 'reload out all', 'configure check', 'configure soft', 'configure timeout 10', 'debug Mesh_192_0_2_10 all', 'echo all', 'help',
];
const AWKWARD = [
  '"', '"x', '*', '?', '(', ')', '{', '}', '[', ']', ';', ',', '.', '/', '~', '!', '=', '==', '&&', '||', '+', '-', '0', '-1', '4294967296',
  '99999999999999999999', '10.0.0.0/33', '::/0', 'fe80::1', '1.2.3.4.5', 'all', 'where', 'for', 'filter', 'protocol', 'table', 'export',
  'primary', 'count', 'net', 'bgp_path', 'print', 'accept', 'if', 'then', '\u0000', '\u00e9', '\t', 'x'.repeat(5000), 'show', 'route',
];
// A quoted string, a word, or blanks.
const TOKEN = /"[^"]*"|\S+|\s+/g;

/** One command line: a newline would make it two commands. */
const mutate = (line: string, r: (n: number) => number): string => mutateTokens(line, r).replace(/\n/g, ' ');

function mutateTokens(line: string, r: (n: number) => number): string {
  let toks: string[] = [...(line.match(TOKEN) ?? [])];
  for (let k = r(4) === 0 ? 2 : 1; k > 0; k--) {
    const i = r(toks.length + 1);
    switch (r(6)) {
      case 0: toks.splice(i, 1); break;
      case 1: toks.splice(i, 0, ' ', AWKWARD[r(AWKWARD.length)]!, ' '); break;
      case 2: toks[i] = AWKWARD[r(AWKWARD.length)]!; break;
      case 3: toks = toks.slice(0, i); break;
      case 4: {
        const s = toks.join('');
        const p = r(s.length + 1);
        return s.slice(0, p) + String.fromCharCode(r(256)) + s.slice(p);
      }
      default: toks.splice(i, 0, ' ', COMMANDS[r(COMMANDS.length)]!.split(' ')[r(2)]!, ' ');
    }
  }
  return toks.join('');
}

test('2,000 mutated commands: every reply ends in a reply code, and the server goes on answering', async (t) => {
  const next = rng(Number(process.env.FUZZ_SEED ?? 1127));
  const r = (n: number): number => Math.floor(next() * n);
  const h = await startServer();
  const c = await RawClient.open(h.path);
  const codes = new Map<string, number>();
  try {
    for (let i = 0; i < 2000; i++) {
      const line = mutate(COMMANDS[r(COMMANDS.length)]!, r);
      // `down` would end the (fake) daemon's control socket, as it should.
      if (/^\s*down\b/.test(line)) continue;
      const reply = await c.cmd(line);
      const last = reply.split('\n').filter((l) => l !== '').pop() ?? '';
      const code = /^(\d{4})( |$)/.exec(last)?.[1];
      assert.ok(code !== undefined, `no final reply line for ${JSON.stringify(line)}: ${JSON.stringify(reply.slice(-200))}`);
      codes.set(code, (codes.get(code) ?? 0) + 1);
      assert.match(await c.cmd('show status'), /^0013 Daemon is up and running$/m, `after ${JSON.stringify(line)}`);
    }
  } finally {
    c.close();
    await h.close();
  }
  t.diagnostic(JSON.stringify(Object.fromEntries([...codes].sort())));
  // Both outcomes must be common, or the mutations are not doing their job.
  assert.ok((codes.get('0000') ?? 0) > 100, 'commands that ran');
  assert.ok((codes.get('9001') ?? 0) > 100, 'syntax errors');
});

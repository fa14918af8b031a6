// Fuzz: mutated copies of the example configurations (tokens dropped, doubled, swapped,
// replaced by tokens of the corpus or by awkward ones, the text cut short, a byte put in).
// A configuration either parses or is refused with a ConfigError at a place inside the file
// that was read; nothing else may escape the parser. A configuration that parses runs its
// filters on a few routes without throwing, prints canonically, parses back from its print
// to the same print, and plans no change against it (what `configure` would do).
// FUZZ_SEED picks another run of mutations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ConfigError, diffConfigs, parseConfigText, printConfig } from '../../conf/index.js';
import { RouteDest, RouteSource } from '../../conf/filter/route.js';
import { FIXTURES, parseMem, route } from './helpers.js';
import { rng } from '../bgp/codec/fuzz-lib.js';

interface Seed {
  readonly files: Record<string, string>;
  readonly main: string;
  readonly dialect: 'ipv4' | 'ipv6';
}

const CORPUS: Seed[] = [
  ...['mesh-node.conf', 'route-reflector.conf', 'tor-ebgp.conf', 'custom-filters.conf'].map((f) => ({ files: { 'bird.conf': readFileSync(join(FIXTURES, f), 'utf8') }, main: 'bird.conf', dialect: 'ipv4' as const })),
  { files: { 'bird.conf': readFileSync(join(FIXTURES, 'ipv6-node.conf'), 'utf8') }, main: 'bird.conf', dialect: 'ipv6' },
  { files: Object.fromEntries(readdirSync(join(FIXTURES, 'include-split')).map((f) => [f, readFileSync(join(FIXTURES, 'include-split', f), 'utf8')])), main: 'main.conf', dialect: 'ipv4' },
];

// Words, numbers and addresses, strings, whitespace, or one character.
const TOKEN = /[A-Za-z_][A-Za-z0-9_.:/]*|\d[\d.:/a-fA-F]*|"[^"]*"|\s+|./gs;
const CORPUS_TOKENS = CORPUS.flatMap((s) => Object.values(s.files).flatMap((t) => (t.match(TOKEN) ?? []).filter((x) => x.trim() !== '')));
const AWKWARD = [
  '4294967295', '4294967296', '-1', '0', '99999999999999999999', '1e10', '0x10', '0.0.0.0/0', '::/0', '255.255.255.255/33',
  '1.2.3.4.5', '1:2:3:4:5:6:7:8:9', 'fe80::1%', '10.0.0.0/8{8,32}', '10.0.0.0/8+', '10.0.0.0/8-', '(1,2)', '(65535,65535)',
  '(65536,1)', '[= * =]', '[= 1 2 ? =]', '{', '}', ';', '(', ')', '[', ']', '"', '"unterminated', '/*', '*/', '#', '\\',
  '.', '..', '~', '!~', '=', ':=', '+', '&&', '||', '!', 'include', 'define', 'function', 'filter', 'if', 'then', 'else',
  'case', 'return', 'accept', 'reject', 'print', 'net.len', 'bgp_path', 'bgp_community', 'prepend', 'add', 'delete',
  'empty', 'true', 'false', 'ipv4', 'ipv6', '\u0000', '\u00e9', 'unset', 'else:', '.mask(', 'krt_mtu', 'krt_lock_mtu',
];

function mutate(text: string, r: (n: number) => number): string {
  let toks: string[] = [...(text.match(TOKEN) ?? [])];
  for (let k = 1 + r(3); k > 0; k--) {
    const i = r(toks.length + 1);
    switch (r(8)) {
      case 0: toks.splice(i, 1); break;
      case 1: toks.splice(i, 0, toks[r(toks.length)] ?? ''); break;
      case 2: toks[i] = CORPUS_TOKENS[r(CORPUS_TOKENS.length)]!; break;
      case 3: toks[i] = AWKWARD[r(AWKWARD.length)]!; break;
      case 4: toks.splice(i, 0, ' ', AWKWARD[r(AWKWARD.length)]!, ' '); break;
      case 5: toks = toks.slice(0, i); break;
      case 6: {
        const j = r(toks.length);
        [toks[i], toks[j]] = [toks[j]!, toks[i]!];
        break;
      }
      default: {
        const s = toks.join('');
        const p = r(s.length + 1);
        return s.slice(0, p) + String.fromCharCode(r(128)) + s.slice(p);
      }
    }
  }
  return toks.join('');
}

const ROUTES = [
  route({ net: '10.65.0.0/26', source: RouteSource.RTS_STATIC, dest: RouteDest.RTD_BLACKHOLE }),
  route({
    net: '192.168.0.0/16', source: RouteSource.RTS_BGP, proto: 'Mesh_192_0_2_10', gw: '192.0.2.10', dest: RouteDest.RTD_ROUTER,
    attrs: { asPath: [{ type: 2, asns: [65000, 64512] }], communities: [(65000 << 16) | 100], localPref: 100, med: 5, origin: 0 },
  }),
  route({ net: '0.0.0.0/0', source: RouteSource.RTS_DEVICE, ifname: 'eth0' }),
];
const IPV6_ROUTES = [route({ net: 'fd00:10:244::/64', source: RouteSource.RTS_STATIC, dest: RouteDest.RTD_BLACKHOLE })];

const noIncludes = (): string => {
  throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
};
/** The canonical print, less the "# from <template>" notes (a print has no templates to name). */
const canonical = (text: string): string => text.split('\n').filter((l) => !/^\s*# from /.test(l)).map((l) => l.trimEnd()).join('\n').trim();

test('2,000 mutated configurations: parsed, or refused with a ConfigError inside the file', () => {
  const next = rng(Number(process.env.FUZZ_SEED ?? 1127));
  const r = (n: number): number => Math.floor(next() * n);
  const quiet = () => {};
  const failures: string[] = [];
  let parsed = 0, refused = 0;
  for (let it = 0; it < 2000 && failures.length < 5; it++) {
    const seed = CORPUS[r(CORPUS.length)]!;
    const files = { ...seed.files };
    const names = Object.keys(files);
    const target = names[r(names.length)]!;
    files[target] = mutate(files[target]!, r);
    const show = () => `mutation ${it} of ${target}:\n${files[target]}`;
    let cfg;
    try {
      cfg = parseMem(files, seed.main, { dialect: seed.dialect, print: quiet });
    } catch (e) {
      if (!(e instanceof ConfigError)) {
        failures.push(`${(e as Error)?.stack ?? String(e)}\n${show()}`);
        continue;
      }
      // An included file is named as BIRD names it, relative to the main file's directory (`./x.conf`).
      const lines = files[posix.normalize(e.file)]?.split('\n');
      if (lines === undefined || e.line < 1 || e.line > lines.length || e.col < 1 || e.col > lines[e.line - 1]!.length + 2) {
        failures.push(`error outside the file: ${e.format()}\n${show()}`);
      }
      refused++;
      continue;
    }
    parsed++;
    try {
      for (const f of cfg.filters) for (const rt of seed.dialect === 'ipv6' ? IPV6_ROUTES : ROUTES) f.filter.run(rt);
      if (names.length > 1) continue; // a print inlines includes: compare single files only
      const printed = printConfig(cfg);
      const again = parseConfigText(printed, 'bird.conf', { dialect: seed.dialect, print: quiet, readFile: noIncludes });
      if (canonical(printConfig(again)) !== canonical(printed)) failures.push(`print does not parse back to itself\n${show()}`);
      const plan = diffConfigs(cfg, again);
      const changed = plan.protocols.filter((p) => p.action !== 'unchanged');
      if (changed.length || plan.routerIdChanged || plan.listenChanged) failures.push(`reload plan against its own print: ${JSON.stringify(changed)}\n${show()}`);
    } catch (e) {
      failures.push(`${(e as Error)?.stack ?? String(e)}\n${show()}`);
    }
  }
  assert.deepEqual(failures, []);
  // Both outcomes must be common, or the mutations are not doing their job.
  assert.ok(parsed > 200, `parsed ${parsed}`);
  assert.ok(refused > 200, `refused ${refused}`);
});

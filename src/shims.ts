// `wrenc install-calico-shims <dir>`: the process contract of contract.md §1 — calico-node's
// runit scripts run `bird`/`bird6` by name, calicoctl looks for a process whose argv[0] is
// EXACTLY `bird` (resp. `bird6`) in /proc/*/cmdline, the liveness probe runs `birdcl -s <sock>
// show status`. So we write four small bash scripts into <dir> (normally /bin or /usr/local/bin):
//
//   bird     exec -a bird    <node> <root>/bin/wrend.js "$@"    IPv4 daemon (argv[0] `bird`)
//   bird6    exec -a bird6   <node> <root>/bin/wrend.js "$@"    IPv6 daemon (main.ts picks the
//                                                               IPv6 dialect from argv0 `bird6`)
//   birdcl   exec -a birdcl  <node> <root>/bin/wrenc.js "$@"    client, default /var/run/calico/bird.ctl
//   birdcl6  exec -a birdcl6 <node> <root>/bin/wrenc.js "$@"    client, default /var/run/calico/bird6.ctl
//
// `exec` replaces the shell, so runit supervises node itself and SIGHUP/SIGTERM reach it.
// `exec -a` is a bash builtin option (Debian's dash lacks it), hence `#!<bash>`. <node> is
// the absolute path of the node binary running the installer, so runit's PATH does not matter.
//
// Runtime: `dist` (the compiled build, `npm run build`; preferred, chosen when dist/ exists)
// or `dev` (the TypeScript sources through tsx's loader, given by absolute path:
// `node --import <root>/node_modules/tsx/dist/loader.mjs <root>/scripts/wrend-dev.mjs`).
//
// A file in <dir> with one of these names that we did not write (say BIRD's own binary) is
// left alone unless `force`. Scripts are written to a temporary name and renamed into place.
//
// Leaves out: removing shims, copying the repository anywhere (the scripts point into it).

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WrenError } from './bgp/errors.js';

export type ShimRuntime = 'dist' | 'dev';

export interface ShimOptions {
  /** The Wren checkout/installation the scripts run (default: the one this file belongs to). */
  readonly root?: string;
  /** Default 'auto': dist when built, else dev. */
  readonly runtime?: ShimRuntime | 'auto';
  /** The node binary (default: process.execPath). */
  readonly node?: string;
  /** The bash binary for the #! line (default: /bin/bash, else /usr/bin/bash). */
  readonly bash?: string;
  /** Overwrite files that are not ours. */
  readonly force?: boolean;
}

export interface InstalledShims {
  readonly dir: string;
  readonly runtime: ShimRuntime;
  /** Absolute paths of the scripts written. */
  readonly files: readonly string[];
}

/** The first line after the #! of every script we write: how we recognise our own files. */
export const SHIM_MARKER = '# wren-calico-shim';

export const SHIM_NAMES = ['bird', 'bird6', 'birdcl', 'birdcl6'] as const;
export type ShimName = (typeof SHIM_NAMES)[number];

/** The Wren root this module belongs to: the nearest directory above with Wren's package.json. */
export function wrenRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wren') return d;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(d);
    if (up === d) throw new WrenError('SHIM_NO_ROOT', 'cannot find the Wren installation (package.json named "wren")');
    d = up;
  }
}

const tsxLoader = (root: string): string => join(root, 'node_modules/tsx/dist/loader.mjs');
const hasDist = (root: string): boolean => existsSync(join(root, 'dist/src/main.js')) && existsSync(join(root, 'dist/src/cli/main.js'));
const hasDev = (root: string): boolean => existsSync(tsxLoader(root)) && existsSync(join(root, 'src/main.ts'));

/** Which runtime `auto` resolves to for `root`; throws when neither is usable. */
export function pickRuntime(root: string, wanted: ShimRuntime | 'auto' = 'auto'): ShimRuntime {
  if (wanted === 'dist' || (wanted === 'auto' && hasDist(root))) {
    if (!hasDist(root)) throw new WrenError('SHIM_NO_DIST', `${root}/dist is missing: run \`npm run build\` first (or install with --dev)`);
    return 'dist';
  }
  if (!hasDev(root)) throw new WrenError('SHIM_NO_RUNTIME', `${root} has neither a build (dist/) nor the TypeScript sources with tsx`);
  return 'dev';
}

function findBash(): string {
  for (const p of ['/bin/bash', '/usr/bin/bash']) if (existsSync(p)) return p;
  throw new WrenError('SHIM_NO_BASH', 'bash not found (the shims need `exec -a`, which dash lacks)');
}

/**
 * Node options the daemon runs with wherever we start it (these shims, `bin/wrend.js`'s #!
 * line, `npm start`, the benchmarks):
 * - semi-spaces of 4 MiB instead of V8's 16 MiB. The daemon's objects live long (routes,
 *   sessions), so a large young generation buys little and costs resident memory: a route
 *   reflector with 500 clients peaked at 96 MiB instead of 122 MiB with 2 MiB, at the same
 *   propagation time (bench/README.md). With pretenuring off (below), 4 MiB lets fewer
 *   short-lived objects reach the old generation than 2: ipv4-1m peak RSS 195 -> 192 MiB and
 *   2-5% less CPU, rr-500 86.5 -> 89.7 MiB (3 runs each);
 * - no allocation-site pretenuring. V8 allocates straight into the old generation from a
 *   site whose objects have mostly survived so far; in a full-table load that caught the
 *   Adj-RIB-Out's per-slice grouping and the export preparation's copies, which die young,
 *   so they stayed in the old generation until a major GC: 64 MB of such garbage in
 *   `bench/pipeline.ts 1000000` (sampling heap profile), 10-13 MiB of ipv4-1m's peak RSS.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--no-allocation-site-pretenuring'];

/** Single-quoted for the shell. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The text of each script (pure: no file system access). */
export function shimScripts(o: { root: string; runtime: ShimRuntime; node: string; bash: string }): Record<ShimName, string> {
  const daemon = [
    ...DAEMON_NODE_FLAGS,
    ...(o.runtime === 'dist' ? [q(join(o.root, 'bin/wrend.js'))] : ['--import', q(tsxLoader(o.root)), q(join(o.root, 'scripts/wrend-dev.mjs'))]),
  ];
  const client = o.runtime === 'dist' ? [q(join(o.root, 'bin/wrenc.js'))] : ['--import', q(tsxLoader(o.root)), q(join(o.root, 'src/cli/main.ts'))];
  const script = (name: ShimName, what: string, args: string[]): string =>
    `#!${o.bash}\n${SHIM_MARKER} (${o.runtime}): ${what}.\n` +
    `# Written by \`wrenc install-calico-shims\`; argv[0] must read exactly \`${name}\` (calico-node, contract.md §1).\n` +
    `exec -a ${name} ${q(o.node)} ${args.join(' ')} "$@"\n`;
  return {
    bird: script('bird', 'Wren as the IPv4 BIRD daemon', daemon),
    bird6: script('bird6', 'Wren as the IPv6 BIRD daemon', daemon),
    birdcl: script('birdcl', 'Wren control client as birdcl (default socket /var/run/calico/bird.ctl)', client),
    birdcl6: script('birdcl6', 'Wren control client as birdcl6 (default socket /var/run/calico/bird6.ctl)', client),
  };
}

/** Writes the four scripts into `dir` (created if missing), mode 0755. */
export function installCalicoShims(dir: string, opts: ShimOptions = {}): InstalledShims {
  const root = resolve(opts.root ?? wrenRoot());
  const runtime = pickRuntime(root, opts.runtime);
  const scripts = shimScripts({ root, runtime, node: opts.node ?? process.execPath, bash: opts.bash ?? findBash() });
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  // Check every name before writing any, so a refusal leaves the directory untouched.
  for (const name of SHIM_NAMES) {
    const path = join(target, name);
    if (!opts.force && existsSync(path) && !isOurs(path)) {
      throw new WrenError('SHIM_EXISTS', `${path} exists and was not written by wrenc (use --force to replace it)`);
    }
  }
  const files: string[] = [];
  for (const name of SHIM_NAMES) {
    const path = join(target, name);
    const tmp = join(target, `.${name}.wren-${process.pid}`);
    writeFileSync(tmp, scripts[name], { mode: 0o755 });
    chmodSync(tmp, 0o755);
    renameSync(tmp, path);
    files.push(path);
  }
  return { dir: target, runtime, files };
}

function isOurs(path: string): boolean {
  try {
    const head = readFileSync(path).subarray(0, 256).toString('latin1');
    return head.split('\n')[1]?.startsWith(SHIM_MARKER) === true;
  } catch {
    return false;
  }
}

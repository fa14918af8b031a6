// The daemon's command line: BIRD 1.6's flags (contract.md §1), so calico-node's run
// scripts (`bird -R -s <sock> -d -c <cfg>`, `bird -p -c <file>`, `bird --version`) work
// unchanged, plus long options of our own. The program name decides the address family
// the way bird/bird6 do: argv[0] `bird6` (or --ipv6) is the IPv6 daemon.
//
// Two parsers over one option table: node:util's parseArgs reads an ordinary command line
// (a value attached to its flag, `-cfile`, too, as BIRD's getopt does; yargs read those
// letters as flags), and yargs, loaded only when that fails or help is asked for, prints
// the usage and the error messages. yargs stays resident once loaded (~13 MiB of a daemon's peak RSS,
// measured: a process that loaded it and then built the same heap peaked 13-14 MiB
// higher), so the daemon that calico-node starts never loads it.
//
// Leaves out: -u/-g (privilege drop; accepted and ignored with a warning), -D (debug file;
// accepted, debug goes to the log).

import { basename, resolve } from 'node:path';
import { parseArgs as parseWith } from 'node:util';
import { VERSION_TEXT } from './version.js';

export interface DaemonOptions {
  readonly configFile: string;
  readonly socketPath: string;
  readonly foreground: boolean;
  readonly debug: boolean;
  readonly recover: boolean;
  readonly pidFile?: string;
  readonly ipv6: boolean;
  readonly jsonLogs: boolean;
  readonly metricsPort?: number;
  /** Routes of the JIT warm-up after start (src/warmup.ts, `--warm-up N`); 0 or absent = none. */
  readonly warmUp?: number;
}

/** The parsed command line (yargs' names: one letter for BIRD's flags, long ones as given). */
export interface ParsedArgs {
  readonly c?: string;
  readonly d?: boolean;
  readonly D?: string;
  readonly f?: boolean;
  readonly g?: string;
  readonly l?: boolean;
  readonly p?: boolean;
  readonly P?: string;
  readonly R?: boolean;
  readonly s?: string;
  readonly u?: string;
  readonly ipv6?: boolean;
  readonly 'json-logs'?: boolean;
  readonly 'metrics-port'?: number;
  readonly 'warm-up'?: number;
  readonly version?: boolean;
  readonly help?: boolean;
}

type OptionType = 'string' | 'boolean' | 'number';

/** Every option: its type and its line in the usage text. */
const OPTIONS: readonly (readonly [name: keyof ParsedArgs, type: OptionType, describe: string])[] = [
  ['c', 'string', 'use given configuration file'],
  ['d', 'boolean', 'enable debug messages and run in foreground'],
  ['D', 'string', 'log debug messages to given file'],
  ['f', 'boolean', 'run in foreground'],
  ['g', 'string', 'use given group ID (ignored)'],
  ['l', 'boolean', 'look for a configuration file and a communication socket in the current working directory'],
  ['p', 'boolean', 'parse configuration and exit'],
  ['P', 'string', 'create PID file with given name'],
  ['R', 'boolean', 'apply graceful restart recovery after start'],
  ['s', 'string', 'use given filename for a control socket'],
  ['u', 'string', 'drop privileges and use given user ID (ignored)'],
  ['ipv6', 'boolean', 'run as the IPv6 daemon (like bird6)'],
  ['json-logs', 'boolean', 'log JSON lines instead of BIRD-style text'],
  ['metrics-port', 'number', 'serve Prometheus metrics on 127.0.0.1:<port> (off by default)'],
  ['warm-up', 'number', 'after start, pass this many synthetic routes (12000 is a good number) through the BGP code over loopback, so that the JIT has compiled it before the first big table comes (at most 100000; off by default: it costs 10-15 MiB of memory)'],
  ['version', 'boolean', 'display version of BIRD'],
];

/**
 * An ordinary command line, read without yargs: undefined when node:util's parser refuses
 * it, when help is asked for, or when a number does not read as one (then yargs decides).
 */
export function quickParse(argv: string[], ipv6Default: boolean): ParsedArgs | undefined {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, type] of OPTIONS) options[name] = name.length === 1 ? { type: type === 'number' ? 'string' : type, short: name } : { type: type === 'number' ? 'string' : type };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseWith({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch {
    return undefined;
  }
  const out: Record<string, string | boolean | number | undefined> = { ipv6: ipv6Default, 'json-logs': false };
  for (const [name, type] of OPTIONS) {
    const v = values[name];
    if (v === undefined) continue;
    if (type !== 'number') out[name] = v;
    else if (typeof v === 'string' && /^\d+$/.test(v)) out[name] = Number(v);
    else return undefined;
  }
  return out as ParsedArgs;
}

/** yargs over the same table: help, and the messages for a command line quickParse refused. */
export async function yargsParse(argv: string[], prog: string, ipv6Default: boolean): Promise<ParsedArgs> {
  const yargs = (await import('yargs')).default;
  let parser = yargs(argv).scriptName(prog).usage(`Usage: ${prog} [options]`);
  for (const [name, type, describe] of OPTIONS) {
    if (name === 'version') parser = parser.version(false);
    const dflt = name === 'ipv6' ? { default: ipv6Default } : name === 'json-logs' ? { default: false } : {};
    parser = parser.option(name, { type, describe, ...dflt });
  }
  return parser
    .help('help')
    .alias('help', 'h')
    .strict()
    .parserConfiguration({ 'short-option-groups': true, 'camel-case-expansion': true })
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseSync() as ParsedArgs;
}

export async function parseArgs(argv: string[], argv0: string): Promise<{ parsed: ParsedArgs; prog: string; ipv6Default: boolean }> {
  const prog = basename(argv0);
  const ipv6Default = prog === 'bird6';
  const parsed = quickParse(argv, ipv6Default) ?? (await yargsParse(argv, prog, ipv6Default));
  return { parsed, prog, ipv6Default };
}

export function daemonOptions(a: ParsedArgs, ipv6: boolean): DaemonOptions {
  const base = ipv6 ? 'bird6' : 'bird';
  const local = a.l === true;
  return {
    configFile: resolve(a.c ?? (local ? `${base}.conf` : `/etc/${base}.conf`)),
    socketPath: resolve(a.s ?? (local ? `${base}.ctl` : `/var/run/calico/${base}.ctl`)),
    foreground: a.d === true || a.f === true,
    debug: a.d === true,
    recover: a.R === true,
    pidFile: a.P,
    ipv6,
    jsonLogs: a['json-logs'] === true,
    metricsPort: a['metrics-port'],
    warmUp: a['warm-up'] ?? 0,
  };
}

export async function main(): Promise<number> {
  let args;
  try {
    args = await parseArgs(process.argv.slice(2), process.argv0);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\nRun with --help for usage.\n`);
    return 1;
  }
  const { parsed, prog } = args;
  if (parsed.help) return 0;
  if (parsed.version) {
    // BIRD prints its version on stderr.
    process.stderr.write(`BIRD version ${VERSION_TEXT}\n`);
    return 0;
  }
  const opts = daemonOptions(parsed, parsed.ipv6 === true);
  const { checkConfig, runDaemon } = await import('./daemon.js');
  if (parsed.p) {
    const err = checkConfig(opts.configFile, opts.ipv6);
    if (err) {
      process.stderr.write(`${prog}: ${err}\n`);
      return 1;
    }
    return 0;
  }
  return runDaemon(opts, prog);
}

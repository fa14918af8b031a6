// The daemon's command line: BIRD 1.6's flags (contract.md §1), so calico-node's run
// scripts (`bird -R -s <sock> -d -c <cfg>`, `bird -p -c <file>`, `bird --version`) work
// unchanged, plus long options of our own. The program name decides the address family
// the way bird/bird6 do: argv[0] `bird6` (or --ipv6) is the IPv6 daemon.
//
// Leaves out: -u/-g (privilege drop; accepted and ignored with a warning), -D (debug file;
// accepted, debug goes to the log).

import { basename, resolve } from 'node:path';
import yargs from 'yargs';
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
}

export function parseArgs(argv: string[], argv0: string) {
  const prog = basename(argv0);
  const ipv6Default = prog === 'bird6';
  const parser = yargs(argv)
    .scriptName(prog)
    .usage(`Usage: ${prog} [options]`)
    .option('c', { type: 'string', describe: 'use given configuration file' })
    .option('d', { type: 'boolean', describe: 'enable debug messages and run in foreground' })
    .option('D', { type: 'string', describe: 'log debug messages to given file' })
    .option('f', { type: 'boolean', describe: 'run in foreground' })
    .option('g', { type: 'string', describe: 'use given group ID (ignored)' })
    .option('l', { type: 'boolean', describe: 'look for a configuration file and a communication socket in the current working directory' })
    .option('p', { type: 'boolean', describe: 'parse configuration and exit' })
    .option('P', { type: 'string', describe: 'create PID file with given name' })
    .option('R', { type: 'boolean', describe: 'apply graceful restart recovery after start' })
    .option('s', { type: 'string', describe: 'use given filename for a control socket' })
    .option('u', { type: 'string', describe: 'drop privileges and use given user ID (ignored)' })
    .option('ipv6', { type: 'boolean', default: ipv6Default, describe: 'run as the IPv6 daemon (like bird6)' })
    .option('json-logs', { type: 'boolean', default: false, describe: 'log JSON lines instead of BIRD-style text' })
    .option('metrics-port', { type: 'number', describe: 'serve Prometheus metrics on 127.0.0.1:<port> (off by default)' })
    .version(false)
    .option('version', { type: 'boolean', describe: 'display version of BIRD' })
    .help('help')
    .alias('help', 'h')
    .strict()
    .parserConfiguration({ 'short-option-groups': true, 'camel-case-expansion': true })
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  return { parsed: parser.parseSync(), prog, ipv6Default };
}

export function daemonOptions(a: ReturnType<typeof parseArgs>['parsed'], ipv6: boolean): DaemonOptions {
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
  };
}

export async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), process.argv0);
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

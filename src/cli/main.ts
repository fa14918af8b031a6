// wrenc: the control-socket client, usable where birdc/birdcl are (calico-node's liveness
// probe runs `birdcl -s <sock> show status`). Options as birdc 1.6: `-s <socket>`, `-v`
// (keep reply codes), `-r` (restricted session), `-l` (socket `bird.ctl` in the current
// directory); plus `--json` (replies as JSON for scripts). With a command: one-shot like
// birdcl — greeting text first (so the output starts with `BIRD`), then the reply with
// codes stripped, exit 0; connection failure or an unknown/ambiguous command, exit 1.
// Without: interactive (prompt and readline history on a terminal; plain line-by-line from
// a pipe), abbreviations expanded the way birdc does (commands.ts expandCommand), `?` help,
// `exit`/`quit`.
//
// The default socket follows the program name like birdcl/birdcl6: a name ending in `6`
// means /var/run/calico/bird6.ctl. The name is argv[0] when it starts with `birdc` (the shims
// run `exec -a birdcl6 node bin/wrenc.js`), else the script's file name.
//
// `wrenc install-calico-shims <dir> [--dev|--dist] [--force]` writes the `bird`, `bird6`,
// `birdcl`, `birdcl6` scripts calico-node expects (src/shims.ts) and exits.
//
// Leaves out: birdc's pager (`more`) and terminal-size handling.

import { basename } from 'node:path';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { commandHelp, completeCommand, expandCommand } from '../control/commands.js';
import { birdclLine, ConnectError, ControlClient, decodeReply } from './client.js';
import { replyError, replyToJson } from './json.js';
import { WrenError } from '../bgp/errors.js';

export const DEFAULT_SOCKET = '/var/run/calico/bird.ctl';

export interface CliOptions {
  socket: string;
  verbose: boolean;
  restricted: boolean;
  json: boolean;
  command: string[];
}

const USAGE = 'Usage: wrenc [-s <control-socket>] [-v] [-r] [-l] [--json] [<command>]\n';

/** getopt-like: options first; the first non-option word starts the command. */
export function parseCliArgs(argv: readonly string[], prog = 'wrenc'): CliOptions | string {
  const v6 = /6$/.test(prog);
  const o: CliOptions = { socket: v6 ? DEFAULT_SOCKET.replace('bird.ctl', 'bird6.ctl') : DEFAULT_SOCKET, verbose: false, restricted: false, json: false, command: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--json') o.json = true;
    else if (a === '-h' || a === '--help') return USAGE;
    else if (a.startsWith('-s')) {
      const v = a.length > 2 ? a.slice(2) : argv[++i];
      if (v === undefined) return USAGE;
      o.socket = v;
    } else if (/^-[vrl]+$/.test(a)) {
      for (const ch of a.slice(1)) {
        if (ch === 'v') o.verbose = true;
        else if (ch === 'r') o.restricted = true;
        else if (ch === 'l') o.socket = v6 ? 'bird6.ctl' : 'bird.ctl';
      }
    } else if (a.startsWith('-')) return USAGE;
    else break;
  }
  o.command = argv.slice(i);
  return o;
}

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

function printReply(io: Io, raw: readonly string[], verbose: boolean): void {
  let text = '';
  for (const l of raw) {
    const p = birdclLine(l, verbose);
    if (p !== null) text += p + '\n';
  }
  if (text) io.out(text);
}

/** Runs the client; resolves to the exit status. */
export async function runCli(argv: readonly string[], io: Io = stdio, prog = 'wrenc'): Promise<number> {
  if (argv[0] === 'install-calico-shims') return installShims(argv.slice(1), io);
  const opts = parseCliArgs(argv, prog);
  if (typeof opts === 'string') {
    io.err(opts);
    return 1;
  }
  const oneShot = opts.command.length > 0;
  let expanded: string | null = null;
  if (oneShot) {
    const e = expandCommand(opts.command.join(' '));
    if (!e.ok) {
      io.out(e.lines.join('\n') + '\n');
      return 1;
    }
    expanded = e.command;
  }
  let client: ControlClient;
  try {
    client = await ControlClient.connect(opts.socket);
  } catch (e) {
    if (e instanceof ConnectError) {
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  try {
    const greeting = await client.greeting();
    if (!greeting) {
      io.err('Connection closed by server\n');
      return 1;
    }
    if (!opts.json) printReply(io, greeting, opts.verbose);
    if (opts.restricted) {
      const r = await client.command('restrict');
      if (!r) {
        io.err('Connection closed by server\n');
        return 1;
      }
      if (!opts.json) printReply(io, r, opts.verbose);
    }
    if (expanded !== null) return await runOne(client, expanded, opts, io);
    return await interactive(client, opts, io);
  } finally {
    client.close();
  }
}

const SHIMS_USAGE = 'Usage: wrenc install-calico-shims <dir> [--dev|--dist] [--force]\n';

/** `wrenc install-calico-shims <dir> [--dev|--dist] [--force]`. */
async function installShims(argv: readonly string[], io: Io): Promise<number> {
  let dir: string | undefined;
  let runtime: 'auto' | 'dev' | 'dist' = 'auto';
  let force = false;
  for (const a of argv) {
    if (a === '--dev') runtime = 'dev';
    else if (a === '--dist') runtime = 'dist';
    else if (a === '--force') force = true;
    else if (a === '-h' || a === '--help') {
      io.out(SHIMS_USAGE);
      return 0;
    } else if (!a.startsWith('-') && dir === undefined) dir = a;
    else {
      io.err(SHIMS_USAGE);
      return 1;
    }
  }
  if (dir === undefined) {
    io.err(SHIMS_USAGE);
    return 1;
  }
  const { installCalicoShims } = await import('../shims.js');
  try {
    const r = installCalicoShims(dir, { runtime, force });
    for (const f of r.files) io.out(`installed ${f} (${r.runtime})\n`);
    return 0;
  } catch (e) {
    if (e instanceof WrenError) {
      io.err(`wrenc: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function runOne(client: ControlClient, command: string, opts: CliOptions, io: Io): Promise<number> {
  if (opts.json) {
    const r = await client.command(command);
    if (!r) {
      io.err('Connection closed by server\n');
      return 1;
    }
    const lines = decodeReply(r);
    io.out(JSON.stringify(replyToJson(command, lines), null, 2) + '\n');
    return replyError(lines) ? 1 : 0;
  }
  const r = await client.command(command, (l) => {
    const p = birdclLine(l, opts.verbose);
    if (p !== null) io.out(p + '\n');
  });
  if (!r) {
    io.err('Connection closed by server\n');
    return 1;
  }
  return 0;
}

async function interactive(client: ControlClient, opts: CliOptions, io: Io): Promise<number> {
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({
    input: process.stdin,
    output: tty ? process.stdout : undefined,
    terminal: tty,
    historySize: 1000,
    completer: (line: string) => [completeCommand(line), line],
  });
  const prompt = (): void => {
    if (tty) rl.prompt();
  };
  rl.setPrompt('bird> ');
  prompt();
  for await (const input of rl) {
    const line = input.trim();
    if (!line) {
      prompt();
      continue;
    }
    if (line.endsWith('?')) {
      io.out(commandHelp(line.slice(0, -1)).join('\n') + '\n');
      prompt();
      continue;
    }
    const e = expandCommand(line);
    if (!e.ok) {
      io.out(e.lines.join('\n') + '\n');
      prompt();
      continue;
    }
    if (/^(exit|quit)/.test(e.command)) break;
    if (/^help/.test(e.command)) {
      io.out("Press `?' for context sensitive help.\n");
      prompt();
      continue;
    }
    const status = await runOne(client, e.command, opts, io);
    if (status !== 0 && !opts.json) {
      rl.close();
      return status;
    }
    prompt();
  }
  rl.close();
  return 0;
}

// Entry point (bin/wrenc.js imports the compiled module; tests run this file with tsx).
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  if (/^(wrenc|birdc)/.test(basename(script))) return true;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}
/** birdcl-style name from argv[0] (`exec -a birdcl6 …`), else the script's file name. */
function progName(): string {
  const a0 = basename(process.argv0);
  return /^birdc/.test(a0) ? a0 : basename(process.argv[1] ?? 'wrenc');
}
if (isEntry()) {
  runCli(process.argv.slice(2), stdio, progName()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`wrenc: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

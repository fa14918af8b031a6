// The control-socket command grammar of BIRD 1.6 (the CF_CLI rules of nest/config.Y and
// sysdep/unix/config.Y): a command line → a `Command` value, or the 1.6 error reply
// (`9001 syntax error`, `9001 <name> is not a protocol`, `9000 Command too long`). The
// server is strict like 1.6: no abbreviations, keywords case-sensitive, an empty line is a
// syntax error. Abbreviations are the client's job (birdc expands them before sending):
// `expandCommand()` below is 1.6's client/commands.c over the same command table.
//
// Leaves out: `show roa`, `show static`, `show bfd`, `add/delete/flush roa`, `dump`,
// `eval`, `echo`, `debug`, `mrtdump` (accepted by the abbreviation table so the client
// behaves like birdc, but the server answers them `9001 syntax error`). `where <expr>` takes
// the rest of the line as the expression text.

import { parseAddress, parsePrefix, type Prefix } from '../rib/prefix.js';
import { CliSyntaxError, Lexer, type AddressFamilyMode, type Token } from './lexer.js';
import type { ReloadDirection, RouteFilterSpec, RouteQuery } from './model.js';

/** `<protocol>` | `"<pattern>"` | `all` | nothing (show protocols: every protocol). */
export type ProtocolTarget =
  | { readonly kind: 'every' }
  | { readonly kind: 'all' }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'pattern'; readonly pattern: string };

export type SymbolClassFilter = 'table' | 'filter' | 'function' | 'protocol' | 'template' | 'roa';

export type Command =
  | { readonly kind: 'show-status' }
  | { readonly kind: 'show-memory' }
  | { readonly kind: 'show-protocols'; readonly verbose: boolean; readonly target: ProtocolTarget }
  | { readonly kind: 'show-interfaces'; readonly summary: boolean }
  | { readonly kind: 'show-route'; readonly query: RouteQuery }
  | { readonly kind: 'show-symbols'; readonly classFilter?: SymbolClassFilter; readonly symbol?: string }
  | { readonly kind: 'configure'; readonly check: boolean; readonly soft: boolean; readonly file?: string; readonly timeout: number }
  | { readonly kind: 'configure-confirm' }
  | { readonly kind: 'configure-undo' }
  | { readonly kind: 'down' }
  | { readonly kind: 'restrict' }
  | {
      readonly kind: 'protocol-action';
      readonly action: 'enable' | 'disable' | 'restart' | 'reload';
      readonly dir: ReloadDirection;
      readonly target: ProtocolTarget;
    };

export type ParseResult = { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly code: number; readonly message: string };

/** What the parser needs to know about the running configuration's symbols. */
export interface SymbolLookup {
  /** 1.6 class name of a defined symbol (`protocol`, `filter`, `routing table`, …). */
  kindOf(name: string): string | undefined;
}

/** 1.6 CLI_RX_BUF_SIZE - 2: longer lines get `9000 Command too long`. */
export const MAX_COMMAND_LENGTH = 4094;

/** sysdep/unix: UNIX_DEFAULT_CONFIGURE_TIMEOUT. */
export const DEFAULT_CONFIGURE_TIMEOUT = 300;

export function parseCommand(line: string, symbols: SymbolLookup, family: AddressFamilyMode = 'both'): ParseResult {
  if (line.length > MAX_COMMAND_LENGTH) return { ok: false, code: 9000, message: 'Command too long' };
  const lx = new Lexer(line, family);
  try {
    const command = parseTop(lx, symbols);
    return { ok: true, command };
  } catch (e) {
    if (e instanceof CliSyntaxError) return { ok: false, code: 9001, message: e.message };
    throw e;
  }
}

const syntaxError = (): CliSyntaxError => new CliSyntaxError('syntax error');

function isKw(t: Token, kw: string): boolean {
  return t.kind === 'sym' && t.value === kw;
}

function expectKw(lx: Lexer, kw: string): void {
  if (!isKw(lx.next(), kw)) throw syntaxError();
}

function expectEnd(lx: Lexer): void {
  if (lx.next().kind !== 'end') throw syntaxError();
}

function parseTop(lx: Lexer, symbols: SymbolLookup): Command {
  const t = lx.next();
  if (t.kind !== 'sym') throw syntaxError();
  switch (t.value) {
    case 'show':
      return parseShow(lx, symbols);
    case 'configure':
      return parseConfigure(lx);
    case 'down':
      expectEnd(lx);
      return { kind: 'down' };
    case 'restrict':
      expectEnd(lx);
      return { kind: 'restrict' };
    case 'enable':
    case 'disable':
    case 'restart':
      return { kind: 'protocol-action', action: t.value, dir: 'both', target: parseProtoPatt(lx, false) };
    case 'reload': {
      let dir: ReloadDirection = 'both';
      const n = lx.peek();
      if (isKw(n, 'in') || isKw(n, 'out')) {
        lx.next();
        dir = n.value as ReloadDirection;
      }
      return { kind: 'protocol-action', action: 'reload', dir, target: parseProtoPatt(lx, false) };
    }
    default:
      throw syntaxError();
  }
}

/** proto_patt (`all` allowed, something required) / proto_patt2 (empty = every protocol). */
function parseProtoPatt(lx: Lexer, optional: boolean): ProtocolTarget {
  const t = lx.next();
  let target: ProtocolTarget;
  if (t.kind === 'end') {
    if (!optional) throw syntaxError();
    return { kind: 'every' };
  }
  if (!optional && isKw(t, 'all')) target = { kind: 'all' };
  else if (t.kind === 'sym') target = { kind: 'name', name: t.value };
  else if (t.kind === 'text') target = { kind: 'pattern', pattern: t.value };
  else throw syntaxError();
  expectEnd(lx);
  return target;
}

function parseShow(lx: Lexer, symbols: SymbolLookup): Command {
  const t = lx.next();
  if (t.kind !== 'sym') throw syntaxError();
  switch (t.value) {
    case 'status':
      expectEnd(lx);
      return { kind: 'show-status' };
    case 'memory':
      expectEnd(lx);
      return { kind: 'show-memory' };
    case 'protocols': {
      let verbose = false;
      if (isKw(lx.peek(), 'all')) {
        lx.next();
        verbose = true;
      }
      return { kind: 'show-protocols', verbose, target: parseProtoPatt(lx, true) };
    }
    case 'interfaces': {
      let summary = false;
      if (isKw(lx.peek(), 'summary')) {
        lx.next();
        summary = true;
      }
      expectEnd(lx);
      return { kind: 'show-interfaces', summary };
    }
    case 'route':
      return { kind: 'show-route', query: parseRouteArgs(lx, symbols) };
    case 'symbols':
      return parseSymbolArgs(lx);
    default:
      throw syntaxError();
  }
}

const SYMBOL_CLASS_WORDS: readonly SymbolClassFilter[] = ['table', 'filter', 'function', 'protocol', 'template', 'roa'];

function parseSymbolArgs(lx: Lexer): Command {
  let classFilter: SymbolClassFilter | undefined;
  let symbol: string | undefined;
  for (;;) {
    const t = lx.next();
    if (t.kind === 'end') break;
    if (t.kind !== 'sym') throw syntaxError();
    if ((SYMBOL_CLASS_WORDS as readonly string[]).includes(t.value)) classFilter = t.value as SymbolClassFilter;
    else symbol = t.value;
  }
  return { kind: 'show-symbols', ...(classFilter ? { classFilter } : {}), ...(symbol !== undefined ? { symbol } : {}) };
}

/** configure [soft] ["file"] [timeout [n]] | configure check ["file"] | configure confirm | configure undo */
function parseConfigure(lx: Lexer): Command {
  let soft = false;
  let check = false;
  const t = lx.peek();
  if (isKw(t, 'confirm') || isKw(t, 'undo')) {
    lx.next();
    expectEnd(lx);
    return { kind: t.value === 'confirm' ? 'configure-confirm' : 'configure-undo' };
  }
  if (isKw(t, 'soft')) {
    lx.next();
    soft = true;
  } else if (isKw(t, 'check')) {
    lx.next();
    check = true;
  }
  let file: string | undefined;
  if (lx.peek().kind === 'text') file = lx.next().value;
  let timeout = 0;
  if (!check && isKw(lx.peek(), 'timeout')) {
    lx.next();
    timeout = DEFAULT_CONFIGURE_TIMEOUT;
    if (lx.peek().kind === 'num') timeout = Number(lx.next().value);
  }
  expectEnd(lx);
  return { kind: 'configure', check, soft, ...(file !== undefined ? { file } : {}), timeout };
}

// ---------------------------------------------------------------------------------------
// show route r_args

interface MutableRouteQuery {
  prefix?: Prefix;
  for?: Prefix;
  table?: string;
  filter?: RouteFilterSpec;
  verbose: boolean;
  primaryOnly: boolean;
  filtered: boolean;
  export?: { mode: 'export' | 'preexport' | 'noexport'; protocol: string };
  protocol?: string;
  stats: 0 | 1 | 2;
}

function isAddress(t: Token): boolean {
  return t.kind === 'ip4' || t.kind === 'ip6';
}

/** `<ip>` or `<ip>/<len>`; with `requireLength` only the prefix form. */
function parsePrefixOrIp(lx: Lexer, requireLength: boolean): Prefix {
  const a = lx.next();
  if (!isAddress(a)) throw syntaxError();
  try {
    parseAddress(a.value);
  } catch {
    throw new CliSyntaxError(`Invalid IP address ${a.value}`);
  }
  const slash = lx.peek();
  if (slash.kind === 'char' && slash.value === '/') {
    lx.next();
    const len = lx.next();
    if (len.kind !== 'num') throw syntaxError();
    const max = a.kind === 'ip4' ? 32 : 128;
    const n = Number(len.value);
    if (n > max) throw new CliSyntaxError('Invalid prefix length');
    const p = parsePrefix(`${a.value}/${n}`);
    // 1.6: `prefix: ipa pxlen { if (!ip_is_prefix($1, $2)) cf_error("Invalid prefix"); }`
    const full = parseAddress(a.value);
    if (full.some((b, i) => b !== p.addr[i])) throw new CliSyntaxError('Invalid prefix');
    return p;
  }
  if (requireLength) throw syntaxError();
  return parsePrefix(a.value);
}

function checkProtocol(symbols: SymbolLookup, name: string): void {
  if (symbols.kindOf(name) !== 'protocol') throw new CliSyntaxError(`${name} is not a protocol`);
}

/** Text of a `{ … }` block starting at `open` (braces balanced), and the offset after it. */
function braceBlock(line: string, open: number): { text: string; end: number } {
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      const close = line.indexOf('"', i + 1);
      if (close < 0) throw new CliSyntaxError('Unterminated string');
      i = close;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return { text: line.slice(open, i + 1), end: i + 1 };
  }
  throw syntaxError();
}

function parseRouteArgs(lx: Lexer, symbols: SymbolLookup): RouteQuery {
  const q: MutableRouteQuery = { verbose: false, primaryOnly: false, filtered: false, stats: 0 };
  const onePrefix = (): void => {
    if (q.prefix || q.for) throw new CliSyntaxError('Only one prefix expected');
  };
  const oneFilter = (): void => {
    if (q.filter) throw new CliSyntaxError('Filter specified twice');
  };
  for (;;) {
    const t = lx.peek();
    if (t.kind === 'end') break;
    if (isAddress(t)) {
      onePrefix();
      q.prefix = parsePrefixOrIp(lx, true);
      continue;
    }
    lx.next();
    if (t.kind !== 'sym') throw syntaxError();
    switch (t.value) {
      case 'for':
        onePrefix();
        q.for = parsePrefixOrIp(lx, false);
        break;
      case 'table': {
        const s = lx.next();
        if (s.kind !== 'sym') throw syntaxError();
        if (symbols.kindOf(s.value) !== 'routing table') throw new CliSyntaxError(`${s.value} is not a table`);
        q.table = s.value;
        break;
      }
      case 'filter': {
        oneFilter();
        const f = lx.peek();
        if (f.kind === 'char' && f.value === '{') {
          const b = braceBlock(lx.line, f.start);
          q.filter = { kind: 'inline', text: b.text };
          lx.seek(b.end);
        } else if (f.kind === 'sym') {
          lx.next();
          if (symbols.kindOf(f.value) !== 'filter') throw new CliSyntaxError('No such filter.');
          q.filter = { kind: 'name', name: f.value };
        } else throw syntaxError();
        break;
      }
      case 'where': {
        oneFilter();
        const text = lx.restFrom(t.end);
        if (!text) throw syntaxError();
        q.filter = { kind: 'where', text };
        break;
      }
      case 'all':
        q.verbose = true;
        break;
      case 'primary':
        q.primaryOnly = true;
        break;
      case 'filtered':
        q.filtered = true;
        break;
      case 'export':
      case 'preexport':
      case 'noexport': {
        const s = lx.next();
        if (s.kind !== 'sym') throw syntaxError();
        if (q.export) throw new CliSyntaxError('Protocol specified twice');
        checkProtocol(symbols, s.value);
        q.export = { mode: t.value, protocol: s.value };
        break;
      }
      case 'protocol': {
        const s = lx.next();
        if (s.kind !== 'sym') throw syntaxError();
        if (q.protocol !== undefined) throw new CliSyntaxError('Protocol specified twice');
        checkProtocol(symbols, s.value);
        q.protocol = s.value;
        break;
      }
      case 'stats':
        q.stats = 1;
        break;
      case 'count':
        q.stats = 2;
        break;
      default:
        throw syntaxError();
    }
  }
  return q;
}

/** Commands that `restrict` forbids (1.6 cli_access_restricted callers). */
export function isRestrictedCommand(c: Command): boolean {
  return c.kind === 'configure' || c.kind === 'configure-confirm' || c.kind === 'configure-undo' || c.kind === 'down' || c.kind === 'protocol-action';
}

/** BIRD's protocol pattern match (lib/patmatch.c): `*` any run, `?` any one character. */
export function patternMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starN = n;
    } else if (starP >= 0) {
      p = starP + 1;
      n = ++starN;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

// ---------------------------------------------------------------------------------------
// The command table of the 1.6 client (conf/commands.h as generated from CF_CLI and
// CF_CLI_HELP, for the fork's build: bfd bgp pipe static) and birdc's abbreviation rules.

export interface CommandHelp {
  readonly command: string;
  readonly args: string;
  readonly help: string;
  /** CF_CLI (a command) vs CF_CLI_HELP (a help entry only). */
  readonly real: boolean;
}

const cli = (command: string, args: string, help: string): CommandHelp => ({ command, args, help, real: true });
const helpOnly = (command: string, args: string, help: string): CommandHelp => ({ command, args, help, real: false });
const PATT = '<protocol> | "<pattern>" | all';

export const COMMAND_TABLE: readonly CommandHelp[] = [
  helpOnly('quit', '', 'Quit the client'),
  helpOnly('exit', '', 'Exit the client'),
  helpOnly('help', '', 'Description of the help system'),
  helpOnly('show', '...', 'Show status information'),
  cli('show status', '', 'Show router status'),
  cli('show memory', '', 'Show memory usage'),
  cli('show protocols', '[<protocol> | "<pattern>"]', 'Show routing protocols'),
  cli('show protocols all', '[<protocol> | "<pattern>"]', 'Show routing protocol details'),
  cli('show interfaces', '', 'Show network interfaces'),
  cli('show interfaces summary', '', 'Show summary of network interfaces'),
  helpOnly('show route', '...', 'Show routing table'),
  cli(
    'show route',
    '[<prefix>|for <prefix>|for <ip>] [table <t>] [filter <f>|where <cond>] [all] [primary] [filtered] [(export|preexport|noexport) <p>] [protocol <p>] [stats|count]',
    'Show routing table',
  ),
  helpOnly('show roa', '...', 'Show ROA table'),
  cli('show roa', '[<prefix> | in <prefix> | for <prefix>] [as <num>] [table <t>]', 'Show ROA table'),
  cli('show symbols', '[table|filter|function|protocol|template|roa|<symbol>]', 'Show all known symbolic names'),
  cli('show static', '[<name>]', 'Show details of static protocol'),
  helpOnly('show bfd', '...', 'Show information about BFD protocol'),
  cli('show bfd sessions', '[<name>]', 'Show information about BFD sessions'),
  helpOnly('add', 'roa <prefix> max <num> as <num> [table <name>]', 'Add ROA record'),
  cli('add roa', '<prefix> max <num> as <num> [table <name>]', 'Add ROA record'),
  helpOnly('delete', 'roa <prefix> max <num> as <num> [table <name>]', 'Delete ROA record'),
  cli('delete roa', '<prefix> max <num> as <num> [table <name>]', 'Delete ROA record'),
  helpOnly('flush', 'roa [table <name>]', 'Removes all dynamic ROA records'),
  cli('flush roa', '[table <name>]', 'Removes all dynamic ROA records'),
  helpOnly('dump', '...', 'Dump debugging information'),
  cli('dump resources', '', 'Dump all allocated resource'),
  cli('dump sockets', '', 'Dump open sockets'),
  cli('dump events', '', 'Dump event log'),
  cli('dump interfaces', '', 'Dump interface information'),
  cli('dump neighbors', '', 'Dump neighbor cache'),
  cli('dump attributes', '', 'Dump attribute cache'),
  cli('dump routes', '', 'Dump routing table'),
  cli('dump protocols', '', 'Dump protocol information'),
  cli('eval', '<expr>', 'Evaluate an expression'),
  helpOnly('echo', '...', 'Control echoing of log messages'),
  cli('echo', '(all | off | { debug | trace | info | remote | warning | error | auth }) [<buffer-size>]', 'Control echoing of log messages'),
  cli('disable', PATT, 'Disable protocol'),
  cli('enable', PATT, 'Enable protocol'),
  cli('restart', PATT, 'Restart protocol'),
  cli('reload', PATT, 'Reload protocol'),
  cli('reload in', PATT, 'Reload protocol (just imported routes)'),
  cli('reload out', PATT, 'Reload protocol (just exported routes)'),
  helpOnly('debug', '...', 'Control protocol debugging via BIRD logs'),
  cli('debug', '(<protocol> | <pattern> | all) (all | off | { states | routes | filters | interfaces | events | packets })', 'Control protocol debugging via BIRD logs'),
  helpOnly('mrtdump', '...', 'Control protocol debugging via MRTdump files'),
  cli('mrtdump', '(<protocol> | <pattern> | all) (all | off | { states | messages })', 'Control protocol debugging via MRTdump files'),
  cli('restrict', '', 'Restrict current CLI session to safe commands'),
  cli('configure', '["<file>"] [timeout [<sec>]]', 'Reload configuration'),
  cli('configure soft', '["<file>"] [timeout [<sec>]]', 'Reload configuration and ignore changes in filters'),
  cli('configure confirm', '', 'Confirm last configuration change - deactivate undo timeout'),
  cli('configure undo', '', 'Undo last configuration change'),
  cli('configure check', '["<file>"]', 'Parse configuration and check its validity'),
  cli('down', '', 'Shut the daemon down'),
];

interface CmdNode {
  readonly token: string;
  /** 0 for `roa` (1.6's "Hack": `sh ro` means `show route`), else 1. */
  readonly prio: number;
  readonly sons: CmdNode[];
  cmd?: CommandHelp;
  help?: CommandHelp;
}

function buildTree(table: readonly CommandHelp[]): CmdNode {
  const root: CmdNode = { token: '', prio: 1, sons: [] };
  for (const c of table) {
    let node = root;
    for (const tok of c.command.split(/\s+/)) {
      let son = node.sons.find((s) => s.token === tok);
      if (!son) {
        son = { token: tok, prio: tok === 'roa' ? 0 : 1, sons: [] };
        node.sons.push(son);
      }
      node = son;
    }
    // The client treats quit/exit/help as real commands (handled locally).
    if (c.real || c.command === 'quit' || c.command === 'exit' || c.command === 'help') node.cmd = c;
    if (!c.real) node.help = c;
  }
  return root;
}

const TREE = buildTree(COMMAND_TABLE);

/** cmd_find_abbrev: exact token wins; else the unique prefix match (by priority). */
function findAbbrev(node: CmdNode, word: string): { node?: CmdNode; ambiguous: boolean } {
  let best: CmdNode | undefined;
  let best2: CmdNode | undefined;
  for (const m of node.sons) {
    if (m.token === word) return { node: m, ambiguous: false };
    if (m.token.length > word.length && m.token.startsWith(word)) {
      if (best && best.prio > m.prio) continue;
      if (best && best.prio === m.prio) best2 = best;
      best = m;
    }
  }
  if (best2) return { ambiguous: true };
  return { node: best, ambiguous: false };
}

/** cmd_do_display_help: `"%-45s  %s"` of `"<command> <args>"` and the help text. */
export function helpLine(c: CommandHelp): string {
  const left = `${c.command} ${c.args}`;
  return `${left.length >= 45 ? left : left + ' '.repeat(45 - left.length)}  ${c.help}`;
}

function ambiguousList(node: CmdNode, word: string): string[] {
  const out: string[] = [];
  for (const m of node.sons)
    if (m.token.length > word.length && m.token.startsWith(word)) {
      const c = m.help ?? m.cmd;
      if (c) out.push(helpLine(c));
    }
  return out;
}

export type ExpandResult =
  | { readonly ok: true; readonly command: string }
  | { readonly ok: false; readonly kind: 'ambiguous' | 'unknown'; readonly lines: readonly string[] };

/**
 * birdc's cmd_expand: expands abbreviated keywords (`sh pro al Mesh_1` → `show protocols
 * all Mesh_1`), keeping the arguments after the last keyword verbatim. Ambiguous →
 * "Ambiguous command, possible expansions are:" and the candidates; no command →
 * "No such command. Press `?' for help.".
 */
export function expandCommand(line: string): ExpandResult {
  let node = TREE;
  let args = line;
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ' || line[i] === '\t') {
      i++;
      continue;
    }
    const start = i;
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
    const word = line.slice(start, i);
    const r = findAbbrev(node, word);
    if (!r.node) {
      if (!r.ambiguous) break;
      return { ok: false, kind: 'ambiguous', lines: ['Ambiguous command, possible expansions are:', ...ambiguousList(node, word)] };
    }
    node = r.node;
    args = line.slice(i);
  }
  if (!node.cmd) return { ok: false, kind: 'unknown', lines: ["No such command. Press `?' for help."] };
  return { ok: true, command: (node.cmd.command + args).trimEnd() };
}

/** birdc's `?` help (cmd_help): the command reached by the typed words and its children. */
export function commandHelp(line: string): string[] {
  let node = TREE;
  for (const word of line.trim().split(/\s+/).filter(Boolean)) {
    const r = findAbbrev(node, word);
    if (r.ambiguous) return ambiguousList(node, word);
    if (!r.node) break;
    node = r.node;
  }
  const out: string[] = [];
  if (node.cmd && node.cmd.real) out.push(helpLine(node.cmd));
  for (const m of node.sons) {
    const c = m.help ?? m.cmd;
    if (c) out.push(helpLine(c));
  }
  return out;
}

/** Completions of the last word for readline (keywords only, like birdc). */
export function completeCommand(line: string): string[] {
  const words = line.split(/\s+/);
  const last = words.pop() ?? '';
  let node = TREE;
  for (const word of words.filter(Boolean)) {
    const r = findAbbrev(node, word);
    if (!r.node) return [];
    node = r.node;
  }
  const prefix = line.slice(0, line.length - last.length);
  return node.sons.filter((s) => s.token.startsWith(last)).map((s) => `${prefix}${s.token} `);
}

// Runs one control-socket command line against a ControlSource and writes BIRD 1.6's reply
// into a ReplySink: parse (commands.ts), restricted-mode check, then the handler, which
// follows 1.6's nest/cmds.c, nest/proto.c (proto_apply_cmd*), nest/rt-table.c (rt_show*)
// and sysdep/unix/main.c (cmd_reconfig*, cmd_shutdown) for codes and texts.
//
// Leaves out: everything commands.ts leaves out. A route source of null (no table yet) gets
// `8004 Routing table not ready` — 1.6 always has its table, so this text is ours.

import { parseCommand, patternMatch, isRestrictedCommand, type Command, type ProtocolTarget, type SymbolLookup } from './commands.js';
import {
  PROTOCOLS_HEADING,
  renderInterfaces,
  renderInterfacesSummary,
  renderMemory,
  renderProtocol,
  renderRoute,
  renderStatus,
  renderSymbols,
  routeCountText,
  shortTimeFormatter,
  symbolLine,
  type ReplySink,
} from './format.js';
import { CliSyntaxError, type AddressFamilyMode } from './lexer.js';
import { ROUTES_PAUSE, type ConfigureOutcome, type ControlSource, type ProtocolActionResult, type ProtocolStatus, type RouteNet, type RouteQuery } from './model.js';

export interface ExecContext {
  readonly source: ControlSource;
  readonly now: () => Date;
  readonly family: AddressFamilyMode;
  /** Lines rendered between two `pace()` calls in long listings. */
  readonly batch: number;
}

/** Per-connection state that commands change. */
export interface SessionState {
  restricted: boolean;
}

/** What the caller must do after the reply was written. */
export type AfterReply = 'none' | 'down';

function symbolLookup(source: ControlSource): SymbolLookup {
  let map: Map<string, string> | null = null;
  return {
    kindOf(name) {
      if (!map) {
        map = new Map();
        for (const s of source.symbols()) map.set(s.name, s.kind);
        for (const p of source.protocols()) if (!map.has(p.name)) map.set(p.name, 'protocol');
      }
      return map.get(name);
    },
  };
}

/** Parses and runs one line (without its `\n`). */
export async function runLine(line: string, ctx: ExecContext, state: SessionState, sink: ReplySink): Promise<AfterReply> {
  const symbols = symbolLookup(ctx.source);
  const parsed = parseCommand(line, symbols, ctx.family);
  if (!parsed.ok) {
    sink.end(parsed.code, parsed.message);
    return 'none';
  }
  return execute(parsed.command, symbols, ctx, state, sink);
}

export async function execute(cmd: Command, symbols: SymbolLookup, ctx: ExecContext, state: SessionState, sink: ReplySink): Promise<AfterReply> {
  if (state.restricted && isRestrictedCommand(cmd)) {
    sink.end(8007, 'Access denied');
    return 'none';
  }
  const src = ctx.source;
  switch (cmd.kind) {
    case 'show-status':
      renderStatus(sink, src.status());
      return 'none';
    case 'show-memory':
      renderMemory(sink, src.memory());
      return 'none';
    case 'show-interfaces':
      if (cmd.summary) renderInterfacesSummary(sink, src.interfaces());
      else renderInterfaces(sink, src.interfaces());
      return 'none';
    case 'show-symbols': {
      if (cmd.symbol !== undefined) {
        sink.end(1010, symbolLine({ name: cmd.symbol, kind: symbols.kindOf(cmd.symbol) ?? 'undefined' }));
        return 'none';
      }
      const want = cmd.classFilter ? SYMBOL_CLASS_KIND[cmd.classFilter] : undefined;
      renderSymbols(sink, want ? src.symbols().filter((s) => s.kind === want) : src.symbols());
      return 'none';
    }
    case 'show-protocols':
      await showProtocols(cmd.verbose, cmd.target, symbols, ctx, sink);
      return 'none';
    case 'show-route':
      await showRoute(cmd.query, ctx, sink);
      return 'none';
    case 'protocol-action':
      protocolAction(cmd.action, cmd.dir, cmd.target, symbols, src, sink);
      return 'none';
    case 'configure': {
      const r = await src.configure({ check: cmd.check, soft: cmd.soft, file: cmd.file, timeout: cmd.timeout });
      sink.line(2, `Reading configuration from ${r.file}`);
      if (r.kind === 'error') sink.end(8002, r.message);
      else if (r.kind === 'checked') sink.end(20, 'Configuration OK');
      else {
        if (cmd.timeout > 0 && r.outcome !== 'shutdown' && r.outcome !== 'nothing') sink.line(22, `Undo scheduled in ${cmd.timeout} s`);
        endOutcome(sink, r.outcome);
      }
      return 'none';
    }
    case 'configure-confirm':
      endOutcome(sink, src.configureConfirm ? src.configureConfirm() : 'nothing');
      return 'none';
    case 'configure-undo':
      sink.line(21, 'Undo requested');
      endOutcome(sink, src.configureUndo ? await src.configureUndo() : 'nothing');
      return 'none';
    case 'restrict':
      state.restricted = true;
      sink.end(16, 'Access restricted');
      return 'none';
    case 'down':
      sink.end(7, 'Shutdown requested');
      return 'down';
  }
}

const SYMBOL_CLASS_KIND: Readonly<Record<string, string>> = {
  table: 'routing table',
  filter: 'filter',
  function: 'function',
  protocol: 'protocol',
  template: 'protocol template',
  roa: 'ROA table',
};

/** cmd_reconfig_msg. */
const OUTCOME: Readonly<Record<ConfigureOutcome, readonly [number, string]>> = {
  done: [3, 'Reconfigured'],
  progress: [4, 'Reconfiguration in progress'],
  queued: [5, 'Reconfiguration already in progress, queueing new config'],
  unqueued: [17, 'Reconfiguration already in progress, removing queued config'],
  confirmed: [18, 'Reconfiguration confirmed'],
  shutdown: [6, 'Reconfiguration ignored, shutting down'],
  nothing: [19, 'Nothing to do'],
};

function endOutcome(sink: ReplySink, o: ConfigureOutcome): void {
  const [code, text] = OUTCOME[o];
  sink.end(code, text);
}

/**
 * proto_apply_cmd: a name that is not a protocol → `9002 <name> is not a protocol`; a
 * pattern that matches nothing → `8003 No protocols match`; else the matching protocols in
 * configuration order, or null after an error reply was written.
 */
function selectProtocols(target: ProtocolTarget, symbols: SymbolLookup, list: readonly ProtocolStatus[], sink: ReplySink): ProtocolStatus[] | null {
  let out: ProtocolStatus[];
  switch (target.kind) {
    case 'name': {
      if (symbols.kindOf(target.name) !== 'protocol') {
        sink.end(9002, `${target.name} is not a protocol`);
        return null;
      }
      const p = list.find((x) => x.name === target.name);
      if (!p) {
        sink.end(9002, `${target.name} does not exist`);
        return null;
      }
      return [p];
    }
    case 'pattern':
      out = list.filter((p) => patternMatch(target.pattern, p.name));
      break;
    case 'all':
    case 'every':
      out = [...list];
      break;
  }
  if (out.length === 0) {
    sink.end(8003, 'No protocols match');
    return null;
  }
  return out;
}

async function showProtocols(verbose: boolean, target: ProtocolTarget, symbols: SymbolLookup, ctx: ExecContext, sink: ReplySink): Promise<void> {
  const list = selectProtocols(target, symbols, ctx.source.protocols(), sink);
  if (!list) return;
  const now = ctx.now();
  const grActive = verbose && !!ctx.source.status().gracefulRestart;
  sink.line(2002, PROTOCOLS_HEADING);
  let n = 0;
  for (const p of list) {
    renderProtocol(sink, p, verbose, grActive, now);
    if (++n % ctx.batch === 0) await sink.pace();
  }
  sink.end(0, '');
}

const ACTION_LINE: Readonly<Record<Exclude<ProtocolActionResult, 'none'>, readonly [number, string]>> = {
  'already-disabled': [8, 'already disabled'],
  disabled: [9, 'disabled'],
  'already-enabled': [10, 'already enabled'],
  enabled: [11, 'enabled'],
  restarted: [12, 'restarted'],
  reloading: [15, 'reloading'],
  'reload-failed': [8006, 'reload failed'],
};

function protocolAction(
  action: 'enable' | 'disable' | 'restart' | 'reload',
  dir: 'both' | 'in' | 'out',
  target: ProtocolTarget,
  symbols: SymbolLookup,
  src: ControlSource,
  sink: ReplySink,
): void {
  const list = selectProtocols(target, symbols, src.protocols(), sink);
  if (!list) return;
  for (const p of list) {
    let r: ProtocolActionResult;
    if (action === 'enable') r = src.enable(p.name);
    else if (action === 'disable') r = src.disable(p.name);
    else if (action === 'restart') r = src.restart(p.name);
    else r = src.reload ? src.reload(p.name, dir) : 'reload-failed';
    if (r === 'none') continue;
    const [code, text] = ACTION_LINE[r];
    sink.line(code, `${p.name}: ${text}`);
  }
  sink.end(0, '');
}

/** rt_show / rt_show_net: counts as 1.6 (`X of Y routes for Z networks`). */
async function showRoute(q: RouteQuery, ctx: ExecContext, sink: ReplySink): Promise<void> {
  let nets: Iterable<RouteNet> | null;
  try {
    nets = ctx.source.routes(q);
  } catch (e) {
    if (!(e instanceof CliSyntaxError)) throw e;
    sink.end(9001, e.message);
    return;
  }
  if (!nets) {
    sink.end(8004, 'Routing table not ready');
    return;
  }
  const time = shortTimeFormatter(ctx.now());
  let shown = 0;
  let routes = 0;
  let networks = 0;
  let work = 0;
  for (const net of nets) {
    if (net === ROUTES_PAUSE) {
      work = 0;
      await sink.pace();
      continue;
    }
    let counted = 0;
    let prefixText = net.prefix;
    for (const r of net.routes) {
      counted++;
      if (q.protocol === undefined || r.protocol === q.protocol) {
        shown++;
        if (q.stats < 2) {
          renderRoute(sink, prefixText, r, q.verbose, time(r.since));
          prefixText = '';
        }
      }
      if (q.primaryOnly) break;
    }
    const total = net.total ?? counted;
    routes += total;
    if (total > 0) networks++;
    work += counted + 1;
    if (work >= ctx.batch) {
      work = 0;
      await sink.pace();
    }
  }
  if ((q.prefix || q.for) && routes === 0) sink.end(8001, 'Network not in table');
  else if (q.stats > 0) sink.end(14, routeCountText(shown, routes, networks));
  else sink.end(0, '');
}

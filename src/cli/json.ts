// `wrenc --json`: a decoded BIRD reply turned into JSON for scripts, by command. Parses the
// 1.6 texts that format.ts prints: `show status` → object; `show protocols [all]` → array
// of rows (with `details` for `all`); `show route` → array of routes; `show route count` →
// counts; `show interfaces summary`, `show symbols`, `show memory` → arrays; anything else
// → `{ code, messages }`. Errors (8xxx/9xxx) → `{ error: { code, message } }`.
//
// Leaves out: `show interfaces` (non-summary) detail parsing — returned as messages.

import type { ReplyLine } from './client.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The reply's error, if its final line is 8xxx/9xxx. */
export function replyError(lines: readonly ReplyLine[]): { code: number; message: string } | null {
  const last = lines.at(-1);
  return last && last.final && last.code >= 8000 ? { code: last.code, message: last.text } : null;
}

function fields(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

function protocolRow(text: string): { [k: string]: Json } {
  const f = fields(text);
  return { name: f[0] ?? '', proto: f[1] ?? '', table: f[2] ?? '', state: f[3] ?? '', since: f[4] ?? '', info: f.slice(5).join(' ') };
}

function parseStatus(lines: readonly ReplyLine[]): Json {
  const o: { [k: string]: Json } = {};
  let gr: { [k: string]: Json } | null = null;
  for (const l of lines) {
    const t = l.text;
    if (l.code === 1000) o.version = t.replace(/^BIRD /, '');
    else if (t.startsWith('Router ID is ')) o.routerId = t.slice(13);
    else if (t.startsWith('Current server time is ')) o.serverTime = t.slice(23);
    else if (t.startsWith('Last reboot on ')) o.lastReboot = t.slice(15);
    else if (t.startsWith('Last reconfiguration on ')) o.lastReconfiguration = t.slice(24);
    else if (l.code === 24) {
      gr ??= {};
      let m: RegExpExecArray | null;
      if ((m = /Waiting for (\d+) protocols/.exec(t))) gr.waitingFor = Number(m[1]);
      else if ((m = /Wait timer is (\d+)\/(\d+)/.exec(t))) {
        gr.waitTimerLeft = Number(m[1]);
        gr.waitTimerTotal = Number(m[2]);
      }
    } else if (l.code === 13) o.state = t;
  }
  o.gracefulRestart = gr;
  return o;
}

const STAT_ROWS: Readonly<Record<string, readonly string[]>> = {
  'Import updates': ['received', 'rejected', 'filtered', 'ignored', 'accepted'],
  'Import withdraws': ['received', 'rejected', 'filtered', 'ignored', 'accepted'],
  'Export updates': ['received', 'rejected', 'filtered', 'ignored', 'accepted'],
  'Export withdraws': ['received', 'rejected', 'filtered', 'ignored', 'accepted'],
};

function parseProtocols(lines: readonly ReplyLine[]): Json {
  const rows: { [k: string]: Json }[] = [];
  let current: { [k: string]: Json } | null = null;
  for (const l of lines) {
    if (l.code === 1002) {
      current = protocolRow(l.text);
      rows.push(current);
    } else if (l.code === 1006 && current) {
      const details = (current.details ??= {}) as { [k: string]: Json };
      const m = /^\s*([^:]+):\s*(.*)$/.exec(l.text);
      if (!m) continue;
      const key = m[1]!.trim();
      const value = m[2]!.trim();
      const stat = STAT_ROWS[key];
      if (stat) {
        const nums = fields(value);
        const o: { [k: string]: Json } = {};
        nums.forEach((n, i) => {
          if (n !== '---') o[stat[i]!] = Number(n);
        });
        details[key] = o;
      } else if (key !== 'Route change stats') details[key] = value;
    }
  }
  return rows;
}

const ROUTE = /^(\S*)\s+(via (\S+) on (\S+)|dev (\S+)|blackhole|unreachable|prohibited|multipath) \[(\S+) (\S+)(?: from (\S+))?\]( [*!])? ?(.*)$/;

function parseRoutes(lines: readonly ReplyLine[]): Json {
  const routes: { [k: string]: Json }[] = [];
  let network = '';
  let current: { [k: string]: Json } | null = null;
  for (const l of lines) {
    if (l.code === 1007 && l.text.startsWith('\tvia ') && current) {
      const m = /^\tvia (\S+) on (\S+) weight (\d+)/.exec(l.text);
      if (m) ((current.nexthops ??= []) as Json[]).push({ gateway: m[1]!, iface: m[2]!, weight: Number(m[3]) });
      continue;
    }
    if (l.code === 1007) {
      const m = ROUTE.exec(l.text);
      if (!m) continue;
      if (m[1]) network = m[1];
      const dest = m[2]!;
      current = {
        network,
        type: dest.startsWith('via') ? 'router' : dest.startsWith('dev') ? 'device' : dest,
        ...(m[3] ? { gateway: m[3] } : {}),
        ...(m[4] || m[5] ? { iface: (m[4] ?? m[5])! } : {}),
        protocol: m[6]!,
        since: m[7]!,
        ...(m[8] ? { from: m[8] } : {}),
        primary: m[9] === ' *' || m[9] === ' !',
        info: m[10]!.trim(),
      };
      routes.push(current);
    } else if ((l.code === 1008 || l.code === 1012) && current) {
      const m = /^\t([^:]+): ?(.*)$/.exec(l.text);
      if (!m) continue;
      if (l.code === 1008) current.routeType = m[2]!;
      else ((current.attributes ??= {}) as { [k: string]: Json })[m[1]!] = m[2]!;
    }
  }
  return routes;
}

/** JSON for a reply to `command` (the expanded command text). */
export function replyToJson(command: string, lines: readonly ReplyLine[]): Json {
  const err = replyError(lines);
  if (err) return { error: err };
  const words = fields(command);
  const [a, b] = words;
  if (a === 'show' && b === 'status') return parseStatus(lines);
  if (a === 'show' && b === 'protocols') return parseProtocols(lines);
  if (a === 'show' && b === 'route') {
    const last = lines.at(-1);
    const m = last && last.code === 14 ? /(\d+) of (\d+) routes for (\d+) networks/.exec(last.text) : null;
    const counts = m ? { shown: Number(m[1]), routes: Number(m[2]), networks: Number(m[3]) } : null;
    if (words.includes('count')) return counts;
    const routes = parseRoutes(lines);
    return counts ? { ...counts, list: routes } : routes;
  }
  if (a === 'show' && b === 'interfaces' && words[2] === 'summary')
    return lines
      .filter((l) => l.code === 1005)
      .map((l) => {
        const f = fields(l.text);
        return { interface: f[0] ?? '', state: f[1] ?? '', address: f[2] ?? null };
      });
  if (a === 'show' && b === 'symbols')
    return lines
      .filter((l) => l.code === 1010)
      .map((l) => {
        const [name, kind] = l.text.split('\t');
        return { name: name!.trim(), kind: kind ?? '' };
      });
  if (a === 'show' && b === 'memory')
    return lines
      .filter((l) => l.code === 1018 && l.text.includes(':'))
      .map((l) => {
        const m = /^([^:]+):\s+(\d+) ([ kMG])B/.exec(l.text);
        const mult = { ' ': 1, k: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m?.[3] ?? ' '] ?? 1;
        return { name: m?.[1] ?? l.text, bytes: m ? Number(m[2]) * mult : null };
      });
  return { code: lines.at(-1)?.code ?? 0, messages: lines.filter((l) => l.code !== 0 || l.text !== '').map((l) => l.text) };
}

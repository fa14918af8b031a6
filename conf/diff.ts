// Reload planning: what a new configuration means for each running protocol, by name,
// with BIRD 1.6's reconfiguration rules (nest/proto.c proto_reconfigure, bgp_reconfigure,
// static_reconfigure, krt_reconfigure):
//   unchanged    identical canonical text;
//   reconfigure  only cosmetic options (description, debug) or static routes changed:
//                apply in place (static: announce/withdraw the route difference);
//   reload       an import or export filter behaves differently (its canonical text, or the
//                text of any function it calls, changed) or the preference changed: re-run
//                the filters, session stays up ("Reloading protocol");
//   restart      a session option changed (neighbor, AS, timers, password, …), the type
//                changed, or — for BGP — the router id changed ("Restarting protocol");
//   removed / added.
// Comparison is on the canonical printer's tagged lines (print.ts), so "changed" means
// "means something different", never "was written differently".
// Leaves out: global options other than router id and listen (reported as flags).

import { protocolLines } from './print.js';
import type { LineKind } from './print.js';
import type { Config, ProtocolConfig, ProtocolType } from './model.js';

export type ReloadAction = 'unchanged' | 'reconfigure' | 'reload' | 'restart' | 'added' | 'removed';

export interface ProtocolChange {
  readonly name: string;
  /** The protocol's type in the new configuration (the old one for 'removed'). */
  readonly type: ProtocolType;
  readonly action: ReloadAction;
  /** 'reload': the import filter (or preference) changed. */
  readonly importChanged: boolean;
  /** 'reload': the export filter changed. */
  readonly exportChanged: boolean;
  /** Static protocols: the route list changed. */
  readonly routesChanged: boolean;
}

export interface ReloadPlan {
  /** Old protocols in old order, then added ones in new order. */
  readonly protocols: readonly ProtocolChange[];
  readonly routerIdChanged: boolean;
  /** `listen bgp` changed: the listener must be re-bound. */
  readonly listenChanged: boolean;
}

function linesOf(p: ProtocolConfig, kinds: readonly LineKind[]): string {
  return protocolLines(p)
    .filter((l) => kinds.includes(l.kind))
    .map((l) => l.text)
    .join('\n');
}

function fingerprints(p: ProtocolConfig): { imp: string; exp: string } {
  return {
    imp: `${p.preference}\n${p.import.fingerprint}`,
    exp: p.export.fingerprint,
  };
}

function compare(a: ProtocolConfig, b: ProtocolConfig, routerIdChanged: boolean): ProtocolChange {
  const base = { name: b.name, type: b.type, importChanged: false, exportChanged: false, routesChanged: false };
  if (a.type !== b.type || linesOf(a, ['session']) !== linesOf(b, ['session']) || (routerIdChanged && b.type === 'bgp')) {
    return { ...base, action: 'restart' };
  }
  const fa = fingerprints(a), fb = fingerprints(b);
  const importChanged = fa.imp !== fb.imp;
  const exportChanged = fa.exp !== fb.exp;
  const routesChanged = linesOf(a, ['routes']) !== linesOf(b, ['routes']);
  if (importChanged || exportChanged) return { ...base, action: 'reload', importChanged, exportChanged, routesChanged };
  if (routesChanged || linesOf(a, ['cosmetic']) !== linesOf(b, ['cosmetic'])) {
    return { ...base, action: 'reconfigure', routesChanged };
  }
  return { ...base, action: 'unchanged' };
}

export function diffConfigs(a: Config, b: Config): ReloadPlan {
  const routerIdChanged = a.routerId !== b.routerId;
  const la = a.listen, lb = b.listen;
  const listenChanged = la.address !== lb.address || la.port !== lb.port || la.v6only !== lb.v6only || la.dual !== lb.dual;
  const newByName = new Map(b.protocols.map((p) => [p.name, p]));
  const oldNames = new Set(a.protocols.map((p) => p.name));
  const out: ProtocolChange[] = [];
  for (const p of a.protocols) {
    const q = newByName.get(p.name);
    if (!q) out.push({ name: p.name, type: p.type, action: 'removed', importChanged: false, exportChanged: false, routesChanged: false });
    else out.push(compare(p, q, routerIdChanged));
  }
  for (const q of b.protocols) {
    if (!oldNames.has(q.name)) out.push({ name: q.name, type: q.type, action: 'added', importChanged: false, exportChanged: false, routesChanged: false });
  }
  return { protocols: out, routerIdChanged, listenChanged };
}

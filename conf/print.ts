// Canonical printer of the configuration model, for golden tests, `show config`-style
// output and the reload planner. The output is BIRD 1.6 syntax that parses back to an
// equal model: templates are already merged (the template name is kept as a comment),
// every option is written out with its effective value (BIRD's defaults included), filters
// and functions in canonical form (filter/print.ts), addresses normalised.
// Each protocol line is tagged with what a change to it means for a reload (diff.ts).
// Leaves out: comments and layout of the input.

import { formatPrefix } from '../src/rib/prefix.js';
import { symbolText } from './keywords.js';
import { ALL_DEBUG_FLAGS, formatRouterId } from './model.js';
import type { Config, DebugFlag, ProtocolConfig, StaticRoute } from './model.js';

/** What a changed line means on reload: restart the protocol, re-run a filter, or just update. */
export type LineKind = 'session' | 'import' | 'export' | 'routes' | 'cosmetic' | 'comment';

export interface ProtocolLine {
  readonly kind: LineKind;
  readonly text: string;
}

const onOff = (b: boolean) => (b ? 'on' : 'off');

function debugText(d: readonly DebugFlag[]): string {
  if (d.length === 0) return 'off';
  if (d.length === ALL_DEBUG_FLAGS.length) return 'all';
  return `{ ${d.join(', ')} }`;
}

function routeText(r: StaticRoute): string {
  const net = formatPrefix(r.net);
  switch (r.kind) {
    case 'via': return `route ${net} via ${r.via};`;
    case 'recursive': return `route ${net} recursive ${r.via};`;
    case 'device': return `route ${net} via "${r.iface}";`;
    default: return `route ${net} ${r.kind};`;
  }
}

/** The body lines of a protocol (without the `protocol … {` / `}` lines), tagged. */
export function protocolLines(p: ProtocolConfig): ProtocolLine[] {
  const out: ProtocolLine[] = [];
  const add = (kind: LineKind, text: string) => out.push({ kind, text });
  if (p.template !== undefined) add('comment', `# from ${symbolText(p.template)}`);
  if (p.description !== undefined) add('cosmetic', `description "${p.description}";`);
  add('cosmetic', `debug ${debugText(p.debug)};`);
  add('session', `disabled ${onOff(p.disabled)};`);
  add('import', `preference ${p.preference};`);
  add('import', `import ${p.import.text};`);
  add('export', `export ${p.export.text};`);
  const lim = (l: { limit: number; action: string }) => `${l.limit} action ${l.action}`;
  if (p.receiveLimit) add('import', `receive limit ${lim(p.receiveLimit)};`);
  if (p.importLimit) add('import', `import limit ${lim(p.importLimit)};`);
  if (p.exportLimit) add('export', `export limit ${lim(p.exportLimit)};`);
  switch (p.type) {
    case 'kernel':
      add('session', `learn ${onOff(p.learn)};`);
      add('session', `persist ${onOff(p.persist)};`);
      add('session', `scan time ${p.scanTime};`);
      add('session', `device routes ${onOff(p.deviceRoutes)};`);
      add('session', `kernel table ${p.kernelTable};`);
      add('session', `graceful restart ${onOff(p.gracefulRestart)};`);
      add('session', `merge paths ${onOff(p.mergePaths)}${p.mergePaths ? ` limit ${p.mergePathsLimit}` : ''};`);
      break;
    case 'device':
      add('session', `scan time ${p.scanTime};`);
      break;
    case 'direct':
      if (p.interfaces.length === 0) add('comment', '# interface: all');
      else add('session', `interface ${p.interfaces.map((i) => `${i.negated ? '-' : ''}"${i.pattern}"`).join(', ')};`);
      break;
    case 'static':
      add('session', `check link ${onOff(p.checkLink)};`);
      for (const r of p.routes) add('routes', routeText(r));
      break;
    case 'bgp': {
      add('session', `local as ${p.localAs};`);
      add('session', `neighbor ${p.neighborAddress} port ${p.neighborPort} as ${p.neighborAs};`);
      add('comment', `# ${p.internal ? 'internal (iBGP)' : 'external (eBGP)'}`);
      if (p.sourceAddress !== undefined) add('session', `source address ${p.sourceAddress};`);
      // iBGP is multihop unless `direct` (BIRD 1.6); eBGP is direct unless `multihop`.
      add('session', p.multihop ? `multihop ${p.multihop};` : p.internal ? 'direct;' : '# multihop: off (directly connected)');
      add('session', `ttl security ${onOff(p.ttlSecurity)};`);
      add('session', `passive ${onOff(p.passive)};`);
      if (p.password !== undefined) add('session', `password "${p.password}";`);
      if (p.nextHopSelf) add('session', 'next hop self;');
      if (p.nextHopKeep) add('session', 'next hop keep;');
      add('session', `gateway ${p.gateway};`);
      add('session', `add paths ${p.addPathsRx && p.addPathsTx ? 'on' : p.addPathsRx ? 'rx' : p.addPathsTx ? 'tx' : 'off'};`);
      if (p.rrClient) add('session', 'rr client;');
      if (p.rrClusterId !== undefined) add('session', `rr cluster id ${formatRouterId(p.rrClusterId)};`);
      if (p.rsClient) add('session', 'rs client;');
      add('session', `missing lladdr ${p.missingLladdr};`);
      if (p.allowLocalAs === Infinity) add('session', 'allow local as;');
      else if (p.allowLocalAs) add('session', `allow local as ${p.allowLocalAs};`);
      add('session', `graceful restart ${p.gracefulRestart === 'able' ? 'on' : p.gracefulRestart};`);
      add('session', `graceful restart time ${p.gracefulRestartTime};`);
      add('session', `long lived graceful restart ${p.longLivedGracefulRestart === 'able' ? 'on' : p.longLivedGracefulRestart};`);
      add('session', `long lived stale time ${p.longLivedStaleTime};`);
      add('session', `hold time ${p.holdTime};`);
      add('session', `startup hold time ${p.startupHoldTime};`);
      add('session', p.keepaliveTimeSet ? `keepalive time ${p.keepaliveTime};` : `# keepalive time: hold time / 3 (${p.keepaliveTime})`);
      add('session', `connect delay time ${p.connectDelayTime};`);
      add('session', `connect retry time ${p.connectRetryTime};`);
      add('session', `error wait time ${p.errorWaitTimeMin},${p.errorWaitTimeMax};`);
      add('session', `error forget time ${p.errorForgetTime};`);
      add('session', `default bgp_local_pref ${p.defaultLocalPref};`);
      add('session', `default bgp_med ${p.defaultMed};`);
      add('session', `interpret communities ${onOff(p.interpretCommunities)};`);
      add('session', `enable route refresh ${onOff(p.enableRouteRefresh)};`);
      add('session', `enable as4 ${onOff(p.enableAs4)};`);
      add('session', p.capabilitiesSet ? `capabilities ${onOff(p.capabilities)};` : '# capabilities: on (not set)');
      add('session', `advertise ipv4 ${onOff(p.advertiseIpv4)};`);
      add('session', `deterministic med ${onOff(p.deterministicMed)};`);
      add('session', `igp metric ${onOff(p.igpMetric)};`);
      add('session', `prefer older ${onOff(p.preferOlder)};`);
      add('session', `med metric ${onOff(p.medMetric)};`);
      add('session', `path metric ${onOff(p.pathMetric)};`);
      add('session', `disable after error ${onOff(p.disableAfterError)};`);
      break;
    }
  }
  return out;
}

export function protocolText(p: ProtocolConfig): string {
  const body = protocolLines(p).map((l) => `  ${l.text}`);
  return [`protocol ${p.type} ${symbolText(p.name)} {`, ...body, '}'].join('\n');
}

export function printConfig(c: Config): string {
  const out: string[] = [];
  if (c.routerId !== undefined) out.push(`router id ${formatRouterId(c.routerId)};`);
  if (c.listen.address !== undefined || c.listen.port !== undefined || c.listen.v6only || c.listen.dual) {
    const parts = ['listen bgp'];
    if (c.listen.address !== undefined) parts.push(`address ${c.listen.address}`);
    if (c.listen.port !== undefined) parts.push(`port ${c.listen.port}`);
    if (c.listen.v6only) parts.push('v6only');
    if (c.listen.dual) parts.push('dual');
    out.push(`${parts.join(' ')};`);
  }
  out.push(`graceful restart wait ${c.gracefulRestartWait};`);
  for (const l of c.log) out.push(`log ${l.target === 'stderr' || l.target.startsWith('syslog') ? l.target.replace(/^syslog name (.*)$/, 'syslog name "$1"') : `"${l.target}"`} ${l.classes === 'all' ? 'all' : `{ ${l.classes.join(', ')} }`};`);
  if (c.debugProtocols.length) out.push(`debug protocols ${debugText(c.debugProtocols)};`);
  for (const [k, v] of Object.entries(c.timeformat)) out.push(`timeformat ${k} ${v};`);
  for (const [k, v] of Object.entries(c.constants)) out.push(`define ${symbolText(k)} = ${v};`);
  for (const f of c.functions) out.push('', f.text);
  for (const f of c.filters) out.push('', f.text);
  for (const p of c.protocols) out.push('', protocolText(p));
  return out.join('\n') + '\n';
}

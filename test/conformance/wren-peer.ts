// The Wren side of a conformance test, run as its own process inside a lab namespace:
//   ip netns exec <ns> node --import tsx test/conformance/wren-peer.ts '<config json>'
// It runs one BGP Session (and a Listener when passive), reports every session event as a
// JSON line on stdout prefixed with EVENT_PREFIX, and takes JSON commands on stdin
// (announce, withdraw, endOfRib, refresh, stop, raw, stats, exit), answering each with a
// `reply` event carrying the command's id. The test side of this protocol is
// test/helpers/wren.ts. A crash here shows up as the child's exit, never as a hung test.
// Leaves out: more than one session per process (start one process per session).

import { createInterface } from 'node:readline';
import { Session } from '../../src/bgp/session.js';
import { encodeUpdate, encodeEndOfRib } from '../../src/bgp/codec/index.js';
import { Listener } from '../../src/bgp/listener.js';
import { Logger, LogLevel, parseLogLevel } from '../../src/log.js';
import type { UpdateMessage, PathAttributes, AsPathSegment, LargeCommunity, CodecContext } from '../../src/bgp/codec/types.js';
import { MessageType, AddPathMode, DEFAULT_CODEC_CONTEXT } from '../../src/bgp/codec/types.js';
import { UpdateAction } from '../../src/bgp/errors.js';
import { parsePrefix, parseAddress, afiSafi, Afi, type Nlri } from '../../src/rib/prefix.js';
import { updateJson, toJson } from '../helpers/wire-json.js';
import { EVENT_PREFIX, type WrenPeerConfig, type WrenCommand, type RouteSpec } from '../helpers/wren-protocol.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as WrenPeerConfig;

const emit = (ev: Record<string, unknown>): void => {
  process.stdout.write(`${EVENT_PREFIX}${JSON.stringify(ev)}\n`);
};

const familyCode = (f: string): number => (f === 'ipv6' ? afiSafi(Afi.IPV6, 1) : afiSafi(Afi.IPV4, 1));
const familyName = (fs: number): string => ((fs >> 8) === Afi.IPV6 ? 'ipv6' : 'ipv4');
const ADD_PATH_MODES: Record<string, AddPathMode> = { receive: AddPathMode.RECEIVE, send: AddPathMode.SEND, both: AddPathMode.BOTH };

const s = cfg.session;
const addPath = new Map<number, AddPathMode>();
for (const [f, m] of Object.entries(s.addPath ?? {})) addPath.set(familyCode(f), ADD_PATH_MODES[m]!);

// Wren's own log lines go to stderr (the driver keeps them for failure messages).
const logger = new Logger(undefined, { level: parseLogLevel(process.env.WREN_LOG ?? 'info') as LogLevel });
const session = new Session(
  {
    ...s,
    families: s.families.map(familyCode),
    addPath,
  },
  { logger },
);

// ---- events -----------------------------------------------------------------------------------

session.on('state', (from: unknown, to: unknown) => emit({ ev: 'state', from, to }));
session.on('established', (negotiated: unknown) => emit({ ev: 'established', negotiated: toJson(negotiated) }));
session.on('update', (u: UpdateMessage) => emit({ ev: 'update', ...updateJson(u) }));
session.on('endOfRib', (fs: number) => emit({ ev: 'endOfRib', family: familyName(fs) }));
session.on('routeRefresh', (m: unknown) => emit({ ev: 'routeRefresh', message: toJson(m) }));
session.on('notificationReceived', (n: unknown) => emit({ ev: 'notificationReceived', notification: toJson(n) }));
session.on('notificationSent', (n: unknown) => emit({ ev: 'notificationSent', notification: toJson(n) }));
session.on('down', (reason: unknown) => emit({ ev: 'down', reason: toJson(reason) }));

// ---- commands ---------------------------------------------------------------------------------

function codecContext(): CodecContext {
  const n = session.negotiated as { codec?: CodecContext } | null | undefined;
  return n?.codec ?? DEFAULT_CODEC_CONTEXT;
}

function attributesOf(r: RouteSpec): PathAttributes {
  const asPath: AsPathSegment[] = r.asPath && r.asPath.length ? [{ type: 2, asns: r.asPath }] : [];
  const a: {
    -readonly [K in keyof PathAttributes]: PathAttributes[K];
  } = { origin: r.origin === 'egp' ? 1 : r.origin === 'incomplete' ? 2 : 0, asPath };
  if (r.med !== undefined) a.med = r.med;
  if (r.localPref !== undefined) a.localPref = r.localPref;
  if (r.communities) {
    a.communities = r.communities.map((c) => {
      const [hi, lo] = c.split(':').map(Number);
      return ((hi! << 16) | lo!) >>> 0;
    });
  }
  if (r.largeCommunities) {
    a.largeCommunities = r.largeCommunities.map((c): LargeCommunity => {
      const [global, local1, local2] = c.split(':').map(Number);
      return { global: global!, local1: local1!, local2: local2! };
    });
  }
  return a;
}

function buildUpdate(r: RouteSpec, withdraw: boolean): UpdateMessage {
  const nlri: Nlri[] = r.prefixes.map((p) => ({ ...parsePrefix(p), pathId: r.pathId ?? 0 }));
  const v6 = nlri.some((n) => n.afi === Afi.IPV6);
  if (withdraw) {
    return {
      type: MessageType.UPDATE,
      withdrawn: v6 ? [] : nlri,
      attributes: {},
      nlri: [],
      ...(v6 ? { mpUnreach: { afi: Afi.IPV6, safi: 1, withdrawn: nlri } } : {}),
      action: UpdateAction.NONE,
      errors: [],
    };
  }
  const attrs = attributesOf(r);
  if (!v6) {
    return {
      type: MessageType.UPDATE,
      withdrawn: [],
      attributes: { ...attrs, nextHop: parseAddress(r.nextHop!) },
      nlri,
      action: UpdateAction.NONE,
      errors: [],
    };
  }
  return {
    type: MessageType.UPDATE,
    withdrawn: [],
    attributes: attrs,
    nlri: [],
    mpReach: {
      afi: Afi.IPV6,
      safi: 1,
      nextHop: { global: parseAddress(r.nextHop!), ...(r.linkLocal ? { linkLocal: parseAddress(r.linkLocal) } : {}) },
      nlri,
    },
    action: UpdateAction.NONE,
    errors: [],
  };
}

async function handle(c: WrenCommand): Promise<unknown> {
  switch (c.cmd) {
    case 'announce':
      return session.send(encodeUpdate(buildUpdate(c.route, false), codecContext()));
    case 'withdraw':
      return session.send(encodeUpdate(buildUpdate(c.route, true), codecContext()));
    case 'endOfRib':
      return session.send(encodeEndOfRib(c.family === 'ipv6' ? Afi.IPV6 : Afi.IPV4, 1));
    case 'refresh':
      return session.sendRouteRefresh(c.family === 'ipv6' ? Afi.IPV6 : Afi.IPV4, 1);
    case 'raw':
      return session.send(Buffer.from(c.hex, 'hex'));
    case 'stop':
      session.stop(c.subcode, c.text);
      return true;
    case 'start':
      session.start();
      return true;
    case 'stats':
      return toJson({ state: session.state, stats: session.stats });
    case 'exit':
      setImmediate(() => process.exit(0));
      return true;
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let c: WrenCommand;
  try {
    c = JSON.parse(line) as WrenCommand;
  } catch {
    emit({ ev: 'reply', id: -1, ok: false, error: `bad command line: ${line}` });
    return;
  }
  handle(c).then(
    (result) => emit({ ev: 'reply', id: c.id, ok: true, result: toJson(result) }),
    (e: unknown) => emit({ ev: 'reply', id: c.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
  );
});
// The parent closing our stdin (test ended or crashed) ends this process.
rl.on('close', () => process.exit(0));

// ---- start ------------------------------------------------------------------------------------

/** Passive side: Wren's Listener on one address; it installs the session's MD5 key. */
async function listen(address: string, port: number): Promise<string> {
  const listener = new Listener({ address, port, logger });
  await listener.listen();
  listener.register(session);
  return 'wren';
}

async function main(): Promise<void> {
  const listener = cfg.listen ? await listen(cfg.listen.address, cfg.listen.port ?? 179) : null;
  session.start();
  emit({ ev: 'ready', pid: process.pid, listener });
}

main().catch((e: unknown) => {
  emit({ ev: 'fatal', error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) });
  process.exit(2);
});

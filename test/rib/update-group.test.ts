// Update groups (src/bgp/update-group.ts) over real TCP sessions on loopback: an in-process
// Daemon (src/daemon.ts) runs a route reflector on 127.0.0.1 from BIRD 1.6 configuration
// text, and its peers are plain Wren `Session`s (src/bgp/session.ts) bound to 127.0.0.2,
// .3, … that record every UPDATE, End-of-RIB and ROUTE-REFRESH they receive, in order.
// Checked: one shared group for the RR clients (size, RFC 4456 attributes, End-of-RIB after
// the initial update, FRR's reflection of a client's own routes), late members, enhanced
// route refresh (RFC 7313) of one member, an export-filter reload moving every member,
// backpressure from a member that does not read, the split of a member that reads nothing
// for splitAfterMs and its merge back once it has caught up (also: not while the two
// Adj-RIB-Outs differ; taking over the key of a group that is gone), members leaving and a
// fresh group after the last one left, and eBGP peers exporting alone (BIRD's rules).
//
// "Nothing else arrived" is shown with a barrier, never with a sleep: another client
// announces a marker prefix, and once a member has the marker, everything the daemon sent
// that member before it has arrived too (one TCP stream, in order).
//
// Leaves out: IPv6 and ADD-PATH groups, iBGP peers made solo by an export limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../src/daemon.js';
import { BgpProtocol } from '../../src/bgp/protocol.js';
import { Session } from '../../src/bgp/session.js';
import { UpdateGroup } from '../../src/bgp/update-group.js';
import { nullLogger } from '../../src/log.js';
import { encodeUpdate, RouteRefreshSubtype, type PathAttributes, type UpdateMessage, type RouteRefreshMessage } from '../../src/bgp/codec/index.js';
import { IPV4_UNICAST, parsePrefix, parseAddress, formatAddress, formatPrefix } from '../../src/rib/prefix.js';
import { copyAttributes, intern, ref } from '../../src/rib/attr-set.js';
import { until } from '../helpers/poll.js';
import { detachOnRetire } from '../../src/rib/columns.js';

// Every column growth detaches the old column (the daemon never does): code that kept a
// column across a growth would read a detached, empty one.
detachOnRetire(0);

const RR_AS = 65000;
const CLUSTER_ID = '1.1.1.1';
const STATIC_ROUTE = '10.99.0.0/24';
/** A static route the first export filter rejects and the reloaded one accepts. */
const GATED_ROUTE = '10.250.0.0/24';

const dotted = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const idOf = (dottedQuad: string): number => {
  const b = parseAddress(dottedQuad);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
};
const community = (asn: number, v: number): number => ((asn << 16) | v) >>> 0;

/** A free TCP port on 127.0.0.1 for the daemon's BGP listener. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

// ---- what a peer sees ------------------------------------------------------------------------

type Ev =
  | { readonly t: 'announce'; readonly key: string; readonly attrs: PathAttributes }
  | { readonly t: 'withdraw'; readonly key: string }
  | { readonly t: 'eor' }
  | { readonly t: 'rr'; readonly subtype: RouteRefreshSubtype };

/** The attributes as a plain comparable object (every key present). */
interface View {
  origin: number | undefined;
  asPath: number[];
  nextHop: string | undefined;
  med: number | undefined;
  localPref: number | undefined;
  communities: number[] | undefined;
  originatorId: string | undefined;
  clusterList: string[] | undefined;
}

const view = (a: PathAttributes): View => ({
  origin: a.origin,
  asPath: (a.asPath ?? []).flatMap((s) => [...s.asns]),
  nextHop: a.nextHop === undefined ? undefined : formatAddress(a.nextHop),
  med: a.med,
  localPref: a.localPref,
  communities: a.communities === undefined ? undefined : [...a.communities],
  originatorId: a.originatorId === undefined ? undefined : dotted(a.originatorId),
  clusterList: a.clusterList?.map(dotted),
});

const want = (v: Partial<View>): View => ({
  origin: 0, asPath: [], nextHop: undefined, med: undefined, localPref: undefined, communities: undefined,
  originatorId: undefined, clusterList: undefined, ...v,
});

/** A BGP speaker on its own loopback address, recording what the daemon sends it. */
class Client {
  readonly events: Ev[] = [];
  /** Replayed UPDATE stream: what the peer holds from the daemon now. */
  readonly rib = new Map<string, PathAttributes>();
  /** Announcements received per prefix (over the whole session). */
  readonly announced = new Map<string, number>();
  downs = 0;
  constructor(
    readonly name: string,
    readonly address: string,
    readonly routerId: number,
    readonly session: Session,
  ) {
    session.on('update', (u: UpdateMessage) => {
      for (const n of u.withdrawn) {
        const key = formatPrefix(n);
        this.events.push({ t: 'withdraw', key });
        this.rib.delete(key);
      }
      for (const n of u.nlri) {
        const key = formatPrefix(n);
        this.events.push({ t: 'announce', key, attrs: u.attributes });
        this.rib.set(key, u.attributes);
        this.announced.set(key, (this.announced.get(key) ?? 0) + 1);
      }
    });
    session.on('endOfRib', () => this.events.push({ t: 'eor' }));
    session.on('routeRefresh', (m: RouteRefreshMessage) => this.events.push({ t: 'rr', subtype: m.subtype }));
    session.on('down', () => this.downs++);
  }

  announce(prefixes: readonly string[], attrs: PathAttributes): void {
    const codec = this.session.negotiated!.codec;
    this.session.send(encodeUpdate({ attributes: attrs, nlri: prefixes.map((p) => ({ ...parsePrefix(p), pathId: 0 })) }, codec));
  }

  withdraw(prefixes: readonly string[]): void {
    const codec = this.session.negotiated!.codec;
    this.session.send(encodeUpdate({ withdrawn: prefixes.map((p) => ({ ...parsePrefix(p), pathId: 0 })) }, codec));
  }

  /** This client's own route, as an RR client would originate it. */
  announceOwn(prefix: string, extra: PathAttributes = {}): void {
    this.announce([prefix], {
      origin: 0, asPath: [], nextHop: parseAddress(this.address), localPref: 100, communities: [community(RR_AS, this.lastOctet)], ...extra,
    });
  }

  get lastOctet(): number {
    return Number(this.address.split('.')[3]);
  }

  get eors(): number {
    return this.events.filter((e) => e.t === 'eor').length;
  }

  since(mark: number): Ev[] {
    return this.events.slice(mark);
  }

  /** The client's TCP socket (private to Session: only for pausing the reader). */
  get socket(): net.Socket {
    return (this.session as unknown as { main: { socket: net.Socket } }).main.socket;
  }
}

/** Events as short strings, for exact sequence comparisons. */
const brief = (evs: readonly Ev[]): string[] =>
  evs.map((e) => (e.t === 'announce' ? `+${e.key}` : e.t === 'withdraw' ? `-${e.key}` : e.t === 'eor' ? 'EoR' : `RR${e.subtype}`));

// ---- the daemon ------------------------------------------------------------------------------

interface ClientSpec {
  readonly name: string;
  readonly address: string;
  readonly as?: number;
}

class Lab {
  readonly clients: Client[] = [];
  private markers = 0;
  private constructor(
    readonly dir: string,
    readonly file: string,
    readonly port: number,
    readonly daemon: Daemon,
  ) {}

  static async start(conf: (port: number) => string): Promise<Lab> {
    const dir = mkdtempSync(join(tmpdir(), 'wren-update-group-'));
    const file = join(dir, 'bird.cfg');
    const port = await freePort();
    writeFileSync(file, conf(port));
    const opts = { configFile: file, socketPath: join(dir, 'ctl'), foreground: true, debug: false, recover: false, ipv6: false, jsonLogs: false };
    const daemon = new Daemon(opts, nullLogger);
    await daemon.start();
    return new Lab(dir, file, port, daemon);
  }

  proto(name: string): BgpProtocol {
    const p = this.daemon.protocols.get(name);
    assert.ok(p instanceof BgpProtocol, `protocol ${name}`);
    return p;
  }

  group(name: string): UpdateGroup | null {
    return (this.proto(name) as unknown as { group: UpdateGroup | null }).group;
  }

  /** A client session from `address` (router id 10.0.0.<last octet>), up on both sides. */
  async connect(spec: ClientSpec): Promise<Client> {
    const octet = Number(spec.address.split('.')[3]);
    const as = spec.as ?? RR_AS;
    const session = new Session({
      name: spec.name, localAs: as, peerAs: RR_AS, routerId: idOf(`10.0.0.${octet}`), peerAddress: '127.0.0.1', peerPort: this.port,
      localAddress: spec.address, holdTime: 90, connectRetryTime: 1, connectDelayTime: 0, errorWaitTime: [0, 0],
      families: [IPV4_UNICAST], routeRefresh: true, enhancedRouteRefresh: true,
    });
    const c = new Client(spec.name, spec.address, idOf(`10.0.0.${octet}`), session);
    this.clients.push(c);
    session.start();
    await until(() => session.state === 'Established' && this.proto(spec.name).state === 'up' && this.proto(spec.name).updateGroupSize > 0, {
      what: `${spec.name} Established`, intervalMs: 5, timeoutMs: 10_000,
    });
    return c;
  }

  /** Writes a new configuration and reloads it the way SIGHUP does. */
  reload(conf: (port: number) => string): void {
    writeFileSync(this.file, conf(this.port));
    assert.equal(this.daemon.reload(), null, 'reload accepted');
  }

  /**
   * `from` announces a fresh marker prefix; resolves once every client in `to` holds it. After
   * that, whatever the daemon sent those clients before the marker has arrived.
   */
  async barrier(from: Client, to: readonly Client[]): Promise<string> {
    const key = `10.200.${this.markers++}.0/24`;
    from.announceOwn(key);
    await until(() => to.every((c) => c.rib.has(key)), { what: `marker ${key} at ${to.map((c) => c.name).join(', ')}`, intervalMs: 5, timeoutMs: 10_000 });
    return key;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.session.stop();
    await this.daemon.shutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function withLab(conf: (port: number) => string, fn: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await Lab.start(conf);
  try {
    await fn(lab);
  } finally {
    await lab.close();
  }
}

/** The route reflector: RR clients at 127.0.0.2–.5 (protocols c2–c5), one static protocol. */
const rrConf =
  (rejected: string) =>
  (port: number): string => `
router id 192.0.2.1;
listen bgp address 127.0.0.1 port ${port};
filter to_clients { if net = ${rejected} then reject; accept; }
protocol static st { route ${STATIC_ROUTE} blackhole; route ${GATED_ROUTE} blackhole; }
template bgp rrc {
  local as ${RR_AS}; rr client; rr cluster id ${CLUSTER_ID}; passive on; error wait time 0,0;
  import all; export filter to_clients;
}
protocol bgp c2 from rrc { neighbor 127.0.0.2 as ${RR_AS}; }
protocol bgp c3 from rrc { neighbor 127.0.0.3 as ${RR_AS}; }
protocol bgp c4 from rrc { neighbor 127.0.0.4 as ${RR_AS}; }
protocol bgp c5 from rrc { neighbor 127.0.0.5 as ${RR_AS}; }
`;

const CLIENTS: readonly ClientSpec[] = [
  { name: 'c2', address: '127.0.0.2' },
  { name: 'c3', address: '127.0.0.3' },
  { name: 'c4', address: '127.0.0.4' },
  { name: 'c5', address: '127.0.0.5' },
];

/** A client's own route: 10.<last octet>.0.0/24. */
const ownRoute = (c: Client): string => `10.${c.lastOctet}.0.0/24`;

/** What every RR client holds for the static route (BIRD bgp_create_attrs, iBGP). */
const STATIC_VIEW = want({ nextHop: '127.0.0.1', localPref: 100 });

/** What every RR client holds for `origin`'s own route, reflected (RFC 4456 §8). */
const reflectedView = (origin: Client): View =>
  want({
    nextHop: origin.address, localPref: 100, communities: [community(RR_AS, origin.lastOctet)],
    originatorId: dotted(origin.routerId), clusterList: [CLUSTER_ID],
  });

const ribView = (c: Client): Record<string, View> => Object.fromEntries([...c.rib].sort(([a], [b]) => a.localeCompare(b)).map(([k, a]) => [k, view(a)]));

/**
 * Three RR clients up at once (joining while the group feeds), each with its End-of-RIB;
 * then each announces its own route and every client holds all of them.
 */
async function rrWithRoutes(lab: Lab, n = 3): Promise<Client[]> {
  const clients = await Promise.all(CLIENTS.slice(0, n).map((s) => lab.connect(s)));
  await until(() => clients.every((c) => c.eors === 1), { what: 'End-of-RIB at every client', intervalMs: 5, timeoutMs: 10_000 });
  for (const c of clients) c.announceOwn(ownRoute(c));
  await until(() => clients.every((c) => clients.every((o) => c.rib.has(ownRoute(o)))), {
    what: 'every client route at every client', intervalMs: 5, timeoutMs: 10_000,
  });
  return clients;
}

// ---- the cases -------------------------------------------------------------------------------

test('RR clients share one group: ORIGINATOR_ID and CLUSTER_LIST added, End-of-RIB after the initial update, and a client\'s own route reflected back to it with its own ORIGINATOR_ID (FRR semantics; RFC 4456 §8 makes the client drop it)', () =>
  withLab(rrConf(GATED_ROUTE), async (lab) => {
    const clients = await rrWithRoutes(lab);
    for (const c of clients) {
      assert.equal(lab.proto(c.name).updateGroupSize, 3, `${c.name}: group size`);
      assert.equal(lab.group(c.name), lab.group('c2'), `${c.name} shares c2's group`);
      // Initial update: the static route the filter accepts (not the one it rejects), then End-of-RIB.
      assert.deepEqual(brief(c.events.slice(0, 2)), [`+${STATIC_ROUTE}`, 'EoR'], `${c.name}: initial update then End-of-RIB`);
      // Then exactly one announcement per client route, its own included.
      assert.deepEqual(brief(c.events.slice(2)).sort(), clients.map((o) => `+${ownRoute(o)}`).sort(), `${c.name}: the client routes once each`);
      const expected: Record<string, View> = { [STATIC_ROUTE]: STATIC_VIEW };
      for (const o of clients) expected[ownRoute(o)] = reflectedView(o);
      assert.deepEqual(ribView(c), expected, `${c.name}: exact attributes`);
      // Its own route is among them, carrying its own router id as ORIGINATOR_ID.
      assert.equal(view(c.rib.get(ownRoute(c))!).originatorId, dotted(c.routerId));
    }
    // The group's Adj-RIB-Out holds each route once for all three members.
    assert.equal(lab.group('c2')!.out.stats.advertised, 4);
    assert.equal(lab.proto('c5').updateGroupSize, 0, 'c5 is not up');
  }));

test('a late member gets every route, then End-of-RIB; the group grows to 4', () =>
  withLab(rrConf(GATED_ROUTE), async (lab) => {
    const clients = await rrWithRoutes(lab);
    const marks = clients.map((c) => c.events.length);
    const late = await lab.connect(CLIENTS[3]!);
    await until(() => late.eors === 1, { what: 'End-of-RIB at the late member', intervalMs: 5, timeoutMs: 10_000 });
    const evs = brief(late.events);
    assert.equal(evs.at(-1), 'EoR', 'End-of-RIB last');
    assert.deepEqual(evs.slice(0, -1).sort(), [`+${STATIC_ROUTE}`, ...clients.map((o) => `+${ownRoute(o)}`)].sort(), 'every route once');
    const expected: Record<string, View> = { [STATIC_ROUTE]: STATIC_VIEW };
    for (const o of clients) expected[ownRoute(o)] = reflectedView(o);
    assert.deepEqual(ribView(late), expected);
    for (const c of [...clients, late]) assert.equal(lab.proto(c.name).updateGroupSize, 4, `${c.name}: group size`);
    assert.equal(lab.group('c5'), lab.group('c2'), 'same group');
    // The others got nothing for it but the late member's marker.
    const marker = await lab.barrier(late, clients);
    clients.forEach((c, i) => assert.deepEqual(brief(c.since(marks[i]!)), [`+${marker}`], `${c.name}: nothing else`));
  }));

test('ROUTE-REFRESH from one member (enhanced refresh): it gets BoRR, every route again, EoRR; another member gets nothing extra', () =>
  withLab(rrConf(GATED_ROUTE), async (lab) => {
    const [c2, c3, c4] = await rrWithRoutes(lab);
    assert.equal(c3!.session.negotiated!.enhancedRouteRefresh, true, 'enhanced route refresh negotiated');
    const before3 = ribView(c3!);
    const m2 = c2!.events.length, m3 = c3!.events.length;
    c3!.session.sendRouteRefresh(1, 1);
    await until(() => c3!.since(m3).some((e) => e.t === 'rr' && e.subtype === RouteRefreshSubtype.END_OF_RR), {
      what: 'EoRR at c3', intervalMs: 5, timeoutMs: 10_000,
    });
    const evs = brief(c3!.since(m3));
    assert.equal(evs[0], `RR${RouteRefreshSubtype.BEGIN_OF_RR}`, 'BoRR first');
    assert.equal(evs.at(-1), `RR${RouteRefreshSubtype.END_OF_RR}`, 'EoRR last');
    assert.deepEqual(evs.slice(1, -1).sort(), Object.keys(before3).map((k) => `+${k}`).sort(), 'every route once, nothing else');
    assert.deepEqual(ribView(c3!), before3, 'same attributes again');
    const marker = await lab.barrier(c4!, [c2!, c3!]);
    assert.deepEqual(brief(c2!.since(m2)), [`+${marker}`], 'c2 got nothing extra');
    assert.deepEqual(brief(c3!.since(m3 + evs.length)), [`+${marker}`], 'c3: nothing after EoRR but the marker');
    for (const c of [c2!, c3!, c4!]) assert.equal(lab.proto(c.name).updateGroupSize, 3);
  }));

test('export filter change by reload: the route the new filter rejects is withdrawn at every member, the one it now accepts announced; sessions stay up', () =>
  withLab(rrConf(GATED_ROUTE), async (lab) => {
    const clients = await rrWithRoutes(lab, 4);
    const [c2, c3] = clients;
    const oldGroup = lab.group('c2');
    const marks = clients.map((c) => c.events.length);
    // The new filter rejects c3's route and lets the gated static route through.
    lab.reload(rrConf(ownRoute(c3!)));
    await until(() => clients.every((c) => c.rib.has(GATED_ROUTE) && !c.rib.has(ownRoute(c3!))), {
      what: 'the new export at every member', intervalMs: 5, timeoutMs: 10_000,
    });
    const marker = await lab.barrier(c2!, clients);
    for (const [i, c] of clients.entries()) {
      const evs = c.since(marks[i]!);
      const b = brief(evs);
      assert.equal(b.filter((e) => e === `-${ownRoute(c3!)}`).length, 1, `${c.name}: one withdrawal of ${ownRoute(c3!)}`);
      assert.equal(b.filter((e) => e === `+${GATED_ROUTE}`).length, 1, `${c.name}: one announcement of ${GATED_ROUTE}`);
      assert.ok(!b.includes(`+${ownRoute(c3!)}`), `${c.name}: the rejected route is not announced again`);
      assert.ok(b.every((e) => e.startsWith('+') || e === `-${ownRoute(c3!)}` || e === 'EoR'), `${c.name}: no other withdrawal (${b.join(' ')})`);
      // The move may announce the new group's routes again, but never one twice.
      const plus = b.filter((e) => e.startsWith('+'));
      assert.equal(new Set(plus).size, plus.length, `${c.name}: no route announced twice (${b.join(' ')})`);
      const expected: Record<string, View> = { [STATIC_ROUTE]: STATIC_VIEW, [GATED_ROUTE]: STATIC_VIEW, [marker]: reflectedView(c2!) };
      for (const o of clients) if (o !== c3) expected[ownRoute(o)] = reflectedView(o);
      assert.deepEqual(ribView(c), expected, `${c.name}: exactly the new export`);
      assert.equal(c.session.state, 'Established');
      assert.equal(c.session.stats.establishedCount, 1, `${c.name}: never went down`);
      assert.equal(c.downs, 0);
      assert.equal(lab.proto(c.name).updateGroupSize, 4, `${c.name}: all moved together`);
    }
    assert.notEqual(lab.group('c2'), oldGroup, 'a new group for the new filter');
    assert.equal((oldGroup as unknown as { closed: boolean }).closed, true, 'the old group closed with its last member gone');
    assert.equal(oldGroup!.channel.isExporting, false);
    for (const c of clients) assert.equal(lab.group(c.name), lab.group('c2'));
  }));

// 30k prefixes with an attribute set each (MED = index) and 60 communities: ~300 bytes per
// UPDATE, ~9 MB in all, well beyond what the loopback socket buffers of one member hold.
const N = 30_000;
const key = (i: number) => `20.${i >> 8}.${i & 255}.0/24`;
function announce30k(from: Client): void {
  const comms = Array.from({ length: 60 }, (_, j) => community(64999, j));
  for (let i = 0; i < N; i++) {
    from.announce([key(i)], { origin: 0, asPath: [], nextHop: parseAddress(from.address), localPref: 100, med: i, communities: comms });
  }
}
const count20 = (c: Client) => {
  let n = 0;
  for (const k of c.rib.keys()) if (k.startsWith('20.')) n++;
  return n;
};
/** Every 20.x route announced exactly once to `c`, with its attributes; no withdrawal but `withdrawn`. */
function exactlyOnce(c: Client, originatorId: number, withdrawn: readonly string[] = []): void {
  for (let i = 0; i < N; i++) {
    const k = key(i);
    const n = c.announced.get(k);
    if (n !== 1) assert.fail(`${c.name}: ${k} announced ${n ?? 0} times`);
    const a = c.rib.get(k)!;
    if (a.med !== i || a.originatorId !== originatorId || a.communities?.length !== 60) {
      assert.fail(`${c.name}: ${k} has ${JSON.stringify(view(a))}`);
    }
  }
  assert.deepEqual(brief(c.events.filter((e) => e.t === 'withdraw')), withdrawn.map((k) => `-${k}`), `${c.name}: withdrawals`);
}
/** Runs fn with UpdateGroup.splitAfterMs set to ms (the daemon runs in this process). */
async function withSplitAfter(ms: number, fn: () => Promise<void>): Promise<void> {
  const before = UpdateGroup.splitAfterMs;
  UpdateGroup.splitAfterMs = ms;
  try {
    await fn();
  } finally {
    UpdateGroup.splitAfterMs = before;
  }
}

test('a member that does not read holds the group back (split time not reached); after it resumes every member holds every route exactly once (30k prefixes)', { timeout: 60_000 }, () =>
  withSplitAfter(600_000, () => withLab(rrConf(GATED_ROUTE), async (lab) => {
    const [c2, c3, c4] = await rrWithRoutes(lab);
    const slow = c4!;
    const slowSide = lab.proto('c4').session;
    let drains = 0;
    slowSide.on('drain', () => drains++);
    const sock = slow.socket;
    sock.pause();
    announce30k(c2!);
    await until(() => !slowSide.writable, { what: 'the daemon blocked on the slow member', intervalMs: 5, timeoutMs: 20_000 });
    assert.equal(sock.isPaused(), true, 'still paused');
    // While the slow member's socket is full, the group writes nothing more to anyone.
    const atStall = count20(c3!);
    assert.ok(atStall < N, `the group waited (c3 had ${atStall} of ${N})`);
    // A late member joins the held-back group once the daemon has imported everything: its
    // catch-up walk covers what the group had sent, the group's backlog reaches it through
    // the group's own stream, each route once, then End-of-RIB.
    await until(() => lab.proto('c2').receivedCount === N + 1, { what: 'the 30k routes imported', intervalMs: 10, timeoutMs: 20_000 });
    assert.ok(lab.group('c2')!.out.pending > 0, 'the group has a backlog');
    const late = await lab.connect(CLIENTS[3]!);
    assert.equal(lab.proto('c5').updateGroupSize, 4);
    sock.resume();
    const members = [c2!, c3!, slow, late];
    await until(() => members.every((c) => count20(c) === N) && late.eors === 1, {
      what: 'every 20.x route at every member', intervalMs: 20, timeoutMs: 40_000,
      context: () => members.map((c) => `${c.name}: ${count20(c)}`).join(', '),
    });
    await lab.barrier(c3!, members);
    assert.ok(drains >= 1, 'the slow member drained at least once');
    const lateEvents = brief(late.events);
    assert.equal(lateEvents.filter((e) => e === 'EoR').length, 1);
    assert.equal(lateEvents.at(-2), 'EoR', 'the late member\'s End-of-RIB after every route, before the marker');
    assert.equal(late.rib.size, N + 5, 'static + 3 client routes + marker + 30k');
    for (const c of members) {
      exactlyOnce(c, c2!.routerId);
      assert.equal(c.session.stats.establishedCount, 1);
    }
    assert.equal(lab.group('c2')!.out.stats.advertised, N + 5, 'static + 3 client routes + marker + 30k');
  })));

test('a member whose socket takes nothing for splitAfterMs is split off (FRR subgroup split): the others get all 30k meanwhile; once it reads it has each route exactly once', { timeout: 60_000 }, () =>
  withSplitAfter(200, () => withLab(rrConf(GATED_ROUTE), async (lab) => {
    const [c2, c3, c4] = await rrWithRoutes(lab);
    const slow = c4!;
    slow.socket.pause();
    announce30k(c2!);
    await until(() => count20(c3!) === N && count20(c2!) === N, {
      what: 'the other members get every 20.x route while c4 does not read', intervalMs: 20, timeoutMs: 40_000,
      context: () => `c2 ${count20(c2!)}, c3 ${count20(c3!)}, c4 ${count20(slow)}`,
    });
    assert.equal(slow.socket.isPaused(), true, 'c4 still paused');
    assert.ok(count20(slow) < N, 'c4 has not had everything');
    assert.equal(lab.proto('c4').updateGroupSize, 1, 'c4 is alone');
    assert.equal(lab.proto('c3').updateGroupSize, 2);
    assert.notEqual(lab.group('c4'), lab.group('c3'));
    slow.socket.resume();
    await until(() => count20(slow) === N, { what: 'c4 catches up', intervalMs: 20, timeoutMs: 40_000, context: () => `c4 ${count20(slow)}` });
    await lab.barrier(c3!, [c2!, c3!, slow]);
    for (const c of [c2!, c3!, slow]) exactlyOnce(c, c2!.routerId);
    assert.equal(slow.session.stats.establishedCount, 1);
    assert.equal(lab.group('c4')!.out.stats.advertised, N + 5, 'static + 3 client routes + marker + 30k');
  })));

// ---- merging a split member back --------------------------------------------------------------

interface Split {
  readonly c2: Client;
  readonly c3: Client;
  readonly c4: Client;
  /** The group of c2 and c3, which c4 was split from. */
  readonly home: UpdateGroup;
  /** c4's group of its own. */
  readonly split: UpdateGroup;
}

/**
 * c2, c3 and c4 in one group; c4 stops reading, c2 announces 30k routes, and c4 is split off
 * (splitAfterMs must be short) while c2 and c3 get everything. c4 is still paused on return.
 */
async function splitC4(lab: Lab): Promise<Split> {
  const [c2, c3, c4] = (await rrWithRoutes(lab)) as [Client, Client, Client];
  const home = lab.group('c2')!;
  c4.socket.pause();
  announce30k(c2);
  await until(() => count20(c2) === N && count20(c3) === N && lab.proto('c4').updateGroupSize === 1, {
    what: 'c4 split off, the others with every 20.x route', intervalMs: 20, timeoutMs: 40_000,
    context: () => `c2 ${count20(c2)}, c3 ${count20(c3)}, c4 ${count20(c4)}, c4 group size ${lab.proto('c4').updateGroupSize}`,
  });
  const split = lab.group('c4')!;
  assert.notEqual(split, home);
  assert.equal(lab.group('c3'), home);
  assert.equal(lab.proto('c3').updateGroupSize, 2);
  assert.equal(split.splitFrom, home.spec.key, 'the split group knows the key of the group it came from');
  assert.ok(count20(c4) < N, 'c4 has not had everything');
  return { c2, c3, c4, home, split };
}

/** No route announced twice to `c` over its whole session. */
function noDuplicates(c: Client): void {
  const plus = brief(c.events).filter((e) => e.startsWith('+'));
  assert.equal(new Set(plus).size, plus.length, `${c.name}: no route announced twice`);
}

/**
 * `from` announces a fresh route and withdraws 20.0.0.0/24: every member in `members` gets
 * exactly one announcement and one withdrawal (then the barrier's marker), nothing else.
 */
async function changesReachEveryMemberOnce(lab: Lab, from: Client, members: readonly Client[]): Promise<void> {
  const fresh = '10.77.0.0/24', gone = key(0);
  const marks = members.map((c) => c.events.length);
  from.announce([fresh], { origin: 0, asPath: [], nextHop: parseAddress(from.address), localPref: 100 });
  from.withdraw([gone]);
  await until(() => members.every((c) => c.rib.has(fresh) && !c.rib.has(gone)), { what: 'the new route and the withdrawal at every member', intervalMs: 5, timeoutMs: 10_000 });
  const marker = await lab.barrier(from, members);
  members.forEach((c, i) => {
    assert.deepEqual(brief(c.since(marks[i]!)).sort(), [`+${fresh}`, `-${gone}`, `+${marker}`].sort(), `${c.name}: each change once, nothing else`);
  });
}

test('a split-off member that has caught up merges back into its group without an UPDATE; a new route and a withdrawal then reach every member exactly once', { timeout: 60_000 }, () =>
  withSplitAfter(200, () => withLab(rrConf(GATED_ROUTE), async (lab) => {
    const { c2, c3, c4, home, split } = await splitC4(lab);
    const members = [c2, c3, c4];
    c4.socket.resume();
    await until(() => lab.group('c4') === home, {
      what: 'c4 back in its group', intervalMs: 20, timeoutMs: 40_000,
      context: () => `c4 ${count20(c4)}, split group ${JSON.stringify(split.mergeStats)}`,
    });
    for (const c of members) {
      assert.equal(lab.group(c.name), home, `${c.name}: in the original group`);
      assert.equal(lab.proto(c.name).updateGroupSize, 3, `${c.name}: group size`);
    }
    assert.equal(split.isClosed, true, 'the split group closed');
    assert.equal(split.size, 0);
    assert.equal(split.channel.isExporting, false);
    assert.equal(split.out.stats.advertised, 0, 'its Adj-RIB-Out dropped');
    assert.ok(split.mergeStats.comparisons >= 1, 'merged after a comparison');
    // The move sent nothing: c4 has each route exactly once, like the others.
    await lab.barrier(c3, members);
    for (const c of members) {
      exactlyOnce(c, c2.routerId);
      noDuplicates(c);
      assert.equal(c.session.stats.establishedCount, 1);
    }
    assert.equal(home.out.stats.advertised, N + 5, 'static + 3 client routes + marker + 30k');
    await changesReachEveryMemberOnce(lab, c2, members);
    for (const c of members) noDuplicates(c);
    assert.equal(lab.group('c4'), home);
  })));

test('a split-off member stays split while its Adj-RIB-Out differs from its group\'s (an extra route, then other attributes for a route), and merges back once they are equal', { timeout: 60_000 }, () =>
  withSplitAfter(200, () => withLab(rrConf(GATED_ROUTE), async (lab) => {
    const { c2, c3, c4, home, split } = await splitC4(lab);
    const members = [c2, c3, c4];
    const stillSplit = (why: string) => {
      assert.equal(lab.group('c4'), split, `${why}: c4 still in its own group`);
      assert.equal(split.isClosed, false);
      assert.equal(lab.proto('c4').updateGroupSize, 1);
      assert.equal(lab.proto('c3').updateGroupSize, 2);
    };
    // The split group's Adj-RIB-Out made to differ through its public API (as a diverging
    // export would): first a route only it holds (the counts differ) — a table route the
    // export filter rejects (an Adj-RIB-Out holds only nets of its table).
    const extra = GATED_ROUTE;
    const staticPrefix = parsePrefix(STATIC_ROUTE);
    const homeStatic = home.out.advertised(staticPrefix)[0]!.attrs;
    split.out.set(parsePrefix(extra), 0, ref(homeStatic));
    split.scheduleDrain();
    c4.socket.resume();
    await until(() => count20(c4) === N && c4.rib.has(extra), { what: 'c4 caught up, with the extra route', intervalMs: 20, timeoutMs: 40_000, context: () => `c4 ${count20(c4)}` });
    const m1 = split.mergeStats.mismatches;
    await until(() => split.mergeStats.mismatches >= m1 + 2, { what: 'two checks finding the extra route', intervalMs: 20, timeoutMs: 20_000, context: () => JSON.stringify(split.mergeStats) });
    stillSplit('extra route');
    // Then the same routes, but the static one with another MED: only an entry-by-entry comparison finds it.
    split.out.set(parsePrefix(extra), 0, undefined);
    split.out.set(staticPrefix, 0, intern({ ...copyAttributes(homeStatic), med: 4242 }));
    split.scheduleDrain();
    await until(() => !c4.rib.has(extra) && c4.rib.get(STATIC_ROUTE)?.med === 4242, { what: 'c4 with the other MED', intervalMs: 5, timeoutMs: 10_000 });
    assert.equal(split.out.stats.advertised, home.out.stats.advertised, 'same number of routes on both sides');
    const m2 = split.mergeStats.mismatches, c2nd = split.mergeStats.comparisons;
    await until(() => split.mergeStats.mismatches >= m2 + 2, { what: 'two checks finding the other MED', intervalMs: 20, timeoutMs: 20_000, context: () => JSON.stringify(split.mergeStats) });
    assert.ok(split.mergeStats.comparisons >= c2nd + 2);
    stillSplit('other MED');
    // Equal again: c4 goes back.
    split.out.set(staticPrefix, 0, ref(homeStatic));
    split.scheduleDrain();
    await until(() => lab.group('c4') === home, { what: 'c4 back in its group', intervalMs: 20, timeoutMs: 20_000, context: () => JSON.stringify(split.mergeStats) });
    assert.equal(split.isClosed, true);
    assert.equal(lab.proto('c4').updateGroupSize, 3);
    await lab.barrier(c3, members);
    assert.deepEqual(view(c4.rib.get(STATIC_ROUTE)!), STATIC_VIEW, 'c4 holds the group\'s static route again');
    assert.deepEqual(
      brief(c4.events).filter((e) => e === `+${STATIC_ROUTE}` || e.endsWith(extra)),
      [`+${STATIC_ROUTE}`, `+${extra}`, `-${extra}`, `+${STATIC_ROUTE}`, `+${STATIC_ROUTE}`],
      'c4: the static route, the extra route and back, the other MED and back',
    );
    for (const c of [c2, c3]) assert.equal(c.announced.get(STATIC_ROUTE), 1, `${c.name}: the static route once`);
    for (const c of members) exactlyOnce(c, c2.routerId, c === c4 ? [extra] : []);
    await changesReachEveryMemberOnce(lab, c2, members);
  })));

test('a split-off member whose group is gone takes over that group\'s key: a new peer with the same export joins it and gets every route once, then End-of-RIB', { timeout: 60_000 }, () =>
  withSplitAfter(200, () => withLab(rrConf(GATED_ROUTE), async (lab) => {
    const { c2, c3, c4, home, split } = await splitC4(lab);
    const homeKey = home.spec.key;
    c2.session.stop();
    c3.session.stop();
    await until(() => home.isClosed, { what: 'the original group closed', intervalMs: 5, timeoutMs: 10_000 });
    c4.socket.resume();
    await until(() => split.splitFrom === null && split.spec.key === homeKey, { what: 'the split group took over the key', intervalMs: 20, timeoutMs: 20_000 });
    assert.equal(split.isClosed, false);
    assert.equal(lab.group('c4'), split);
    await until(() => count20(c4) === 0 && c4.rib.size === 2, {
      what: 'c2\'s and c3\'s routes withdrawn at c4', intervalMs: 20, timeoutMs: 40_000, context: () => `c4 holds ${c4.rib.size}`,
    });
    const c5 = await lab.connect(CLIENTS[3]!);
    await until(() => c5.eors === 1, { what: 'End-of-RIB at c5', intervalMs: 5, timeoutMs: 10_000 });
    assert.equal(lab.group('c5'), split, 'c5 joined the group c4 is in');
    assert.equal(lab.proto('c4').updateGroupSize, 2);
    assert.equal(lab.proto('c5').updateGroupSize, 2);
    const marker = await lab.barrier(c5, [c4, c5]);
    const expected = { [STATIC_ROUTE]: STATIC_VIEW, [ownRoute(c4)]: reflectedView(c4), [marker]: reflectedView(c5) };
    assert.deepEqual(ribView(c4), expected);
    assert.deepEqual(ribView(c5), expected);
    const evs = brief(c5.events);
    assert.deepEqual(evs.slice(-2), ['EoR', `+${marker}`], 'c5: End-of-RIB after the catch-up, then the marker');
    assert.deepEqual(evs.slice(0, -2).sort(), [`+${STATIC_ROUTE}`, `+${ownRoute(c4)}`].sort(), 'c5: every route once');
  })));

test('a member going down leaves the others untouched; the last one out closes the group, and a new session gets a fresh group fed with the whole table', () =>
  withLab(rrConf(GATED_ROUTE), async (lab) => {
    const clients = await rrWithRoutes(lab, 4);
    const [c2, c3, c4, c5] = clients as [Client, Client, Client, Client];
    const group = lab.group('c2')!;
    const stay = [c2, c3, c4];
    const marks = stay.map((c) => c.events.length);
    c5.session.stop();
    await until(() => lab.proto('c5').updateGroupSize === 0 && lab.proto('c2').updateGroupSize === 3, {
      what: 'c5 out of the group', intervalMs: 5, timeoutMs: 10_000,
    });
    const marker = await lab.barrier(c2, stay);
    stay.forEach((c, i) => {
      // Only c5's own route goes (its session is gone), then the marker.
      assert.deepEqual(brief(c.since(marks[i]!)), [`-${ownRoute(c5)}`, `+${marker}`], `${c.name}: only c5's route withdrawn`);
      assert.equal(c.session.state, 'Established');
      assert.equal(lab.proto(c.name).updateGroupSize, 3);
      assert.equal(lab.group(c.name), group, `${c.name}: same group`);
    });
    // Everyone leaves: the group closes.
    for (const c of stay) c.session.stop();
    await until(() => stay.every((c) => lab.proto(c.name).updateGroupSize === 0 && lab.group(c.name) === null), {
      what: 'every member gone', intervalMs: 5, timeoutMs: 10_000,
    });
    assert.equal((group as unknown as { closed: boolean }).closed, true, 'the group closed');
    assert.equal(group.size, 0);
    assert.equal(group.channel.isExporting, false);
    assert.equal(group.out.stats.advertised, 0, 'its Adj-RIB-Out cleared');
    // A new session from c2: a fresh group, fed from the table (the clients' routes are gone).
    const again = await lab.connect(CLIENTS[0]!);
    await until(() => again.eors === 1, { what: 'End-of-RIB on the new session', intervalMs: 5, timeoutMs: 10_000 });
    assert.deepEqual(brief(again.events), [`+${STATIC_ROUTE}`, 'EoR']);
    assert.deepEqual(ribView(again), { [STATIC_ROUTE]: STATIC_VIEW });
    assert.notEqual(lab.group('c2'), group, 'a fresh group');
    assert.equal(lab.proto('c2').updateGroupSize, 1);
    assert.equal(lab.group('c2')!.out.stats.advertised, 1);
  }));

test('eBGP peers export alone (group size 1): a route is not sent back to the peer it came from, the other peer gets it with BIRD\'s eBGP rules', () =>
  withLab(
    (port) => `
router id 192.0.2.1;
listen bgp address 127.0.0.1 port ${port};
protocol static st { route ${STATIC_ROUTE} blackhole; }
template bgp ext { local as ${RR_AS}; passive on; error wait time 0,0; import all; export all; }
protocol bgp e6 from ext { neighbor 127.0.0.6 as 65006; }
protocol bgp e7 from ext { neighbor 127.0.0.7 as 65007; }
`,
    async (lab) => {
      const e6 = await lab.connect({ name: 'e6', address: '127.0.0.6', as: 65006 });
      const e7 = await lab.connect({ name: 'e7', address: '127.0.0.7', as: 65007 });
      await until(() => e6.eors === 1 && e7.eors === 1, { what: 'End-of-RIB at both', intervalMs: 5, timeoutMs: 10_000 });
      assert.equal(lab.proto('e6').updateGroupSize, 1);
      assert.equal(lab.proto('e7').updateGroupSize, 1);
      assert.notEqual(lab.group('e6'), lab.group('e7'), 'separate groups');
      const staticToEbgp = want({ asPath: [RR_AS], nextHop: '127.0.0.1' });
      for (const c of [e6, e7]) {
        assert.deepEqual(brief(c.events), [`+${STATIC_ROUTE}`, 'EoR']);
        assert.deepEqual(ribView(c), { [STATIC_ROUTE]: staticToEbgp });
      }
      const m6 = e6.events.length, m7 = e7.events.length;
      e6.announce(['10.6.0.0/24'], { origin: 0, asPath: [{ type: 2, asns: [65006, 64600] }], nextHop: parseAddress('127.0.0.6'), med: 7, communities: [community(65006, 1)] });
      await until(() => e7.rib.has('10.6.0.0/24'), { what: 'e6\'s route at e7', intervalMs: 5, timeoutMs: 10_000 });
      // RFC 4271 §5.1: our AS prepended, next hop self, MED from the other AS dropped, no LOCAL_PREF.
      assert.deepEqual(view(e7.rib.get('10.6.0.0/24')!), want({ asPath: [RR_AS, 65006, 64600], nextHop: '127.0.0.1', communities: [community(65006, 1)] }));
      // e7 announces a marker: once e6 has it, e6 has everything the daemon sent it before.
      e7.announce(['10.7.0.0/24'], { origin: 0, asPath: [{ type: 2, asns: [65007] }], nextHop: parseAddress('127.0.0.7') });
      await until(() => e6.rib.has('10.7.0.0/24'), { what: 'e7\'s route at e6', intervalMs: 5, timeoutMs: 10_000 });
      assert.deepEqual(brief(e6.since(m6)), ['+10.7.0.0/24'], 'e6 did not get its own route back');
      assert.deepEqual(view(e6.rib.get('10.7.0.0/24')!), want({ asPath: [RR_AS, 65007], nextHop: '127.0.0.1' }));
      // And the other way round, with a marker from e6.
      e6.announce(['10.6.1.0/24'], { origin: 0, asPath: [{ type: 2, asns: [65006] }], nextHop: parseAddress('127.0.0.6') });
      await until(() => e7.rib.has('10.6.1.0/24'), { what: 'e6\'s marker at e7', intervalMs: 5, timeoutMs: 10_000 });
      assert.deepEqual(brief(e7.since(m7)), ['+10.6.0.0/24', '+10.6.1.0/24'], 'e7 did not get its own route back');
      assert.deepEqual(lab.group('e6')!.out.advertised(parsePrefix('10.6.0.0/24')), [], 'nothing for 10.6.0.0/24 in e6\'s Adj-RIB-Out');
      assert.equal(lab.group('e6')!.out.stats.advertised, 2, 'static + 10.7.0.0/24');
      assert.equal(lab.group('e7')!.out.stats.advertised, 3, 'static + 10.6.0.0/24 + 10.6.1.0/24');
    },
  ));

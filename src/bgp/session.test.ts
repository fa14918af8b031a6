// Sessions over real loopback sockets (no mocks on the socket path): two Wren sessions
// reach Established and exchange keepalives and an UPDATE; stop sends Cease/Administrative
// Shutdown with the RFC 9003 text; a silent peer trips the hold timer (4/0); raw sockets
// sending garbage get the right NOTIFICATION and the session keeps serving; a peer that
// does not read makes send() return false until 'drain'; two active sides colliding end with
// one connection. Addresses 127.0.0.1 / 127.0.0.2 (both on lo); ports chosen by the kernel.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Session, type SessionConfig } from './session.js';
import { Listener } from './listener.js';
import {
  Framer, decodeMessage, encodeOpen, encodeKeepalive, encodeUpdate, DEFAULT_CODEC_CONTEXT, MessageType, CapabilityCode,
  Origin, AsPathSegmentType, type BgpMessage, type NotificationMessage, type OpenMessage, type UpdateMessage,
} from './codec/index.js';
import { UpdateAction } from './errors.js';
import { IPV4_UNICAST, Afi } from '../rib/prefix.js';
import { until, sleep, holdsFalse } from '../../test/helpers/poll.js';

const ID = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const A_ADDR = '127.0.0.1';
const B_ADDR = '127.0.0.2';

function cfg(over: Partial<SessionConfig> & Pick<SessionConfig, 'name' | 'routerId' | 'peerAddress'>): SessionConfig {
  return {
    localAs: 65000, peerAs: 65000, holdTime: 3, connectRetryTime: 1, connectDelayTime: 0, errorWaitTime: [0, 0],
    families: [IPV4_UNICAST], ...over,
  };
}

/** Resources to release at the end of a test, whatever happened. */
class Scope {
  private fns: (() => unknown)[] = [];
  add<T>(x: T, fn: (x: T) => unknown): T {
    this.fns.push(() => fn(x));
    return x;
  }
  async close(): Promise<void> {
    for (const f of this.fns.reverse()) {
      try {
        await f();
      } catch {
        /* best effort */
      }
    }
  }
}

async function withScope(fn: (s: Scope) => Promise<void>): Promise<void> {
  const s = new Scope();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

async function listen(scope: Scope, address: string): Promise<Listener> {
  const l = scope.add(new Listener({ address, port: 0 }), (x) => x.close());
  await l.listen();
  return l;
}

const UPDATE_SEEN = { type: MessageType.UPDATE } as BgpMessage;

/** A hand-driven peer on a plain socket: sends raw bytes, decodes what it receives. */
class RawPeer {
  readonly msgs: BgpMessage[] = [];
  closed = false;
  private framer = new Framer(65535);
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (chunk) => {
      this.framer.push(chunk);
      for (let m = this.framer.next(); m; m = this.framer.next()) {
        // UPDATEs from the session are only counted (decoding thousands of them is slow, and
        // the codec has its own tests).
        this.msgs.push(m[18] === MessageType.UPDATE ? UPDATE_SEEN : decodeMessage(m, DEFAULT_CODEC_CONTEXT));
      }
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }
  static connect(scope: Scope, port: number, host = A_ADDR, localAddress = B_ADDR): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localAddress });
      scope.add(s, (x) => x.destroy());
      s.once('connect', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }
  send(b: Uint8Array): void {
    this.sock.write(b);
  }
  count(type: MessageType): number {
    return this.msgs.filter((m) => m.type === type).length;
  }
  waitFor<T extends BgpMessage>(pred: (m: BgpMessage) => boolean, what: string, timeoutMs = 8000): Promise<T> {
    return until(() => this.msgs.find(pred) as T | undefined, { what, timeoutMs, intervalMs: 10 });
  }
  notification(what = 'a NOTIFICATION'): Promise<NotificationMessage> {
    return this.waitFor((m) => m.type === MessageType.NOTIFICATION, what);
  }
  /** OPEN + KEEPALIVE, then waits for the session's OPEN and KEEPALIVE: Established. */
  async handshake(open: Uint8Array = rawOpen()): Promise<void> {
    this.send(open);
    this.send(encodeKeepalive());
    await this.waitFor((m) => m.type === MessageType.OPEN, 'OPEN from the session');
    await this.waitFor((m) => m.type === MessageType.KEEPALIVE, 'KEEPALIVE from the session');
  }
}

function rawOpen(over: Partial<Omit<OpenMessage, 'type'>> = {}): Buffer {
  return encodeOpen({
    version: 4, myAs: 65000, holdTime: 3, bgpId: ID(10, 0, 0, 2),
    capabilities: [{ code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 }, { code: CapabilityCode.FOUR_OCTET_AS, asn: 65000 }],
    ...over,
  });
}

/** A BGP message of `type` with this body (header computed). */
function rawMessage(type: number, body: number[]): Buffer {
  const b = Buffer.alloc(19 + body.length, 0xff);
  b.writeUInt16BE(19 + body.length, 16);
  b[18] = type;
  Buffer.from(body).copy(b, 19);
  return b;
}

/** A passive session on a listener at 127.0.0.1 expecting the peer at 127.0.0.2. */
async function passiveSession(scope: Scope, over: Partial<SessionConfig> = {}) {
  const listener = await listen(scope, A_ADDR);
  const session = scope.add(new Session(cfg({ name: 'A', routerId: ID(10, 0, 0, 1), peerAddress: B_ADDR, passive: true, ...over })), (s) => s.stop());
  listener.register(session);
  session.start();
  return { listener, session };
}

const collect = <K extends string>(emitter: { on(ev: K, fn: (...a: never[]) => void): unknown }, ev: K) => {
  const out: unknown[][] = [];
  emitter.on(ev, (...a: never[]) => out.push(a));
  return out;
};

describe('Session over loopback', () => {
  test('passive and active reach Established, exchange keepalives and an UPDATE; stop sends Cease/2 with text', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope);
      const b = scope.add(
        new Session(cfg({ name: 'B', routerId: ID(10, 0, 0, 2), peerAddress: A_ADDR, peerPort: listener.port, localAddress: B_ADDR })),
        (s) => s.stop(),
      );
      const aStates = collect(a, 'state');
      const aUpdates = collect(a, 'update') as [UpdateMessage][];
      const aNotes = collect(a, 'notificationReceived') as [NotificationMessage][];
      const aDown = collect(a, 'down') as [string][];
      const bEstablished = collect(b, 'established');
      b.start();
      await until(() => a.state === 'Established' && b.state === 'Established', { what: 'both Established' });
      assert.equal(bEstablished.length, 1);
      assert.deepEqual(aStates.map((x) => x.slice(0, 2)), [['Active', 'OpenSent'], ['OpenSent', 'OpenConfirm'], ['OpenConfirm', 'Established']]);
      const n = a.negotiated!;
      assert.equal(n.holdTime, 3);
      assert.equal(n.keepaliveTime, 1);
      assert.equal(n.peerBgpId, ID(10, 0, 0, 2));
      assert.deepEqual([...n.families], [IPV4_UNICAST]);

      // Keepalives every second both ways keep the 3 s hold timers from expiring.
      const ka0 = [a.stats.keepalivesIn, b.stats.keepalivesIn];
      await until(() => a.stats.keepalivesIn >= ka0[0]! + 2 && b.stats.keepalivesIn >= ka0[1]! + 2, { what: 'two more keepalives each way' });
      assert.equal(a.state, 'Established');

      const upd = encodeUpdate({
        attributes: {
          origin: Origin.IGP, asPath: [], nextHop: Uint8Array.of(127, 0, 0, 2), localPref: 100, communities: [(65000 << 16 | 7) >>> 0],
        },
        nlri: [{ afi: Afi.IPV4, len: 24, addr: Uint8Array.of(10, 1, 2, 0), pathId: 0 }],
      }, b.negotiated!.codec);
      assert.equal(b.send(upd), true);
      await until(() => aUpdates.length === 1, { what: 'the UPDATE at A' });
      const u = aUpdates[0]![0];
      assert.equal(u.nlri.length, 1);
      assert.deepEqual([...u.nlri[0]!.addr], [10, 1, 2, 0]);
      assert.equal(u.nlri[0]!.len, 24);
      assert.equal(u.attributes.localPref, 100);
      assert.deepEqual(u.attributes.communities, [(65000 << 16 | 7) >>> 0]);
      assert.equal(u.action, UpdateAction.NONE);
      assert.equal(a.stats.updatesIn, 1);
      assert.equal(b.stats.updatesOut, 1);

      b.stop(2, 'maintenance window');
      await until(() => aNotes.length === 1 && aDown.length === 1, { what: 'A sees the Cease' });
      const note = aNotes[0]![0];
      assert.deepEqual([note.code, note.subcode, note.shutdownCommunication], [6, 2, 'maintenance window']);
      assert.match(aDown[0]![0], /Administrative shutdown.*maintenance window/);
      assert.equal(b.state, 'Idle');
      // A is passive and started: it goes back to waiting for the peer.
      await until(() => a.state === 'Active', { what: 'A back to Active' });
      assert.equal(b.stats.notificationsOut, 1);
    }));

  test('hold timer expiry when the peer goes silent sends 4/0', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope);
      const down = collect(a, 'down') as [string][];
      const raw = await RawPeer.connect(scope, listener.port);
      await raw.handshake(rawOpen({ holdTime: 3 }));
      await until(() => a.state === 'Established', { what: 'Established' });
      // The raw peer now says nothing; the session keeps sending keepalives, then gives up.
      const n = await raw.notification('Hold Timer Expired');
      assert.deepEqual([n.code, n.subcode], [4, 0]);
      assert.ok(raw.count(MessageType.KEEPALIVE) >= 2, 'keepalives were sent while waiting');
      await until(() => raw.closed, { what: 'the session closes the connection' });
      assert.deepEqual(down.map((d) => d[0]), ['Hold timer expired']);
      assert.equal(a.stats.lastError, 'Hold timer expired');
    }));

  test('garbage from a peer gets the right NOTIFICATION and the session keeps serving', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope);
      const cases: { name: string; before?: 'handshake'; bytes: () => Buffer; code: number; subcode: number }[] = [
        { name: 'bad marker', bytes: () => { const b = encodeKeepalive(); b[3] = 0; return b; }, code: 1, subcode: 1 },
        { name: 'length below 19', bytes: () => { const b = encodeKeepalive(); b.writeUInt16BE(18, 16); return b; }, code: 1, subcode: 2 },
        { name: 'length above 4096', bytes: () => { const b = Buffer.alloc(19, 0xff); b.writeUInt16BE(5000, 16); b[18] = 2; return b; }, code: 1, subcode: 2 },
        { name: 'bad type', bytes: () => rawMessage(9, []), code: 1, subcode: 3 },
        { name: 'KEEPALIVE with a body', bytes: () => rawMessage(4, [0]), code: 1, subcode: 2 },
        { name: 'OPEN version 3', bytes: () => { const b = rawOpen(); b[19] = 3; return b; }, code: 2, subcode: 1 },
        { name: 'OPEN hold time 1', bytes: () => rawOpen({ holdTime: 1 }), code: 2, subcode: 6 },
        {
          name: 'OPEN wrong AS', code: 2, subcode: 2,
          bytes: () => rawOpen({ myAs: 65001, capabilities: [{ code: CapabilityCode.FOUR_OCTET_AS, asn: 65001 }] }),
        },
        { name: 'OPEN with our BGP id (iBGP)', bytes: () => rawOpen({ bgpId: ID(10, 0, 0, 1) }), code: 2, subcode: 3 },
        { name: 'OPEN optional parameters length wrong', bytes: () => { const b = rawOpen(); b[28] = b[28]! + 1; return b; }, code: 2, subcode: 0 },
        { name: 'UPDATE before OPEN', bytes: () => rawMessage(2, [0, 0, 0, 0]), code: 5, subcode: 1 },
        { name: 'UPDATE withdrawn length overrun', before: 'handshake', bytes: () => rawMessage(2, [0xff, 0xff, 0, 0]), code: 3, subcode: 1 },
        { name: 'UPDATE attribute length overrun', before: 'handshake', bytes: () => rawMessage(2, [0, 0, 0x10, 0]), code: 3, subcode: 1 },
        { name: 'UPDATE NLRI /33', before: 'handshake', bytes: () => rawMessage(2, [0, 0, 0, 0, 33, 10, 0, 0, 0, 0]), code: 3, subcode: 10 },
        {
          name: 'UPDATE unknown well-known attribute', before: 'handshake', code: 3, subcode: 2,
          bytes: () => rawMessage(2, [0, 0, 0, 3, 0x40, 99, 0]),
        },
        { name: 'second OPEN in Established', before: 'handshake', bytes: () => rawOpen(), code: 5, subcode: 3 },
      ];
      for (const c of cases) {
        await until(() => a.state === 'Active', { what: `session ready for "${c.name}"` });
        const raw = await RawPeer.connect(scope, listener.port);
        if (c.before === 'handshake') {
          await raw.handshake();
          await until(() => a.state === 'Established', { what: `Established before "${c.name}"` });
        }
        raw.send(c.bytes());
        const n = await raw.notification(`NOTIFICATION for "${c.name}"`);
        assert.deepEqual([n.code, n.subcode], [c.code, c.subcode], c.name);
        await until(() => raw.closed, { what: `connection closed after "${c.name}"` });
      }

      // RFC 7606: a bad ORIGIN value is treat-as-withdraw; the session stays up.
      await until(() => a.state === 'Active', { what: 'session ready for the soft error' });
      const updates = collect(a, 'update') as [UpdateMessage][];
      const raw = await RawPeer.connect(scope, listener.port);
      await raw.handshake();
      await until(() => a.state === 'Established', { what: 'Established for the soft error' });
      const attrs = [0x40, 1, 1, 7, 0x40, 2, 0, 0x40, 3, 4, 127, 0, 0, 2];
      raw.send(rawMessage(2, [0, 0, 0, attrs.length, ...attrs, 24, 10, 1, 2]));
      await until(() => updates.length === 1, { what: 'the soft-error UPDATE delivered' });
      assert.equal(updates[0]![0].action, UpdateAction.TREAT_AS_WITHDRAW);
      assert.equal(updates[0]![0].nlri.length, 1);
      await sleep(100);
      assert.equal(a.state, 'Established');
      assert.equal(raw.count(MessageType.NOTIFICATION), 0);
      assert.equal(raw.closed, false);
    }));

  test('a peer that does not read: send() returns false, then drain', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope);
      const raw = await RawPeer.connect(scope, listener.port);
      await raw.handshake(rawOpen({ holdTime: 0 })); // hold time 0: no keepalives, no hold timer
      await until(() => a.state === 'Established', { what: 'Established' });
      assert.deepEqual([a.negotiated!.holdTime, a.negotiated!.keepaliveTime], [0, 0]);
      raw.sock.pause();
      const prefixes = Array.from({ length: 780 }, (_, i) => ({ afi: Afi.IPV4, len: 32, addr: Uint8Array.of(10, 2, i >> 8, i & 0xff), pathId: 0 }));
      const upd = encodeUpdate({ attributes: { origin: Origin.IGP, asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65000] }], nextHop: Uint8Array.of(127, 0, 0, 1) }, nlri: prefixes }, a.negotiated!.codec);
      let drained = 0;
      a.on('drain', () => drained++);
      let sent = 0;
      while (a.send(upd)) {
        sent++;
        assert.ok(sent < 200_000, 'send() never reported backpressure');
      }
      assert.equal(drained, 0);
      assert.ok(sent > 0);
      raw.sock.resume();
      await until(() => drained === 1, { what: "'drain' after the peer reads again" });
      await until(() => raw.count(MessageType.UPDATE) === sent + 1, { what: 'every queued UPDATE delivered' });
      assert.equal(a.state, 'Established');
      assert.equal(a.stats.updatesOut, sent + 1);
    }));

  test('RFC 9687: a peer that takes none of our data for the SendHoldTime is dropped with 8/0', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope, { holdTime: 9, sendHoldTime: 1 });
      const down = collect(a, 'down') as [string][];
      const raw = await RawPeer.connect(scope, listener.port);
      await raw.handshake(rawOpen({ holdTime: 9 }));
      await until(() => a.state === 'Established', { what: 'Established' });
      raw.sock.pause();
      const prefixes = Array.from({ length: 780 }, (_, i) => ({ afi: Afi.IPV4, len: 32, addr: Uint8Array.of(10, 3, i >> 8, i & 0xff), pathId: 0 }));
      const upd = encodeUpdate({ attributes: { origin: Origin.IGP, asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65000] }], nextHop: Uint8Array.of(127, 0, 0, 1) }, nlri: prefixes }, a.negotiated!.codec);
      let sent = 0;
      while (a.send(upd)) assert.ok(++sent < 200_000, 'send() never reported backpressure');
      assert.equal(a.writable, false);
      // The peer's hold timer would not expire for 9 s; ours to send fires after 1 s.
      await until(() => down.length === 1, { what: 'the session dropped by the send hold timer', timeoutMs: 5000 });
      assert.deepEqual(down.map((d) => d[0]), ['Send hold timer expired']);
      assert.equal(a.stats.lastError, 'Send hold timer expired');
      assert.notEqual(a.state, 'Established');
    }));

  test('RFC 9687: a socket that drains in time keeps the session (the timer stops at drain)', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope, { holdTime: 9, sendHoldTime: 1 });
      const down = collect(a, 'down') as [string][];
      const raw = await RawPeer.connect(scope, listener.port);
      await raw.handshake(rawOpen({ holdTime: 9 }));
      await until(() => a.state === 'Established', { what: 'Established' });
      const prefixes = Array.from({ length: 780 }, (_, i) => ({ afi: Afi.IPV4, len: 32, addr: Uint8Array.of(10, 4, i >> 8, i & 0xff), pathId: 0 }));
      const upd = encodeUpdate({ attributes: { origin: Origin.IGP, asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65000] }], nextHop: Uint8Array.of(127, 0, 0, 1) }, nlri: prefixes }, a.negotiated!.codec);
      // Three rounds of filling the socket while the peer pauses for 0.5 s (less than 1 s) each time.
      for (let round = 0; round < 3; round++) {
        raw.sock.pause();
        while (a.send(upd));
        await new Promise((r) => setTimeout(r, 500));
        raw.sock.resume();
        await until(() => a.writable, { what: `drained (round ${round})` });
      }
      await new Promise((r) => setTimeout(r, 1200));
      assert.deepEqual(down, []);
      assert.equal(a.state, 'Established');
    }));

  test('collision: both sides active at once end with exactly one connection', () =>
    withScope(async (scope) => {
      for (const [idA, idB] of [[ID(10, 0, 0, 1), ID(10, 0, 0, 2)], [ID(10, 0, 0, 9), ID(10, 0, 0, 2)]] as const) {
        const la = await listen(scope, A_ADDR);
        const lb = await listen(scope, B_ADDR);
        const a = scope.add(new Session(cfg({ name: 'A', routerId: idA, peerAddress: B_ADDR, peerPort: lb.port, localAddress: A_ADDR })), (s) => s.stop());
        const b = scope.add(new Session(cfg({ name: 'B', routerId: idB, peerAddress: A_ADDR, peerPort: la.port, localAddress: B_ADDR })), (s) => s.stop());
        la.register(a);
        lb.register(b);
        const ups = [collect(a, 'established'), collect(b, 'established')];
        const downs = [collect(a, 'down'), collect(b, 'down')];
        a.start();
        b.start();
        await until(() => a.state === 'Established' && b.state === 'Established', { what: 'both Established' });
        await sleep(1500); // stays settled: no flapping, no second session
        assert.equal(a.state, 'Established');
        assert.equal(b.state, 'Established');
        assert.deepEqual([ups[0]!.length, ups[1]!.length, downs[0]!.length, downs[1]!.length], [1, 1, 0, 0]);
        // Both dialled at once, so there were two connections and one got Cease/7 (RFC 4486).
        const ceases = [a.stats, b.stats].filter((st) => st.lastNotification?.sent && st.lastNotification.code === 6 && st.lastNotification.subcode === 7);
        assert.ok(ceases.length >= 1, 'a connection was dumped by collision resolution');
        const ea = a.endpoints!, eb = b.endpoints!;
        assert.deepEqual([ea.localPort, ea.remotePort], [eb.remotePort, eb.localPort], 'both sessions use the same TCP connection');
        // The connection kept is the one initiated by the higher BGP Identifier (§6.8).
        const higherIsA = idA > idB;
        const aInitiated = ea.remotePort === lb.port;
        assert.equal(aInitiated, higherIsA);
        a.stop();
        b.stop();
        await la.close();
        await lb.close();
      }
    }));

  test('an unknown address is closed by the listener; an Idle session refuses', () =>
    withScope(async (scope) => {
      const listener = await listen(scope, A_ADDR);
      const s = scope.add(new Session(cfg({ name: 'A', routerId: ID(10, 0, 0, 1), peerAddress: '127.0.0.3', passive: true })), (x) => x.stop());
      listener.register(s);
      const unknown = await RawPeer.connect(scope, listener.port, A_ADDR, B_ADDR);
      await until(() => unknown.closed, { what: 'unknown peer closed' });
      assert.equal(unknown.msgs.length, 0);
      const early = await RawPeer.connect(scope, listener.port, A_ADDR, '127.0.0.3'); // session not started
      await until(() => early.closed, { what: 'Idle session refuses' });
      assert.equal(s.state, 'Idle');
      assert.equal(listener.lookup('::ffff:127.0.0.3'), s, 'v4-mapped form matches');
      listener.unregister(s);
      assert.equal(listener.lookup('127.0.0.3'), undefined);
    }));
  test('eBGP with TCP MD5 (RFC 2385) and TTL 1 through sockopts; a wrong key never connects', () =>
    withScope(async (scope) => {
      const listener = await listen(scope, A_ADDR);
      const ebgp = { localAs: 65001, peerAs: 65002 };
      const a = scope.add(new Session(cfg({ name: 'A', routerId: ID(10, 0, 0, 1), peerAddress: B_ADDR, passive: true, password: 's3cret', ...ebgp })), (s) => s.stop());
      listener.register(a);
      a.start();
      const wrong = scope.add(new Session(cfg({
        name: 'W', routerId: ID(10, 0, 0, 2), peerAddress: A_ADDR, peerPort: listener.port, localAddress: B_ADDR, password: 'wrong', localAs: 65002, peerAs: 65001,
      })), (s) => s.stop());
      wrong.start();
      await holdsFalse(() => a.state !== 'Active' || wrong.state === 'OpenSent', { forMs: 1500, what: 'a connection with the wrong MD5 key' });
      assert.match(wrong.stats.lastError ?? '', /timed out/, 'the signed SYN with the wrong key is never answered');
      wrong.stop();
      const b = scope.add(new Session(cfg({
        name: 'B', routerId: ID(10, 0, 0, 2), peerAddress: A_ADDR, peerPort: listener.port, localAddress: B_ADDR, password: 's3cret', localAs: 65002, peerAs: 65001,
      })), (s) => s.stop());
      b.start();
      await until(() => a.state === 'Established' && b.state === 'Established', { what: 'Established with the right key' });
      assert.equal(a.negotiated!.ebgp, true);
      assert.equal(a.negotiated!.peerAs, 65002);
    }));

  test('graceful restart: a new connection from a GR peer replaces the Established one (RFC 4724 §4.2)', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope, { gracefulRestart: { restartTime: 120 } });
      const down = collect(a, 'down') as [string][];
      const established = collect(a, 'established');
      const gr = { code: CapabilityCode.GRACEFUL_RESTART, restarting: false, notification: false, restartTime: 90, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] } as const;
      const caps = [{ code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 }, { code: CapabilityCode.FOUR_OCTET_AS, asn: 65000 }, gr] as const;
      const first = await RawPeer.connect(scope, listener.port);
      await first.handshake(rawOpen({ holdTime: 30, capabilities: caps }));
      await until(() => a.state === 'Established', { what: 'first Established' });
      assert.equal(a.negotiated!.gracefulRestart?.restartTime, 90);
      // The peer "restarts": a new connection and OPEN with the R bit, the old TCP still open.
      const second = await RawPeer.connect(scope, listener.port);
      await second.handshake(rawOpen({ holdTime: 30, capabilities: [caps[0], caps[1], { ...gr, restarting: true }] }));
      await until(() => established.length === 2 && a.state === 'Established', { what: 'Established again on the new connection' });
      assert.deepEqual(down.map((d) => d[0]), ['Graceful restart detected']);
      await until(() => first.closed, { what: 'old connection closed' });
      assert.equal(a.negotiated!.gracefulRestart?.restarting, true);
      assert.equal(second.closed, false);
    }));

  test('maxMessagesPerTurn: a burst is handled a few messages per event-loop turn', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope, { maxMessagesPerTurn: 8 });
      const raw = await RawPeer.connect(scope, listener.port);
      await raw.handshake(rawOpen({ holdTime: 30 }));
      await until(() => a.state === 'Established', { what: 'Established' });
      let seen = 0;
      a.on('keepalive', () => seen++);
      const perTurn: number[] = [];
      let last = 0;
      let ticking = true;
      const tick = () => {
        if (seen !== last) perTurn.push(seen - last);
        last = seen;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const burst = Buffer.concat(Array.from({ length: 1000 }, () => encodeKeepalive()));
      raw.send(burst);
      await until(() => seen === 1000, { what: '1000 keepalives handled' });
      ticking = false;
      assert.ok(perTurn.length >= 1000 / 8, `handled over ${perTurn.length} turns`);
      assert.ok(Math.max(...perTurn) <= 8, `at most 8 per turn, saw ${Math.max(...perTurn)}`);
      assert.equal(a.state, 'Established');
    }));

  test('stop() from an update handler: the events it raises come once each, in order, and the UPDATEs behind it are not handled', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope);
      const raw = await RawPeer.connect(scope, listener.port);
      await raw.handshake(rawOpen({ holdTime: 30 }));
      await until(() => a.state === 'Established', { what: 'Established' });
      const events: string[] = [];
      a.on('update', () => {
        events.push('update');
        if (events.length === 1) a.stop(2, 'from a handler');
      });
      a.on('state', (from, to) => events.push(`state ${from}->${to}`));
      a.on('notificationSent', (n) => events.push(`notificationSent ${n.code}/${n.subcode}`));
      a.on('down', () => events.push('down'));
      const upd = encodeUpdate({
        attributes: { origin: Origin.IGP, asPath: [], nextHop: Uint8Array.of(127, 0, 0, 2) },
        nlri: [{ afi: Afi.IPV4, len: 24, addr: Uint8Array.of(10, 1, 2, 0), pathId: 0 }],
      }, { ...DEFAULT_CODEC_CONTEXT, as4: true });
      // Three UPDATEs in one chunk: the first one's handler stops the session.
      raw.send(Buffer.concat([upd, upd, upd]));
      await until(() => events.includes('down'), { what: 'the session down' });
      await sleep(50);
      assert.deepEqual(events, ['update', 'state Established->Idle', 'notificationSent 6/2', 'down']);
      assert.equal(a.stats.updatesIn, 1);
    }));

  test('connection refused: back to Active, retried after connect retry time; stop ends it', () =>
    withScope(async (scope) => {
      // A port with nothing listening: bind one, note it, close it.
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, A_ADDR, r));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise<void>((r) => probe.close(() => r()));
      const b = scope.add(new Session(cfg({ name: 'B', routerId: ID(10, 0, 0, 2), peerAddress: A_ADDR, peerPort: port, localAddress: B_ADDR })), (s) => s.stop());
      const states = collect(b, 'state');
      b.start();
      await until(() => states.filter((x) => x[1] === 'Connect').length >= 2, { what: 'a second connect attempt', timeoutMs: 5000 });
      assert.match(b.stats.lastError ?? '', /ECONNREFUSED/);
      assert.deepEqual(states.slice(0, 3).map((x) => x[1]), ['Connect', 'Active', 'Connect']);
      b.stop();
      assert.equal(b.state, 'Idle');
      const n = states.length;
      await sleep(1200);
      assert.equal(states.length, n, 'no more attempts after stop');
    }));
  test('a second connection from the peer while its first is in OpenSent is refused', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope);
      const first = await RawPeer.connect(scope, listener.port);
      await first.waitFor((m) => m.type === MessageType.OPEN, 'OPEN on the first connection');
      const second = await RawPeer.connect(scope, listener.port);
      await until(() => second.closed, { what: 'second connection closed' });
      assert.equal(second.msgs.length, 0);
      await first.handshake();
      await until(() => a.state === 'Established', { what: 'first connection carries on' });
    }));
  test('DelayOpen: no OPEN until the peer sends one or the DelayOpenTimer expires (RFC 4271 §8.1.1)', () =>
    withScope(async (scope) => {
      const { listener, session: a } = await passiveSession(scope, { delayOpenTime: 1 });
      const first = await RawPeer.connect(scope, listener.port);
      await holdsFalse(() => first.msgs.length > 0, { forMs: 300, intervalMs: 50, what: 'an OPEN before the DelayOpenTimer' });
      assert.equal(a.state, 'Active');
      first.send(rawOpen());
      await first.waitFor((m) => m.type === MessageType.KEEPALIVE, 'OPEN + KEEPALIVE in answer to our OPEN');
      assert.deepEqual(first.msgs.map((m) => m.type), [MessageType.OPEN, MessageType.KEEPALIVE]);
      assert.equal(a.state, 'OpenConfirm');
      first.send(encodeKeepalive());
      await until(() => a.state === 'Established', { what: 'Established' });
    }));
});

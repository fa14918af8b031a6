// One BGP peering: the only place with sockets and timers for a peer (RFC 4271 §8 run by
// fsm.ts, §6.8 collisions by collision.ts, OPEN negotiation by negotiate.ts). The FSM
// decides; this file executes its actions (connect, send, timers, drop) and turns socket
// and timer happenings into FSM events. Leaves out: routes (protocol.ts consumes the
// 'update' events and feeds send()), the listening socket (listener.ts hands connections
// in through acceptIncoming()).
//
// ---- Public API (other modules and the interop tests code against this) ----------------
//   new Session(cfg: SessionConfig, opts?: { clock?: Clock; logger?: Logger })
//   start(): void                       ManualStart (ManualStart_with_PassiveTcpEstablishment
//                                       when cfg.passive); automatic restarts follow errors
//   stop(subcode = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, text?: string): void
//                                       ManualStop: Cease/subcode with the RFC 9003 text
//   get state(): StateName              of the session's main connection
//   get negotiated(): Negotiated | null while Established
//   get stats(): Readonly<SessionStats> counters for `show protocols all`
//   get uptimeMs(): number              time in Established (0 when not)
//   get endpoints()                     {local,remote}{Address,Port} of the connection, or null
//   send(buf, count?): boolean          an encoded UPDATE / ROUTE-REFRESH / EoR (or `count`
//                                       UPDATEs back to back) while Established; false under
//                                       backpressure (the message is queued: wait for 'drain'
//                                       before sending more) and false, message dropped, when
//                                       not Established
//   acceptIncoming(socket): boolean     from the listener; the session owns the socket either
//                                       way (false = refused and closed)
//   sendRouteRefresh(afi, safi, subtype?): boolean
// Events (typed in SessionEvents):
//   'state' (from, to)  'established' (negotiated)  'update' (UpdateMessage, with its RFC 7606
//   action)  'endOfRib' (afiSafi; instead of 'update' for an End-of-RIB marker)
//   'routeRefresh' (msg)  'notificationReceived' (msg)  'notificationSent' ({code, subcode})
//   'down' (reason text; emitted only when leaving Established: flush the peer's routes)
//   'drain' (after send() returned false, when the socket can take more)  'keepalive' ()
//   (a KEEPALIVE received)  'disabled' (reason; cfg.disableAfterError: an error stopped the
//   session for good). No 'error' event: failures show as 'down' and stats.lastError.
//
// Read path: Framer → at most maxMessagesPerTurn messages per event-loop turn, then the
// socket is paused and the rest handled after setImmediate. A BgpError from framing or
// decoding becomes the FSM's error event (NOTIFICATION, close). RFC 7606 soft errors come
// back in the decoded UPDATE and do not close. UPDATE and ROUTE-REFRESH bodies are decoded
// only in Established (elsewhere they are FSM errors without being parsed).
// Timers: HoldTimer restarts per received message and KeepaliveTimer per sent message are
// lazy (a deadline moved forward; the armed timer re-arms itself when it fires early), so
// a busy session does not churn timers.
// Two connections to the peer can exist at once (collision): `main` and `extra`, each with
// its own FSM state; the session-wide timers (ConnectRetryTimer, IdleHoldTimer) belong to
// main. When main falls out of OpenSent/OpenConfirm/Established while extra is alive, extra
// becomes main. As in BIRD there is at most one connection per direction: a second incoming
// connection while one from the peer is alive is refused (closed), and so is a third one.
// An outgoing attempt still pending when the peer's connection arrives is not aborted: if it
// succeeds it becomes `extra` and collision detection picks the survivor at the OPENs.
// Graceful restart (RFC 4724 §4.2): a new connection from a peer whose Established session
// negotiated graceful restart means the peer restarted: on its OPEN the old session goes
// down (reason "Graceful restart detected") and the new connection carries on.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  Framer, decodeMessage, encodeKeepalive, encodeNotification, encodeOpen, encodeRouteRefresh, isEndOfRib,
  DEFAULT_CODEC_CONTEXT, MessageType, RouteRefreshSubtype,
  type AddPathMode, type BgpRole, type CodecContext, type NotificationMessage, type OpenMessage,
  type RouteRefreshMessage, type UpdateMessage,
} from './codec/index.js';
import { BgpError, CeaseSubcode, ErrorCode, OpenSubcode, WrenError, describeError } from './errors.js';
import {
  step, errorEvent, hasBgpConnection, INITIAL_FSM_STATE,
  type FsmAction, type FsmConfig, type FsmEvent, type FsmState, type StateName, type TimerName,
} from './fsm.js';
import { buildOpen, negotiate, type Negotiated } from './negotiate.js';
import { resolveCollision, type Direction } from './collision.js';
import { connectBgp, setSocketTtl, ttlPolicy, type SocketSecurity } from './sockopts.js';
import { realClock, type Clock, type TimerHandle } from '../clock.js';
import { nullLogger, type Logger } from '../log.js';
import type { AfiSafi } from '../rib/prefix.js';

export interface SessionConfig {
  /** Protocol name (`Mesh_10_0_0_2`), for logs. */
  readonly name: string;
  readonly localAs: number;
  readonly peerAs: number;
  /** Our BGP Identifier, unsigned 32-bit. */
  readonly routerId: number;
  readonly peerAddress: string;
  /** Default 179. */
  readonly peerPort?: number;
  readonly localAddress?: string;
  /** Never dial; wait for the peer (BIRD `passive on`). */
  readonly passive?: boolean;
  /** Seconds, default 240; 0 = no hold timer and no keepalives. */
  readonly holdTime?: number;
  readonly keepaliveTime?: number;
  /** Seconds, default 120 (Calico sets 5). */
  readonly connectRetryTime?: number;
  /** Seconds before the first connect after a start, default 5 (Calico 2). */
  readonly connectDelayTime?: number;
  /** [min, max] seconds of automatic-restart back-off after errors, default [60, 300] (Calico 5,30). */
  readonly errorWaitTime?: readonly [number, number];
  /** Seconds without errors after which the back-off starts again from min, default 300. */
  readonly errorForgetTime?: number;
  /** DelayOpenTime in seconds; 0 / undefined = off. */
  readonly delayOpenTime?: number;
  /** TCP MD5 (RFC 2385). */
  readonly password?: string;
  /** GTSM (RFC 5082): TTL 255 out, minimum 256 - hops in. */
  readonly ttlSecurity?: boolean;
  /** Hop count (`multihop N`); undefined = direct for eBGP, 64 for iBGP (BIRD). */
  readonly multihop?: number;
  readonly families: readonly AfiSafi[];
  readonly addPath?: ReadonlyMap<AfiSafi, AddPathMode>;
  /** Default true. */
  readonly routeRefresh?: boolean;
  readonly enhancedRouteRefresh?: boolean;
  readonly gracefulRestart?: { readonly restartTime: number; readonly restarting?: boolean; readonly aware?: boolean } | null;
  readonly llgr?: { readonly staleTime: number; readonly aware?: boolean } | null;
  /**
   * RFC 9687 SendHoldTime in seconds: a peer that takes none of our data for this long (its
   * receive window stays shut while it may still send keepalives) gets NOTIFICATION 8 and
   * the connection is closed. Default twice the negotiated hold time (BIRD's default); 0 off;
   * never with hold time 0.
   */
  readonly sendHoldTime?: number;
  readonly extendedMessage?: boolean;
  readonly extendedNextHop?: boolean;
  readonly hostname?: string;
  readonly role?: BgpRole;
  readonly strictRole?: boolean;
  /** Messages handled per event-loop turn before yielding, default 64. */
  readonly maxMessagesPerTurn?: number;
  /** BIRD `enable as4`, default true: false = no 4-octet AS capability, a 2-octet session. */
  readonly enableAs4?: boolean;
  /** BIRD `advertise ipv4`, default true: false = no MP capability for IPv4 unicast. */
  readonly advertiseIpv4?: boolean;
  /**
   * BIRD `capabilities`: false = an OPEN without capabilities, the peer's ignored; true = always
   * with them; undefined (not configured) = with them, but an IPv4 peer with a 2-octet AS that
   * answers such an OPEN with NOTIFICATION 2/4 or 2/7 gets the next ones without (BIRD 1.6
   * bgp_rx_notification), until the session restarts after an error or start() is called.
   */
  readonly capabilities?: boolean;
  /** BIRD `startup hold time`: the HoldTimer in OpenSent, seconds, default 240; 0 = none. */
  readonly startupHoldTime?: number;
  /**
   * BIRD `disable after error`, default false: an error (a NOTIFICATION other than Cease sent
   * or received, fsm.ts disableAfterError) stops the session instead of restarting it after
   * the error wait; 'disabled' is emitted and only start() brings it back.
   */
  readonly disableAfterError?: boolean;
}

export interface SessionStats {
  messagesIn: number;
  messagesOut: number;
  updatesIn: number;
  updatesOut: number;
  keepalivesIn: number;
  keepalivesOut: number;
  notificationsIn: number;
  notificationsOut: number;
  routeRefreshesIn: number;
  /** BIRD's "Last error" text: "Hold timer expired", "Received: Administrative shutdown", "Socket: ...". */
  lastError: string | null;
  /** The last NOTIFICATION sent or received. */
  lastNotification: { readonly code: number; readonly subcode: number; readonly sent: boolean } | null;
  /** Times the session reached Established. */
  establishedCount: number;
  /** Date.now() of the last state change of the main connection (for `show protocols`). */
  stateSince: number;
  connectRetryCounter: number;
}

export interface SessionEvents {
  state: [from: StateName, to: StateName];
  established: [negotiated: Negotiated];
  update: [msg: UpdateMessage];
  endOfRib: [afiSafi: AfiSafi];
  routeRefresh: [msg: RouteRefreshMessage];
  notificationReceived: [msg: NotificationMessage];
  notificationSent: [n: { code: number; subcode: number }];
  down: [reason: string];
  drain: [];
  /** A KEEPALIVE arrived (for tests and debugging). */
  keepalive: [];
  /**
   * `disable after error`: an error stopped the session for good (after 'down' when it was
   * Established); the reason is stats.lastError. The session stays Idle until start().
   */
  disabled: [reason: string];
}

const CONN_TIMERS = ['HoldTimer', 'KeepaliveTimer', 'DelayOpenTimer'] as const;
type ConnTimerName = (typeof CONN_TIMERS)[number];
const isConnTimer = (t: TimerName): t is ConnTimerName => t === 'HoldTimer' || t === 'KeepaliveTimer' || t === 'DelayOpenTimer';

/** Closing sockets get this long to flush (a NOTIFICATION) before they are destroyed. */
const CLOSE_LINGER_MS = 2000;

/**
 * A timer whose restart only moves a deadline: when the armed node timer fires before the
 * deadline it re-arms for the rest. One instance per FSM timer per connection.
 */
class LazyTimer {
  private handle: TimerHandle | null = null;
  private due = 0;
  private deadline = 0;
  constructor(private readonly clock: Clock, private readonly onExpire: () => void) {}

  start(ms: number): void {
    this.deadline = this.clock.now() + ms;
    if (this.handle && this.due <= this.deadline) return;
    this.arm(ms);
  }
  stop(): void {
    if (this.handle) this.clock.clearTimer(this.handle);
    this.handle = null;
  }
  get running(): boolean {
    return this.handle !== null;
  }
  /** Milliseconds to the deadline, undefined when stopped. */
  get remainingMs(): number | undefined {
    return this.handle === null ? undefined : Math.max(0, this.deadline - this.clock.now());
  }
  /** Push the deadline to now + ms only if the timer runs (keepalive after a send). */
  postpone(ms: number): void {
    if (this.handle) this.deadline = Math.max(this.deadline, this.clock.now() + ms);
  }
  private arm(ms: number): void {
    if (this.handle) this.clock.clearTimer(this.handle);
    this.due = this.clock.now() + ms;
    this.handle = this.clock.setTimer(ms, () => {
      this.handle = null;
      const left = this.deadline - this.clock.now();
      if (left > 0) this.arm(left);
      else this.onExpire();
    });
  }
}

/** One TCP connection to the peer with its own FSM state (RFC 4271 §8: one FSM per connection). */
class Conn {
  socket: net.Socket | null = null;
  direction: Direction = 'outgoing';
  framer = new Framer();
  codec: CodecContext = DEFAULT_CODEC_CONTEXT;
  negotiated: Negotiated | null = null;
  /** The decoded message an action refers to (processUpdate / processRouteRefresh). */
  pending: UpdateMessage | RouteRefreshMessage | null = null;
  /** Set when the read loop yielded (messages remain in the framer). */
  yielded = false;
  readonly timers: Record<ConnTimerName, LazyTimer>;
  /** Lost to a collision or discarded: ignore its late socket events and timers. */
  dead = false;
  /** Our OPEN on this connection had no capabilities (BIRD conn->start_state BSS_CONNECT_NOCAP). */
  noCaps = false;
  constructor(public fsm: FsmState, clock: Clock, fire: (c: Conn, e: FsmEvent) => void) {
    const mk = (t: ConnTimerName) => new LazyTimer(clock, () => fire(this, { type: `${t}_Expires` } as FsmEvent));
    this.timers = { HoldTimer: mk('HoldTimer'), KeepaliveTimer: mk('KeepaliveTimer'), DelayOpenTimer: mk('DelayOpenTimer') };
  }
  stopTimers(): void {
    for (const t of CONN_TIMERS) this.timers[t].stop();
  }
}

/**
 * An error ended the connection (BIRD bgp_error with a code other than Cease, or a received
 * NOTIFICATION other than Cease): BIRD stops and restarts the protocol for these.
 */
function isError(e: FsmEvent, actions: readonly FsmAction[]): boolean {
  if ((e.type === 'NotifMsg' && e.code !== ErrorCode.CEASE) || e.type === 'NotifMsgVerErr') return true;
  return actions.some((a) => a.type === 'sendNotification' && a.code !== ErrorCode.CEASE);
}

/** RFC 9003 data: one length octet and at most 255 octets of UTF-8, cut on a character boundary. */
function shutdownData(text: string | undefined): Uint8Array | undefined {
  if (!text) return undefined;
  let bytes = new TextEncoder().encode(text);
  if (bytes.length > 255) {
    let n = 255;
    while (n > 0 && (bytes[n]! & 0xc0) === 0x80) n--;
    bytes = bytes.subarray(0, n);
  }
  const data = new Uint8Array(1 + bytes.length);
  data[0] = bytes.length;
  data.set(bytes, 1);
  return data;
}

export class Session extends EventEmitter<SessionEvents> {
  readonly cfg: SessionConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly fsmCfg: FsmConfig;
  private readonly maxPerTurn: number;
  private readonly security: SocketSecurity;
  private readonly useNative: boolean;
  private main: Conn;
  private extra: Conn | null = null;
  private readonly sessionTimers = new Map<'ConnectRetryTimer' | 'IdleHoldTimer', TimerHandle>();
  private pendingConnect: { seq: number; abort: AbortController } | null = null;
  private connectSeq = 0;
  private blocked = false;
  /** RFC 9687 SendHoldTimer: runs while `blocked` in Established. */
  private sendHoldTimer: NodeJS.Timeout | undefined;
  private establishedAt = 0;
  /**
   * The peer refused our capabilities (2/4, 2/7) and `capabilities` is not configured: OPENs
   * go without them (BIRD p->start_state = BSS_CONNECT_NOCAP) until start() or an error restart.
   */
  private capsRefused = false;
  /** cfg with `capabilities: false`, for connections opened while capsRefused. */
  private noCapsCfg: SessionConfig | null = null;
  /** Events raised while the FSM runs, emitted once the step is complete (event name, args). */
  private outbox: unknown[] = [];
  /** The next event of the outbox to emit. */
  private outHead = 0;
  private depth = 0;
  private readonly _stats: SessionStats = {
    messagesIn: 0, messagesOut: 0, updatesIn: 0, updatesOut: 0, keepalivesIn: 0, keepalivesOut: 0,
    notificationsIn: 0, notificationsOut: 0, routeRefreshesIn: 0, lastError: null, lastNotification: null,
    establishedCount: 0, stateSince: Date.now(), connectRetryCounter: 0,
  };

  constructor(cfg: SessionConfig, opts: { clock?: Clock; logger?: Logger } = {}) {
    super();
    this.cfg = cfg;
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? nullLogger).child(cfg.name);
    const [min, max] = cfg.errorWaitTime ?? [60, 300];
    this.fsmCfg = {
      passive: cfg.passive === true,
      connectRetryTime: cfg.connectRetryTime ?? 120,
      connectDelayTime: cfg.connectDelayTime ?? 5,
      delayOpenTime: cfg.delayOpenTime ?? 0,
      errorWaitTime: [min, max],
      errorForgetTime: cfg.errorForgetTime ?? 300,
      openHoldTime: cfg.startupHoldTime ?? 240,
      disableAfterError: cfg.disableAfterError === true,
    };
    this.maxPerTurn = Math.max(1, cfg.maxMessagesPerTurn ?? 64);
    const internal = (cfg.localAs >>> 0) === (cfg.peerAs >>> 0);
    const ttl = ttlPolicy({ internal, multihop: cfg.multihop, ttlSecurity: cfg.ttlSecurity });
    // Linux sends with TTL 64 by default: only other values need the native socket options.
    const needTtl = ttl.ttl !== 64 || ttl.minTtl !== undefined;
    this.security = { ...(cfg.password ? { password: cfg.password } : {}), ...(needTtl ? ttl : {}) };
    this.useNative = cfg.password !== undefined || needTtl;
    this.main = this.newConn(INITIAL_FSM_STATE);
  }

  // ---- public surface ----------------------------------------------------------------

  get state(): StateName {
    return this.main.fsm.name;
  }

  get negotiated(): Negotiated | null {
    return this.main.fsm.name === 'Established' ? this.main.negotiated : null;
  }

  get stats(): Readonly<SessionStats> {
    this._stats.connectRetryCounter = this.main.fsm.connectRetryCounter;
    return this._stats;
  }

  /** The TCP endpoints of the session's connection, if it has one. */
  get endpoints(): { localAddress: string; localPort: number; remoteAddress: string; remotePort: number } | null {
    const s = this.main.socket;
    if (!s || s.localAddress === undefined || s.remoteAddress === undefined) return null;
    return { localAddress: s.localAddress, localPort: s.localPort ?? 0, remoteAddress: s.remoteAddress, remotePort: s.remotePort ?? 0 };
  }

  get uptimeMs(): number {
    return this.main.fsm.name === 'Established' ? this.clock.now() - this.establishedAt : 0;
  }

  start(): void {
    this.capsRefused = false;
    this.fire(this.main, { type: this.cfg.passive ? 'ManualStart_with_PassiveTcpEstablishment' : 'ManualStart' });
  }

  stop(subcode: number = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, text?: string, notificationData?: Uint8Array): void {
    const data = notificationData ?? shutdownData(text);
    const ev: FsmEvent = data ? { type: 'ManualStop', subcode, data } : { type: 'ManualStop', subcode };
    this.batch(() => {
      if (this.extra) this.fire(this.extra, ev);
      this.fire(this.main, ev);
      this.abortConnect();
    });
  }

  /**
   * AutomaticStop (RFC 4271 §8.1.2 Event 8), e.g. Cease/Maximum Number of Prefixes Reached
   * (RFC 4486): the session closes with that NOTIFICATION and restarts itself after the
   * error wait, as BIRD's `action restart` does.
   */
  automaticStop(subcode: number, data?: Uint8Array): void {
    const ev: FsmEvent = data ? { type: 'AutomaticStop', subcode, data } : { type: 'AutomaticStop', subcode };
    this.batch(() => {
      if (this.extra) this.fire(this.extra, ev);
      this.fire(this.main, ev);
    });
  }

  /**
   * Hold and keepalive timers of the Established connection, whole seconds left and the
   * negotiated value (`show protocols all`: "Hold timer: 171/240"); absent when not running.
   */
  get timers(): { hold?: { remaining: number; total: number }; keepalive?: { remaining: number; total: number } } {
    const c = this.main;
    if (c.fsm.name !== 'Established') return {};
    const of = (ms: number | undefined, total: number) => (ms === undefined || total === 0 ? undefined : { remaining: Math.ceil(ms / 1000), total });
    const hold = of(c.timers.HoldTimer.remainingMs, c.fsm.holdTime);
    const keepalive = of(c.timers.KeepaliveTimer.remainingMs, c.fsm.keepaliveTime);
    return { ...(hold ? { hold } : {}), ...(keepalive ? { keepalive } : {}) };
  }

  /** The socket takes more writes now (no 'drain' awaited). */
  get writable(): boolean {
    return !this.blocked;
  }

  /** Writes `count` whole messages (one, or several back to back in one buffer). */
  send(buf: Buffer, count = 1): boolean {
    const c = this.main;
    if (c.fsm.name !== 'Established' || !c.socket) return false;
    return this.write(c, buf, count);
  }

  /**
   * Runs `fn` (which calls send() any number of times) with the socket corked, so the
   * messages leave in one writev instead of a syscall each.
   */
  corked(fn: () => void): void {
    const sock = this.main.socket;
    sock?.cork();
    try {
      fn();
    } finally {
      sock?.uncork();
    }
  }

  sendRouteRefresh(afi: number, safi: number, subtype: RouteRefreshSubtype = RouteRefreshSubtype.NORMAL): boolean {
    return this.send(encodeRouteRefresh(afi, safi, subtype));
  }

  /** Takes a connection accepted by the listener for this peer. */
  acceptIncoming(socket: net.Socket): boolean {
    const refuse = (why: string): boolean => {
      this.log.debug(`incoming connection from ${socket.remoteAddress} refused: ${why}`);
      socket.destroy();
      return false;
    };
    const m = this.main;
    if (!m.fsm.started || m.fsm.name === 'Idle') return refuse(`session ${m.fsm.name}`);
    if (this.useNative && this.security.ttl !== undefined) {
      try {
        setSocketTtl(socket, this.security);
      } catch (e) {
        return refuse(`TTL options: ${(e as Error).message}`);
      }
    }
    if (m.fsm.name === 'Connect' || m.fsm.name === 'Active') {
      if (m.socket) return refuse('a connection is already waiting (DelayOpen)');
      // A pending outgoing attempt goes on: if it succeeds it becomes the second connection
      // and collision detection picks one at the OPENs (aborting it here could kill a TCP
      // connection the peer has already accepted, and both sides would retry in lockstep).
      this.attach(m, socket, 'incoming');
      this.fire(m, { type: 'TcpConnectionConfirmed' });
      return true;
    }
    if (this.extra) return refuse('two connections already');
    // One connection per direction, as BIRD: a second one from the peer waits until the
    // first is gone, unless the peer has restarted gracefully (RFC 4724 §4.2, see onOpen).
    const peerRestart = m.fsm.name === 'Established' && m.negotiated?.gracefulRestart;
    if (m.direction === 'incoming' && !peerRestart) return refuse('the peer already has a connection');
    // OpenSent / OpenConfirm / Established: a second connection, tracked until its OPEN (§6.8).
    const x = this.newConn({ ...m.fsm, name: 'Active', delayOpenRunning: false, holdTime: 0, keepaliveTime: 0 });
    this.extra = x;
    this.attach(x, socket, 'incoming');
    this.fire(x, { type: 'TcpConnectionConfirmed' });
    return true;
  }

  // ---- FSM plumbing ------------------------------------------------------------------

  private newConn(fsm: FsmState): Conn {
    return new Conn(fsm, this.clock, (c, e) => this.fire(c, e));
  }

  /** Runs fn; events queued meanwhile are emitted when the outermost batch ends. */
  private batch(fn: () => void): void {
    this.depth++;
    try {
      fn();
    } finally {
      this.depth--;
    }
    if (this.depth === 0) this.flush();
  }

  private flush(): void {
    const box = this.outbox;
    // Passed before emitting: a listener may queue more (stop() from a handler), and its
    // own flush goes on from here. No splice (it made an array per event).
    while (this.outHead < box.length) {
      const i = this.outHead;
      this.outHead = i + 2;
      (this.emit as (e: string, ...a: unknown[]) => boolean)(box[i] as keyof SessionEvents, ...(box[i + 1] as unknown[]));
    }
    box.length = 0;
    this.outHead = 0;
  }

  /** Queues an event for the end of the current FSM step (no closure: hot path). */
  private later<K extends keyof SessionEvents>(ev: K, ...args: SessionEvents[K]): void {
    this.outbox.push(ev, args);
  }

  private fire(c: Conn, e: FsmEvent): void {
    if (c.dead) return;
    this.depth++;
    try {
      const from = c.fsm.name;
      const r = step(c.fsm, e, this.fsmCfg, this.clock.now());
      // BIRD restarts the protocol after an error (bgp_stop) and on leaving Established, and
      // bgp_startup() tries capabilities again: so does a session here.
      if (this.capsRefused && c === this.main && from !== 'Idle' && r.state.name === 'Idle' && (from === 'Established' || isError(e, r.actions))) {
        this.capsRefused = false;
      }
      c.fsm = r.state;
      if (c === this.main && from !== r.state.name) this.noteState(from, r.state.name, e);
      for (const a of r.actions) this.exec(c, a, e);
      if (c === this.extra && !hasBgpConnection(c.fsm.name) && !c.fsm.delayOpenRunning) this.discard(c);
      if (c === this.main && this.extra && !hasBgpConnection(c.fsm.name)) this.promoteExtra();
    } finally {
      this.depth--;
    }
    if (this.depth === 0) this.flush();
  }

  private noteState(from: StateName, to: StateName, e: FsmEvent): void {
    this._stats.stateSince = Date.now();
    this.log.debug(`${from} -> ${to} (${e.type})`);
    this.later('state', from, to);
  }

  /** The extra connection becomes the session's connection (main has fallen back). */
  private promoteExtra(): void {
    const x = this.extra!;
    const old = this.main;
    this.extra = null;
    for (const t of this.sessionTimers.keys()) this.stopSessionTimer(t);
    this.abortConnect();
    this.discard(old);
    x.fsm = { ...x.fsm, errorDelay: old.fsm.errorDelay, lastErrorAt: old.fsm.lastErrorAt, started: old.fsm.started };
    this.main = x;
    if (old.fsm.name !== x.fsm.name) this.noteState(old.fsm.name, x.fsm.name, { type: 'TcpConnectionConfirmed' });
    if (!x.fsm.started) this.fire(x, { type: 'ManualStop' });
  }

  /** Forgets a connection: timers off, socket closed, late events ignored. */
  private discard(c: Conn): void {
    c.stopTimers();
    this.closeSocket(c);
    c.dead = true;
    if (this.extra === c) this.extra = null;
  }

  private exec(c: Conn, a: FsmAction, e: FsmEvent): void {
    const isMain = c === this.main;
    switch (a.type) {
      case 'connect':
        if (isMain) this.connect();
        break;
      case 'dropTcp':
        this.closeSocket(c);
        if (isMain && c.fsm.name === 'Idle') this.abortConnect();
        break;
      case 'sendOpen':
        c.noCaps = this.capsRefused || this.cfg.capabilities === false;
        this.write(c, encodeOpen(buildOpen(this.openCfg(c))));
        break;
      case 'sendKeepalive':
        this._stats.keepalivesOut++;
        this.write(c, encodeKeepalive());
        break;
      case 'sendNotification': {
        this._stats.notificationsOut++;
        this._stats.lastNotification = { code: a.code, subcode: a.subcode, sent: true };
        const text = describeError(a.code, a.subcode);
        if (!(a.code === ErrorCode.CEASE && e.type === 'ManualStop')) {
          this._stats.lastError = text;
          this.log.warn(`Error: ${text}`);
        }
        this.write(c, encodeNotification(a.code, a.subcode, a.data));
        const n = { code: a.code, subcode: a.subcode };
        this.later('notificationSent', n);
        break;
      }
      case 'startTimer':
        if (isConnTimer(a.timer)) c.timers[a.timer].start(a.seconds * 1000);
        else if (isMain) this.startSessionTimer(a.timer, a.seconds);
        break;
      case 'stopTimer':
        if (isConnTimer(a.timer)) c.timers[a.timer].stop();
        else if (isMain) this.stopSessionTimer(a.timer);
        break;
      case 'stopTimers':
        c.stopTimers();
        if (isMain) this.stopSessionTimer('ConnectRetryTimer');
        break;
      case 'sessionUp': {
        this.establishedAt = this.clock.now();
        this._stats.establishedCount++;
        this.blocked = false;
        this.clearSendHold();
        const n = c.negotiated!;
        this.log.info(`BGP session established (hold ${n.holdTime}, keepalive ${n.keepaliveTime})`);
        this.later('established', n);
        break;
      }
      case 'sessionDown': {
        this.clearSendHold();
        const reason = this.describeDown(e);
        this.log.info(`BGP session down: ${reason}`);
        this.later('down', reason);
        break;
      }
      case 'processUpdate': {
        const u = c.pending as UpdateMessage;
        c.pending = null;
        this._stats.updatesIn++;
        const eor = isEndOfRib(u);
        if (eor !== null) this.later('endOfRib', eor);
        else this.later('update', u);
        break;
      }
      case 'disabledAfterError':
        this.disableAfterError(c);
        break;
      case 'processRouteRefresh': {
        const m = c.pending as RouteRefreshMessage;
        c.pending = null;
        this._stats.routeRefreshesIn++;
        this.later('routeRefresh', m);
        break;
      }
    }
  }

  /**
   * `disable after error` (BIRD bgp_update_startup_delay + bgp_stop(p, 0)): the error on `c`
   * stops the whole session; the other connection, if any, closes with Cease (subcode 0).
   */
  private disableAfterError(c: Conn): void {
    const other = c === this.main ? this.extra : this.main;
    // An error on the second connection: forget it first, so that main is not replaced by it.
    if (c !== this.main) this.discard(c);
    if (other && !other.dead) this.fire(other, { type: 'ManualStop', subcode: 0 });
    this.abortConnect();
    const reason = this._stats.lastError ?? 'Error';
    this.log.info(`Disabled after error: ${reason}`);
    this.later('disabled', reason);
  }

  private describeDown(e: FsmEvent): string {
    switch (e.type) {
      case 'ManualStop': return 'Shutdown';
      case 'HoldTimer_Expires': return 'Hold timer expired';
      case 'SendHoldTimer_Expires': return 'Send hold timer expired';
      case 'TcpConnectionFails': return this._stats.lastError ?? 'Connection closed';
      case 'NotifMsg': case 'NotifMsgVerErr': return this._stats.lastError ?? 'Received NOTIFICATION';
      case 'OpenCollisionDump': return 'Connection collision resolution';
      case 'BGPHeaderErr': case 'BGPOpenMsgErr': case 'UpdateMsgErr': return describeError(e.code, e.subcode);
      case 'AutomaticStop': return describeError(ErrorCode.CEASE, e.subcode);
      default: return `FSM error (${e.type})`;
    }
  }

  private startSessionTimer(t: 'ConnectRetryTimer' | 'IdleHoldTimer', seconds: number): void {
    this.stopSessionTimer(t);
    this.sessionTimers.set(t, this.clock.setTimer(seconds * 1000, () => {
      this.sessionTimers.delete(t);
      this.fire(this.main, { type: `${t}_Expires` } as FsmEvent);
    }));
  }

  private stopSessionTimer(t: 'ConnectRetryTimer' | 'IdleHoldTimer'): void {
    const h = this.sessionTimers.get(t);
    if (h) this.clock.clearTimer(h);
    this.sessionTimers.delete(t);
  }

  // ---- transport ----------------------------------------------------------------------

  private connect(): void {
    // A previous attempt still pending when the ConnectRetryTimer fires has timed out.
    if (this.pendingConnect) this._stats.lastError = 'Socket: Connection timed out';
    this.abortConnect();
    const seq = ++this.connectSeq;
    const abort = new AbortController();
    this.pendingConnect = { seq, abort };
    const host = this.cfg.peerAddress;
    const port = this.cfg.peerPort ?? 179;
    const timeoutMs = this.fsmCfg.connectRetryTime * 1000;
    const attempt = this.useNative
      ? connectBgp({ host, port, localAddress: this.cfg.localAddress, timeoutMs, signal: abort.signal, ...this.security })
      : plainConnect(host, port, this.cfg.localAddress, abort.signal);
    this.log.debug(`connecting to ${host} port ${port}`);
    attempt.then(
      (socket) => {
        if (this.pendingConnect?.seq !== seq) {
          socket.destroy();
          return;
        }
        this.pendingConnect = null;
        const m = this.main;
        if ((m.fsm.name === 'Connect' || m.fsm.name === 'Active') && !m.socket) {
          this.attach(m, socket, 'outgoing');
          this.fire(m, { type: 'Tcp_CR_Acked' });
        } else if (hasBgpConnection(m.fsm.name) && !this.extra) {
          // The peer's connection got here first: track ours too until the OPENs (§6.8).
          const x = this.newConn({ ...m.fsm, name: 'Active', delayOpenRunning: false, holdTime: 0, keepaliveTime: 0 });
          this.extra = x;
          this.attach(x, socket, 'outgoing');
          this.fire(x, { type: 'Tcp_CR_Acked' });
        } else {
          socket.destroy();
        }
      },
      (err: unknown) => {
        if (this.pendingConnect?.seq !== seq) return;
        this.pendingConnect = null;
        this._stats.lastError = `Socket: ${socketErrorText(err)}`;
        this.log.debug(`connect failed: ${socketErrorText(err)}`);
        // Only an FSM still waiting for this attempt cares; one using the peer's connection does not.
        if (this.main.fsm.name === 'Connect' && !this.main.socket) this.fire(this.main, { type: 'TcpConnectionFails' });
      },
    );
  }

  private abortConnect(): void {
    if (!this.pendingConnect) return;
    this.pendingConnect.abort.abort();
    this.pendingConnect = null;
  }

  private attach(c: Conn, socket: net.Socket, direction: Direction): void {
    c.socket = socket;
    c.direction = direction;
    c.framer = new Framer();
    c.codec = DEFAULT_CODEC_CONTEXT;
    c.negotiated = null;
    socket.setNoDelay(true);
    let socketError: string | null = null;
    socket.on('data', (chunk: Buffer) => {
      if (c.socket !== socket) return;
      c.framer.push(chunk);
      if (!c.yielded) this.readMessages(c);
    });
    socket.on('error', (err) => {
      socketError = `Socket: ${socketErrorText(err)}`;
    });
    socket.on('close', () => {
      if (c.socket !== socket) return;
      c.socket = null;
      this._stats.lastError = socketError ?? 'Socket: Connection closed';
      this.log.debug('connection closed');
      this.fire(c, { type: 'TcpConnectionFails' });
    });
    socket.on('drain', () => {
      if (c.socket === socket && c === this.main && this.blocked) {
        this.blocked = false;
        this.clearSendHold();
        this.emit('drain');
      }
    });
  }

  /** Flushes what was written (a NOTIFICATION) and closes; destroys after a linger. */
  private closeSocket(c: Conn): void {
    const s = c.socket;
    if (!s) return;
    c.socket = null;
    c.yielded = false;
    s.removeAllListeners('data');
    s.removeAllListeners('drain');
    s.on('error', () => {});
    s.resume(); // discard whatever still comes, and see the peer's FIN
    s.end();
    const t = setTimeout(() => s.destroy(), CLOSE_LINGER_MS);
    t.unref();
    s.once('close', () => clearTimeout(t));
  }

  private write(c: Conn, buf: Buffer, count = 1): boolean {
    const s = c.socket;
    if (!s) return false;
    this._stats.messagesOut += count;
    // Batches (count > 1) are UPDATEs only (AdjRibOut.drain).
    if (buf[18] === MessageType.UPDATE) this._stats.updatesOut += count;
    if (c.fsm.keepaliveTime > 0) c.timers.KeepaliveTimer.postpone(c.fsm.keepaliveTime * 1000);
    const ok = s.write(buf);
    if (!ok && c === this.main) {
      this.blocked = true;
      this.armSendHold(c);
    }
    return ok;
  }

  /** RFC 9687: from the first write the socket did not take until 'drain'. */
  private armSendHold(c: Conn): void {
    if (this.sendHoldTimer !== undefined || c.fsm.name !== 'Established' || c.fsm.holdTime === 0) return;
    const seconds = this.cfg.sendHoldTime ?? 2 * c.fsm.holdTime;
    if (seconds <= 0) return;
    const t = setTimeout(() => {
      this.sendHoldTimer = undefined;
      if (c !== this.main || !this.blocked || c.fsm.name !== 'Established') return;
      this.log.warn(`Send hold timer expired: the peer took none of our data for ${seconds} s`);
      this.fire(c, { type: 'SendHoldTimer_Expires' });
    }, seconds * 1000);
    t.unref();
    this.sendHoldTimer = t;
  }

  private clearSendHold(): void {
    if (this.sendHoldTimer !== undefined) clearTimeout(this.sendHoldTimer);
    this.sendHoldTimer = undefined;
  }

  // ---- read path ------------------------------------------------------------------------

  /** Handles up to maxMessagesPerTurn messages, then yields to the event loop. */
  private readMessages(c: Conn): void {
    let n = 0;
    while (c.socket && !c.dead) {
      if (n === this.maxPerTurn) {
        const s = c.socket;
        c.yielded = true;
        s.pause();
        setImmediate(() => {
          if (c.socket !== s) return;
          c.yielded = false;
          s.resume();
          this.readMessages(c);
        });
        return;
      }
      let msg: Buffer | null;
      try {
        msg = c.framer.next();
      } catch (err) {
        this.onDecodeError(c, err);
        return;
      }
      if (!msg) return;
      n++;
      this.depth++;
      try {
        this.handleMessage(c, msg);
      } finally {
        this.depth--;
      }
      if (this.depth === 0) this.flush();
    }
  }

  private onDecodeError(c: Conn, err: unknown): void {
    if (err instanceof BgpError) {
      this.log.debug(`decode error: ${err.message}`);
      this.fire(c, errorEvent(err.code, err.subcode, err.data.length ? err.data : undefined));
      return;
    }
    // A codec bug must not let a peer crash the daemon: log loudly, reset this session.
    this.log.error(`internal error decoding a message (bug): ${err instanceof Error ? err.stack : String(err)}`);
    this.fire(c, { type: 'UpdateMsgErr', code: ErrorCode.CEASE, subcode: CeaseSubcode.OUT_OF_RESOURCES });
  }

  private handleMessage(c: Conn, msg: Buffer): void {
    this._stats.messagesIn++;
    const type = msg[18];
    const st = c.fsm.name;
    try {
      switch (type) {
        case MessageType.OPEN:
          if (st === 'OpenSent' || ((st === 'Connect' || st === 'Active') && c.fsm.delayOpenRunning)) {
            this.onOpen(c, decodeMessage(msg, DEFAULT_CODEC_CONTEXT) as OpenMessage);
          } else {
            this.fire(c, { type: 'BGPOpen', holdTime: 0, keepaliveTime: 0 }); // FSM error
          }
          return;
        case MessageType.UPDATE:
          if (st !== 'Established') {
            this.fire(c, { type: 'UpdateMsg' });
            return;
          }
          c.pending = decodeMessage(msg, c.codec) as UpdateMessage;
          this.fire(c, { type: 'UpdateMsg' });
          return;
        case MessageType.KEEPALIVE:
          decodeMessage(msg, c.codec);
          this._stats.keepalivesIn++;
          if (c === this.main) this.later('keepalive');
          this.fire(c, { type: 'KeepAliveMsg' });
          return;
        case MessageType.NOTIFICATION: {
          const n = decodeMessage(msg, c.codec) as NotificationMessage;
          this.onNotification(c, n);
          return;
        }
        case MessageType.ROUTE_REFRESH:
          if (st === 'Established') c.pending = decodeMessage(msg, c.codec) as RouteRefreshMessage;
          this.fire(c, { type: 'RouteRefreshMsg' });
          return;
        default:
          decodeMessage(msg, c.codec); // throws 1/3 Bad Message Type
          this.onDecodeError(c, new BgpError(ErrorCode.MESSAGE_HEADER, 3, Uint8Array.of(type ?? 0)));
      }
    } catch (err) {
      this.onDecodeError(c, err);
    }
  }

  private onOpen(c: Conn, open: OpenMessage): void {
    let n: Negotiated;
    try {
      n = negotiate(open, this.openCfg(c));
    } catch (err) {
      this.onDecodeError(c, err);
      return;
    }
    const other = c === this.main ? this.extra : this.main;
    // RFC 4724 §4.2: a peer that restarts while we still hold its Established session.
    if (other && other.fsm.name === 'Established' && other.negotiated?.gracefulRestart) {
      this.log.info('Graceful restart detected');
      this._stats.lastError = 'Graceful restart detected';
      this.fire(other, { type: 'TcpConnectionFails' });
    } else if (other) {
      const verdict = resolveCollision(
        { direction: c.direction, state: c.fsm.name },
        { direction: other.direction, state: other.fsm.name },
        { localId: this.cfg.routerId, peerId: open.bgpId, localAs: this.cfg.localAs, peerAs: n.peerAs },
      );
      if (verdict === 'dumpThis') {
        this.log.debug('connection collision, giving up this connection');
        this.dump(c);
        return;
      }
      if (verdict === 'dumpOther') {
        this.log.debug('connection collision, giving up the other connection');
        this.dump(other);
      }
    }
    if (c.dead) return;
    c.negotiated = n;
    c.codec = n.codec;
    c.framer.setMaxMessageLength(n.maxMessageLength);
    this.fire(c, { type: 'BGPOpen', holdTime: n.holdTime, keepaliveTime: n.keepaliveTime });
  }

  /** OpenCollisionDump on a connection; if it is main, the other one takes its place first. */
  private dump(c: Conn): void {
    if (c === this.main && this.extra) {
      const x = this.extra;
      this.extra = c;
      this.main = x;
      x.fsm = { ...x.fsm, errorDelay: c.fsm.errorDelay, lastErrorAt: c.fsm.lastErrorAt };
      for (const t of this.sessionTimers.keys()) this.stopSessionTimer(t);
      if (c.fsm.name !== x.fsm.name) this.noteState(c.fsm.name, x.fsm.name, { type: 'OpenCollisionDump' });
    }
    this.fire(c, { type: 'OpenCollisionDump' });
  }

  private onNotification(c: Conn, n: NotificationMessage): void {
    this._stats.notificationsIn++;
    this._stats.lastNotification = { code: n.code, subcode: n.subcode, sent: false };
    let text = `Received: ${describeError(n.code, n.subcode)}`;
    if (n.shutdownCommunication) text += ` "${n.shutdownCommunication}"`;
    this._stats.lastError = text;
    this.log.warn(text);
    this.later('notificationReceived', n);
    if (this.retryWithoutCaps(c, n)) {
      this.log.warn('Capability related error received, retry with capabilities disabled');
      this.capsRefused = true;
      // Not an error for BIRD (no error wait, no `disable after error`): the connection
      // closes and the next one starts after the connect delay. The FSM is given a Cease,
      // which it handles exactly so; stats keep the real NOTIFICATION.
      this.fire(c, { type: 'NotifMsg', code: ErrorCode.CEASE, subcode: 0 });
      return;
    }
    const e: FsmEvent = n.code === ErrorCode.OPEN_MESSAGE && n.subcode === 1
      ? { type: 'NotifMsgVerErr' }
      : { type: 'NotifMsg', code: n.code, subcode: n.subcode };
    this.fire(c, e);
  }

  /**
   * BIRD 1.6 bgp_rx_notification (IPv4 build only): OPEN error 2/4 (Unsupported Optional
   * Parameter: the peer knows no capabilities) or 2/7 (Unsupported Capability) in answer to
   * an OPEN that had capabilities, `capabilities` not configured, and a neighbour AS that
   * fits in 2 octets (a 4-octet one cannot be spoken without capabilities).
   */
  private retryWithoutCaps(c: Conn, n: NotificationMessage): boolean {
    return n.code === ErrorCode.OPEN_MESSAGE
      && (n.subcode === OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER || n.subcode === OpenSubcode.UNSUPPORTED_CAPABILITY)
      && this.cfg.capabilities === undefined
      && !c.noCaps
      && (c.fsm.name === 'OpenSent' || c.fsm.name === 'OpenConfirm')
      && (this.cfg.peerAs >>> 0) <= 0xffff
      && net.isIPv4(this.cfg.peerAddress);
  }

  /** The configuration this connection's OPEN was built from (and the peer's is read with). */
  private openCfg(c: Conn): SessionConfig {
    if (!c.noCaps || this.cfg.capabilities === false) return this.cfg;
    return (this.noCapsCfg ??= { ...this.cfg, capabilities: false });
  }
}

function socketErrorText(err: unknown): string {
  if (err instanceof WrenError) return err.message;
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}

/** node:net connect for sessions without MD5/TTL options; rejects on error or abort. */
function plainConnect(host: string, port: number, localAddress: string | undefined, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const onAbort = () => {
      s.destroy();
      reject(new WrenError('ABORTED', `connect to ${host} port ${port}: aborted`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      reject(err);
    });
  });
}

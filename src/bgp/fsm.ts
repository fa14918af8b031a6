// The BGP finite state machine of RFC 4271 §8 as a pure function:
//   step(state, event, cfg, now) → { state, actions }
// No sockets, no timers, no clock: the session (session.ts) turns events from the wire and
// from its timers into FsmEvents and executes the returned actions in order. Event names
// are the RFC's (§8.1: ManualStart, ConnectRetryTimer_Expires, Tcp_CR_Acked, BGPOpen, ...).
//
// Optional session attributes implemented (RFC 4271 §8.1.1):
//   PassiveTcpEstablishment  ManualStart_with_PassiveTcpEstablishment (BIRD `passive on`);
//   DelayOpen                DelayOpenTimer_Expires, BGPOpen while DelayOpenTimer runs;
//   AllowAutomaticStart +    after any fall to Idle other than ManualStop the FSM arms the
//   DampPeerOscillations     IdleHoldTimer; IdleHoldTimer_Expires is the automatic start.
//                            The hold value is BIRD's `error wait time a,b`: 0 until the first
//                            error, then a, doubled on each further error up to b, forgotten
//                            after `error forget time` (300 s) without errors. With BIRD's
//                            `disable after error` an error stops the FSM instead (no
//                            restart; action 'disabledAfterError').
//   CollisionDetectEstablishedState = FALSE (an OPEN on a second connection while one is
//                            Established dumps the new one: collision.ts decides).
// BIRD's `connect delay time` is the ConnectRetryTimer started on entering Active at start
// (its expiry in Active initiates the connection, §8.2.2 Active state).
//
// Deliberate deviations from the §8.2.2 text, each as BIRD, FRR and GoBGP behave:
//   * Passive sessions never arm the ConnectRetryTimer, so they never dial (RFC Active-state
//     ConnectRetryTimer_Expires would connect).
//   * Connect + TcpConnectionFails (our outgoing connect was refused or timed out) goes to
//     Active and re-arms the ConnectRetryTimer instead of Idle: a refused connect is retried
//     after `connect retry time`, not escalated into error back-off.
//   * No NOTIFICATION is sent in reply to a NOTIFICATION (RFC lists NotifMsg among the
//     "other events" of OpenSent that send an FSM Error).
//   * BGPHeaderErr / BGPOpenMsgErr in Established send the header/OPEN error itself (§6.1,
//     §6.2) rather than FSM Error. RFC 6608 subcodes are used for FSM errors.
//   * ROUTE-REFRESH (RFC 2918) is an extra event, RouteRefreshMsg, treated like UpdateMsg.
// SendNOTIFICATIONwithoutOPEN is FALSE except for header/OPEN errors, which are always
// reported (the peer learns why). Leaves out: the TcpConnection_Valid / Tcp_CR_Invalid
// events (the listener filters peers), AutomaticStop sources other than the caller.

export type StateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Timers of §8.1.3 plus IdleHoldTimer (§8.1.1 DampPeerOscillations). */
export type TimerName = 'ConnectRetryTimer' | 'HoldTimer' | 'KeepaliveTimer' | 'DelayOpenTimer' | 'IdleHoldTimer';

/** A NOTIFICATION error as carried by error events. */
interface ErrorEventFields {
  readonly code: number;
  readonly subcode: number;
  readonly data?: Uint8Array;
}

export type FsmEvent =
  | { readonly type: 'ManualStart' } // Event 1
  | { readonly type: 'ManualStop'; readonly subcode?: number; readonly data?: Uint8Array } // Event 2 (Cease subcode, default 2)
  | { readonly type: 'ManualStart_with_PassiveTcpEstablishment' } // Event 4
  | { readonly type: 'AutomaticStop'; readonly subcode: number; readonly data?: Uint8Array } // Event 8 (e.g. Cease/1 max prefixes)
  | { readonly type: 'ConnectRetryTimer_Expires' } // Event 9
  | { readonly type: 'HoldTimer_Expires' } // Event 10
  | { readonly type: 'KeepaliveTimer_Expires' } // Event 11
  | { readonly type: 'DelayOpenTimer_Expires' } // Event 12
  | { readonly type: 'IdleHoldTimer_Expires' } // Event 13
  | { readonly type: 'Tcp_CR_Acked' } // Event 16: our connection attempt succeeded
  | { readonly type: 'TcpConnectionConfirmed' } // Event 17: we accepted the peer's connection
  | { readonly type: 'TcpConnectionFails' } // Event 18
  /** Events 19/20: a valid OPEN; the FSM knows from its state whether DelayOpenTimer runs. */
  | { readonly type: 'BGPOpen'; readonly holdTime: number; readonly keepaliveTime: number }
  | ({ readonly type: 'BGPHeaderErr' } & ErrorEventFields) // Event 21
  | ({ readonly type: 'BGPOpenMsgErr' } & ErrorEventFields) // Event 22
  | { readonly type: 'OpenCollisionDump' } // Event 23
  | { readonly type: 'NotifMsgVerErr' } // Event 24
  | { readonly type: 'NotifMsg'; readonly code: number; readonly subcode: number } // Event 25
  | { readonly type: 'KeepAliveMsg' } // Event 26
  | { readonly type: 'UpdateMsg' } // Event 27
  | ({ readonly type: 'UpdateMsgErr' } & ErrorEventFields) // Event 28 (also ROUTE-REFRESH errors, code 7)
  | { readonly type: 'RouteRefreshMsg' } // RFC 2918, not in RFC 4271
  /** RFC 9687: the peer has taken none of our data for the SendHoldTime (Established only). */
  | { readonly type: 'SendHoldTimer_Expires' };

export type FsmEventType = FsmEvent['type'];

export type FsmAction =
  /** Initiate a TCP connection to the peer (the session aborts any earlier attempt). */
  | { readonly type: 'connect' }
  /** Close the TCP connection (after flushing anything sent before, e.g. a NOTIFICATION). */
  | { readonly type: 'dropTcp' }
  | { readonly type: 'sendOpen' }
  | { readonly type: 'sendKeepalive' }
  | { readonly type: 'sendNotification'; readonly code: number; readonly subcode: number; readonly data?: Uint8Array }
  /** (Re)start a timer with this many seconds. */
  | { readonly type: 'startTimer'; readonly timer: TimerName; readonly seconds: number }
  | { readonly type: 'stopTimer'; readonly timer: TimerName }
  /** Stop ConnectRetryTimer, HoldTimer, KeepaliveTimer and DelayOpenTimer ("release resources"). */
  | { readonly type: 'stopTimers' }
  /** Entered Established. */
  | { readonly type: 'sessionUp' }
  /** Left Established: "deletes all routes associated with this connection". */
  | { readonly type: 'sessionDown' }
  /**
   * `disable after error`: the error just handled stopped the session for good (no automatic
   * restart); the owner treats the protocol as disabled until it is started again.
   */
  | { readonly type: 'disabledAfterError' }
  /** Hand the received UPDATE on (Established, Event 27). */
  | { readonly type: 'processUpdate' }
  | { readonly type: 'processRouteRefresh' };

export type FsmActionType = FsmAction['type'];

export interface FsmConfig {
  /** `passive on`: never dial; wait in Active for the peer (set by the start event too). */
  readonly passive?: boolean;
  /** ConnectRetryTime in seconds (RFC suggests 120; Calico sets 5). */
  readonly connectRetryTime: number;
  /** BIRD `connect delay time`: seconds in Active before the first connect (0 = dial at once). */
  readonly connectDelayTime: number;
  /** DelayOpenTime in seconds; 0 = DelayOpen off. */
  readonly delayOpenTime: number;
  /** BIRD `error wait time min,max` in seconds. */
  readonly errorWaitTime: readonly [number, number];
  /** BIRD `error forget time` in seconds (default 300). */
  readonly errorForgetTime: number;
  /**
   * HoldTimer while waiting for the OPEN (§8.2.2 suggests 4 minutes): BIRD's `startup hold
   * time`, default 240; 0 = no hold timer until the OPENs agree one (BIRD bgp_start_timer(t, 0)).
   */
  readonly openHoldTime: number;
  /**
   * BIRD `disable after error`: an error ends the session for good instead of restarting it
   * after the error wait (see disableAfterError below). Default false.
   */
  readonly disableAfterError?: boolean;
}

export const DEFAULT_FSM_CONFIG: FsmConfig = {
  passive: false,
  connectRetryTime: 120,
  connectDelayTime: 5,
  delayOpenTime: 0,
  errorWaitTime: [60, 300],
  errorForgetTime: 300,
  openHoldTime: 240,
};

export interface FsmState {
  readonly name: StateName;
  /** §8.1.3 ConnectRetryCounter. */
  readonly connectRetryCounter: number;
  /** Started administratively (ManualStart and no ManualStop since): automatic restart allowed. */
  readonly started: boolean;
  /** Started with PassiveTcpEstablishment. */
  readonly passive: boolean;
  readonly delayOpenRunning: boolean;
  /** Negotiated HoldTime / keepalive interval (seconds), valid from OpenConfirm; 0 = none. */
  readonly holdTime: number;
  readonly keepaliveTime: number;
  /** Current error wait (IdleHoldTime) in seconds; 0 until the first error. */
  readonly errorDelay: number;
  /** `now` of the last error, for `error forget time`. */
  readonly lastErrorAt: number;
}

export const INITIAL_FSM_STATE: FsmState = {
  name: 'Idle',
  connectRetryCounter: 0,
  started: false,
  passive: false,
  delayOpenRunning: false,
  holdTime: 0,
  keepaliveTime: 0,
  errorDelay: 0,
  lastErrorAt: Number.NEGATIVE_INFINITY,
};

export interface StepResult {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

// Codes used here (values of ErrorCode/CeaseSubcode in errors.ts, spelled out because the
// FSM's test table reads better with the wire numbers beside the names).
const HOLD_TIMER_EXPIRED = 4;
/** RFC 9687 §5. */
const SEND_HOLD_TIMER_EXPIRED = 8;
const FSM_ERROR = 5;
const CEASE = 6;
const CEASE_ADMINISTRATIVE_SHUTDOWN = 2;
const CEASE_CONNECTION_COLLISION_RESOLUTION = 7;
/** RFC 6608 FSM Error subcodes. */
const FSM_SUBCODE: Partial<Record<StateName, number>> = { OpenSent: 1, OpenConfirm: 2, Established: 3 };

const stay = (state: FsmState, ...actions: FsmAction[]): StepResult => ({ state, actions });
const startTimer = (timer: TimerName, seconds: number): FsmAction => ({ type: 'startTimer', timer, seconds });
const stopTimer = (timer: TimerName): FsmAction => ({ type: 'stopTimer', timer });
const notification = (code: number, subcode: number, data?: Uint8Array): FsmAction =>
  data && data.length ? { type: 'sendNotification', code, subcode, data } : { type: 'sendNotification', code, subcode };

interface IdleOptions {
  /** NOTIFICATION to send before closing. */
  readonly notify?: FsmAction;
  /** ConnectRetryCounter: 'inc' (+1), 'zero' (ManualStop), 'keep'. */
  readonly counter: 'inc' | 'zero' | 'keep';
  /** An error (sent or received NOTIFICATION other than Cease, hold timer): grows the back-off. */
  readonly error: boolean;
  /** ManualStop: no automatic restart afterwards. */
  readonly manual?: boolean;
}

/**
 * The common "release resources, drop TCP, go to Idle" tail of §8.2.2, with the
 * automatic restart (IdleHoldTimer) of DampPeerOscillations when the session is started.
 */
function toIdle(s: FsmState, cfg: FsmConfig, now: number, o: IdleOptions): StepResult {
  const actions: FsmAction[] = [];
  if (o.notify) actions.push(o.notify);
  actions.push({ type: 'stopTimers' }, { type: 'dropTcp' });
  if (s.name === 'Established') actions.push({ type: 'sessionDown' });
  let { errorDelay, lastErrorAt } = s;
  if (o.error) {
    // BIRD bgp_update_startup_delay(): forget old errors, then min or double up to max.
    if (now - lastErrorAt >= cfg.errorForgetTime * 1000) errorDelay = 0;
    lastErrorAt = now;
    const [min, max] = cfg.errorWaitTime;
    errorDelay = errorDelay === 0 ? min : Math.min(errorDelay * 2, max);
  }
  const started = o.manual ? false : s.started;
  if (started) actions.push(startTimer('IdleHoldTimer', errorDelay));
  const connectRetryCounter =
    o.counter === 'inc' ? s.connectRetryCounter + 1 : o.counter === 'zero' ? 0 : s.connectRetryCounter;
  return {
    state: {
      ...s, name: 'Idle', started, connectRetryCounter, delayOpenRunning: false, holdTime: 0, keepaliveTime: 0,
      errorDelay, lastErrorAt,
    },
    actions,
  };
}

/** Idle → Connect or Active on a start (§8.2.2 Idle state, Events 1/3/4/5). */
function start(s: FsmState, cfg: FsmConfig, passive: boolean): StepResult {
  const base: FsmState = { ...s, started: true, passive, connectRetryCounter: 0, delayOpenRunning: false };
  if (passive) return { state: { ...base, name: 'Active' }, actions: [] };
  if (cfg.connectDelayTime > 0) {
    return { state: { ...base, name: 'Active' }, actions: [startTimer('ConnectRetryTimer', cfg.connectDelayTime)] };
  }
  return {
    state: { ...base, name: 'Connect' },
    actions: [startTimer('ConnectRetryTimer', cfg.connectRetryTime), { type: 'connect' }],
  };
}

/** Tcp_CR_Acked / TcpConnectionConfirmed in Connect or Active. */
function tcpUp(s: FsmState, cfg: FsmConfig): StepResult {
  if (cfg.delayOpenTime > 0) {
    return {
      state: { ...s, delayOpenRunning: true },
      actions: [stopTimer('ConnectRetryTimer'), startTimer('DelayOpenTimer', cfg.delayOpenTime)],
    };
  }
  return {
    state: { ...s, name: 'OpenSent' },
    actions: [stopTimer('ConnectRetryTimer'), { type: 'sendOpen' }, openHoldTimer(cfg)],
  };
}

/** The HoldTimer on sending our OPEN: the startup hold time, or none when it is 0. */
function openHoldTimer(cfg: FsmConfig): FsmAction {
  return cfg.openHoldTime > 0 ? startTimer('HoldTimer', cfg.openHoldTime) : stopTimer('HoldTimer');
}

/** Sets the negotiated timers after an OPEN: KeepaliveTimer and HoldTimer unless hold is 0. */
function negotiatedTimers(holdTime: number, keepaliveTime: number): FsmAction[] {
  return holdTime > 0
    ? [startTimer('KeepaliveTimer', keepaliveTime), startTimer('HoldTimer', holdTime)]
    : [stopTimer('KeepaliveTimer'), stopTimer('HoldTimer')];
}

function cease(subcode: number = CEASE_ADMINISTRATIVE_SHUTDOWN, data?: Uint8Array): FsmAction {
  return notification(CEASE, subcode, data);
}

const isCease = (e: FsmEvent): boolean => e.type === 'NotifMsg' && e.code === CEASE;

/** One FSM step. `now` (ms, any monotonic origin) only matters for `error forget time`. */
export function step(s: FsmState, e: FsmEvent, cfg: FsmConfig, now = 0): StepResult {
  const r = stepRfc(s, e, cfg, now);
  return cfg.disableAfterError ? disableAfterError(s, e, r) : r;
}

/**
 * BIRD 1.6 `disable after error`. BIRD calls bgp_update_startup_delay(), which with the
 * option sets the protocol disabled (and the startup delay to 0) instead of growing the
 * error wait, where a protocol error ends a connection:
 *   bgp_error() with a code other than Cease: every NOTIFICATION we send for an error
 *     (header, OPEN, UPDATE, FSM errors, Hold Timer Expired; BIRD 2 adds Send Hold Timer);
 *   bgp_rx_notification() with a code other than Cease: a NOTIFICATION from the peer.
 * Not errors: a Cease either way (administrative shutdown, collision resolution, and the
 * Cease/Maximum Number of Prefixes of a route limit with `action restart`, whose restart
 * the core forces even with the option), the TCP connection failing or closing (bgp_sock_err).
 * The step is rewritten: no automatic restart (started = false, no IdleHoldTimer), error
 * wait back to 0, and a 'disabledAfterError' action for the session.
 */
function disableAfterError(s: FsmState, e: FsmEvent, r: StepResult): StepResult {
  if (!s.started || r.state.name !== 'Idle' || s.name === 'Idle') return r;
  const sentError = r.actions.some((a) => a.type === 'sendNotification' && a.code !== CEASE);
  const receivedError = (e.type === 'NotifMsg' && e.code !== CEASE) || e.type === 'NotifMsgVerErr';
  if (!sentError && !receivedError) return r;
  const actions = r.actions.filter((a) => !(a.type === 'startTimer' && a.timer === 'IdleHoldTimer'));
  actions.push({ type: 'disabledAfterError' });
  return { state: { ...r.state, started: false, errorDelay: 0 }, actions };
}

function stepRfc(s: FsmState, e: FsmEvent, cfg: FsmConfig, now: number): StepResult {
  // RFC 9687 §4: the SendHoldTimer runs in Established only; elsewhere its expiry is stale.
  if (e.type === 'SendHoldTimer_Expires' && s.name !== 'Established') return stay(s);
  switch (s.name) {
    // ---- §8.2.2 Idle state --------------------------------------------------------------
    case 'Idle':
      switch (e.type) {
        case 'ManualStart':
          return start(s, cfg, cfg.passive === true);
        case 'ManualStart_with_PassiveTcpEstablishment':
          return start(s, cfg, true);
        case 'IdleHoldTimer_Expires':
          // The automatic start of a started session after its error wait.
          return s.started ? start(s, cfg, s.passive) : stay(s);
        case 'ManualStop':
          // Ignored by the RFC; here it also cancels a pending automatic restart.
          return s.started ? { state: { ...s, started: false }, actions: [stopTimer('IdleHoldTimer')] } : stay(s);
        case 'TcpConnectionConfirmed':
        case 'Tcp_CR_Acked':
          // "the local system ... refuses the connection" (a stale or unexpected socket).
          return stay(s, { type: 'dropTcp' });
        default:
          // "Any other event (Events 9-12, 15-28) received in the Idle state does not cause
          // change in the state of the local system."
          return stay(s);
      }

    // ---- §8.2.2 Connect state -----------------------------------------------------------
    case 'Connect':
      switch (e.type) {
        case 'ManualStart':
        case 'ManualStart_with_PassiveTcpEstablishment':
        case 'IdleHoldTimer_Expires':
          return stay(s); // "Events 1, 3-7 are ignored"
        case 'ManualStop':
          return toIdle(s, cfg, now, { counter: 'zero', error: false, manual: true });
        case 'ConnectRetryTimer_Expires': {
          const actions: FsmAction[] = [{ type: 'dropTcp' }];
          if (s.delayOpenRunning) actions.push(stopTimer('DelayOpenTimer'));
          actions.push(startTimer('ConnectRetryTimer', cfg.connectRetryTime), { type: 'connect' });
          return { state: { ...s, delayOpenRunning: false }, actions };
        }
        case 'DelayOpenTimer_Expires':
          if (!s.delayOpenRunning) break;
          return {
            state: { ...s, name: 'OpenSent', delayOpenRunning: false },
            actions: [{ type: 'sendOpen' }, openHoldTimer(cfg)],
          };
        case 'Tcp_CR_Acked':
        case 'TcpConnectionConfirmed':
          return tcpUp(s, cfg);
        case 'TcpConnectionFails': {
          // RFC: with DelayOpenTimer running → Active; otherwise → Idle. Deviation: always
          // Active with the ConnectRetryTimer re-armed (retry after connect retry time).
          const actions: FsmAction[] = [{ type: 'dropTcp' }];
          if (s.delayOpenRunning) actions.push(stopTimer('DelayOpenTimer'));
          actions.push(startTimer('ConnectRetryTimer', cfg.connectRetryTime));
          return { state: { ...s, name: 'Active', delayOpenRunning: false }, actions };
        }
        case 'BGPOpen':
          if (!s.delayOpenRunning) break;
          return openWithDelayOpen(s, e.holdTime, e.keepaliveTime);
        case 'BGPHeaderErr':
        case 'BGPOpenMsgErr':
          return toIdle(s, cfg, now, { notify: notification(e.code, e.subcode, e.data), counter: 'inc', error: true });
        case 'NotifMsgVerErr':
          return s.delayOpenRunning
            ? toIdle(s, cfg, now, { counter: 'keep', error: false })
            : toIdle(s, cfg, now, { counter: 'inc', error: false });
        default:
          break;
      }
      // "In response to any other events (Events 8, 10-11, 13, 19, 23, 25-28)"
      return toIdle(s, cfg, now, { counter: 'inc', error: !isCease(e) });

    // ---- §8.2.2 Active state ------------------------------------------------------------
    case 'Active':
      switch (e.type) {
        case 'ManualStart':
        case 'ManualStart_with_PassiveTcpEstablishment':
        case 'IdleHoldTimer_Expires':
          return stay(s);
        case 'ManualStop':
          return toIdle(s, cfg, now, { counter: 'zero', error: false, manual: true });
        case 'ConnectRetryTimer_Expires':
          if (s.passive) return stay(s);
          return {
            state: { ...s, name: 'Connect' },
            actions: [startTimer('ConnectRetryTimer', cfg.connectRetryTime), { type: 'connect' }],
          };
        case 'DelayOpenTimer_Expires':
          if (!s.delayOpenRunning) break;
          return {
            state: { ...s, name: 'OpenSent', delayOpenRunning: false },
            actions: [stopTimer('ConnectRetryTimer'), { type: 'sendOpen' }, openHoldTimer(cfg)],
          };
        case 'Tcp_CR_Acked':
        case 'TcpConnectionConfirmed':
          return tcpUp(s, cfg);
        case 'TcpConnectionFails':
          // "restarts the ConnectRetryTimer ..., stops and clears the DelayOpenTimer, releases
          // all BGP resource, increments the ConnectRetryCounter, ... changes its state to Idle."
          return toIdle(s, cfg, now, { counter: 'inc', error: false });
        case 'BGPOpen':
          if (!s.delayOpenRunning) break;
          return openWithDelayOpen(s, e.holdTime, e.keepaliveTime);
        case 'BGPHeaderErr':
        case 'BGPOpenMsgErr':
          return toIdle(s, cfg, now, { notify: notification(e.code, e.subcode, e.data), counter: 'inc', error: true });
        case 'NotifMsgVerErr':
          return s.delayOpenRunning
            ? toIdle(s, cfg, now, { counter: 'keep', error: false })
            : toIdle(s, cfg, now, { counter: 'inc', error: false });
        default:
          break;
      }
      // "In response to any other event (Events 8, 10-11, 13, 19, 23, 25-28)"
      return toIdle(s, cfg, now, { counter: 'inc', error: !isCease(e) });

    // ---- §8.2.2 OpenSent state ----------------------------------------------------------
    case 'OpenSent':
      switch (e.type) {
        case 'ManualStart':
        case 'ManualStart_with_PassiveTcpEstablishment':
        case 'IdleHoldTimer_Expires':
          return stay(s);
        case 'Tcp_CR_Acked':
        case 'TcpConnectionConfirmed':
          // "a second TCP session may be in progress. This second TCP session is tracked per
          // Connection Collision processing (Section 6.8) until an OPEN message is received."
          return stay(s);
        case 'ManualStop':
          return toIdle(s, cfg, now, { notify: cease(e.subcode, e.data), counter: 'zero', error: false, manual: true });
        case 'AutomaticStop':
          return toIdle(s, cfg, now, { notify: cease(e.subcode, e.data), counter: 'inc', error: true });
        case 'HoldTimer_Expires':
          return toIdle(s, cfg, now, { notify: notification(HOLD_TIMER_EXPIRED, 0), counter: 'inc', error: true });
        case 'TcpConnectionFails':
          // "closes the BGP connection, restarts the ConnectRetryTimer, continues to listen
          // for a connection ..., and changes its state to Active."
          return {
            state: { ...s, name: 'Active' },
            actions: [
              { type: 'dropTcp' }, stopTimer('HoldTimer'),
              ...(s.passive ? [] : [startTimer('ConnectRetryTimer', cfg.connectRetryTime)]),
            ],
          };
        case 'BGPOpen':
          return {
            state: { ...s, name: 'OpenConfirm', holdTime: e.holdTime, keepaliveTime: e.keepaliveTime },
            actions: [{ type: 'sendKeepalive' }, ...negotiatedTimers(e.holdTime, e.keepaliveTime)],
          };
        case 'BGPHeaderErr':
        case 'BGPOpenMsgErr':
          return toIdle(s, cfg, now, { notify: notification(e.code, e.subcode, e.data), counter: 'inc', error: true });
        case 'OpenCollisionDump':
          return toIdle(s, cfg, now, { notify: cease(CEASE_CONNECTION_COLLISION_RESOLUTION), counter: 'inc', error: false });
        case 'NotifMsgVerErr':
          return toIdle(s, cfg, now, { counter: 'keep', error: false });
        case 'NotifMsg':
          // Deviation: RFC sends FSM Error here; nobody answers a NOTIFICATION.
          return toIdle(s, cfg, now, { counter: 'inc', error: !isCease(e) });
        default:
          // "In response to any other event (Events 9, 11-14, 20, 25-28)": FSM Error.
          return toIdle(s, cfg, now, { notify: notification(FSM_ERROR, FSM_SUBCODE.OpenSent!), counter: 'inc', error: true });
      }

    // ---- §8.2.2 OpenConfirm state -------------------------------------------------------
    case 'OpenConfirm':
      switch (e.type) {
        case 'ManualStart':
        case 'ManualStart_with_PassiveTcpEstablishment':
        case 'IdleHoldTimer_Expires':
          return stay(s);
        case 'Tcp_CR_Acked':
        case 'TcpConnectionConfirmed':
          // "a second TCP session may be in progress. This second TCP session is tracked per
          // Connection Collision processing (Section 6.8) until an OPEN message is received."
          return stay(s);
        case 'ManualStop':
          return toIdle(s, cfg, now, { notify: cease(e.subcode, e.data), counter: 'zero', error: false, manual: true });
        case 'AutomaticStop':
          return toIdle(s, cfg, now, { notify: cease(e.subcode, e.data), counter: 'inc', error: true });
        case 'HoldTimer_Expires':
          return toIdle(s, cfg, now, { notify: notification(HOLD_TIMER_EXPIRED, 0), counter: 'inc', error: true });
        case 'KeepaliveTimer_Expires':
          return stay(s, { type: 'sendKeepalive' }, startTimer('KeepaliveTimer', s.keepaliveTime));
        case 'TcpConnectionFails':
        case 'NotifMsg':
          return toIdle(s, cfg, now, { counter: 'inc', error: e.type === 'NotifMsg' && !isCease(e) });
        case 'NotifMsgVerErr':
          return toIdle(s, cfg, now, { counter: 'keep', error: false });
        case 'BGPHeaderErr':
        case 'BGPOpenMsgErr':
          return toIdle(s, cfg, now, { notify: notification(e.code, e.subcode, e.data), counter: 'inc', error: true });
        case 'OpenCollisionDump':
          return toIdle(s, cfg, now, { notify: cease(CEASE_CONNECTION_COLLISION_RESOLUTION), counter: 'inc', error: false });
        case 'KeepAliveMsg':
          return {
            state: { ...s, name: 'Established' },
            actions: [...(s.holdTime > 0 ? [startTimer('HoldTimer', s.holdTime)] : []), { type: 'sessionUp' }],
          };
        default:
          // "In response to any other event (Events 9, 12-14, 20, 27-28)" — and a second
          // OPEN on this connection: FSM Error.
          return toIdle(s, cfg, now, { notify: notification(FSM_ERROR, FSM_SUBCODE.OpenConfirm!), counter: 'inc', error: true });
      }

    // ---- §8.2.2 Established state -------------------------------------------------------
    case 'Established':
      switch (e.type) {
        case 'ManualStart':
        case 'ManualStart_with_PassiveTcpEstablishment':
        case 'IdleHoldTimer_Expires':
          return stay(s);
        case 'Tcp_CR_Acked':
        case 'TcpConnectionConfirmed':
          // "a second TCP session may be in progress. This second TCP session is tracked per
          // Connection Collision processing (Section 6.8) until an OPEN message is received."
          return stay(s);
        case 'ManualStop':
          return toIdle(s, cfg, now, { notify: cease(e.subcode, e.data), counter: 'zero', error: false, manual: true });
        case 'AutomaticStop':
          return toIdle(s, cfg, now, { notify: cease(e.subcode, e.data), counter: 'inc', error: true });
        case 'HoldTimer_Expires':
          return toIdle(s, cfg, now, { notify: notification(HOLD_TIMER_EXPIRED, 0), counter: 'inc', error: true });
        case 'SendHoldTimer_Expires':
          // RFC 9687 §4: NOTIFICATION Send Hold Timer Expired (it may not get through), close.
          return toIdle(s, cfg, now, { notify: notification(SEND_HOLD_TIMER_EXPIRED, 0), counter: 'inc', error: true });
        case 'KeepaliveTimer_Expires':
          return s.keepaliveTime > 0
            ? stay(s, { type: 'sendKeepalive' }, startTimer('KeepaliveTimer', s.keepaliveTime))
            : stay(s);
        case 'OpenCollisionDump':
          return toIdle(s, cfg, now, { notify: cease(CEASE_CONNECTION_COLLISION_RESOLUTION), counter: 'inc', error: false });
        case 'TcpConnectionFails':
        case 'NotifMsgVerErr':
        case 'NotifMsg':
          return toIdle(s, cfg, now, { counter: 'inc', error: e.type === 'NotifMsg' && !isCease(e) });
        case 'KeepAliveMsg':
          return s.holdTime > 0 ? stay(s, startTimer('HoldTimer', s.holdTime)) : stay(s);
        case 'UpdateMsg':
          return s.holdTime > 0
            ? stay(s, { type: 'processUpdate' }, startTimer('HoldTimer', s.holdTime))
            : stay(s, { type: 'processUpdate' });
        case 'RouteRefreshMsg':
          return s.holdTime > 0
            ? stay(s, { type: 'processRouteRefresh' }, startTimer('HoldTimer', s.holdTime))
            : stay(s, { type: 'processRouteRefresh' });
        case 'UpdateMsgErr':
        case 'BGPHeaderErr':
        case 'BGPOpenMsgErr':
          return toIdle(s, cfg, now, { notify: notification(e.code, e.subcode, e.data), counter: 'inc', error: true });
        default:
          // "In response to any other event (Events 9, 12-13, 20-22)": FSM Error.
          return toIdle(s, cfg, now, { notify: notification(FSM_ERROR, FSM_SUBCODE.Established!), counter: 'inc', error: true });
      }
  }
}

/** Connect/Active + BGPOpen while DelayOpenTimer runs (Event 20) → OpenConfirm. */
function openWithDelayOpen(s: FsmState, holdTime: number, keepaliveTime: number): StepResult {
  return {
    state: { ...s, name: 'OpenConfirm', delayOpenRunning: false, holdTime, keepaliveTime },
    actions: [
      stopTimer('ConnectRetryTimer'), stopTimer('DelayOpenTimer'), { type: 'sendOpen' }, { type: 'sendKeepalive' },
      ...negotiatedTimers(holdTime, keepaliveTime),
    ],
  };
}

/** The FSM event for an error found while decoding a received message. */
export function errorEvent(code: number, subcode: number, data?: Uint8Array): FsmEvent {
  const f = data ? { code, subcode, data } : { code, subcode };
  if (code === 1) return { type: 'BGPHeaderErr', ...f };
  if (code === 2) return { type: 'BGPOpenMsgErr', ...f };
  return { type: 'UpdateMsgErr', ...f };
}

/** States in which the connection carries BGP messages (for collision detection, `show`). */
export const hasBgpConnection = (name: StateName): boolean =>
  name === 'OpenSent' || name === 'OpenConfirm' || name === 'Established';

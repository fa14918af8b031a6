// Table tests of the pure FSM against RFC 4271 §8.2.2: for every state and every event, the
// next state and the actions, with the RFC paragraph cited per group; then timer-driven
// sequences run on a ManualClock (no real sleeps). Deviations from the RFC text are the
// ones listed at the top of fsm.ts and are marked "deviation" here.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  step, INITIAL_FSM_STATE, errorEvent,
  type FsmAction, type FsmConfig, type FsmEvent, type FsmEventType, type FsmState, type StateName, type TimerName,
} from './fsm.js';
import { ManualClock, type TimerHandle } from '../clock.js';

const CFG: FsmConfig = {
  passive: false, connectRetryTime: 5, connectDelayTime: 0, delayOpenTime: 0,
  errorWaitTime: [5, 30], errorForgetTime: 300, openHoldTime: 240,
};

const EV = {
  ManualStart: { type: 'ManualStart' },
  ManualStop: { type: 'ManualStop' },
  Passive: { type: 'ManualStart_with_PassiveTcpEstablishment' },
  AutoStop: { type: 'AutomaticStop', subcode: 1 },
  CRT: { type: 'ConnectRetryTimer_Expires' },
  HoldT: { type: 'HoldTimer_Expires' },
  KaT: { type: 'KeepaliveTimer_Expires' },
  DelayOpenT: { type: 'DelayOpenTimer_Expires' },
  IdleHoldT: { type: 'IdleHoldTimer_Expires' },
  Acked: { type: 'Tcp_CR_Acked' },
  Confirmed: { type: 'TcpConnectionConfirmed' },
  Fails: { type: 'TcpConnectionFails' },
  Open: { type: 'BGPOpen', holdTime: 90, keepaliveTime: 30 },
  Open0: { type: 'BGPOpen', holdTime: 0, keepaliveTime: 0 },
  HeaderErr: { type: 'BGPHeaderErr', code: 1, subcode: 2, data: Uint8Array.of(0, 5) },
  OpenErr: { type: 'BGPOpenMsgErr', code: 2, subcode: 2, data: Uint8Array.of(0xfd, 0xe8) },
  Dump: { type: 'OpenCollisionDump' },
  VerErr: { type: 'NotifMsgVerErr' },
  Notif: { type: 'NotifMsg', code: 4, subcode: 0 },
  NotifCease: { type: 'NotifMsg', code: 6, subcode: 2 },
  Ka: { type: 'KeepAliveMsg' },
  Update: { type: 'UpdateMsg' },
  UpdErr: { type: 'UpdateMsgErr', code: 3, subcode: 1 },
  RR: { type: 'RouteRefreshMsg' },
  SendHoldT: { type: 'SendHoldTimer_Expires' },
} as const satisfies Record<string, FsmEvent>;
type Ev = keyof typeof EV;

// Action shorthands.
const start = (timer: TimerName, seconds: number): FsmAction => ({ type: 'startTimer', timer, seconds });
const stop = (timer: TimerName): FsmAction => ({ type: 'stopTimer', timer });
const notif = (code: number, subcode: number, data?: Uint8Array): FsmAction =>
  data ? { type: 'sendNotification', code, subcode, data } : { type: 'sendNotification', code, subcode };
const CONNECT: FsmAction = { type: 'connect' };
const DROP: FsmAction = { type: 'dropTcp' };
const OPEN: FsmAction = { type: 'sendOpen' };
const KA: FsmAction = { type: 'sendKeepalive' };
const STOPALL: FsmAction = { type: 'stopTimers' };
const UP: FsmAction = { type: 'sessionUp' };
const DOWN: FsmAction = { type: 'sessionDown' };
/** The "release resources, drop TCP, → Idle" tail with automatic restart after `wait` s. */
const idle = (wait: number, opts: { notify?: FsmAction; down?: boolean } = {}): FsmAction[] => [
  ...(opts.notify ? [opts.notify] : []), STOPALL, DROP, ...(opts.down ? [DOWN] : []), start('IdleHoldTimer', wait),
];

interface Row {
  readonly from: StateName;
  readonly with?: Partial<FsmState>;
  readonly cfg?: Partial<FsmConfig>;
  readonly ev: Ev;
  readonly to: StateName;
  readonly actions: readonly FsmAction[];
  /** Expected ConnectRetryCounter delta (default: not checked). */
  readonly counter?: number | 'zero';
}

const rows: Row[] = [];
const each = (evs: readonly Ev[], f: (ev: Ev) => Omit<Row, 'ev'>) => evs.forEach((ev) => rows.push({ ev, ...f(ev) }));
const ALL = Object.keys(EV) as Ev[];
const except = (...xs: Ev[]) => ALL.filter((e) => !xs.includes(e));

// ---- Idle state (§8.2.2 "Idle state") -------------------------------------------------
// "Upon a ManualStart event (Event 1), the local system: ... sets ConnectRetryCounter to
// zero, starts the ConnectRetryTimer with the initial value, initiates a TCP connection to
// the other BGP peer, listens for a connection ..., and changes its state to Connect."
rows.push({ from: 'Idle', with: { started: false }, ev: 'ManualStart', to: 'Connect', actions: [start('ConnectRetryTimer', 5), CONNECT], counter: 'zero' });
// BIRD `connect delay time`: wait in Active, the ConnectRetryTimer's expiry dials.
rows.push({ from: 'Idle', with: { started: false }, cfg: { connectDelayTime: 2 }, ev: 'ManualStart', to: 'Active', actions: [start('ConnectRetryTimer', 2)] });
// "Upon receiving a ManualStart_with_PassiveTcpEstablishment event (Event 4), ... changes
// its state to Active." (deviation: no ConnectRetryTimer, a passive session never dials)
rows.push({ from: 'Idle', with: { started: false }, ev: 'Passive', to: 'Active', actions: [] });
rows.push({ from: 'Idle', with: { started: false }, cfg: { passive: true }, ev: 'ManualStart', to: 'Active', actions: [] });
// §8.1.1 DampPeerOscillations: IdleHoldTimer expiry is the automatic start.
rows.push({ from: 'Idle', with: { started: true }, ev: 'IdleHoldT', to: 'Connect', actions: [start('ConnectRetryTimer', 5), CONNECT] });
rows.push({ from: 'Idle', with: { started: true, passive: true }, ev: 'IdleHoldT', to: 'Active', actions: [] });
rows.push({ from: 'Idle', with: { started: false }, ev: 'IdleHoldT', to: 'Idle', actions: [] });
// "The ManualStop event (Event 2) ... ignored in the Idle state." (also cancels a pending restart)
rows.push({ from: 'Idle', with: { started: true }, ev: 'ManualStop', to: 'Idle', actions: [stop('IdleHoldTimer')] });
rows.push({ from: 'Idle', with: { started: false }, ev: 'ManualStop', to: 'Idle', actions: [] });
// A connection reaching an Idle FSM is refused.
each(['Acked', 'Confirmed'], () => ({ from: 'Idle', to: 'Idle', actions: [DROP] }));
// "Any other event (Events 9-12, 15-28) received in the Idle state does not cause change in
// the state of the local system."
each(except('ManualStart', 'Passive', 'IdleHoldT', 'ManualStop', 'Acked', 'Confirmed'), () => ({ from: 'Idle', with: { started: true }, to: 'Idle', actions: [] }));

// ---- Connect state (§8.2.2 "Connect State") -------------------------------------------
const C = { from: 'Connect' as const, with: { started: true } };
// "In this state, BGP FSM is waiting for the TCP connection to be completed. The start
// events (Events 1, 3-7) are ignored."
each(['ManualStart', 'Passive', 'IdleHoldT'], () => ({ ...C, to: 'Connect', actions: [] }));
// "In response to a ManualStop event (Event 2), the local system: drops the TCP connection,
// releases all BGP resources, sets ConnectRetryCounter to zero, stops the ConnectRetryTimer
// and sets ConnectRetryTimer to zero, and changes its state to Idle."
rows.push({ ...C, ev: 'ManualStop', to: 'Idle', actions: [STOPALL, DROP], counter: 'zero' });
// "In response to the ConnectRetryTimer_Expires event (Event 9), the local system: drops the
// TCP connection, restarts the ConnectRetryTimer, stops the DelayOpenTimer and resets the
// timer to zero, initiates a TCP connection to the other BGP peer, continues to listen ...,
// and stays in the Connect state."
rows.push({ ...C, ev: 'CRT', to: 'Connect', actions: [DROP, start('ConnectRetryTimer', 5), CONNECT] });
rows.push({ ...C, with: { started: true, delayOpenRunning: true }, ev: 'CRT', to: 'Connect', actions: [DROP, stop('DelayOpenTimer'), start('ConnectRetryTimer', 5), CONNECT] });
// "If the DelayOpenTimer_Expires event (Event 12) occurs in the Connect state, the local
// system: sends an OPEN message to its peer, sets the HoldTimer to a large value, and
// changes its state to OpenSent."
rows.push({ ...C, with: { started: true, delayOpenRunning: true }, ev: 'DelayOpenT', to: 'OpenSent', actions: [OPEN, start('HoldTimer', 240)] });
// "If the TCP connection succeeds (Event 16 or Event 17), the local system checks the
// DelayOpen attribute prior to processing. If the DelayOpen attribute is set to TRUE, the
// local system: stops the ConnectRetryTimer (if running) and sets the ConnectRetryTimer to
// zero, sets the DelayOpenTimer to the initial value, and stays in the Connect state. If
// the DelayOpen attribute is set to FALSE, the local system: stops the ConnectRetryTimer
// (if running) and sets the ConnectRetryTimer to zero, completes BGP initialization, sends
// an OPEN message to its peer, sets the HoldTimer to a large value, and changes its state
// to OpenSent. A HoldTimer value of 4 minutes is suggested."
each(['Acked', 'Confirmed'], () => ({ ...C, to: 'OpenSent', actions: [stop('ConnectRetryTimer'), OPEN, start('HoldTimer', 240)] }));
each(['Acked', 'Confirmed'], () => ({ ...C, cfg: { delayOpenTime: 3 }, to: 'Connect', actions: [stop('ConnectRetryTimer'), start('DelayOpenTimer', 3)] }));
// "If the TCP connection fails (Event 18), the local system checks the DelayOpenTimer. If
// the DelayOpenTimer is running, the local system: restarts the ConnectRetryTimer with the
// initial value, stops the DelayOpenTimer and resets its value to zero, continues to listen
// ..., and changes its state to Active. If the DelayOpenTimer is not running, ... changes
// its state to Idle." (deviation: Active and retry in both cases)
rows.push({ ...C, with: { started: true, delayOpenRunning: true }, ev: 'Fails', to: 'Active', actions: [DROP, stop('DelayOpenTimer'), start('ConnectRetryTimer', 5)] });
rows.push({ ...C, ev: 'Fails', to: 'Active', actions: [DROP, start('ConnectRetryTimer', 5)] });
// "If an OPEN message is received while the DelayOpenTimer is running (Event 20), the local
// system: stops the ConnectRetryTimer (if running) ..., completes the BGP initialization,
// stops and clears the DelayOpenTimer, sends an OPEN message, sends a KEEPALIVE message,
// if the HoldTimer initial value is non-zero, starts the KeepaliveTimer with the initial
// value and resets the HoldTimer to the negotiated value, else, if the HoldTimer initial
// value is zero, resets the KeepaliveTimer and resets the HoldTimer value to zero, ... and
// changes its state to OpenConfirm."
rows.push({ ...C, with: { started: true, delayOpenRunning: true }, ev: 'Open', to: 'OpenConfirm', actions: [stop('ConnectRetryTimer'), stop('DelayOpenTimer'), OPEN, KA, start('KeepaliveTimer', 30), start('HoldTimer', 90)] });
rows.push({ ...C, with: { started: true, delayOpenRunning: true }, ev: 'Open0', to: 'OpenConfirm', actions: [stop('ConnectRetryTimer'), stop('DelayOpenTimer'), OPEN, KA, stop('KeepaliveTimer'), stop('HoldTimer')] });
// "If BGP message header checking (Event 21) or OPEN message checking detects an error
// (Event 22) ..., the local system: (optionally) sends a NOTIFICATION message with the
// appropriate error code, ... increments the ConnectRetryCounter by 1, (optionally)
// performs peer oscillation damping ..., and changes its state to Idle."
rows.push({ ...C, ev: 'HeaderErr', to: 'Idle', actions: idle(5, { notify: notif(1, 2, Uint8Array.of(0, 5)) }), counter: 1 });
rows.push({ ...C, ev: 'OpenErr', to: 'Idle', actions: idle(5, { notify: notif(2, 2, Uint8Array.of(0xfd, 0xe8)) }), counter: 1 });
// "If a NOTIFICATION message is received with a version error (Event 24), the local system
// checks the DelayOpenTimer. If the DelayOpenTimer is running, ... changes its state to
// Idle. If the DelayOpenTimer is not running, ... increments the ConnectRetryCounter by 1,
// performs peer oscillation damping ..., and changes its state to Idle."
rows.push({ ...C, with: { started: true, delayOpenRunning: true }, ev: 'VerErr', to: 'Idle', actions: idle(0), counter: 0 });
rows.push({ ...C, ev: 'VerErr', to: 'Idle', actions: idle(0), counter: 1 });
// "In response to any other events (Events 8, 10-11, 13, 19, 23, 25-28), the local system:
// ... drops the TCP connection, increments the ConnectRetryCounter by 1, performs peer
// oscillation damping ..., and changes its state to Idle." (a Cease does not grow the back-off)
each(['AutoStop', 'HoldT', 'KaT', 'Open', 'Open0', 'Dump', 'Notif', 'Ka', 'Update', 'UpdErr', 'RR', 'DelayOpenT'], () => ({ ...C, to: 'Idle', actions: idle(5), counter: 1 }));
rows.push({ ...C, ev: 'NotifCease', to: 'Idle', actions: idle(0), counter: 1 });

// ---- Active state (§8.2.2 "Active State") ---------------------------------------------
const A = { from: 'Active' as const, with: { started: true } };
// "The start events (Events 1, 3-7) are ignored in the Active state."
each(['ManualStart', 'Passive', 'IdleHoldT'], () => ({ ...A, to: 'Active', actions: [] }));
// "In response to a ManualStop event (Event 2), the local system: ... releases all BGP
// resources including stopping the DelayOpenTimer, drops the TCP connection, sets
// ConnectRetryCounter to zero, stops the ConnectRetryTimer ..., and changes its state to Idle."
rows.push({ ...A, ev: 'ManualStop', to: 'Idle', actions: [STOPALL, DROP], counter: 'zero' });
// "In response to a ConnectRetryTimer_Expires event (Event 9), the local system: restarts
// the ConnectRetryTimer (with initial value), initiates a TCP connection to the other BGP
// peer, continues to listen ..., and changes its state to Connect."
rows.push({ ...A, ev: 'CRT', to: 'Connect', actions: [start('ConnectRetryTimer', 5), CONNECT] });
rows.push({ ...A, with: { started: true, passive: true }, ev: 'CRT', to: 'Active', actions: [] }); // deviation: passive never dials
// "If the local system receives a DelayOpenTimer_Expires event (Event 12), the local system:
// sets the ConnectRetryTimer to zero, stops and clears the DelayOpenTimer ..., completes
// the BGP initialization, sends the OPEN message to its remote peer, sets its hold timer to
// a large value, and changes its state to OpenSent."
rows.push({ ...A, with: { started: true, delayOpenRunning: true }, ev: 'DelayOpenT', to: 'OpenSent', actions: [stop('ConnectRetryTimer'), OPEN, start('HoldTimer', 240)] });
// "If the local system receives a Tcp_CR_Acked event (Event 16) or a TcpConnectionConfirmed
// event (Event 17), the local system processes the TCP connection flags [as in Connect]."
each(['Acked', 'Confirmed'], () => ({ ...A, to: 'OpenSent', actions: [stop('ConnectRetryTimer'), OPEN, start('HoldTimer', 240)] }));
each(['Acked', 'Confirmed'], () => ({ ...A, cfg: { delayOpenTime: 3 }, to: 'Active', actions: [stop('ConnectRetryTimer'), start('DelayOpenTimer', 3)] }));
// "If the local system receives a TcpConnectionFails event (Event 18), the local system:
// restarts the ConnectRetryTimer ..., stops and clears the DelayOpenTimer ..., releases all
// BGP resource, increments the ConnectRetryCounter by 1, ... changes its state to Idle."
rows.push({ ...A, with: { started: true, delayOpenRunning: true }, ev: 'Fails', to: 'Idle', actions: idle(0), counter: 1 });
// "If an OPEN message is received and the DelayOpenTimer is running (Event 20), ... changes
// its state to OpenConfirm." (same actions as in Connect)
rows.push({ ...A, with: { started: true, delayOpenRunning: true }, ev: 'Open', to: 'OpenConfirm', actions: [stop('ConnectRetryTimer'), stop('DelayOpenTimer'), OPEN, KA, start('KeepaliveTimer', 30), start('HoldTimer', 90)] });
// "If BGP message header checking (Event 21) or OPEN message checking detects an error
// (Event 22), the local system: (optionally) sends a NOTIFICATION ..., changes its state to Idle."
rows.push({ ...A, ev: 'HeaderErr', to: 'Idle', actions: idle(5, { notify: notif(1, 2, Uint8Array.of(0, 5)) }), counter: 1 });
rows.push({ ...A, ev: 'OpenErr', to: 'Idle', actions: idle(5, { notify: notif(2, 2, Uint8Array.of(0xfd, 0xe8)) }), counter: 1 });
// "If a NOTIFICATION message is received with a version error (Event 24), ..." (as Connect)
rows.push({ ...A, with: { started: true, delayOpenRunning: true }, ev: 'VerErr', to: 'Idle', actions: idle(0), counter: 0 });
rows.push({ ...A, ev: 'VerErr', to: 'Idle', actions: idle(0), counter: 1 });
// "In response to any other event (Events 8, 10-11, 13, 19, 23, 25-28), the local system:
// sets the ConnectRetryTimer to zero, releases all BGP resources, drops the TCP connection,
// increments the ConnectRetryCounter by one, ... changes its state to Idle."
each(['AutoStop', 'HoldT', 'KaT', 'Open', 'Open0', 'Dump', 'Notif', 'Ka', 'Update', 'UpdErr', 'RR', 'DelayOpenT'], () => ({ ...A, to: 'Idle', actions: idle(5), counter: 1 }));
rows.push({ ...A, ev: 'NotifCease', to: 'Idle', actions: idle(0), counter: 1 });
rows.push({ ...A, ev: 'Fails', to: 'Idle', actions: idle(0), counter: 1 });

// ---- OpenSent state (§8.2.2 "OpenSent") -----------------------------------------------
const OS = { from: 'OpenSent' as const, with: { started: true } };
// "The start events (Events 1, 3-7) are ignored in the OpenSent state."
each(['ManualStart', 'Passive', 'IdleHoldT'], () => ({ ...OS, to: 'OpenSent', actions: [] }));
// "If a ManualStop event (Event 2) is issued in the OpenSent state, the local system: sends
// the NOTIFICATION with a Cease, sets the ConnectRetryTimer to zero, releases all BGP
// resources, drops the TCP connection, sets the ConnectRetryCounter to zero, and changes
// its state to Idle."
rows.push({ ...OS, ev: 'ManualStop', to: 'Idle', actions: [notif(6, 2), STOPALL, DROP], counter: 'zero' });
// "If an AutomaticStop event (Event 8) is issued ..., the local system: sends the
// NOTIFICATION with a Cease, ... increments the ConnectRetryCounter by 1, ... Idle."
rows.push({ ...OS, ev: 'AutoStop', to: 'Idle', actions: idle(5, { notify: notif(6, 1) }), counter: 1 });
// "If the HoldTimer_Expires (Event 10), the local system: sends a NOTIFICATION message with
// the error code Hold Timer Expired, ... increments the ConnectRetryCounter, ... Idle."
rows.push({ ...OS, ev: 'HoldT', to: 'Idle', actions: idle(5, { notify: notif(4, 0) }), counter: 1 });
// "If a TcpConnection_Valid (Event 14), Tcp_CR_Acked (Event 16), or a TcpConnectionConfirmed
// event (Event 17) is received, a second TCP session may be in progress. This second TCP
// session is tracked per Connection Collision processing (Section 6.8) until an OPEN message
// is received." (the session runs a second FSM for it; this one does not change)
each(['Acked', 'Confirmed'], () => ({ ...OS, to: 'OpenSent', actions: [] }));
// "If a TcpConnectionFails event (Event 18) is received, the local system: closes the BGP
// connection, restarts the ConnectRetryTimer, continues to listen ..., and changes its state
// to Active."
rows.push({ ...OS, ev: 'Fails', to: 'Active', actions: [DROP, stop('HoldTimer'), start('ConnectRetryTimer', 5)] });
rows.push({ ...OS, with: { started: true, passive: true }, ev: 'Fails', to: 'Active', actions: [DROP, stop('HoldTimer')] });
// "When an OPEN message is received, all fields are checked for correctness. If there are no
// errors in the OPEN message (Event 19), the local system: resets the DelayOpenTimer to zero,
// sets the BGP ConnectRetryTimer to zero, sends a KEEPALIVE message, and sets a
// KeepaliveTimer ..., sets the HoldTimer according to the negotiated value ..., changes its
// state to OpenConfirm." "If the negotiated hold time value is zero, then the HoldTimer and
// KeepaliveTimer are not started."
rows.push({ ...OS, ev: 'Open', to: 'OpenConfirm', actions: [KA, start('KeepaliveTimer', 30), start('HoldTimer', 90)] });
rows.push({ ...OS, ev: 'Open0', to: 'OpenConfirm', actions: [KA, stop('KeepaliveTimer'), stop('HoldTimer')] });
// "If the BGP message header checking (Event 21) or OPEN message checking detects an error
// (Event 22) ..., the local system: sends a NOTIFICATION message with the appropriate error
// code, ... increments the ConnectRetryCounter by 1, ... Idle."
rows.push({ ...OS, ev: 'HeaderErr', to: 'Idle', actions: idle(5, { notify: notif(1, 2, Uint8Array.of(0, 5)) }), counter: 1 });
rows.push({ ...OS, ev: 'OpenErr', to: 'Idle', actions: idle(5, { notify: notif(2, 2, Uint8Array.of(0xfd, 0xe8)) }), counter: 1 });
// "If a connection in the OpenSent state is determined to be the connection that must be
// closed, an OpenCollisionDump (Event 23) is signaled ... sends a NOTIFICATION with a Cease,
// ... increments the ConnectRetryCounter by 1, ... Idle." (RFC 4486 subcode 7)
rows.push({ ...OS, ev: 'Dump', to: 'Idle', actions: idle(0, { notify: notif(6, 7) }), counter: 1 });
// "If a NOTIFICATION message is received with a version error (Event 24), the local system:
// sets the ConnectRetryTimer to zero, releases all BGP resources, drops the TCP connection,
// and changes its state to Idle."
rows.push({ ...OS, ev: 'VerErr', to: 'Idle', actions: idle(0), counter: 0 });
// Event 25 is among the "other events" below in the RFC; deviation: no NOTIFICATION is sent
// in reply to a NOTIFICATION.
rows.push({ ...OS, ev: 'Notif', to: 'Idle', actions: idle(5), counter: 1 });
rows.push({ ...OS, ev: 'NotifCease', to: 'Idle', actions: idle(0), counter: 1 });
// "In response to any other event (Events 9, 11-14, 20, 25-28), the local system: sends the
// NOTIFICATION with the Error Code Finite State Machine Error, ... Idle." (RFC 6608 subcode 1)
each(['CRT', 'KaT', 'DelayOpenT', 'Ka', 'Update', 'UpdErr', 'RR'], () => ({ ...OS, to: 'Idle', actions: idle(5, { notify: notif(5, 1) }), counter: 1 }));

// ---- OpenConfirm state (§8.2.2 "OpenConfirm State") ------------------------------------
const OC = { from: 'OpenConfirm' as const, with: { started: true, holdTime: 90, keepaliveTime: 30 } };
// "Any start event (Events 1, 3-7) is ignored in the OpenConfirm state."
each(['ManualStart', 'Passive', 'IdleHoldT'], () => ({ ...OC, to: 'OpenConfirm', actions: [] }));
// "In response to a ManualStop event (Event 2) initiated by the operator, the local system:
// sends the NOTIFICATION message with a Cease, ... sets the ConnectRetryCounter to zero, ..."
rows.push({ ...OC, ev: 'ManualStop', to: 'Idle', actions: [notif(6, 2), STOPALL, DROP], counter: 'zero' });
// "In response to the AutomaticStop event initiated by the system (Event 8), the local
// system: sends the NOTIFICATION message with a Cease, ... increments the ConnectRetryCounter"
rows.push({ ...OC, ev: 'AutoStop', to: 'Idle', actions: idle(5, { notify: notif(6, 1) }), counter: 1 });
// "If the HoldTimer_Expires event (Event 10) occurs before a KEEPALIVE message is received,
// the local system: sends the NOTIFICATION message with the Error Code Hold Timer Expired"
rows.push({ ...OC, ev: 'HoldT', to: 'Idle', actions: idle(5, { notify: notif(4, 0) }), counter: 1 });
// "If the local system receives a KeepaliveTimer_Expires event (Event 11), the local system:
// sends a KEEPALIVE message, restarts the KeepaliveTimer, and remains in the OpenConfirmed state."
rows.push({ ...OC, ev: 'KaT', to: 'OpenConfirm', actions: [KA, start('KeepaliveTimer', 30)] });
// "In the event of a TcpConnection_Valid event (Event 14), or the success of a TCP
// connection (Event 16 or Event 17) while in OpenConfirm, the local system needs to track
// the second connection."
each(['Acked', 'Confirmed'], () => ({ ...OC, to: 'OpenConfirm', actions: [] }));
// "If the local system receives a TcpConnectionFails event (Event 18) from the underlying
// TCP or a NOTIFICATION message (Event 25), the local system: ... increments the
// ConnectRetryCounter by 1, ... Idle."
rows.push({ ...OC, ev: 'Fails', to: 'Idle', actions: idle(0), counter: 1 });
rows.push({ ...OC, ev: 'Notif', to: 'Idle', actions: idle(5), counter: 1 });
rows.push({ ...OC, ev: 'NotifCease', to: 'Idle', actions: idle(0), counter: 1 });
// "If the local system receives a NOTIFICATION message with a version error
// (NotifMsgVerErr (Event 24)), the local system: ... drops the TCP connection, and changes
// its state to Idle."
rows.push({ ...OC, ev: 'VerErr', to: 'Idle', actions: idle(0), counter: 0 });
// "If an OPEN message is received, all fields are checked for correctness. If the BGP
// message header checking (BGPHeaderErr (Event 21)) or OPEN message checking detects an
// error (BGPOpenMsgErr (Event 22)), the local system: sends a NOTIFICATION message with the
// appropriate error code, ... increments the ConnectRetryCounter by 1, ... Idle."
rows.push({ ...OC, ev: 'HeaderErr', to: 'Idle', actions: idle(5, { notify: notif(1, 2, Uint8Array.of(0, 5)) }), counter: 1 });
rows.push({ ...OC, ev: 'OpenErr', to: 'Idle', actions: idle(5, { notify: notif(2, 2, Uint8Array.of(0xfd, 0xe8)) }), counter: 1 });
// "If the local system receives a valid OPEN message (BGPOpen (Event 19)), the collision
// detect function is processed per Section 6.8. If this connection is to be dropped due to
// connection collision, the local system: sends a NOTIFICATION with a Cease, ... Idle."
rows.push({ ...OC, ev: 'Dump', to: 'Idle', actions: idle(0, { notify: notif(6, 7) }), counter: 1 });
// "If the local system receives a KEEPALIVE message (KeepAliveMsg (Event 26)), the local
// system: restarts the HoldTimer and changes its state to Established."
rows.push({ ...OC, ev: 'Ka', to: 'Established', actions: [start('HoldTimer', 90), UP] });
rows.push({ ...OC, with: { started: true, holdTime: 0, keepaliveTime: 0 }, ev: 'Ka', to: 'Established', actions: [UP] });
// "In response to any other event (Events 9, 12-13, 20, 27-28), the local system: sends a
// NOTIFICATION with a code of Finite State Machine Error, ... Idle." (RFC 6608 subcode 2;
// a second OPEN on the same connection is such an event)
each(['CRT', 'DelayOpenT', 'Open', 'Open0', 'Update', 'UpdErr', 'RR'], () => ({ ...OC, to: 'Idle', actions: idle(5, { notify: notif(5, 2) }), counter: 1 }));

// ---- Established state (§8.2.2 "Established State") -----------------------------------
const E = { from: 'Established' as const, with: { started: true, holdTime: 90, keepaliveTime: 30 } };
// "Any Start event (Events 1, 3-7) is ignored in the Established state."
each(['ManualStart', 'Passive', 'IdleHoldT'], () => ({ ...E, to: 'Established', actions: [] }));
// "In response to a ManualStop event (initiated by an operator) (Event 2), the local system:
// sends the NOTIFICATION message with a Cease, ... deletes all routes associated with this
// connection, ... sets the ConnectRetryCounter to zero, and changes its state to Idle."
rows.push({ ...E, ev: 'ManualStop', to: 'Idle', actions: [notif(6, 2), STOPALL, DROP, DOWN], counter: 'zero' });
// "In response to an AutomaticStop event (Event 8), the local system: sends a NOTIFICATION
// with a Cease, ... deletes all routes ..., increments the ConnectRetryCounter by 1, ..."
rows.push({ ...E, ev: 'AutoStop', to: 'Idle', actions: idle(5, { notify: notif(6, 1), down: true }), counter: 1 });
// "If the HoldTimer_Expires event occurs (Event 10), the local system: sends a NOTIFICATION
// message with the Error Code Hold Timer Expired, ... increments the ConnectRetryCounter by 1"
rows.push({ ...E, ev: 'HoldT', to: 'Idle', actions: idle(5, { notify: notif(4, 0), down: true }), counter: 1 });
// RFC 9687 §4: "If the SendHoldTimer_Expires event occurs, the local system: ... sends a
// NOTIFICATION message with the Error Code Send Hold Timer Expired ..., releases all BGP
// resources, drops the TCP connection, increments the ConnectRetryCounter by 1 ... Idle."
rows.push({ ...E, ev: 'SendHoldT', to: 'Idle', actions: idle(5, { notify: notif(8, 0), down: true }), counter: 1 });
// The timer runs in Established only: a late expiry elsewhere changes nothing.
for (const X of [C, A, OS, OC]) rows.push({ ...X, ev: 'SendHoldT', to: X.from, actions: [] });
// "If the KeepaliveTimer_Expires event occurs (Event 11), the local system: sends a
// KEEPALIVE message, and restarts its KeepaliveTimer, unless the negotiated HoldTime value is zero."
rows.push({ ...E, ev: 'KaT', to: 'Established', actions: [KA, start('KeepaliveTimer', 30)] });
// "Each time the local system receives a KEEPALIVE message, it restarts its HoldTimer,
// unless the negotiated HoldTime value is zero."
rows.push({ ...E, ev: 'Ka', to: 'Established', actions: [start('HoldTimer', 90)] });
rows.push({ ...E, with: { started: true, holdTime: 0, keepaliveTime: 0 }, ev: 'Ka', to: 'Established', actions: [] });
// "A TcpConnection_Valid (Event 14), Tcp_CR_Acked (Event 16), or a TcpConnectionConfirmed
// event (Event 17) received in the Established state will cause the second connection to be
// tracked."
each(['Acked', 'Confirmed'], () => ({ ...E, to: 'Established', actions: [] }));
// "If the local system receives a valid OPEN message (BGPOpen (Event 19)) [on the second
// connection] ... If the connection is to be dropped (OpenCollisionDump (Event 23)), the
// local system: sends a NOTIFICATION with a Cease, ... deletes all routes ..., Idle."
rows.push({ ...E, ev: 'Dump', to: 'Idle', actions: idle(0, { notify: notif(6, 7), down: true }), counter: 1 });
// "If the local system receives a NOTIFICATION message (Event 24 or Event 25) or a
// TcpConnectionFails (Event 18) from the underlying TCP, the local system: ... deletes all
// routes ..., increments the ConnectRetryCounter by 1, ... Idle."
rows.push({ ...E, ev: 'Fails', to: 'Idle', actions: idle(0, { down: true }), counter: 1 });
rows.push({ ...E, ev: 'VerErr', to: 'Idle', actions: idle(0, { down: true }), counter: 1 });
rows.push({ ...E, ev: 'Notif', to: 'Idle', actions: idle(5, { down: true }), counter: 1 });
rows.push({ ...E, ev: 'NotifCease', to: 'Idle', actions: idle(0, { down: true }), counter: 1 });
// "If the local system receives an UPDATE message (Event 27), the local system: processes the
// message, restarts its HoldTimer, if the negotiated HoldTime value is non-zero, and remains
// in the Established state." (ROUTE-REFRESH, RFC 2918, the same way)
rows.push({ ...E, ev: 'Update', to: 'Established', actions: [{ type: 'processUpdate' }, start('HoldTimer', 90)] });
rows.push({ ...E, with: { started: true, holdTime: 0, keepaliveTime: 0 }, ev: 'Update', to: 'Established', actions: [{ type: 'processUpdate' }] });
rows.push({ ...E, ev: 'RR', to: 'Established', actions: [{ type: 'processRouteRefresh' }, start('HoldTimer', 90)] });
// "If the local system receives an UPDATE message, and the UPDATE message error handling
// procedure (see Section 6.3) detects an error (Event 28), the local system: sends a
// NOTIFICATION message with an Update error, ... deletes all routes ..., Idle."
rows.push({ ...E, ev: 'UpdErr', to: 'Idle', actions: idle(5, { notify: notif(3, 1), down: true }), counter: 1 });
// Deviation: header and OPEN errors (Events 21-22) report their own code (§6.1, §6.2).
rows.push({ ...E, ev: 'HeaderErr', to: 'Idle', actions: idle(5, { notify: notif(1, 2, Uint8Array.of(0, 5)), down: true }), counter: 1 });
rows.push({ ...E, ev: 'OpenErr', to: 'Idle', actions: idle(5, { notify: notif(2, 2, Uint8Array.of(0xfd, 0xe8)), down: true }), counter: 1 });
// "In response to any other event (Events 9, 12-13, 20-22), the local system: sends a
// NOTIFICATION message with the Error Code Finite State Machine Error, deletes all routes
// ..., Idle." (RFC 6608 subcode 3)
each(['CRT', 'DelayOpenT', 'Open', 'Open0'], () => ({ ...E, to: 'Idle', actions: idle(5, { notify: notif(5, 3), down: true }), counter: 1 }));

describe('RFC 4271 §8.2.2 transition table', () => {
  const base: FsmState = { ...INITIAL_FSM_STATE, connectRetryCounter: 3 };
  for (const r of rows) {
    const cfgText = r.cfg ? ` cfg ${JSON.stringify(r.cfg)}` : '';
    const withText = r.with ? ` ${JSON.stringify(r.with)}` : '';
    test(`${r.from}${withText} + ${r.ev}${cfgText} → ${r.to}`, () => {
      const s: FsmState = { ...base, name: r.from, ...r.with };
      const out = step(s, EV[r.ev], { ...CFG, ...r.cfg }, 1_000_000);
      assert.equal(out.state.name, r.to);
      assert.deepEqual(out.actions, r.actions);
      if (r.counter === 'zero') assert.equal(out.state.connectRetryCounter, 0);
      else if (r.counter !== undefined) assert.equal(out.state.connectRetryCounter, 3 + r.counter);
      if (r.ev === 'ManualStop') assert.equal(out.state.started, false, 'ManualStop disables automatic restart');
    });
  }

  test('every state × every event has at least one row', () => {
    const states: StateName[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];
    const missing: string[] = [];
    const eventTypes = new Set<FsmEventType>(ALL.map((e) => EV[e].type));
    for (const st of states) {
      for (const et of eventTypes) {
        if (!rows.some((r) => r.from === st && EV[r.ev].type === et)) missing.push(`${st} × ${et}`);
      }
    }
    assert.deepEqual(missing, []);
    assert.equal(eventTypes.size, 23); // Events 1, 2, 4, 8-13, 16-28 (19 and 20 share BGPOpen) + RouteRefreshMsg + SendHoldTimer_Expires (RFC 9687)
  });
});

// ---- Timer-driven rows on a ManualClock ------------------------------------------------

/** Runs the FSM the way the session does: timers on a ManualClock feed expiry events back. */
class Driver {
  state: FsmState = INITIAL_FSM_STATE;
  readonly clock = new ManualClock();
  readonly out: FsmAction[] = [];
  private timers = new Map<TimerName, TimerHandle>();
  constructor(readonly cfg: FsmConfig) {}

  feed(e: FsmEvent): void {
    const r = step(this.state, e, this.cfg, this.clock.now());
    this.state = r.state;
    for (const a of r.actions) {
      this.out.push(a);
      if (a.type === 'startTimer') {
        this.clear(a.timer);
        const timer = a.timer;
        this.timers.set(timer, this.clock.setTimer(a.seconds * 1000, () => {
          this.timers.delete(timer);
          this.feed({ type: `${timer}_Expires` } as FsmEvent);
        }));
      } else if (a.type === 'stopTimer') this.clear(a.timer);
      else if (a.type === 'stopTimers') {
        for (const t of ['ConnectRetryTimer', 'HoldTimer', 'KeepaliveTimer', 'DelayOpenTimer'] as const) this.clear(t);
      }
    }
  }
  private clear(t: TimerName) {
    const h = this.timers.get(t);
    if (h) this.clock.clearTimer(h);
    this.timers.delete(t);
  }
  count(type: FsmAction['type']): number {
    return this.out.filter((a) => a.type === type).length;
  }
  armed(t: TimerName): boolean {
    return this.timers.has(t);
  }
}

describe('timer-driven sequences (ManualClock)', () => {
  test('connect delay, refused connect retried after connect retry time (§8.2.2 Active, Connect)', () => {
    const d = new Driver({ ...CFG, connectDelayTime: 2 });
    d.feed(EV.ManualStart);
    assert.equal(d.state.name, 'Active');
    d.clock.advance(1999);
    assert.equal(d.count('connect'), 0);
    d.clock.advance(1);
    assert.equal(d.state.name, 'Connect');
    assert.equal(d.count('connect'), 1);
    d.feed(EV.Fails);
    assert.equal(d.state.name, 'Active');
    d.clock.advance(4999);
    assert.equal(d.count('connect'), 1);
    d.clock.advance(1);
    assert.equal(d.state.name, 'Connect');
    assert.equal(d.count('connect'), 2);
    // A connect that hangs is abandoned and retried when the ConnectRetryTimer fires.
    d.clock.advance(5000);
    assert.equal(d.state.name, 'Connect');
    assert.equal(d.count('connect'), 3);
    assert.equal(d.count('dropTcp'), 2);
  });

  test('OpenSent HoldTimer of 4 minutes expires → 4/0, automatic restart after error wait', () => {
    const d = new Driver(CFG);
    d.feed(EV.ManualStart);
    d.feed(EV.Acked);
    assert.equal(d.state.name, 'OpenSent');
    d.clock.advance(239_999);
    assert.equal(d.state.name, 'OpenSent');
    d.clock.advance(1);
    assert.equal(d.state.name, 'Idle');
    assert.deepEqual(d.out.find((a) => a.type === 'sendNotification'), notif(4, 0));
    assert.ok(d.armed('IdleHoldTimer'));
    d.clock.advance(4999);
    assert.equal(d.state.name, 'Idle');
    d.clock.advance(1);
    assert.equal(d.state.name, 'Connect');
    assert.equal(d.count('connect'), 2);
  });

  test('Established: keepalives every keepalive time, HoldTimer reset by KEEPALIVE, expiry when silent', () => {
    const d = new Driver(CFG);
    d.feed(EV.ManualStart);
    d.feed(EV.Acked);
    d.feed(EV.Open); // hold 90, keepalive 30
    d.feed(EV.Ka);
    assert.equal(d.state.name, 'Established');
    const kaBefore = d.count('sendKeepalive');
    for (let i = 0; i < 6; i++) {
      d.clock.advance(30_000);
      d.feed(EV.Ka); // the peer's keepalive
    }
    assert.equal(d.state.name, 'Established');
    assert.equal(d.count('sendKeepalive') - kaBefore, 6);
    d.clock.advance(89_999);
    assert.equal(d.state.name, 'Established');
    d.clock.advance(1);
    assert.equal(d.state.name, 'Idle');
    assert.ok(d.out.some((a) => a.type === 'sendNotification' && a.code === 4));
    assert.equal(d.count('sessionDown'), 1);
  });

  test('hold time 0: no HoldTimer, no KeepaliveTimer (§4.2, §8.2.2 OpenSent)', () => {
    const d = new Driver(CFG);
    d.feed(EV.ManualStart);
    d.feed(EV.Acked);
    d.feed(EV.Open0);
    d.feed(EV.Ka);
    assert.equal(d.state.name, 'Established');
    assert.ok(!d.armed('HoldTimer') && !d.armed('KeepaliveTimer'));
    const ka = d.count('sendKeepalive');
    d.clock.advance(10 * 3600_000);
    assert.equal(d.state.name, 'Established');
    assert.equal(d.count('sendKeepalive'), ka);
  });

  test('DelayOpen: OPEN sent only when the DelayOpenTimer expires (§8.2.2 Active, Event 12)', () => {
    const d = new Driver({ ...CFG, delayOpenTime: 3, connectDelayTime: 0 });
    d.feed(EV.Passive);
    d.feed(EV.Confirmed);
    assert.equal(d.state.name, 'Active');
    assert.equal(d.count('sendOpen'), 0);
    d.clock.advance(2999);
    assert.equal(d.count('sendOpen'), 0);
    d.clock.advance(1);
    assert.equal(d.state.name, 'OpenSent');
    assert.equal(d.count('sendOpen'), 1);
  });

  test('DelayOpen: an OPEN arriving first answers with OPEN + KEEPALIVE (Event 20)', () => {
    const d = new Driver({ ...CFG, delayOpenTime: 3 });
    d.feed(EV.Passive);
    d.feed(EV.Confirmed);
    d.clock.advance(1000);
    d.feed(EV.Open);
    assert.equal(d.state.name, 'OpenConfirm');
    assert.ok(!d.armed('DelayOpenTimer'));
    d.clock.advance(5000); // the stopped DelayOpenTimer must not fire
    assert.equal(d.state.name, 'OpenConfirm');
    assert.equal(d.count('sendOpen'), 1);
  });

  test('error wait time back-off: min, doubled to max, forgotten after error forget time', () => {
    const d = new Driver(CFG);
    d.feed(EV.ManualStart);
    const waits: number[] = [];
    const fail = () => {
      d.feed(EV.Acked);
      d.feed(EV.HoldT); // OpenSent hold expiry = an error
      const a = d.out.filter((x) => x.type === 'startTimer' && x.timer === 'IdleHoldTimer').at(-1);
      assert.ok(a && a.type === 'startTimer');
      waits.push(a.seconds);
      d.clock.advance(a.seconds * 1000);
      assert.equal(d.state.name, 'Connect');
    };
    for (let i = 0; i < 5; i++) fail();
    assert.deepEqual(waits, [5, 10, 20, 30, 30]);
    d.clock.advance(300_000);
    fail();
    assert.equal(waits.at(-1), 5);
    // A Cease from the peer restarts without growing the wait.
    d.feed(EV.Acked);
    d.feed(EV.Open);
    d.feed(EV.Ka);
    d.feed(EV.NotifCease);
    const last = d.out.filter((x) => x.type === 'startTimer' && x.timer === 'IdleHoldTimer').at(-1);
    assert.deepEqual(last, start('IdleHoldTimer', 5));
  });

  test('ManualStop in Idle cancels the pending automatic restart', () => {
    const d = new Driver(CFG);
    d.feed(EV.ManualStart);
    d.feed(EV.Acked);
    d.feed(EV.HoldT);
    assert.ok(d.armed('IdleHoldTimer'));
    d.feed(EV.ManualStop);
    assert.ok(!d.armed('IdleHoldTimer'));
    d.clock.advance(3600_000);
    assert.equal(d.state.name, 'Idle');
    assert.equal(d.count('connect'), 1);
  });
});

test('errorEvent maps decode errors to the RFC events', () => {
  assert.equal(errorEvent(1, 2).type, 'BGPHeaderErr');
  assert.equal(errorEvent(2, 6).type, 'BGPOpenMsgErr');
  assert.equal(errorEvent(3, 1).type, 'UpdateMsgErr');
  assert.deepEqual(errorEvent(7, 1, Uint8Array.of(1)), { type: 'UpdateMsgErr', code: 7, subcode: 1, data: Uint8Array.of(1) });
});

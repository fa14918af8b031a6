// Four BIRD 1.6 `protocol bgp` options that the configuration parsed and the daemon used to
// ignore, plus `capabilities off` beside them (BIRD 1.6 proto/bgp/packets.c bgp_create_open,
// bgp_parse_capabilities, bgp_rx_open, bgp_rx_notification; bgp.c bgp_send_open,
// bgp_update_startup_delay, bgp_error):
//   enable as4 off       no 4-octet AS capability (RFC 6793), a 2-octet session, AS_TRANS in
//                        My Autonomous System for a 4-octet local AS;
//   advertise ipv4 off   no MP capability for IPv4 unicast (implicit IPv4, RFC 4760 §8);
//   capabilities off     an OPEN without optional parameters, the peer's capabilities ignored;
//   startup hold time N  the HoldTimer in OpenSent (0: none);
//   disable after error  an error (a NOTIFICATION other than Cease either way) leaves the
//                        protocol down until `enable`, `show protocols` says down + the error.
// Layers: buildOpen / negotiate and the FSM as pure functions; sessionConfigFor from parsed
// configuration text, with the printer's round trip; Wren sessions from that configuration
// over loopback against a raw-socket peer that decodes Wren's OPEN (127.0.0.1 ↔ 127.0.0.2);
// an in-process Daemon with its control socket for disable after error and `enable`.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText, printConfig } from '../../conf/index.js';
import type { BgpProtocolConfig } from '../../conf/model.js';
import { buildOpen, negotiate, type LocalSpeaker } from '../../src/bgp/negotiate.js';
import { step, DEFAULT_FSM_CONFIG, INITIAL_FSM_STATE, type FsmConfig, type FsmEvent, type FsmState, type StateName } from '../../src/bgp/fsm.js';
import { Session, type SessionConfig } from '../../src/bgp/session.js';
import { Listener } from '../../src/bgp/listener.js';
import { BgpProtocol, sessionConfigFor } from '../../src/bgp/protocol.js';
import { BgpError } from '../../src/bgp/errors.js';
import {
  AS_TRANS, AsPathSegmentType, CapabilityCode, DEFAULT_CODEC_CONTEXT, MessageType, Origin,
  encodeKeepalive, encodeNotification, encodeOpen, encodeUpdate,
  type Capability, type OpenMessage, type UpdateMessage,
} from '../../src/bgp/codec/index.js';
import { IPV4_UNICAST, IPV6_UNICAST, Afi } from '../../src/rib/prefix.js';
import { ManualClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon.js';
import { DaemonControlSource } from '../../src/control/daemon-source.js';
import { ControlServer } from '../../src/control/server.js';
import { controlCommand } from '../helpers/wrend.js';
import { nullLogger } from '../../src/log.js';
import { until } from '../helpers/poll.js';
import { RawPeer } from '../helpers/raw-peer.js';

const ID = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const WREN_ADDR = '127.0.0.1';
const PEER_ADDR = '127.0.0.2';
const codes = (caps: readonly Capability[]) => caps.map((c) => c.code);

// ---- configuration → SessionConfig ----------------------------------------------------------

const quiet = { print: () => {} };
const bgpConf = (body: string, local = 65000, neighborAs = 65001): BgpProtocolConfig =>
  parseConfigText(
    `router id 192.0.2.1;\nprotocol bgp p {\n  local as ${local};\n  neighbor ${PEER_ADDR} as ${neighborAs};\n${body}\n}\n`,
    'bird.conf',
    quiet,
  ).protocols[0] as BgpProtocolConfig;

describe('configuration: the options reach the session', () => {
  test('defaults: as4 on, ipv4 advertised, capabilities not set (on, retried without), startup hold 240, no disable after error', () => {
    const sc = sessionConfigFor(bgpConf(''), ID(192, 0, 2, 1), false);
    assert.deepEqual(
      [sc.enableAs4, sc.advertiseIpv4, sc.capabilities, sc.startupHoldTime, sc.disableAfterError],
      [true, true, undefined, 240, false],
    );
    assert.equal(sessionConfigFor(bgpConf('capabilities on;'), ID(192, 0, 2, 1), false).capabilities, true);
  });

  test('set: enable as4 off, advertise ipv4 off, capabilities off, startup hold time 17, disable after error on', () => {
    const text = 'enable as4 off; advertise ipv4 off; capabilities off; startup hold time 17; disable after error on;';
    const sc = sessionConfigFor(bgpConf(text), ID(192, 0, 2, 1), false);
    assert.deepEqual(
      [sc.enableAs4, sc.advertiseIpv4, sc.capabilities, sc.startupHoldTime, sc.disableAfterError],
      [false, false, false, 17, true],
    );
    assert.equal(sessionConfigFor(bgpConf('startup hold time 0;'), 1, false).startupHoldTime, 0);
  });

  test('printer round trip keeps the options', () => {
    const text = `router id 192.0.2.1;
protocol bgp p {
  local as 65000; neighbor ${PEER_ADDR} as 65001;
  enable as4 off; advertise ipv4 off; capabilities off; startup hold time 17; disable after error on;
}
`;
    const once = parseConfigText(text, 'bird.conf', quiet);
    const printed = printConfig(once);
    assert.match(printed, /startup hold time 17;/);
    assert.match(printed, /disable after error on;/);
    const twice = parseConfigText(printed, 'bird.conf', quiet).protocols[0] as BgpProtocolConfig;
    assert.deepEqual(
      [twice.enableAs4, twice.advertiseIpv4, twice.capabilities, twice.startupHoldTime, twice.disableAfterError],
      [false, false, false, 17, true],
    );
  });
});

// ---- OPEN and negotiation (pure) --------------------------------------------------------------

const speaker = (over: Partial<LocalSpeaker> = {}): LocalSpeaker => ({
  localAs: 65000, peerAs: 65001, routerId: ID(10, 0, 0, 1), families: [IPV4_UNICAST], ...over,
});

const peerOpen = (over: Partial<Omit<OpenMessage, 'type'>> = {}): OpenMessage => ({
  type: MessageType.OPEN, version: 4, myAs: 65001, holdTime: 90, bgpId: ID(10, 0, 0, 2),
  capabilities: [
    { code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 }, { code: CapabilityCode.ROUTE_REFRESH },
    { code: CapabilityCode.FOUR_OCTET_AS, asn: 65001 },
  ],
  ...over,
});

describe('buildOpen / negotiate', () => {
  test('enable as4 off: no 4-octet AS capability, AS_TRANS for a 4-octet local AS; default has it', () => {
    const on = buildOpen(speaker({ localAs: 4200000001 }));
    assert.equal(on.myAs, AS_TRANS);
    assert.deepEqual(on.capabilities.find((c) => c.code === CapabilityCode.FOUR_OCTET_AS), { code: CapabilityCode.FOUR_OCTET_AS, asn: 4200000001 });
    const off = buildOpen(speaker({ localAs: 4200000001, enableAs4: false }));
    assert.equal(off.myAs, AS_TRANS);
    assert.ok(!codes(off.capabilities).includes(CapabilityCode.FOUR_OCTET_AS));
    assert.ok(codes(off.capabilities).includes(CapabilityCode.MULTIPROTOCOL), 'other capabilities stay');
    assert.equal(buildOpen(speaker({ enableAs4: false })).myAs, 65000);
  });

  test('enable as4 off: the peer\'s 4-octet AS capability is not used (2-octet session, AS from My AS)', () => {
    const n = negotiate(peerOpen(), speaker({ enableAs4: false }));
    assert.equal(n.as4, false);
    assert.equal(n.codec.as4, false);
    assert.equal(n.peerAs, 65001);
    assert.equal(negotiate(peerOpen(), speaker()).as4, true, 'default: AS4 session');
    // A 4-octet peer AS cannot be matched without AS4 (BIRD: Bad peer AS, the peer is AS_TRANS).
    const big = peerOpen({ myAs: AS_TRANS, capabilities: [{ code: CapabilityCode.FOUR_OCTET_AS, asn: 4200000002 }] });
    assert.equal(negotiate(big, speaker({ peerAs: 4200000002 })).peerAs, 4200000002);
    assert.throws(() => negotiate(big, speaker({ peerAs: 4200000002, enableAs4: false })), (e) => e instanceof BgpError && e.code === 2 && e.subcode === 2);
    assert.equal(negotiate(big, speaker({ peerAs: AS_TRANS, enableAs4: false })).peerAs, AS_TRANS);
  });

  test('advertise ipv4 off: no MP capability for IPv4 unicast; the session still carries IPv4 unicast', () => {
    const off = buildOpen(speaker({ advertiseIpv4: false }));
    assert.ok(!codes(off.capabilities).includes(CapabilityCode.MULTIPROTOCOL));
    assert.deepEqual(codes(off.capabilities), [CapabilityCode.ROUTE_REFRESH, CapabilityCode.FOUR_OCTET_AS]);
    assert.deepEqual(buildOpen(speaker()).capabilities[0], { code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 });
    // Only IPv4: an IPv6 session keeps its MP capability (BIRD 1.6's option is IPv4-only).
    const v6 = buildOpen(speaker({ families: [IPV6_UNICAST], advertiseIpv4: false }));
    assert.deepEqual(v6.capabilities[0], { code: CapabilityCode.MULTIPROTOCOL, afi: 2, safi: 1 });
    // Peer without MP (implicit IPv4) and peer with MP IPv4: IPv4 unicast either way.
    assert.deepEqual([...negotiate(peerOpen({ capabilities: [] }), speaker({ advertiseIpv4: false })).families], [IPV4_UNICAST]);
    assert.deepEqual([...negotiate(peerOpen(), speaker({ advertiseIpv4: false })).families], [IPV4_UNICAST]);
  });

  test('capabilities off: no optional parameters at all; the peer\'s capabilities are ignored', () => {
    const o = buildOpen(speaker({ capabilities: false, localAs: 4200000001, routeRefresh: true, extendedMessage: true }));
    assert.deepEqual(o.capabilities, []);
    assert.equal(o.myAs, AS_TRANS);
    const wire = encodeOpen(o);
    assert.equal(wire.length, 29, 'header + fixed OPEN fields only');
    assert.equal(wire[28], 0, 'Optional Parameters Length');
    const n = negotiate(peerOpen(), speaker({ capabilities: false }));
    assert.deepEqual([n.as4, n.routeRefresh, [...n.families], n.peerCapabilities], [false, false, [IPV4_UNICAST], []]);
  });
});

// ---- FSM (pure) ------------------------------------------------------------------------------

const started = (name: StateName, over: Partial<FsmState> = {}): FsmState => ({
  ...INITIAL_FSM_STATE, name, started: true, holdTime: 90, keepaliveTime: 30, ...over,
});
const withOption: FsmConfig = { ...DEFAULT_FSM_CONFIG, errorWaitTime: [10, 20], disableAfterError: true };
const withoutOption: FsmConfig = { ...DEFAULT_FSM_CONFIG, errorWaitTime: [10, 20] };

describe('FSM', () => {
  test('startup hold time: the HoldTimer armed with the OPEN; 0 arms none', () => {
    const hold = (cfg: FsmConfig, from: FsmState, e: FsmEvent) =>
      step(from, e, cfg).actions.filter((a) => (a.type === 'startTimer' || a.type === 'stopTimer') && a.timer === 'HoldTimer');
    const active = started('Active');
    assert.deepEqual(hold({ ...DEFAULT_FSM_CONFIG, openHoldTime: 17 }, active, { type: 'TcpConnectionConfirmed' }), [
      { type: 'startTimer', timer: 'HoldTimer', seconds: 17 },
    ]);
    assert.deepEqual(hold({ ...DEFAULT_FSM_CONFIG, openHoldTime: 0 }, active, { type: 'TcpConnectionConfirmed' }), [
      { type: 'stopTimer', timer: 'HoldTimer' },
    ]);
    // DelayOpen: the OPEN goes out when the DelayOpenTimer expires, with the same HoldTimer.
    const delaying = started('Connect', { delayOpenRunning: true });
    assert.deepEqual(hold({ ...DEFAULT_FSM_CONFIG, openHoldTime: 0 }, delaying, { type: 'DelayOpenTimer_Expires' }), [
      { type: 'stopTimer', timer: 'HoldTimer' },
    ]);
  });

  // [state, event, disabled?] — BIRD: a NOTIFICATION other than Cease sent (bgp_error) or
  // received (bgp_rx_notification) is an error; Cease, TCP failures and route-limit restarts are not.
  const cases: [StateName, FsmEvent, boolean][] = [
    ['OpenSent', { type: 'HoldTimer_Expires' }, true],
    ['OpenConfirm', { type: 'HoldTimer_Expires' }, true],
    ['Established', { type: 'HoldTimer_Expires' }, true],
    ['Established', { type: 'SendHoldTimer_Expires' }, true],
    ['Established', { type: 'UpdateMsgErr', code: 3, subcode: 1 }, true],
    ['OpenSent', { type: 'BGPOpenMsgErr', code: 2, subcode: 2 }, true],
    ['Active', { type: 'BGPHeaderErr', code: 1, subcode: 2 }, true],
    ['OpenSent', { type: 'KeepAliveMsg' }, true], // FSM error 5/1
    ['Established', { type: 'NotifMsg', code: 3, subcode: 1 }, true],
    ['OpenSent', { type: 'NotifMsg', code: 2, subcode: 7 }, true],
    ['OpenSent', { type: 'NotifMsgVerErr' }, true],
    ['Established', { type: 'NotifMsg', code: 6, subcode: 2 }, false],
    ['Established', { type: 'AutomaticStop', subcode: 1 }, false],
    ['Established', { type: 'TcpConnectionFails' }, false],
    ['OpenSent', { type: 'TcpConnectionFails' }, false],
    ['OpenConfirm', { type: 'OpenCollisionDump' }, false],
    ['Established', { type: 'ManualStop' }, false],
  ];
  for (const [state, e, disabled] of cases) {
    test(`disable after error: ${state} + ${e.type}${'code' in e ? ` ${e.code}/${e.subcode}` : ''} → ${disabled ? 'disabled' : 'not disabled'}`, () => {
      const r = step(started(state), e, withOption, 1000);
      const plain = step(started(state), e, withoutOption, 1000);
      const idleHold = (x: typeof r) => x.actions.some((a) => a.type === 'startTimer' && a.timer === 'IdleHoldTimer');
      assert.equal(r.actions.some((a) => a.type === 'disabledAfterError'), disabled);
      if (disabled) {
        assert.equal(r.state.name, 'Idle');
        assert.equal(r.state.started, false, 'no automatic restart');
        assert.equal(r.state.errorDelay, 0, 'BIRD: startup delay 0');
        assert.equal(idleHold(r), false);
        // Without the option the same step restarts after the error wait.
        assert.equal(plain.state.started, true);
        assert.ok(idleHold(plain));
        // Everything else (NOTIFICATION, close, sessionDown) is as without the option.
        assert.deepEqual(r.actions.slice(0, -1), plain.actions.filter((a) => !(a.type === 'startTimer' && a.timer === 'IdleHoldTimer')));
      } else {
        assert.deepEqual(r, plain, 'the option changes nothing');
      }
    });
  }
});

// ---- sessions over loopback against a raw peer -------------------------------------------------


const rawOpen = (over: Partial<Omit<OpenMessage, 'type'>> = {}) => encodeOpen({ ...peerOpen(), ...over });

/**
 * A passive Wren session built by sessionConfigFor from `protocol bgp` text (local AS
 * `local`, neighbour 127.0.0.2 AS 65001), on a listener at 127.0.0.1; a raw peer connects.
 */
async function wrenWithPeer(body: string, opts: { local?: number; clock?: ManualClock } = {}) {
  const listener = new Listener({ address: WREN_ADDR, port: 0 });
  await listener.listen();
  const conf = bgpConf(`passive on; error wait time 0,0; ${body}`, opts.local ?? 65000);
  const sc: SessionConfig = sessionConfigFor(conf, ID(10, 0, 0, 1), false);
  const session = new Session(sc, opts.clock ? { clock: opts.clock } : {});
  listener.register(session);
  session.start();
  const peer = await RawPeer.connect(listener.port);
  const close = async () => {
    session.stop();
    peer.close();
    await listener.close();
  };
  return { session, peer, close };
}

/** Wren's OPEN as the peer received it, and the session once both OPENs and KEEPALIVEs crossed. */
async function handshake(body: string, peerOpenBytes: Uint8Array, local?: number) {
  const w = await wrenWithPeer(body, { local });
  try {
    const open = await w.peer.open();
    w.peer.send(peerOpenBytes);
    w.peer.send(encodeKeepalive());
    await until(() => w.session.state === 'Established', { what: 'Established', timeoutMs: 8000, intervalMs: 5 });
    return { open, negotiated: w.session.negotiated!, w };
  } catch (e) {
    await w.close();
    throw e;
  }
}

describe('sessions over loopback', () => {
  test('enable as4 off: OPEN without 4-octet AS (AS_TRANS), 2-octet session: a 2-octet AS_PATH decodes', async () => {
    const { open, negotiated, w } = await handshake('enable as4 off;', rawOpen(), 4200000001);
    try {
      assert.equal(open.myAs, AS_TRANS);
      assert.ok(!codes(open.capabilities).includes(CapabilityCode.FOUR_OCTET_AS), `capabilities ${codes(open.capabilities)}`);
      assert.ok(codes(open.capabilities).includes(CapabilityCode.MULTIPROTOCOL));
      assert.equal(negotiated.as4, false);
      // The peer (it has AS4, but we did not offer it) speaks 2-octet AS_PATHs.
      const updates: UpdateMessage[] = [];
      w.session.on('update', (u) => updates.push(u));
      w.peer.send(encodeUpdate({
        attributes: {
          origin: Origin.IGP, nextHop: Uint8Array.of(127, 0, 0, 2),
          asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65001, 65010] }],
        },
        nlri: [{ afi: Afi.IPV4, len: 24, addr: Uint8Array.of(10, 1, 0, 0), pathId: 0 }],
      }, { ...DEFAULT_CODEC_CONTEXT, as4: false }));
      await until(() => updates.length === 1, { what: 'the UPDATE', timeoutMs: 8000, intervalMs: 5 });
      assert.deepEqual(updates[0]!.attributes.asPath?.flatMap((s) => [...s.asns]), [65001, 65010]);
      assert.equal(w.session.state, 'Established');
    } finally {
      await w.close();
    }
    // Default: the capability with the real AS, and an AS4 session with the same peer.
    const d = await handshake('', rawOpen(), 4200000001);
    try {
      assert.deepEqual(d.open.capabilities.find((c) => c.code === CapabilityCode.FOUR_OCTET_AS), { code: CapabilityCode.FOUR_OCTET_AS, asn: 4200000001 });
      assert.equal(d.negotiated.as4, true);
    } finally {
      await d.w.close();
    }
  });

  test('advertise ipv4 off: OPEN without MP capability; IPv4 unicast with a peer without MP too', async () => {
    const { open, negotiated, w } = await handshake('advertise ipv4 off;', rawOpen({ capabilities: [{ code: CapabilityCode.FOUR_OCTET_AS, asn: 65001 }] }));
    try {
      assert.deepEqual(codes(open.capabilities).filter((c) => c === CapabilityCode.MULTIPROTOCOL), []);
      assert.ok(codes(open.capabilities).includes(CapabilityCode.FOUR_OCTET_AS));
      assert.deepEqual([...negotiated.families], [IPV4_UNICAST]);
    } finally {
      await w.close();
    }
    const d = await handshake('', rawOpen());
    try {
      assert.deepEqual(d.open.capabilities.filter((c) => c.code === CapabilityCode.MULTIPROTOCOL), [{ code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 }]);
    } finally {
      await d.w.close();
    }
  });

  test('capabilities off: OPEN without optional parameters; the peer\'s capabilities are not used', async () => {
    const { open, negotiated, w } = await handshake('capabilities off;', rawOpen());
    try {
      assert.deepEqual(open.capabilities, []);
      assert.deepEqual([negotiated.as4, negotiated.routeRefresh, [...negotiated.families]], [false, false, [IPV4_UNICAST]]);
    } finally {
      await w.close();
    }
  });

  test('startup hold time: a peer that never sends its OPEN gets Hold Timer Expired after N s (manual clock)', async () => {
    const run = async (body: string, advanceMs: number) => {
      const clock = new ManualClock();
      const w = await wrenWithPeer(body, { clock });
      try {
        await w.peer.open();
        assert.equal(w.session.state, 'OpenSent');
        clock.advance(advanceMs);
        // Expired: NOTIFICATION, Idle, and (error wait 0) straight back to waiting in Active.
        const expired = w.session.state !== 'OpenSent';
        return { expired, note: expired ? await w.peer.notification() : null };
      } finally {
        await w.close();
      }
    };
    const short = await run('startup hold time 5;', 5000);
    assert.equal(short.expired, true);
    assert.deepEqual([short.note?.code, short.note?.subcode], [4, 0]);
    assert.equal((await run('startup hold time 5;', 4000)).expired, false);
    // Default 240 s: 5 s or 239 s are not enough, 240 s is.
    assert.equal((await run('', 5000)).expired, false);
    assert.equal((await run('', 239_000)).expired, false);
    const long = await run('', 240_000);
    assert.deepEqual([long.expired, long.note?.code], [true, 4]);
    // 0: no hold timer before the OPENs (BIRD bgp_start_timer(t, 0) stops it).
    assert.equal((await run('startup hold time 0;', 86_400_000)).expired, false);
  });
});

// ---- disable after error in the daemon --------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, WREN_ADDR, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('disable after error (daemon, control socket)', () => {
  test('an error sent or received disables the protocol until `enable`; Cease and the option off restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wren-bgp-options-'));
    const port = await freePort();
    const file = join(dir, 'bird.cfg');
    // d2, d4: disable after error; r3: the same without (restarts after error wait 0).
    writeFileSync(file, `
router id 192.0.2.1;
listen bgp address ${WREN_ADDR} port ${port};
template bgp t { local as 65000; passive on; error wait time 0,0; import all; export none; }
protocol bgp d2 from t { neighbor 127.0.0.2 as 65001; disable after error on; }
protocol bgp r3 from t { neighbor 127.0.0.3 as 65001; }
protocol bgp d4 from t { neighbor 127.0.0.4 as 65001; disable after error on; }
`);
    const daemon = new Daemon({ configFile: file, socketPath: join(dir, 'ctl'), foreground: true, debug: false, recover: false, ipv6: false, jsonLogs: false }, nullLogger);
    await daemon.start();
    const src = new DaemonControlSource(daemon, { onDown: () => {} });
    const ctlPath = join(dir, 'wren.ctl');
    const server = new ControlServer(ctlPath, src);
    await server.listen();
    const peers: RawPeer[] = [];
    const cmd = (command: string): Promise<string[]> => controlCommand(ctlPath, command);
    /** The `show protocols` row of `name`: [state, info] (name proto table state since info). */
    const row = async (name: string): Promise<[string, string]> => {
      for (const l of await cmd('show protocols')) {
        const text = l.startsWith(' ') ? l.slice(1) : l.slice(5);
        const m = /^(\S+)\s+\S+\s+\S+\s+(\S+)\s+\S+\s*(.*)$/.exec(text);
        if (m && m[1] === name) return [m[2]!, m[3]!.trim()];
      }
      assert.fail(`no row for ${name}`);
    };
    const proto = (name: string) => daemon.protocols.get(name) as BgpProtocol;
    /** A raw peer from `address` through OPEN/KEEPALIVE to Established on the daemon's side. */
    const up = async (address: string, name: string): Promise<RawPeer> => {
      const p = await RawPeer.connect(port, WREN_ADDR, address);
      peers.push(p);
      p.send(rawOpen({ bgpId: ID(10, 0, 0, Number(address.split('.')[3])) }));
      p.send(encodeKeepalive());
      await p.open();
      await until(() => proto(name).state === 'up', { what: `${name} up`, timeoutMs: 8000, intervalMs: 5 });
      return p;
    };
    try {
      // 1. An error Wren finds (a KEEPALIVE of the wrong length: 1/2) on d2: it sends the
      // NOTIFICATION, goes down and stays down; the peer's next connection is refused.
      let p2 = await up('127.0.0.2', 'd2');
      p2.send(Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([0, 20, MessageType.KEEPALIVE, 0])]));
      const n2 = await p2.notification();
      assert.deepEqual([n2.code, n2.subcode], [1, 2]);
      await until(() => proto('d2').state === 'down', { what: 'd2 down', timeoutMs: 8000, intervalMs: 5 });
      assert.equal(proto('d2').session.state, 'Idle');
      const [state2, info2] = await row('d2');
      assert.equal(state2, 'down');
      assert.match(info2, /^BGP Error: (Message header error: )?Bad message length$/);
      const refused = await RawPeer.connect(port, WREN_ADDR, '127.0.0.2');
      peers.push(refused);
      await until(() => refused.closed, { what: 'the connection to disabled d2 closed', timeoutMs: 8000, intervalMs: 5 });
      assert.equal(refused.msgs.length, 0, 'no OPEN from a disabled protocol');

      // 2. The same error without the option: r3 restarts and takes the peer back.
      const p3 = await up('127.0.0.3', 'r3');
      p3.send(Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([0, 20, MessageType.KEEPALIVE, 0])]));
      assert.deepEqual([(await p3.notification()).code], [1]);
      await until(() => proto('r3').session.state === 'Active', { what: 'r3 waiting again', timeoutMs: 8000, intervalMs: 5 });
      assert.equal(proto('r3').state, 'start');
      await up('127.0.0.3', 'r3');

      // 3. A Cease from the peer is no error: d4 restarts. A NOTIFICATION with another code is.
      let p4 = await up('127.0.0.4', 'd4');
      p4.send(encodeNotification(6, 2));
      await until(() => proto('d4').session.state === 'Active', { what: 'd4 back to waiting after Cease', timeoutMs: 8000, intervalMs: 5 });
      assert.equal(proto('d4').state, 'start');
      p4 = await up('127.0.0.4', 'd4');
      p4.send(encodeNotification(3, 1));
      await until(() => proto('d4').state === 'down', { what: 'd4 down after 3/1', timeoutMs: 8000, intervalMs: 5 });
      const [state4, info4] = await row('d4');
      assert.equal(state4, 'down');
      // BIRD 1.6 prints "Received: Malformed attribute list" (bgp_msg_table has no code names).
      assert.match(info4, /^Received: (UPDATE message error: )?Malformed attribute list$/);

      // 4. `enable` brings d2 back; the peer gets through again.
      assert.deepEqual(await cmd('enable d2'), ['0011-d2: enabled', '0000 ']);
      p2 = await up('127.0.0.2', 'd2');
      assert.equal((await row('d2'))[0], 'up');
      assert.equal(proto('d4').state, 'down', 'd4 still waits for its own enable');
    } finally {
      for (const p of peers) p.close();
      await server.close();
      src.close();
      await daemon.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

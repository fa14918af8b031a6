// BIRD 1.6 (IPv4) retries without capabilities: when `capabilities` is not configured and the
// peer answers an OPEN that had capabilities with NOTIFICATION 2/4 (Unsupported Optional
// Parameter) or 2/7 (Unsupported Capability), the next OPENs go without optional parameters
// (proto/bgp/packets.c bgp_rx_notification, p->start_state = BSS_CONNECT_NOCAP), logged as
// "Capability related error received, retry with capabilities disabled". It is not an error:
// no error wait, no `disable after error`. It does not happen with `capabilities on`, for a
// 4-octet neighbour AS, or once an OPEN without capabilities is refused too (that is an
// error, and the restart after it tries capabilities again, as BIRD's bgp_startup does).
// Wren sessions are built by sessionConfigFor from `protocol bgp` text and run over loopback
// against a raw-socket peer (127.0.0.1 ↔ 127.0.0.2), passive (the peer dials) and active.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseConfigText } from '../../conf/index.js';
import type { BgpProtocolConfig } from '../../conf/model.js';
import { Session } from '../../src/bgp/session.js';
import { Listener } from '../../src/bgp/listener.js';
import { sessionConfigFor } from '../../src/bgp/protocol.js';
import {
  CapabilityCode, encodeKeepalive, encodeOpen, type OpenMessage,
} from '../../src/bgp/codec/index.js';
import { memoryLogger } from '../../src/log.js';
import { until } from '../helpers/poll.js';
import { RawPeer } from '../helpers/raw-peer.js';

const ID = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const WREN_ADDR = '127.0.0.1';
const PEER_ADDR = '127.0.0.2';
const RETRY_LOG = 'p: Capability related error received, retry with capabilities disabled';
const wait = { timeoutMs: 8000, intervalMs: 5 };


/** The peer's OPEN: AS 65001, with or without capabilities. */
const peerOpen = (caps: boolean) => encodeOpen({
  version: 4, myAs: 65001, holdTime: 90, bgpId: ID(10, 0, 0, 2),
  capabilities: caps ? [{ code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 }, { code: CapabilityCode.FOUR_OCTET_AS, asn: 65001 }] : [],
});

const bgpConf = (body: string, neighborAs = 65001): BgpProtocolConfig =>
  parseConfigText(
    `router id 192.0.2.1;\nprotocol bgp p {\n  local as 65000;\n  neighbor ${PEER_ADDR} as ${neighborAs};\n${body}\n}\n`,
    'bird.conf',
    { print: () => {} },
  ).protocols[0] as BgpProtocolConfig;

/** A passive Wren session from `protocol bgp p` text on a listener at 127.0.0.1; the peer dials. */
async function passiveWren(body: string, neighborAs?: number) {
  const listener = new Listener({ address: WREN_ADDR, port: 0 });
  await listener.listen();
  const { logger, lines } = memoryLogger();
  const session = new Session(sessionConfigFor(bgpConf(`passive on; ${body}`, neighborAs), ID(10, 0, 0, 1), false), { logger });
  listener.register(session);
  session.start();
  const peers: RawPeer[] = [];
  /** Waits until Wren accepts connections (Active), dials, and returns Wren's OPEN. */
  const dial = async (): Promise<{ peer: RawPeer; open: OpenMessage }> => {
    await until(() => session.state === 'Active', { what: 'Wren waiting for a connection (Active)', ...wait });
    const peer = await RawPeer.connect(listener.port);
    peers.push(peer);
    return { peer, open: await peer.open() };
  };
  const close = async () => {
    session.stop();
    for (const p of peers) p.close();
    await listener.close();
  };
  return { session, lines, dial, close };
}

/** Runs `fn` with a passiveWren, closed afterwards whatever happens. */
async function withPassiveWren(body: string, fn: (w: Awaited<ReturnType<typeof passiveWren>>) => Promise<void>, neighborAs?: number): Promise<void> {
  const w = await passiveWren(body, neighborAs);
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}

const optionalParams = (o: OpenMessage) => o.capabilities.map((c) => c.code);

describe('retry without capabilities (passive session, the peer dials)', () => {
  for (const subcode of [4, 7]) {
    test(`capabilities not set: 2/${subcode} → the next OPEN has no optional parameters, no error wait, and the session comes up`, async () => {
      // Error wait 60 s: were the refusal an error, Wren would stay Idle and not take the next connection.
      await withPassiveWren('error wait time 60,300;', async (w) => {
        const first = await w.dial();
        assert.ok(optionalParams(first.open).includes(CapabilityCode.MULTIPROTOCOL), `first OPEN: ${optionalParams(first.open)}`);
        assert.ok(optionalParams(first.open).includes(CapabilityCode.FOUR_OCTET_AS));
        await first.peer.refuse(2, subcode);
        assert.ok(w.lines.includes(RETRY_LOG), w.lines.join('\n'));
        assert.match(w.session.stats.lastError ?? '', /^Received: /);
        assert.deepEqual(w.session.stats.lastNotification, { code: 2, subcode, sent: false });

        const second = await w.dial();
        assert.deepEqual(second.open.capabilities, [], 'second OPEN without optional parameters');
        assert.equal(second.open.myAs, 65000);
        // The peer without capabilities: a 2-octet IPv4 unicast session.
        second.peer.sock.write(peerOpen(false));
        second.peer.sock.write(encodeKeepalive());
        await until(() => w.session.state === 'Established', { what: 'Established', ...wait });
        const n = w.session.negotiated!;
        assert.deepEqual([n.as4, n.routeRefresh], [false, false]);
        assert.equal(w.lines.filter((l) => l === RETRY_LOG).length, 1);
      });
    });
  }

  test('capabilities on: 2/4 is an error and the next OPEN still has the capabilities', async () => {
    await withPassiveWren('capabilities on; error wait time 0,0;', async (w) => {
      const first = await w.dial();
      assert.notDeepEqual(first.open.capabilities, []);
      await first.peer.refuse(2, 4);
      const second = await w.dial();
      assert.ok(optionalParams(second.open).includes(CapabilityCode.MULTIPROTOCOL), `second OPEN: ${optionalParams(second.open)}`);
      assert.deepEqual(optionalParams(second.open), optionalParams(first.open));
      assert.ok(!w.lines.includes(RETRY_LOG));
    });
  });

  test('capabilities on with error wait 60 s: the refusal is an error (Wren waits in Idle)', async () => {
    await withPassiveWren('capabilities on; error wait time 60,300;', async (w) => {
      const first = await w.dial();
      await first.peer.refuse(2, 4);
      await until(() => w.session.state === 'Idle', { what: 'Idle (error wait)', ...wait });
      assert.equal(w.session.state, 'Idle');
    });
  });

  test('an OPEN without capabilities refused too: an error, and the restart tries capabilities again', async () => {
    await withPassiveWren('error wait time 0,0;', async (w) => {
      const first = await w.dial();
      await first.peer.refuse(2, 4);
      const second = await w.dial();
      assert.deepEqual(second.open.capabilities, []);
      await second.peer.refuse(2, 4);
      const third = await w.dial();
      assert.ok(optionalParams(third.open).includes(CapabilityCode.MULTIPROTOCOL), `third OPEN: ${optionalParams(third.open)}`);
      assert.equal(w.lines.filter((l) => l === RETRY_LOG).length, 1);
    });
  });

  test('other OPEN errors (2/2 Bad Peer AS) do not turn capabilities off', async () => {
    await withPassiveWren('error wait time 0,0;', async (w) => {
      const first = await w.dial();
      await first.peer.refuse(2, 2);
      const second = await w.dial();
      assert.ok(optionalParams(second.open).includes(CapabilityCode.MULTIPROTOCOL));
      assert.ok(!w.lines.includes(RETRY_LOG));
    });
  });

  test('a 4-octet neighbour AS: no retry without capabilities (it needs AS4)', async () => {
    await withPassiveWren('error wait time 0,0;', async (w) => {
      const first = await w.dial();
      await first.peer.refuse(2, 4);
      const second = await w.dial();
      assert.ok(optionalParams(second.open).includes(CapabilityCode.FOUR_OCTET_AS), `second OPEN: ${optionalParams(second.open)}`);
      assert.ok(!w.lines.includes(RETRY_LOG));
    }, 4200000002);
  });

  test('start() after stop() tries capabilities again (a protocol restart)', async () => {
    await withPassiveWren('error wait time 60,300;', async (w) => {
      const first = await w.dial();
      await first.peer.refuse(2, 4);
      const second = await w.dial();
      assert.deepEqual(second.open.capabilities, []);
      w.session.stop();
      await until(() => second.peer.closed, { what: 'the connection closed by stop()', ...wait });
      w.session.start();
      const third = await w.dial();
      assert.ok(optionalParams(third.open).includes(CapabilityCode.MULTIPROTOCOL), `after restart: ${optionalParams(third.open)}`);
    });
  });
});

describe('retry without capabilities (active session, Wren dials)', () => {
  test('2/4 → Wren connects again after the connect delay with an OPEN without optional parameters', async () => {
    const accepted: RawPeer[] = [];
    const server = net.createServer((s) => accepted.push(new RawPeer(s)));
    await new Promise<void>((resolve) => server.listen(0, PEER_ADDR, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const conf = parseConfigText(
      `router id 192.0.2.1;\nprotocol bgp p {\n  local ${WREN_ADDR} as 65000;\n  neighbor ${PEER_ADDR} port ${port} as 65001;\n  connect delay time 1; error wait time 60,300;\n}\n`,
      'bird.conf', { print: () => {} },
    ).protocols[0] as BgpProtocolConfig;
    const { logger, lines } = memoryLogger();
    const session = new Session(sessionConfigFor(conf, ID(10, 0, 0, 1), false), { logger });
    session.start();
    try {
      await until(() => accepted.length >= 1, { what: "Wren's first connection", ...wait });
      const first = await accepted[0]!.open();
      assert.ok(optionalParams(first).includes(CapabilityCode.MULTIPROTOCOL));
      await accepted[0]!.refuse(2, 4);
      assert.ok(lines.includes(RETRY_LOG), lines.join('\n'));
      await until(() => accepted.length >= 2, { what: "Wren's second connection", ...wait });
      const second = await accepted[1]!.open();
      assert.deepEqual(second.capabilities, []);
    } finally {
      session.stop();
      for (const p of accepted) p.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

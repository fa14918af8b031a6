// TCP MD5 against a real BIRD 2 (Debian bird2): BIRD runs in its own namespace joined by a
// veth to the test's namespace. We dial BIRD (connectBgp) and BIRD dials our listener
// (listenBgp + setListenerPassword); with the right key the TCP connection opens and an
// inline OPEN / KEEPALIVE exchange brings BIRD's protocol to Established (checked with
// birdc); with a wrong or missing key the handshake never completes and the kernel's MD5
// counters say why. The BGP messages are written inline (RFC 4271 §4.1, §4.2, §4.4) so
// this test does not depend on the codec. Needs root and the bird2 package.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { join } from 'node:path';
import { connectBgp, listenBgp, setListenerPassword } from '../../src/bgp/sockopts.js';
import { WrenError } from '../../src/bgp/errors.js';
import { Netns, netstat, sh, tempDir, waitFor } from './helpers.js';

const OUR_IP = '198.18.0.1';
const BIRD_IP = '198.18.0.2';

/*
 * OPEN (RFC 4271 §4.2) with capabilities (RFC 5492):
 *   marker 16×0xff | length u16 | type 1 | version 4 | my AS u16 | hold time u16 |
 *   BGP identifier u32 | opt param len u8 | param 2 (capabilities) len 12:
 *     cap 1 (MP, RFC 4760) len 4: AFI 1 (IPv4), reserved 0, SAFI 1 (unicast)
 *     cap 65 (4-octet AS, RFC 6793) len 4: 65001
 */
function openMessage(): Buffer {
  const b = Buffer.alloc(43);
  b.fill(0xff, 0, 16);
  b.writeUInt16BE(43, 16);
  b[18] = 1;
  b[19] = 4;
  b.writeUInt16BE(65001, 20);
  b.writeUInt16BE(90, 22);
  Buffer.from(OUR_IP.split('.').map(Number)).copy(b, 24);
  b[28] = 14;
  Buffer.from([2, 12, 1, 4, 0, 1, 0, 1, 65, 4, 0, 0, 0xfd, 0xe9]).copy(b, 29);
  return b;
}

/* KEEPALIVE (RFC 4271 §4.4): the 19-byte header alone, type 4. */
function keepaliveMessage(): Buffer {
  const b = Buffer.alloc(19, 0xff);
  b.writeUInt16BE(19, 16);
  b[18] = 4;
  return b;
}

interface BgpMsg {
  type: number;
  body: Buffer;
}

/** Cuts BGP messages off a stream; the callback sees each whole message. */
function onMessages(sock: net.Socket, cb: (m: BgpMsg) => void): void {
  let buf = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 19) {
      const len = buf.readUInt16BE(16);
      if (len < 19 || buf.length < len) break;
      cb({ type: buf[18]!, body: buf.subarray(19, len) });
      buf = buf.subarray(len);
    }
  });
}

/** Speaks just enough BGP: OPEN, then KEEPALIVE after the peer's OPEN. Resolves with what BIRD sent. */
function bgpHandshake(sock: net.Socket): Promise<BgpMsg[]> {
  return new Promise((resolve, reject) => {
    const got: BgpMsg[] = [];
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`closed after ${got.map((m) => m.type).join(',')}`)));
    onMessages(sock, (m) => {
      got.push(m);
      if (m.type === 1) sock.write(keepaliveMessage());
      if (m.type === 3) reject(new Error(`NOTIFICATION ${m.body[0]}/${m.body[1]}`));
      if (m.type === 4 && got.some((x) => x.type === 1)) resolve(got);
    });
    sock.write(openMessage());
  });
}

let nsA: Netns;
let nsB: Netns;
let tmp: ReturnType<typeof tempDir>;
let bird: ChildProcess | undefined;
let birdLog = '';
const ctl = (): string => join(tmp.dir, 'bird.ctl');

function birdConfig(passive: boolean): string {
  return `log stderr all;
router id ${BIRD_IP};
protocol device {}
protocol bgp p {
  local ${BIRD_IP} as 65002;
  neighbor ${OUR_IP} as 65001;
  password "secret";
  ${passive ? 'passive on;' : 'connect delay time 1; connect retry time 2; error wait time 1, 2;'}
  ipv4 { import all; export none; };
}
`;
}

async function startBird(passive: boolean): Promise<void> {
  const cfg = join(tmp.dir, `bird-${passive ? 'passive' : 'active'}.conf`);
  writeFileSync(cfg, birdConfig(passive));
  birdLog = '';
  const p = spawn('ip', ['netns', 'exec', nsB.name, 'bird', '-f', '-c', cfg, '-s', ctl()], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  p.stderr!.on('data', (d: Buffer) => (birdLog += d.toString()));
  bird = p;
  await waitFor(
    () => existsSync(ctl()) && spawnSync('birdc', ['-s', ctl(), 'show', 'status']).status === 0,
    5000,
    `BIRD control socket (log: ${birdLog})`,
  );
}

async function stopBird(): Promise<void> {
  const p = bird;
  bird = undefined;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM'); // by PID: ip netns exec execs bird in place
  await exited;
}

function birdState(): string {
  return spawnSync('birdc', ['-s', ctl(), 'show', 'protocols', 'p'], { encoding: 'utf8' }).stdout ?? '';
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WrenError, `expected WrenError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

before(() => {
  tmp = tempDir();
  nsB = new Netns('birdb');
  nsA = new Netns('birda').enter();
  sh('ip', 'link', 'add', 'wrA', 'type', 'veth', 'peer', 'name', 'wrB', 'netns', nsB.name);
  sh('ip', 'addr', 'add', `${OUR_IP}/24`, 'dev', 'wrA');
  sh('ip', 'link', 'set', 'wrA', 'up');
  sh('ip', '-n', nsB.name, 'addr', 'add', `${BIRD_IP}/24`, 'dev', 'wrB');
  sh('ip', '-n', nsB.name, 'link', 'set', 'wrB', 'up');
});
after(async () => {
  await stopBird();
  nsA?.destroy();
  nsB?.destroy();
  tmp?.remove();
});

describe('BIRD 2 with password "secret"', () => {
  describe('we dial BIRD (BIRD passive)', () => {
    before(() => startBird(true));
    after(() => stopBird());

    test('wrong key: no TCP connection, BIRD side counts TCPMD5Failure', async () => {
      const c0 = netstat(nsB.name);
      await rejectsWith(
        connectBgp({ host: BIRD_IP, port: 179, localAddress: OUR_IP, password: 'wrong', ttl: 1, timeoutMs: 1500 }),
        'CONNECT_TIMEOUT',
      );
      const c1 = netstat(nsB.name);
      assert.ok(c1['TcpExt.TCPMD5Failure']! > c0['TcpExt.TCPMD5Failure']!, 'TCPMD5Failure did not rise in BIRD namespace');
      assert.doesNotMatch(birdState(), /Established/);
    });

    test('no key: no TCP connection, BIRD side counts TCPMD5NotFound', async () => {
      const c0 = netstat(nsB.name);
      await rejectsWith(connectBgp({ host: BIRD_IP, port: 179, localAddress: OUR_IP, ttl: 1, timeoutMs: 1500 }), 'CONNECT_TIMEOUT');
      assert.ok(netstat(nsB.name)['TcpExt.TCPMD5NotFound']! > c0['TcpExt.TCPMD5NotFound']!);
    });

    test('right key: connects, OPEN/KEEPALIVE exchange, BIRD reports Established', async () => {
      const sock = await connectBgp({ host: BIRD_IP, port: 179, localAddress: OUR_IP, password: 'secret', ttl: 1, timeoutMs: 3000 });
      try {
        assert.equal(sock.localAddress, OUR_IP);
        const got = await bgpHandshake(sock);
        const open = got.find((m) => m.type === 1)!;
        assert.equal(open.body[0], 4, 'BGP version');
        assert.equal(open.body.readUInt16BE(1), 65002, 'BIRD AS');
        assert.deepEqual([...open.body.subarray(5, 9)], BIRD_IP.split('.').map(Number), 'BIRD router id');
        await waitFor(() => /Established/.test(birdState()), 5000, `BIRD Established (${birdState()})`);
      } finally {
        sock.destroy();
      }
    });
  });

  describe('BIRD dials our listener', () => {
    let server: net.Server;
    const accepted: net.Socket[] = [];
    before(async () => {
      server = await listenBgp({ host: OUR_IP, port: 179 });
      server.on('connection', (s) => {
        s.on('error', () => {});
        accepted.push(s);
      });
    });
    after(async () => {
      await stopBird();
      for (const s of accepted) s.destroy();
      await new Promise((r) => server.close(r));
    });

    test('wrong key on the listener: BIRD SYNs are dropped (TCPMD5Failure), nothing accepted', async () => {
      setListenerPassword(server, BIRD_IP, 'wrong');
      const c0 = netstat();
      await startBird(false);
      await waitFor(() => netstat()['TcpExt.TCPMD5Failure']! > c0['TcpExt.TCPMD5Failure']!, 8000, 'a rejected SYN from BIRD');
      assert.equal(accepted.length, 0);
    });

    test('right key: BIRD connects, OPEN/KEEPALIVE exchange, Established', async () => {
      setListenerPassword(server, BIRD_IP, 'secret'); // replaces the key at run time
      await waitFor(() => accepted.length > 0, 10000, `BIRD to connect (log: ${birdLog.slice(-500)})`);
      const sock = accepted[0]!;
      assert.equal(sock.remoteAddress, BIRD_IP);
      const got = await bgpHandshake(sock);
      assert.ok(got.some((m) => m.type === 1));
      await waitFor(() => /Established/.test(birdState()), 5000, `BIRD Established (${birdState()})`);
    });
  });
});

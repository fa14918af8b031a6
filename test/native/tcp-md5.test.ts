// TCP MD5 (RFC 2385) through src/bgp/sockopts.ts on real kernel sockets, inside a scratch
// network namespace: right key connects and carries data, wrong key and missing key never
// complete the handshake (kernel counters say why), the SYN carries a valid MD5 option on
// the wire (tcpdump -M checks the digest), IPv4 and IPv6, dual-stack listener with a
// v4-mapped key, keys removed at run time. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { connectBgp, listenBgp, setListenerPassword } from '../../src/bgp/sockopts.js';
import { WrenError } from '../../src/bgp/errors.js';
import { Capture, Netns, netstat, packets, tempDir } from './helpers.js';

let ns: Netns;
let tmp: ReturnType<typeof tempDir>;
const servers: net.Server[] = [];

before(() => {
  ns = new Netns('md5').enter();
  tmp = tempDir();
});
after(() => {
  for (const s of servers) s.close();
  ns?.destroy();
  tmp?.remove();
});

/** A listener that answers "pong:<data>" on every connection. */
async function echoServer(host: string, port: number): Promise<net.Server> {
  const server = await listenBgp({ host, port });
  servers.push(server);
  server.on('connection', (s) => {
    s.on('data', (d) => s.write(`pong:${d.toString()}`));
    s.on('error', () => {});
  });
  return server;
}

/** Writes "ping" and resolves with what comes back. */
function exchange(sock: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    sock.once('data', (d) => resolve(d.toString()));
    sock.once('error', reject);
    sock.write('ping');
  });
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WrenError, `expected WrenError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

function delta(before: Record<string, number>, name: string): number {
  return (netstat()[name] ?? 0) - (before[name] ?? 0);
}

describe('TCP MD5 over IPv4 (127.0.0.1)', () => {
  let server: net.Server;
  before(async () => {
    server = await echoServer('127.0.0.1', 1790);
    setListenerPassword(server, '127.0.0.1', 'secret');
  });

  test('same key: connects, data flows, SYN carries a valid MD5 option', async () => {
    const cap = new Capture(join(tmp.dir, 'v4-ok.pcap'));
    await cap.start('lo', 'tcp port 1790');
    const sock = await connectBgp({ host: '127.0.0.1', port: 1790, password: 'secret', timeoutMs: 3000 });
    try {
      assert.equal(sock.remoteAddress, '127.0.0.1');
      assert.equal(sock.remotePort, 1790);
      assert.equal(await exchange(sock), 'pong:ping');
    } finally {
      sock.destroy();
    }
    const pk = packets(await cap.stop('secret', (p) => p.some((l) => l.includes('Flags [S.]'))));
    const syn = pk.filter((l) => l.includes('Flags [S]'));
    const synAck = pk.filter((l) => l.includes('Flags [S.]'));
    assert.ok(syn.length >= 1, `no SYN captured:\n${pk.join('\n')}`);
    for (const l of [...syn, ...synAck]) assert.match(l, /md5 valid/);
    assert.ok(synAck.length >= 1);
  });

  test('wrong key: handshake never completes (CONNECT_TIMEOUT), TCPMD5Failure rises, SYN digest invalid', async () => {
    const cap = new Capture(join(tmp.dir, 'v4-bad.pcap'));
    await cap.start('lo', 'tcp port 1790');
    const c0 = netstat();
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1790, password: 'wrong', timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
    assert.ok(delta(c0, 'TcpExt.TCPMD5Failure') >= 1, 'TCPMD5Failure did not rise');
    const pk = packets(await cap.stop('secret', (p) => p.some((l) => l.includes('Flags [S]'))));
    const syn = pk.filter((l) => l.includes('Flags [S]'));
    assert.ok(syn.length >= 1);
    for (const l of syn) assert.match(l, /md5 +\(?invalid/);
    assert.equal(pk.filter((l) => l.includes('Flags [S.]')).length, 0, 'listener answered a bad SYN');
  });

  test('no key on the client: never connects, TCPMD5NotFound rises', async () => {
    const c0 = netstat();
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1790, timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
    assert.ok(delta(c0, 'TcpExt.TCPMD5NotFound') >= 1, 'TCPMD5NotFound did not rise');
  });

  test('a timed-out attempt leaks no fd, and the next attempt with the right key works', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1790, password: 'wrong', timeoutMs: 300 }), 'CONNECT_TIMEOUT');
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1799, timeoutMs: 300 }), 'ECONNREFUSED');
    assert.equal(readdirSync('/proc/self/fd').length, fds);
    const sock = await connectBgp({ host: '127.0.0.1', port: 1790, password: 'secret', timeoutMs: 3000 });
    assert.equal(await exchange(sock), 'pong:ping');
    sock.destroy();
  });

  test('key removed at run time: unsigned clients connect, signed ones do not', async () => {
    setListenerPassword(server, '127.0.0.1', null);
    try {
      const plain = await connectBgp({ host: '127.0.0.1', port: 1790, timeoutMs: 3000 });
      assert.equal(await exchange(plain), 'pong:ping');
      plain.destroy();
      const c0 = netstat();
      await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1790, password: 'secret', timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
      assert.ok(delta(c0, 'TcpExt.TCPMD5Unexpected') >= 1, 'TCPMD5Unexpected did not rise');
      // removing a key that is not installed is not an error
      setListenerPassword(server, '127.0.0.1', null);
    } finally {
      setListenerPassword(server, '127.0.0.1', 'secret');
    }
    const sock = await connectBgp({ host: '127.0.0.1', port: 1790, password: 'secret', timeoutMs: 3000 });
    assert.equal(await exchange(sock), 'pong:ping');
    sock.destroy();
  });

  test('key for another peer does not open the door (per-address keys)', async () => {
    // client from 127.0.0.2 signs with the key the listener holds for 127.0.0.1 only
    const c0 = netstat();
    await rejectsWith(
      connectBgp({ host: '127.0.0.1', port: 1790, localAddress: '127.0.0.2', password: 'secret', timeoutMs: 1200 }),
      'CONNECT_TIMEOUT',
    );
    assert.ok(delta(c0, 'TcpExt.TCPMD5Unexpected') >= 1);
    setListenerPassword(server, '127.0.0.2', 'other');
    const sock = await connectBgp({ host: '127.0.0.1', port: 1790, localAddress: '127.0.0.2', password: 'other', timeoutMs: 3000 });
    assert.equal(sock.localAddress, '127.0.0.2');
    assert.equal(await exchange(sock), 'pong:ping');
    sock.destroy();
  });
});

describe('TCP MD5 over IPv6 (::1)', () => {
  before(async () => {
    const server = await echoServer('::1', 1791);
    setListenerPassword(server, '::1', 'secret6');
  });

  test('same key: connects and the SYN carries a valid MD5 option', async () => {
    const cap = new Capture(join(tmp.dir, 'v6.pcap'));
    await cap.start('lo', 'tcp port 1791');
    const sock = await connectBgp({ host: '::1', port: 1791, password: 'secret6', timeoutMs: 3000 });
    assert.equal(sock.remoteAddress, '::1');
    assert.equal(await exchange(sock), 'pong:ping');
    sock.destroy();
    const pk = packets(await cap.stop('secret6', (p) => p.some((l) => l.includes('Flags [S.]'))));
    const syn = pk.filter((l) => l.includes('Flags [S]'));
    assert.ok(syn.length >= 1 && syn.every((l) => /IP6/.test(l)), pk.join('\n'));
    for (const l of syn) assert.match(l, /md5 valid/);
  });

  test('wrong key and no key: CONNECT_TIMEOUT', async () => {
    const c0 = netstat();
    await rejectsWith(connectBgp({ host: '::1', port: 1791, password: 'nope', timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
    await rejectsWith(connectBgp({ host: '::1', port: 1791, timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
    assert.ok(delta(c0, 'TcpExt.TCPMD5Failure') >= 1);
    assert.ok(delta(c0, 'TcpExt.TCPMD5NotFound') >= 1);
  });
});

describe('dual-stack listener on "::"', () => {
  test('an IPv4 peer key is installed v4-mapped and enforced', async () => {
    const server = await echoServer('::', 1792);
    setListenerPassword(server, '127.0.0.1', 'mapped');
    const sock = await connectBgp({ host: '127.0.0.1', port: 1792, password: 'mapped', timeoutMs: 3000 });
    assert.equal(await exchange(sock), 'pong:ping');
    sock.destroy();
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1792, timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1792, password: 'wrong', timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
  });
});

describe('argument checks', () => {
  test('passwords longer than 80 bytes and non-addresses are refused before any syscall', async () => {
    const server = servers[0]!;
    assert.throws(() => setListenerPassword(server, '127.0.0.1', 'x'.repeat(81)), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => setListenerPassword(server, 'localhost', 'x'), { code: 'INVALID_ADDRESS' });
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1790, password: '', timeoutMs: 100 }), 'INVALID_ARGUMENT');
    // 80 bytes is the kernel's limit and is accepted
    setListenerPassword(server, '127.0.0.9', 'k'.repeat(80));
    setListenerPassword(server, '127.0.0.9', null);
  });
});

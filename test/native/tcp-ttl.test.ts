// Outgoing TTL, GTSM minimum TTL (RFC 5082), bind-before-connect and connect errors through
// src/bgp/sockopts.ts, on real sockets in a scratch network namespace; TTLs are read off
// the wire with tcpdump (loopback does not decrement them). Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { join } from 'node:path';
import {
  connectBgp,
  listenBgp,
  setListenerSecurity,
  setSocketTtl,
  ttlPolicy,
} from '../../src/bgp/sockopts.js';
import { WrenError } from '../../src/bgp/errors.js';
import { loadNative } from '../../src/native.js';
import { Capture, Netns, netstat, packets, sh, tempDir } from './helpers.js';

let ns: Netns;
let tmp: ReturnType<typeof tempDir>;
const servers: net.Server[] = [];

before(() => {
  ns = new Netns('ttl').enter();
  tmp = tempDir();
  sh('ip', '-6', 'addr', 'add', 'fd00::2/128', 'dev', 'lo', 'nodad');
});
after(() => {
  for (const s of servers) s.close();
  ns?.destroy();
  tmp?.remove();
});

/** A listener recording every accepted socket. */
async function server(host: string, port: number): Promise<{ server: net.Server; accepted: net.Socket[] }> {
  const srv = await listenBgp({ host, port });
  servers.push(srv);
  const accepted: net.Socket[] = [];
  srv.on('connection', (s) => {
    s.on('error', () => {});
    accepted.push(s);
  });
  return { server: srv, accepted };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WrenError, `expected WrenError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

const fdOf = (s: net.Socket): number => (s as unknown as { _handle: { fd: number } })._handle.fd;

async function nextAccepted(accepted: net.Socket[], n: number): Promise<net.Socket> {
  const end = Date.now() + 3000;
  while (accepted.length < n) {
    if (Date.now() > end) throw new Error('no connection accepted');
    await new Promise((r) => setTimeout(r, 10));
  }
  return accepted[n - 1]!;
}

describe('outgoing TTL on the wire', () => {
  let accepted: net.Socket[];
  let srv: net.Server;
  before(async () => {
    ({ server: srv, accepted } = await server('127.0.0.1', 1800));
  });

  for (const ttl of [255, 1]) {
    test(`ttl ${ttl}: the SYN leaves with TTL ${ttl}`, async () => {
      const cap = new Capture(join(tmp.dir, `ttl${ttl}.pcap`));
      await cap.start('lo', 'tcp port 1800');
      const sock = await connectBgp({ host: '127.0.0.1', port: 1800, ttl, timeoutMs: 3000 });
      sock.destroy();
      const pk = packets(await cap.stop(undefined, (p) => p.some((l) => l.includes('Flags [S.]'))));
      const syn = pk.filter((l) => l.includes('Flags [S]'));
      assert.equal(syn.length, 1, pk.join('\n'));
      assert.match(syn[0]!, new RegExp(`\\bttl ${ttl}\\b`));
      // the listener has no TTL option: its SYN-ACK uses the namespace default (64)
      assert.match(pk.find((l) => l.includes('Flags [S.]'))!, /\bttl 64\b/);
    });
  }

  test('setListenerSecurity ttl: SYN-ACK leaves with 255 and accepted sockets inherit it', async () => {
    setListenerSecurity(srv, { ttl: 255 });
    const n = accepted.length;
    const cap = new Capture(join(tmp.dir, 'listener-ttl.pcap'));
    await cap.start('lo', 'tcp port 1800');
    const sock = await connectBgp({ host: '127.0.0.1', port: 1800, timeoutMs: 3000 });
    const acc = await nextAccepted(accepted, n + 1);
    const native = loadNative();
    assert.equal(native.getTtl(fdOf(acc)), 255);
    assert.equal(native.getTtl(fdOf(sock)), 64);
    const pk = packets(await cap.stop(undefined, (p) => p.some((l) => l.includes('Flags [S.]'))));
    assert.match(pk.find((l) => l.includes('Flags [S.]'))!, /\bttl 255\b/);
    // per-session change on the accepted socket (BIRD's way: after accept)
    setSocketTtl(acc, { ttl: 7, minTtl: 250 });
    assert.equal(native.getTtl(fdOf(acc)), 7);
    assert.equal(native.getMinTtl(fdOf(acc)), 250);
    sock.destroy();
    acc.destroy();
  });

  test('IPv6: hop limit 255 on the SYN', async () => {
    await server('::1', 1801);
    const cap = new Capture(join(tmp.dir, 'hlim.pcap'));
    await cap.start('lo', 'tcp port 1801');
    const sock = await connectBgp({ host: '::1', port: 1801, ttl: 255, timeoutMs: 3000 });
    assert.equal(loadNative().getTtl(fdOf(sock)), 255);
    sock.destroy();
    const pk = packets(await cap.stop(undefined, (p) => p.some((l) => l.includes('Flags [S.]'))));
    const syn = pk.filter((l) => l.includes('Flags [S]'));
    assert.equal(syn.length, 1, pk.join('\n'));
    assert.match(syn[0]!, /hlim 255/);
  });
});

describe('GTSM: listener minimum TTL', () => {
  test('IPv4 listener with minTtl 255 drops TTL 64 SYNs and accepts TTL 255', async () => {
    const { server: srv, accepted } = await server('127.0.0.1', 1810);
    setListenerSecurity(srv, { ttl: 255, minTtl: 255 });
    const c0 = netstat();
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1810, ttl: 64, timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
    assert.ok((netstat()['TcpExt.TCPMinTTLDrop'] ?? 0) > (c0['TcpExt.TCPMinTTLDrop'] ?? 0), 'TCPMinTTLDrop did not rise');
    assert.equal(accepted.length, 0);
    const ok = await connectBgp({ host: '127.0.0.1', port: 1810, ttl: 255, minTtl: 255, timeoutMs: 3000 });
    const acc = await nextAccepted(accepted, 1);
    assert.equal(loadNative().getMinTtl(fdOf(acc)), 255, 'accepted socket inherits IP_MINTTL');
    assert.equal(loadNative().getMinTtl(fdOf(ok)), 255);
    ok.destroy();
  });

  test('IPv6 listener with minTtl 255 drops hop limit 64 and accepts 255', async () => {
    const { server: srv, accepted } = await server('::1', 1811);
    setListenerSecurity(srv, { minTtl: 255 });
    const c0 = netstat();
    await rejectsWith(connectBgp({ host: '::1', port: 1811, ttl: 64, timeoutMs: 1200 }), 'CONNECT_TIMEOUT');
    assert.ok((netstat()['TcpExt.TCPMinTTLDrop'] ?? 0) > (c0['TcpExt.TCPMinTTLDrop'] ?? 0));
    assert.equal(accepted.length, 0);
    const ok = await connectBgp({ host: '::1', port: 1811, ttl: 255, timeoutMs: 3000 });
    await nextAccepted(accepted, 1);
    ok.destroy();
  });

  test("ttlPolicy follows BIRD's rule", () => {
    assert.deepEqual(ttlPolicy({ internal: false }), { ttl: 1 });
    assert.deepEqual(ttlPolicy({ internal: true }), { ttl: 64 });
    assert.deepEqual(ttlPolicy({ internal: false, multihop: 3 }), { ttl: 3 });
    assert.deepEqual(ttlPolicy({ internal: false, ttlSecurity: true }), { ttl: 255, minTtl: 255 });
    assert.deepEqual(ttlPolicy({ internal: false, multihop: 2, ttlSecurity: true }), { ttl: 255, minTtl: 254 });
    assert.deepEqual(ttlPolicy({ internal: true, ttlSecurity: true }), { ttl: 255, minTtl: 192 });
  });
});

describe('bind-before-connect and errors', () => {
  test('localAddress 127.0.0.2 is what the server sees', async () => {
    const { accepted } = await server('127.0.0.1', 1820);
    const sock = await connectBgp({ host: '127.0.0.1', port: 1820, localAddress: '127.0.0.2', timeoutMs: 3000 });
    assert.equal(sock.localAddress, '127.0.0.2');
    const acc = await nextAccepted(accepted, 1);
    assert.equal(acc.remoteAddress, '127.0.0.2');
    assert.equal(acc.remotePort, sock.localPort);
    sock.destroy();
  });

  test('IPv6 localAddress fd00::2 is what the server sees', async () => {
    const { accepted } = await server('::1', 1821);
    const sock = await connectBgp({ host: '::1', port: 1821, localAddress: 'fd00::2', timeoutMs: 3000 });
    const acc = await nextAccepted(accepted, 1);
    assert.equal(acc.remoteAddress, 'fd00::2');
    sock.destroy();
  });

  test('IPv6 link-local peer with a %scope: connect and bind over a veth', async () => {
    sh('ip', 'link', 'add', 'wrl0', 'type', 'veth', 'peer', 'name', 'wrl1');
    sh('ip', 'addr', 'add', 'fe80::a/64', 'dev', 'wrl0', 'nodad');
    sh('ip', 'addr', 'add', 'fe80::b/64', 'dev', 'wrl1', 'nodad');
    sh('ip', 'link', 'set', 'wrl0', 'up');
    sh('ip', 'link', 'set', 'wrl1', 'up');
    const { accepted } = await server('::', 1822);
    const sock = await connectBgp({ host: 'fe80::a%wrl1', port: 1822, localAddress: 'fe80::b%wrl1', ttl: 255, timeoutMs: 3000 });
    const acc = await nextAccepted(accepted, 1);
    assert.match(acc.remoteAddress ?? '', /^fe80::b(%|$)/);
    assert.equal(acc.remotePort, sock.localPort);
    sock.destroy();
    await rejectsWith(connectBgp({ host: 'fe80::a%nosuchdev', port: 1822, timeoutMs: 3000 }), 'ENODEV');
  });

  test('errors carry stable codes', async () => {
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1829, timeoutMs: 3000 }), 'ECONNREFUSED');
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1829, localAddress: '198.18.9.9', timeoutMs: 3000 }), 'EADDRNOTAVAIL');
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1829, localAddress: '::1', timeoutMs: 3000 }), 'EAFNOSUPPORT');
    await rejectsWith(connectBgp({ host: 'example.net', port: 179, timeoutMs: 3000 }), 'INVALID_ADDRESS');
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 0, timeoutMs: 3000 }), 'INVALID_ARGUMENT');
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 179, ttl: 0, timeoutMs: 3000 }), 'INVALID_ARGUMENT');
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 179, minTtl: 256, timeoutMs: 3000 }), 'INVALID_ARGUMENT');
    // no route in this namespace for 198.18.1.1 (only lo exists)
    await rejectsWith(connectBgp({ host: '198.18.1.1', port: 179, timeoutMs: 3000 }), 'ENETUNREACH');
    await assert.rejects(listenBgp({ host: '127.0.0.1', port: 1820 }), { code: 'EADDRINUSE' });
  });

  test('abort signal cancels a pending connect', async () => {
    const { server: srv } = await server('127.0.0.1', 1830);
    setListenerSecurity(srv, { minTtl: 255 }); // SYNs at TTL 64 get no answer
    const ac = new AbortController();
    const p = connectBgp({ host: '127.0.0.1', port: 1830, timeoutMs: 0, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await rejectsWith(p, 'ABORTED');
    const ac2 = new AbortController();
    ac2.abort();
    await rejectsWith(connectBgp({ host: '127.0.0.1', port: 1830, timeoutMs: 0, signal: ac2.signal }), 'ABORTED');
  });

  test('setters on a server that is not listening / a destroyed socket', async () => {
    const { accepted } = await server('127.0.0.1', 1832);
    const c = await connectBgp({ host: '127.0.0.1', port: 1832, timeoutMs: 3000 });
    const acc = await nextAccepted(accepted, 1);
    acc.destroy();
    c.destroy();
    assert.throws(() => setSocketTtl(acc, { ttl: 255 }), { code: 'NOT_CONNECTED' });
    const { server: srv } = await server('127.0.0.1', 1831);
    await new Promise((r) => srv.close(r));
    assert.throws(() => setListenerSecurity(srv, { ttl: 255 }), { code: 'NOT_LISTENING' });
  });
});

// The addon's raw surface (src/native.ts → native/src/*.c): errno errors shaped like Node's
// system errors, argument checks, socket options read back with getsockopt. No traffic:
// sockets are created, configured and closed without connecting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { loadNative } from '../../src/native.js';
import type { NativeError } from '../../src/native.js';

const native = loadNative();

function throwsErrno(fn: () => unknown, code: string, syscall: string): void {
  assert.throws(fn, (e: unknown) => {
    const err = e as NativeError;
    assert.ok(err instanceof Error);
    assert.equal(err.code, code);
    assert.equal(err.syscall, syscall);
    assert.equal(typeof err.errno, 'number');
    assert.match(err.message, new RegExp(`^${syscall} ${code}: `));
    return true;
  });
}

describe('native addon', () => {
  test('is loaded once and exposes the TCP and netlink calls', () => {
    assert.equal(loadNative(), native);
    for (const name of ['tcpSocket', 'bind', 'connect', 'waitWritable', 'cancelWait', 'setMd5', 'setTtl', 'setMinTtl', 'close', 'nlOpen', 'nlSend', 'nlClose', 'fixMmapThreshold', 'releasePages']) {
      assert.equal(typeof (native as unknown as Record<string, unknown>)[name], 'function', name);
    }
  });

  test('releasePages: whole pages only, the buffer stays attached, anything but an ArrayBuffer refused', () => {
    const page = 4096;
    const big = new Uint8Array(64 * page).fill(7);
    const released = native.releasePages(big.buffer);
    // The storage need not be page-aligned: at most the two partial end pages are kept.
    assert.ok(released >= 62 * page && released <= 64 * page && released % page === 0, `released ${released}`);
    assert.equal(big.length, 64 * page, 'not detached');
    assert.equal(big[32 * page], 0, 'a released page reads as zeros');
    big[32 * page] = 9; // and takes writes again (a fresh page)
    assert.equal(big[32 * page], 9);
    assert.equal(native.releasePages(new ArrayBuffer(100)), 0, 'less than a page: nothing');
    assert.throws(() => native.releasePages(big as unknown as ArrayBuffer), (e: NativeError) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE');
    assert.throws(() => native.releasePages(new SharedArrayBuffer(8 * page) as unknown as ArrayBuffer), TypeError);
  });

  test('fixMmapThreshold: applied on glibc (Debian), refused for a bad size', () => {
    assert.equal(native.fixMmapThreshold(128 * 1024), true);
    assert.equal(native.fixMmapThreshold(0), false);
    assert.throws(() => native.fixMmapThreshold('big' as unknown as number), TypeError);
  });

  test('IPv4 socket: TTL and minimum TTL read back; bad values refused', () => {
    const fd = native.tcpSocket(4);
    try {
      assert.equal(native.socketFamily(fd), 4);
      native.setTtl(fd, 255);
      native.setMinTtl(fd, 254);
      assert.equal(native.getTtl(fd), 255);
      assert.equal(native.getMinTtl(fd), 254);
      native.setMinTtl(fd, 0);
      assert.equal(native.getMinTtl(fd), 0);
      assert.throws(() => native.setTtl(fd, 0), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => native.setTtl(fd, 256), { code: 'ERR_INVALID_ARG_VALUE' });
    } finally {
      native.close(fd);
    }
  });

  test('IPv6 socket: hop limit and minimum hop count read back', () => {
    const fd = native.tcpSocket(6);
    try {
      assert.equal(native.socketFamily(fd), 6);
      native.setTtl(fd, 3);
      native.setMinTtl(fd, 253);
      assert.equal(native.getTtl(fd), 3);
      assert.equal(native.getMinTtl(fd), 253);
    } finally {
      native.close(fd);
    }
  });

  test('MD5 keys: 80 bytes accepted, 81 refused, IPv6 peer on an IPv4 socket is EAFNOSUPPORT', () => {
    const fd = native.tcpSocket(4);
    try {
      native.setMd5(fd, '192.0.2.1', Buffer.alloc(80, 1), -1);
      native.setMd5(fd, '192.0.2.1', null, -1);
      throwsErrno(() => native.setMd5(fd, '192.0.2.1', null, -1), 'ENOENT', 'setsockopt');
      native.setMd5(fd, '192.0.2.0', Buffer.from('k'), 24); // TCP_MD5SIG_EXT with a prefix
      assert.throws(() => native.setMd5(fd, '192.0.2.1', Buffer.alloc(81), -1), { code: 'ERR_INVALID_ARG_VALUE' });
      throwsErrno(() => native.setMd5(fd, '2001:db8::1', Buffer.from('k'), -1), 'EAFNOSUPPORT', 'setsockopt');
      throwsErrno(() => native.setMd5(fd, 'not-an-ip', Buffer.from('k'), -1), 'EINVAL', 'setsockopt');
    } finally {
      native.close(fd);
    }
  });

  test('errno errors: bind to an address not on this host, use of a closed fd', () => {
    const fd = native.tcpSocket(4);
    throwsErrno(() => native.bind(fd, '192.0.2.77', 0), 'EADDRNOTAVAIL', 'bind');
    native.close(fd);
    throwsErrno(() => native.setTtl(fd, 64), 'EBADF', 'getsockopt');
    throwsErrno(() => native.close(fd), 'EBADF', 'close');
    assert.throws(() => native.tcpSocket(5 as 4), { code: 'ERR_INVALID_ARG_VALUE' });
  });

  test('no fd leak across create/close cycles', () => {
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 200; i++) native.close(native.tcpSocket(i % 2 ? 4 : 6));
    assert.equal(readdirSync('/proc/self/fd').length, before);
  });
});

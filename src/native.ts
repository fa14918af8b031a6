// Loader and typed surface of Wren's N-API addon (native/, built to
// native/build/Release/wren_native.node by `npm ci` or
// `npx node-gyp rebuild --directory native --nodedir=/usr`).
// The addon makes the system calls node:net cannot: TCP_MD5SIG (RFC 2385), IP_TTL /
// IP_MINTTL and IPv6 twins (RFC 5082 GTSM), bind-before-connect with a non-blocking
// connect, and rtnetlink sockets read on a uv_poll. Every failing syscall throws an Error
// whose `code` is the errno name ('ECONNREFUSED'), with `errno` and `syscall` set.
// Only src/bgp/sockopts.ts, src/fib/netlink/socket.ts, src/daemon.ts (process tuning) and
// src/rib/columns.ts (releasePages) should call it.
// Leaves out: prebuilt binaries (prebuildify + node-gyp-build could come later).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { WrenError } from './bgp/errors.js';

/** Opaque handle of a pending connect wait or an open netlink socket. */
export type NativeHandle = { readonly __native: unique symbol };

/** Errors thrown by the addon (shape of Node's own system errors). */
export interface NativeError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
}

export interface WrenNative {
  // ---- TCP (native/src/tcp.c) -----------------------------------------------------------
  /** socket(AF_INET | AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC). */
  tcpSocket(family: 4 | 6): number;
  /** 4, 6, or 0 (SO_DOMAIN). */
  socketFamily(fd: number): 4 | 6 | 0;
  /** bind(); an IPv4 address on an IPv6 socket is used v4-mapped; "fe80::1%eth0" scopes. */
  bind(fd: number, address: string, port: number): void;
  /** Non-blocking connect(): true if connected at once, false while in progress. */
  connect(fd: number, address: string, port: number): boolean;
  /**
   * Calls `cb` once the fd is writable (connect finished), err from SO_ERROR. The poll is
   * stopped before `cb` runs, so the fd may be handed to `new net.Socket({ fd })` there.
   */
  waitWritable(fd: number, cb: (err: NativeError | null) => void): NativeHandle;
  /** Stops an unfinished wait without calling its callback; the fd may be closed next. */
  cancelWait(handle: NativeHandle): void;
  /**
   * TCP_MD5SIG for `peer` (key null removes it). prefixLen >= 0 uses TCP_MD5SIG_EXT with
   * TCP_MD5SIG_FLAG_PREFIX (a key for a range); -1 for one address.
   */
  setMd5(fd: number, peer: string, key: Buffer | null, prefixLen: number): void;
  /** IP_TTL (+ IPV6_UNICAST_HOPS on IPv6 sockets), 1..255. */
  setTtl(fd: number, ttl: number): void;
  getTtl(fd: number): number;
  /** IP_MINTTL (+ IPV6_MINHOPCOUNT on IPv6 sockets), 0 (off)..255. */
  setMinTtl(fd: number, minTtl: number): void;
  getMinTtl(fd: number): number;
  close(fd: number): void;
  /** setns(fd, CLONE_NEWNET) for the calling (main) thread; used by tests. */
  setNetns(nsFd: number): void;

  // ---- process (native/src/addon.c) --------------------------------------------------------
  /**
   * mallopt(M_MMAP_THRESHOLD, bytes): blocks from `bytes` up are mmap()ed and returned to
   * the system when freed, and glibc no longer raises the threshold by itself. False where
   * malloc is not glibc's, or for bytes <= 0.
   */
  fixMmapThreshold(bytes: number): boolean;
  /**
   * madvise(MADV_DONTNEED) on the whole pages of `buffer`'s storage: they leave the resident
   * set now and read as zeros after; the buffer stays attached. Returns the bytes released.
   */
  releasePages(buffer: ArrayBuffer): number;

  // ---- netlink (native/src/netlink.c) -----------------------------------------------------
  /** socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC|SOCK_NONBLOCK, protocol), bind(pid 0, groups), start reading. */
  nlOpen(
    protocol: number,
    groupsMask: number,
    onMessage: (datagram: Buffer) => void,
    onOverrun: () => void,
    onError: (err: NativeError) => void,
  ): NativeHandle;
  /** NETLINK_ADD_MEMBERSHIP (join) / NETLINK_DROP_MEMBERSHIP. */
  nlMembership(h: NativeHandle, group: number, join: boolean): void;
  /** SO_RCVBUFFORCE, falling back to SO_RCVBUF; returns the kernel's SO_RCVBUF value. */
  nlSetRcvBuf(h: NativeHandle, bytes: number): number;
  /** An int option at SOL_NETLINK. */
  nlSetOption(h: NativeHandle, option: number, value: number): void;
  /** One sendmsg() to the kernel; returns bytes sent. */
  nlSend(h: NativeHandle, buf: Uint8Array): number;
  nlPortId(h: NativeHandle): number;
  /** Pause (false) or resume (true) reading. */
  nlReading(h: NativeHandle, on: boolean): void;
  nlClose(h: NativeHandle): void;
}

/** Where the built addon lives, relative to this file (src/ or dist/src/). */
function candidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [
    join(here, '..', 'native', 'build', 'Release', 'wren_native.node'),
    join(here, '..', '..', 'native', 'build', 'Release', 'wren_native.node'),
  ];
}

let cached: WrenNative | undefined;

/** The addon, loaded once; WrenError('NATIVE_MISSING') when it has not been built. */
export function loadNative(): WrenNative {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of candidates()) {
    try {
      cached = require(path) as WrenNative;
      return cached;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_DLOPEN_FAILED') throw e;
      tried.push(`${path} (${(e as Error).message.split('\n')[0]})`);
    }
  }
  throw new WrenError(
    'NATIVE_MISSING',
    `native addon wren_native.node not found or not loadable; build it with ` +
      `"npx node-gyp rebuild --directory native --nodedir=/usr" (tried: ${tried.join('; ')})`,
  );
}

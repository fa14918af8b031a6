// TCP socket options for BGP sessions (RFC 4271 §8: the transport): TCP MD5 signatures
// (RFC 2385), outgoing TTL and GTSM (RFC 5082), bind-before-connect.
// node:net cannot set any of these, so the native addon (src/native.ts) does the syscalls:
//   - outgoing (connectBgp), "approach C": a socket made natively → bind(localAddress) →
//     TCP_MD5SIG / IP_TTL / IP_MINTTL → non-blocking connect() → wait for writability on a
//     uv_poll inside the addon → SO_ERROR → `new net.Socket({ fd })`. MD5 and TTL must be
//     set before connect(): the SYN is signed and carries the TTL. A timeout (or abort)
//     stops the poll and closes the fd. The poll is chosen over handing the connecting fd
//     to net.Socket early because it gives a clean "connected / refused / timed out"
//     result before any Node object exists.
//   - listening (listenBgp + setListenerPassword / setListenerSecurity), "approach A":
//     node:net's own listener; the options are set on `server._handle.fd`. MD5 keys are
//     per peer address and can be added or removed at run time; accepted sockets inherit
//     the listener's keys, TTL and minimum TTL. On a dual-stack "::" listener an IPv4
//     peer's key is installed as its v4-mapped address (the addon does that).
//
// GTSM, as BIRD 2 (and 1.6) does it (proto/bgp/bgp.c: bgp_connect, bgp_incoming_connection,
// bgp_postconfig): hops = `multihop N` if set, else 64 for iBGP and 1 (direct) for eBGP.
// Without `ttl security`: outgoing TTL = hops, no minimum. With `ttl security on`: outgoing
// TTL 255 and IP_MINTTL = 256 - hops (so 255 for a direct peer), set on the session socket
// before connect() or right after accept(). `ttlPolicy()` encodes that rule. A listener may
// also carry IP_MINTTL (setListenerSecurity) so low-TTL SYNs never complete a handshake;
// that is stricter than BIRD and only right when every peer on that listener uses GTSM.
//
// Left out: TCP-AO (RFC 5925; CONFIG_TCP_AO is off on the target kernels), host names
// (peers are addresses), SO_BINDTODEVICE / VRFs, keys for prefix ranges (the addon's
// setMd5 supports a prefix length; no caller needs it yet).
import net from 'node:net';
import { WrenError } from './errors.js';
import { loadNative } from '../native.js';
import type { NativeError, NativeHandle } from '../native.js';

export interface SocketSecurity {
  /** TCP MD5 key (RFC 2385), at most 80 bytes of UTF-8. */
  password?: string;
  /** Outgoing TTL / hop limit: 255 for GTSM, N for `multihop N`, 1 for a direct eBGP session. */
  ttl?: number;
  /** GTSM minimum accepted TTL (IP_MINTTL / IPV6_MINHOPCOUNT), e.g. 256 - hops. */
  minTtl?: number;
}

export interface ConnectOptions extends SocketSecurity {
  host: string;
  port: number;
  localAddress?: string;
  /** Connect timeout; <= 0 or non-finite means none. */
  timeoutMs: number;
  /** Optional: abandon the attempt (rejects with code 'ABORTED'). */
  signal?: AbortSignal;
}

/** BIRD's TTL rule (see the file comment): what to put in SocketSecurity for a peer. */
export function ttlPolicy(p: { internal: boolean; multihop?: number; ttlSecurity?: boolean }): {
  ttl: number;
  minTtl?: number;
} {
  const hops = (p.multihop ?? (p.internal ? 64 : 0)) || 1;
  return p.ttlSecurity ? { ttl: 255, minTtl: 256 - hops } : { ttl: hops };
}

/** A native errno error (or anything thrown by the addon) as a WrenError with the same code. */
function toWrenError(e: unknown, context: string): WrenError {
  if (e instanceof WrenError) return e;
  const err = e as NativeError;
  const code = typeof err?.code === 'string' ? err.code : 'EUNKNOWN';
  return new WrenError(code, `${context}: ${err?.message ?? String(e)}`);
}

function checkTtl(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min || v > 255)) {
    throw new WrenError('INVALID_ARGUMENT', `${name} must be an integer ${min}..255, got ${v}`);
  }
}

function md5Key(password: string): Buffer {
  const key = Buffer.from(password, 'utf8');
  if (key.length === 0 || key.length > 80) {
    throw new WrenError('INVALID_ARGUMENT', `TCP MD5 password must be 1..80 bytes, got ${key.length}`);
  }
  return key;
}

function checkAddress(name: string, address: string): 4 | 6 {
  const family = net.isIP(address);
  if (family !== 4 && family !== 6) throw new WrenError('INVALID_ADDRESS', `${name} is not an IP address: ${address}`);
  return family;
}

/**
 * Opens an outgoing BGP TCP connection with MD5 / TTL / minimum TTL set before the SYN.
 * Rejects with WrenError: 'CONNECT_TIMEOUT', 'ABORTED', errno codes from connect
 * ('ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', ...) or from setup ('EADDRNOTAVAIL'
 * for a localAddress not on this host, 'INVALID_ADDRESS', 'INVALID_ARGUMENT').
 */
export function connectBgp(opts: ConnectOptions): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const where = `connect to ${opts.host} port ${opts.port}`;
    let fd = -1;
    let wait: NativeHandle | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const native = loadNative();

    const cleanup = (closeFd: boolean): void => {
      settled = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (wait) native.cancelWait(wait);
      wait = undefined;
      if (closeFd && fd >= 0) native.close(fd);
      fd = -1;
    };
    const fail = (e: unknown): void => {
      if (settled) return;
      cleanup(true);
      reject(toWrenError(e, where));
    };
    const succeed = (): void => {
      if (settled) return;
      const sockFd = fd;
      cleanup(false);
      try {
        resolve(new net.Socket({ fd: sockFd, readable: true, writable: true }));
      } catch (e) {
        native.close(sockFd);
        reject(toWrenError(e, where));
      }
    };
    function onAbort(): void {
      fail(new WrenError('ABORTED', `${where}: aborted`));
    }

    try {
      const family = checkAddress('host', opts.host);
      if (opts.localAddress !== undefined) checkAddress('localAddress', opts.localAddress);
      if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
        throw new WrenError('INVALID_ARGUMENT', `port must be 1..65535, got ${opts.port}`);
      }
      checkTtl('ttl', opts.ttl, 1);
      checkTtl('minTtl', opts.minTtl, 0);
      const key = opts.password !== undefined ? md5Key(opts.password) : undefined;
      if (opts.signal?.aborted) throw new WrenError('ABORTED', `${where}: aborted`);

      fd = native.tcpSocket(family);
      if (opts.localAddress !== undefined) native.bind(fd, opts.localAddress, 0);
      if (key) native.setMd5(fd, opts.host, key, -1);
      if (opts.ttl !== undefined) native.setTtl(fd, opts.ttl);
      if (opts.minTtl !== undefined) native.setMinTtl(fd, opts.minTtl);
      if (native.connect(fd, opts.host, opts.port)) {
        succeed();
        return;
      }
      wait = native.waitWritable(fd, (err) => {
        wait = undefined; // finished: nothing to cancel
        if (err) fail(err);
        else succeed();
      });
      if (Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0) {
        timer = setTimeout(() => {
          fail(new WrenError('CONNECT_TIMEOUT', `${where}: no answer within ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    } catch (e) {
      fail(e);
    }
  });
}

/** Listens for BGP connections (node:net); options are added with the setters below. */
export function listenBgp(opts: { host: string; port: number; ipv6Only?: boolean }): Promise<net.Server> {
  return new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer();
    const onError = (e: Error): void => reject(toWrenError(e, `listen on ${opts.host} port ${opts.port}`));
    server.once('error', onError);
    server.listen({ host: opts.host, port: opts.port, exclusive: true, ipv6Only: opts.ipv6Only === true }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/** The OS fd under a listening server or a connected socket (node internals: `_handle.fd`). */
function fdOf(obj: net.Server | net.Socket, what: string): number {
  const fd = (obj as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new WrenError(what === 'server' ? 'NOT_LISTENING' : 'NOT_CONNECTED', `${what} has no open socket`);
  }
  return fd;
}

/** Installs (or, with null, removes) the MD5 key for one peer address on a listener. */
export function setListenerPassword(server: net.Server, peer: string, password: string | null): void {
  checkAddress('peer', peer);
  const key = password === null ? null : md5Key(password);
  const fd = fdOf(server, 'server');
  try {
    loadNative().setMd5(fd, peer, key, -1);
  } catch (e) {
    // removing a key that was never installed is not an error for the caller
    if (key === null && (e as NativeError).code === 'ENOENT') return;
    throw toWrenError(e, `TCP MD5 key for ${peer}`);
  }
}

function applyTtl(fd: number, sec: { ttl?: number; minTtl?: number }, what: string): void {
  checkTtl('ttl', sec.ttl, 1);
  checkTtl('minTtl', sec.minTtl, 0);
  const native = loadNative();
  try {
    if (sec.ttl !== undefined) native.setTtl(fd, sec.ttl);
    if (sec.minTtl !== undefined) native.setMinTtl(fd, sec.minTtl);
  } catch (e) {
    throw toWrenError(e, `TTL options on ${what}`);
  }
}

/** TTL / minimum TTL on the listening socket (inherited by sockets it accepts). */
export function setListenerSecurity(server: net.Server, sec: { ttl?: number; minTtl?: number }): void {
  applyTtl(fdOf(server, 'server'), sec, 'listener');
}

/** TTL / minimum TTL on an accepted (or connected) socket, BIRD's per-session GTSM. */
export function setSocketTtl(socket: net.Socket, sec: { ttl?: number; minTtl?: number }): void {
  applyTtl(fdOf(socket, 'socket'), sec, 'socket');
}

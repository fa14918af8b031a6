// The BGP listening socket (RFC 4271 §8.2.1.2: a speaker listens on TCP port 179 and
// accepts connections from configured peers only). Incoming connections are matched by
// the peer's address to a registered Session, which takes the socket (acceptIncoming runs
// collision detection, §6.8); an unknown address is closed at once without a word, as BIRD
// does. IPv4 peers reaching a dual-stack "::" listener arrive as ::ffff:a.b.c.d and are
// matched as a.b.c.d. A peer registered with a password gets its TCP MD5 key (RFC 2385)
// installed on the listener (sockopts.setListenerPassword), removed on unregister.
// Leaves out: dynamic peers (ranges), matching on the local address, per-VRF listeners.

import type net from 'node:net';
import { listenBgp, setListenerPassword } from './sockopts.js';
import { WrenError } from './errors.js';
import type { Session } from './session.js';
import { formatAddress, parseAddress } from '../rib/prefix.js';
import { nullLogger, type Logger } from '../log.js';

export interface ListenerOptions {
  /** Default "::" (dual stack), falling back to 0.0.0.0 where IPv6 is unavailable. */
  readonly address?: string;
  /** Default 179; 0 = any free port (tests; read `port` after listen()). */
  readonly port?: number;
  /** IPV6_V6ONLY on an IPv6 listener (bird6 beside bird, each on port 179). */
  readonly ipv6Only?: boolean;
  readonly logger?: Logger;
}

/** Canonical text of an address; v4-mapped IPv6 becomes dotted IPv4. Throws on bad text. */
export function canonicalPeerAddress(text: string): string {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const pct = bare.indexOf('%');
  const b = parseAddress(pct >= 0 ? bare.slice(0, pct) : bare);
  if (b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return formatAddress(b.subarray(12));
  }
  return formatAddress(b);
}

export class Listener {
  private server: net.Server | null = null;
  private readonly peers = new Map<string, Session>();
  private readonly log: Logger;
  private readonly wantAddress: string;
  private readonly wantPort: number;
  private readonly ipv6Only: boolean;

  constructor(opts: ListenerOptions = {}) {
    this.wantAddress = opts.address ?? '::';
    this.wantPort = opts.port ?? 179;
    this.ipv6Only = opts.ipv6Only === true;
    this.log = (opts.logger ?? nullLogger).child('BGP listener');
  }

  /** The bound port (after listen()). */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.wantPort;
  }

  get address(): string {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.address : this.wantAddress;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  async listen(): Promise<void> {
    if (this.server) return;
    let server: net.Server;
    try {
      server = await listenBgp({ host: this.wantAddress, port: this.wantPort, ipv6Only: this.ipv6Only });
    } catch (e) {
      const code = (e as WrenError).code;
      if (this.wantAddress !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw e;
      server = await listenBgp({ host: '0.0.0.0', port: this.wantPort });
    }
    this.server = server;
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('error', (e) => this.log.error(`listener error: ${e.message}`));
    for (const s of this.peers.values()) this.applyPassword(s.cfg.peerAddress, s.cfg.password ?? null);
    this.log.debug(`listening on ${this.address} port ${this.port}`);
  }

  /** Routes connections from session.cfg.peerAddress to the session. */
  register(session: Session): void {
    const key = canonicalPeerAddress(session.cfg.peerAddress);
    const old = this.peers.get(key);
    if (old && old !== session) {
      throw new WrenError('DUPLICATE_PEER', `a session for ${key} is already registered (${old.cfg.name})`);
    }
    this.peers.set(key, session);
    if (this.server && session.cfg.password !== undefined) this.applyPassword(session.cfg.peerAddress, session.cfg.password);
  }

  unregister(session: Session): void {
    const key = canonicalPeerAddress(session.cfg.peerAddress);
    if (this.peers.get(key) !== session) return;
    this.peers.delete(key);
    if (this.server && session.cfg.password !== undefined) this.applyPassword(session.cfg.peerAddress, null);
  }

  /** The session registered for an address (any textual form), if any. */
  lookup(address: string): Session | undefined {
    try {
      return this.peers.get(canonicalPeerAddress(address));
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    // Stops accepting; connections already handed to sessions are theirs to close, so do
    // not wait for them (server.close's callback would).
    s.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private applyPassword(peer: string, password: string | null): void {
    try {
      setListenerPassword(this.server!, canonicalPeerAddress(peer), password);
    } catch (e) {
      this.log.error(`cannot ${password === null ? 'remove' : 'set'} TCP MD5 key for ${peer}: ${(e as Error).message}`);
    }
  }

  private onConnection(socket: net.Socket): void {
    socket.on('error', () => {}); // until a session attaches its own handlers
    const remote = socket.remoteAddress;
    const session = remote ? this.lookup(remote) : undefined;
    if (!session) {
      this.log.debug(`connection from unknown address ${remote ?? '?'} (port ${socket.remotePort ?? '?'}) closed`);
      socket.destroy();
      return;
    }
    session.acceptIncoming(socket);
  }
}

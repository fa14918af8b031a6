// The unix control socket (`-s <path>`), speaking BIRD 1.6's CLI protocol: greeting
// `0001 BIRD <version> ready.` on accept, one command per `\n` (`\r` dropped, lines over
// 4094 bytes get `9000 Command too long`), commands of one connection strictly in order,
// replies encoded by format.ts. Many connections at once; a connection whose client does not
// read is paused (reply generation waits for 'drain', reading stops) and never holds up the
// others; long listings yield to the event loop every `batch` lines so the daemon and other
// clients keep running; a client that stops reading for `stallTimeoutMs` mid-reply is
// dropped. Like 1.6: a stale socket file is replaced, the socket is chmod 0660, and the
// file is removed on close. Unlike 1.6: a path held by a live server or by a non-socket
// file is refused (WrenError 'control-socket-in-use' / 'control-socket-path').
//
// Leaves out: async `+` messages (`echo`), chown (-u/-g are ignored by the daemon).

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync, statSync } from 'node:fs';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { StringDecoder } from 'node:string_decoder';
import { WrenError } from '../bgp/errors.js';
import { VERSION_TEXT } from '../version.js';
import { MAX_COMMAND_LENGTH } from './commands.js';
import { runLine, type ExecContext, type SessionState } from './execute.js';
import { encodeLine, type CodeMemory, type ReplySink } from './format.js';
import type { AddressFamilyMode } from './lexer.js';
import type { ControlSource } from './model.js';

export interface ControlServerOptions {
  /** Greeting `BIRD <version> ready.`; default VERSION_TEXT. Should start with `v`. */
  readonly version?: string;
  /** Clock for the `since` columns (HH:MM:SS vs date); default `new Date()`. */
  readonly now?: () => Date;
  /** `ipv4` like bird (IPv6 literals are an error), `ipv6` like bird6; default both. */
  readonly family?: AddressFamilyMode;
  /** File mode of the socket; default 0o660 like 1.6. */
  readonly mode?: number;
  /** Lines between yields in long replies; default 256. */
  readonly batch?: number;
  /** Drop a client that has not read anything for this long while a reply waits; default 60 s. */
  readonly stallTimeoutMs?: number;
  /** Called when a source method throws; the connection is closed. Default: rethrow
   *  asynchronously (a bug crashes loudly). */
  readonly onError?: (err: unknown) => void;
}

/** Thrown inside a reply when its connection went away; ends that reply quietly. */
class ConnectionGone extends Error {}

const DEFAULT_BATCH = 256;
const DEFAULT_STALL_MS = 60_000;
/** Buffered reply text before it is handed to the socket. */
const FLUSH_BYTES = 32 * 1024;

export class ControlServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private ino = -1;
  private readonly ctx: ExecContext;

  constructor(
    readonly path: string,
    private readonly source: ControlSource,
    private readonly opts: ControlServerOptions = {},
  ) {
    this.ctx = {
      source,
      now: opts.now ?? (() => new Date()),
      family: opts.family ?? 'both',
      batch: opts.batch ?? DEFAULT_BATCH,
    };
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(): Promise<void> {
    if (this.server) throw new WrenError('control-socket-listening', `control socket ${this.path} already listening`);
    await removeStaleSocket(this.path);
    const server = createServer({ allowHalfOpen: false }, (s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    chmodSync(this.path, this.opts.mode ?? 0o660);
    this.ino = statSync(this.path).ino;
  }

  /** Stops accepting, drops every connection, removes the socket file (if still ours). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      if (statSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      // Already gone (the listener may have removed it).
    }
  }

  private accept(socket: Socket): void {
    const c = new Connection(socket, this.ctx, this.opts, (err) => this.failed(c, err));
    this.connections.add(c);
    socket.once('close', () => this.connections.delete(c));
    c.start(this.opts.version ?? VERSION_TEXT);
  }

  private failed(c: Connection, err: unknown): void {
    c.socket.destroy();
    if (this.opts.onError) this.opts.onError(err);
    else
      process.nextTick(() => {
        throw err;
      });
  }
}

/** 1.6 unlinks whatever is at the path; we only replace a socket nobody listens on. */
async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new WrenError('control-socket-path', `${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new WrenError('control-socket-in-use', `control socket ${path} is in use by another process`);
  unlinkSync(path);
}

/** One client: line assembly, the command queue, and the reply sink with backpressure. */
class Connection implements ReplySink {
  private readonly mem: CodeMemory = { last: 0 };
  private readonly state: SessionState = { restricted: false };
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private overflow = false;
  /** Complete lines; null = a line over the length limit. */
  private readonly queue: (string | null)[] = [];
  private busy = false;
  private gone = false;
  private out: string[] = [];
  private outBytes = 0;

  constructor(
    readonly socket: Socket,
    private readonly ctx: ExecContext,
    private readonly opts: ControlServerOptions,
    private readonly fail: (err: unknown) => void,
  ) {}

  start(version: string): void {
    const s = this.socket;
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', () => {
      // A client that vanished mid-reply: nothing to do but forget it.
    });
    s.once('close', () => {
      this.gone = true;
    });
    s.write(encodeLine(this.mem, 1, `BIRD ${version} ready.`, true));
  }

  private onData(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      const piece = text.slice(from, nl < 0 ? text.length : nl);
      this.append(piece);
      if (nl < 0) break;
      this.queue.push(this.overflow ? null : this.partial);
      this.partial = '';
      this.overflow = false;
      from = nl + 1;
    }
    if (this.queue.length > 0) {
      // Read the next command only after this one's reply is out (1.6 semantics, and
      // backpressure against a client that pipelines without reading).
      this.socket.pause();
      if (!this.busy) void this.drainQueue();
    }
  }

  private append(piece: string): void {
    if (this.overflow) return;
    const clean = piece.includes('\r') ? piece.replaceAll('\r', '') : piece;
    if (this.partial.length + clean.length > MAX_COMMAND_LENGTH) {
      this.overflow = true;
      this.partial = '';
    } else this.partial += clean;
  }

  private async drainQueue(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.gone) {
        const line = this.queue.shift() as string | null;
        let after: 'none' | 'down' = 'none';
        if (line === null) this.end(9000, 'Command too long');
        else after = await runLine(line, this.ctx, this.state, this);
        this.flush();
        if (after === 'down') this.ctx.source.down();
        if (this.socket.writableNeedDrain) await this.waitDrain();
      }
    } catch (e) {
      if (!(e instanceof ConnectionGone)) this.fail(e);
    } finally {
      this.busy = false;
    }
    if (!this.gone) this.socket.resume();
  }

  // --- ReplySink ---

  line(code: number, text: string): void {
    const s = encodeLine(this.mem, code, text, false);
    this.out.push(s);
    this.outBytes += s.length;
    if (this.outBytes >= FLUSH_BYTES) this.flush();
  }

  end(code: number, text: string): void {
    this.out.push(encodeLine(this.mem, code, text, true));
    this.flush();
  }

  async pace(): Promise<void> {
    if (this.gone) throw new ConnectionGone();
    this.flush();
    if (this.socket.writableNeedDrain) await this.waitDrain();
    else await yieldTurn();
    if (this.gone) throw new ConnectionGone();
  }

  private flush(): void {
    if (this.out.length === 0) return;
    const text = this.out.length === 1 ? this.out[0]! : this.out.join('');
    this.out = [];
    this.outBytes = 0;
    if (!this.gone) this.socket.write(text);
  }

  private waitDrain(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = this.socket;
      const done = (): void => {
        clearTimeout(timer);
        s.off('drain', onDrain);
        s.off('close', onClose);
      };
      const onDrain = (): void => {
        done();
        resolve();
      };
      const onClose = (): void => {
        done();
        reject(new ConnectionGone());
      };
      const timer = setTimeout(() => {
        done();
        s.destroy();
        reject(new ConnectionGone());
      }, this.opts.stallTimeoutMs ?? DEFAULT_STALL_MS);
      s.on('drain', onDrain);
      s.on('close', onClose);
    });
  }
}

// The client side of BIRD's control-socket protocol: connect to the unix socket, read the
// greeting, send one command at a time and collect its reply lines — everything up to and
// including the first line that matches `^\d{4} ` (the generic end-of-reply rule of
// birdc-protocol.md §2). Also birdcl's way of printing a reply line (client/client.c
// server_got_reply): codes stripped (or kept with -v), continuation lines without their
// space (indented by 5 with -v), code-0000 lines not printed.
//
// Leaves out: async `+` lines are printed like birdcl (`>>> text`) but never awaited.

import { createConnection, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

export interface ReplyLine {
  /** The line as received, without `\n`. */
  readonly raw: string;
  /** Code of this line (continuations inherit the previous line's code). */
  readonly code: number;
  /** Text after `DDDD-`, `DDDD ` or the leading space. */
  readonly text: string;
  readonly final: boolean;
}

const CODED = /^(\d{4})([ -])/;

/** Splits raw reply lines into codes and texts (continuations inherit the code). */
export function decodeReply(raw: readonly string[], startCode = 0): ReplyLine[] {
  let code = startCode;
  return raw.map((line) => {
    const m = CODED.exec(line);
    if (m) {
      code = Number(m[1]);
      return { raw: line, code, text: line.slice(5), final: m[2] === ' ' };
    }
    if (line.startsWith(' ')) return { raw: line, code, text: line.slice(1), final: false };
    return { raw: line, code, text: line, final: false };
  });
}

/** What birdcl prints for one reply line (null: nothing). */
export function birdclLine(line: string, verbose: boolean): string | null {
  if (line.startsWith('+')) return `>>> ${line.slice(1)}`;
  if (line.startsWith(' ')) return `${verbose ? '     ' : ''}${line.slice(1)}`;
  const m = CODED.exec(line);
  if (line.length > 4 && m) {
    if (Number(m[1]) === 0) return null;
    return verbose ? line : line.slice(5);
  }
  return `??? <${line}>`;
}

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    readonly path: string,
    readonly errno: string,
    message: string,
  ) {
    super(message);
  }
}

/** strerror texts for the errors a connect can give, as birdcl's %m prints them. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  ECONNREFUSED: 'Connection refused',
  EACCES: 'Permission denied',
  ENOTSOCK: 'Socket operation on non-socket',
  ENOTDIR: 'Not a directory',
  EPROTOTYPE: 'Protocol wrong type for socket',
};

/** One connection to the control socket. A resource with a lifecycle: close() it. */
export class ControlClient {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;
  private error: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      const parts = (this.partial + this.decoder.write(b)).split('\n');
      this.partial = parts.pop()!;
      for (const p of parts) this.lines.push(p);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.wake();
    });
  }

  /** Connects; throws ConnectError with birdcl's message text. */
  static connect(path: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      const onError = (e: NodeJS.ErrnoException): void => {
        const code = e.code ?? 'EIO';
        reject(new ConnectError(path, code, `Unable to connect to server control socket (${path}): ${STRERROR[code] ?? e.message}`));
      };
      s.once('error', onError);
      s.once('connect', () => {
        s.off('error', onError);
        resolve(new ControlClient(s));
      });
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }

  /** Next raw line, or null when the server closed the connection. */
  async nextLine(): Promise<string | null> {
    for (;;) {
      if (this.lines.length > 0) return this.lines.shift()!;
      if (this.closed || this.error) return null;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** Reads one reply: lines up to the first `DDDD ` line. null when the connection closed first. */
  async readReply(onLine?: (line: string) => void): Promise<string[] | null> {
    const out: string[] = [];
    for (;;) {
      const line = await this.nextLine();
      if (line === null) return null;
      out.push(line);
      onLine?.(line);
      if (/^\d{4} /.test(line)) return out;
    }
  }

  /** The greeting reply (`0001 BIRD … ready.`). */
  greeting(): Promise<string[] | null> {
    return this.readReply();
  }

  send(command: string): void {
    this.socket.write(`${command}\n`);
  }

  /** Sends a command and reads its reply. */
  async command(command: string, onLine?: (line: string) => void): Promise<string[] | null> {
    this.send(command);
    return this.readReply(onLine);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}

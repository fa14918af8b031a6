// A hand-driven BGP peer on a plain loopback socket for session tests: it decodes what
// Wren sends and sends raw bytes back, so a test can answer an OPEN with anything (a
// NOTIFICATION, an OPEN without capabilities) and see exactly what Wren does next.

import net from 'node:net';
import {
  DEFAULT_CODEC_CONTEXT, Framer, MessageType, decodeMessage, encodeNotification,
  type BgpMessage, type NotificationMessage, type OpenMessage,
} from '../../src/bgp/codec/index.js';
import { until } from './poll.js';

const wait = { timeoutMs: 8000, intervalMs: 5 };

export class RawPeer {
  readonly msgs: BgpMessage[] = [];
  closed = false;
  private framer = new Framer(65535);
  constructor(readonly sock: net.Socket) {
    sock.on('data', (chunk) => {
      this.framer.push(chunk);
      for (let m = this.framer.next(); m; m = this.framer.next()) this.msgs.push(decodeMessage(m, DEFAULT_CODEC_CONTEXT));
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }
  /** Connects to Wren on `host`:`port` from `localAddress` (the peer's configured address). */
  static connect(port: number, host = '127.0.0.1', localAddress = '127.0.0.2'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localAddress });
      s.once('connect', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }
  send(b: Uint8Array): void {
    this.sock.write(b);
  }
  waitFor<T extends BgpMessage>(type: MessageType, what: string): Promise<T> {
    return until(() => this.msgs.find((m) => m.type === type) as T | undefined, { what, ...wait });
  }
  open(): Promise<OpenMessage> {
    return this.waitFor<OpenMessage>(MessageType.OPEN, "Wren's OPEN");
  }
  notification(): Promise<NotificationMessage> {
    return this.waitFor<NotificationMessage>(MessageType.NOTIFICATION, 'a NOTIFICATION');
  }
  /** Answers Wren's OPEN with a NOTIFICATION and waits until Wren has closed the connection. */
  async refuse(code: number, subcode: number): Promise<void> {
    this.sock.write(encodeNotification(code, subcode));
    await until(() => this.closed, { what: 'Wren closing the refused connection', ...wait });
  }
  close(): void {
    this.sock.destroy();
  }
}

// Helpers for the real-kernel netlink tests and bench/netlink.ts: a scratch network
// namespace made by the caller (`wren-nl-<pid>-<n>`), netlink sockets opened inside it (the
// main thread enters the namespace through the addon's setns just long enough to create the
// socket, which stays bound to that namespace), `ip` commands run in it with `ip -n`, a
// Promise-based socket client that feeds the codec (batch writer, dumps), and cleanup.
// Needs root. Ends no processes; deletes only the namespaces it created.
import { closeSync, openSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { loadNative } from '../../../src/native.js';
import { NetlinkSocket, NetlinkOption, type NetlinkSocketOptions } from '../../../src/fib/netlink/socket.js';
import { RouteBatchWriter, dump, type BatchWriterOptions, type DumpResult } from '../../../src/fib/netlink/batch.js';
import { makeSeq, type NlMessage } from '../../../src/fib/netlink/message.js';

let counter = 0;

export class Namespace {
  readonly name: string;
  private deleted = false;
  private readonly exitHook = (): void => this.destroy();

  constructor() {
    this.name = `wren-nl-${process.pid}-${++counter}`;
    execFileSync('ip', ['netns', 'add', this.name]);
    process.on('exit', this.exitHook);
    this.ip('link', 'set', 'lo', 'up');
  }

  /** `ip -n <ns> args...`; throws with stderr on failure. */
  ip(...args: string[]): string {
    const r = spawnSync('ip', ['-n', this.name, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`ip -n ${this.name} ${args.join(' ')}: ${r.stderr || r.error}`);
    return r.stdout;
  }

  /** `ip -n <ns> -j args...` parsed. */
  ipJson<T = any>(...args: string[]): T {
    const out = this.ip('-j', ...args).trim();
    return (out ? JSON.parse(out) : []) as T;
  }

  /** ifindex of an interface in this namespace. */
  ifindex(name: string): number {
    const [l] = this.ipJson<{ ifindex: number }[]>('link', 'show', 'dev', name);
    return l!.ifindex;
  }

  /** Opens a NetlinkSocket inside this namespace. */
  socket(groups: number[] = [], options: NetlinkSocketOptions = {}): NetlinkSocket {
    const native = loadNative();
    const orig = openSync('/proc/thread-self/ns/net', 'r');
    const target = openSync(`/run/netns/${this.name}`, 'r');
    try {
      native.setNetns(target);
      const s = new NetlinkSocket(options);
      s.open(groups);
      return s;
    } finally {
      native.setNetns(orig);
      closeSync(orig);
      closeSync(target);
    }
  }

  destroy(): void {
    if (this.deleted) return;
    this.deleted = true;
    process.off('exit', this.exitHook);
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** A request socket with a batch writer and dumps sharing one seq source. */
export class Client {
  readonly socket: NetlinkSocket;
  readonly nextSeq = makeSeq(1000);
  readonly writer: RouteBatchWriter;

  constructor(ns: Namespace, writer: Partial<BatchWriterOptions> = {}, receiveBuffer = 4 << 20) {
    this.socket = ns.socket([], { receiveBuffer });
    this.socket.setOption(NetlinkOption.NETLINK_CAP_ACK, 1);
    this.writer = new RouteBatchWriter({ send: (b) => this.socket.send(b), nextSeq: this.nextSeq, ...writer });
    this.socket.on('message', (d: Buffer) => this.writer.receive(d));
    this.socket.on('overrun', () => this.writer.overrun());
  }

  dump<T>(build: (seq: number) => Uint8Array, decode: (m: NlMessage) => T | undefined): Promise<DumpResult<T>> {
    return dump(this.socket, build, decode, this.nextSeq);
  }

  close(): void {
    this.writer.abort();
    this.socket.close();
  }
}

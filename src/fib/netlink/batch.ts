// Requests to the kernel that need sequence-number bookkeeping: the batching route writer
// and the dump collector. Both are transport-agnostic: they call a `send(buf)` and are fed
// every received datagram (`receive`), so they run against a fake kernel in unit tests and
// against src/fib/netlink/socket.ts in the daemon.
//
// Batching (see reference/node-kernel-options.md): hundreds of RTM_NEWROUTE/RTM_DELROUTE
// per datagram, NLM_F_ACK only on the last message of each datagram. rtnetlink processes a
// datagram's messages in order and answers every failed one with an NLMSG_ERROR carrying
// its seq, whether or not it asked for an ACK; the last one's reply (ACK or error) comes
// after all of them, so when it arrives every request of the batch without an error
// succeeded. A seq → request map per batch attributes each error to exactly its request.
// At most `maxInFlight` batches await their last reply, which bounds what the kernel can
// queue on the socket (error replies echo the request unless NETLINK_CAP_ACK is set: set
// it) and the work done per event-loop turn: completions refill the window on the next
// turn (setImmediate), not inside the receive callback.
// If replies are lost (ENOBUFS, `overrun()`), the unanswered requests fail with ENOBUFS:
// their outcome is unknown and the caller must re-dump and reconcile.
// With `queueSend` (a sender thread, socket.ts) a batch is handed over under its first seq
// and sent later, in order; a send that fails there comes back through `sendFailed(id)`.
// Bookkeeping is column-wise (parallel arrays for the queue and for each batch), not one
// object per request: a bulk of a million requests allocates no per-request garbage here.
//
// Dumps: one RTM_GET* with NLM_F_DUMP, multipart replies (NLM_F_MULTI) until NLMSG_DONE;
// NLM_F_DUMP_INTR on any part means the kernel's table changed during the dump: the result
// says `interrupted` and the caller redoes it. An overrun while dumping ends it the same way.
// Leaves out: timeouts (the caller races a timer if it wants one), retries.

import { WrenError } from '../../bgp/errors.js';
import {
  MsgType,
  NlmFlag,
  decodeDone,
  decodeError,
  errnoName,
  forEachMessage,
  makeSeq,
  NetlinkRequestError,
  type NlError,
  type NlMessage,
} from './message.js';
import { ROUTE_OPS, encodeRoute, routeMessageSize, type RouteInput, type RouteOp } from './route.js';

/** What a writer or dump needs from a transport. `send` must consume (copy) the buffer before returning. */
export type SendFn = (buf: Uint8Array) => unknown;

/** One failed route request. */
export interface RouteRequestFailure {
  readonly seq: number;
  readonly op: RouteOp;
  readonly route: RouteInput;
  readonly error: NlError;
}

/** The outcome of everything enqueued before a flush(). */
export interface FlushResult {
  readonly requests: number;
  readonly failures: readonly RouteRequestFailure[];
}

export type RequestCallback = (error: NlError | null) => void;

export interface BatchWriterOptions {
  readonly send: SendFn;
  /** Sequence numbers; share one source per socket with the dumps on it. */
  readonly nextSeq?: () => number;
  /** Largest datagram (bytes). Default 64 KiB. */
  readonly maxBatchBytes?: number;
  /** Batches sent and not yet fully answered. Default 4. */
  readonly maxInFlight?: number;
  /** nlmsg_pid to put in requests (0: the kernel fills it in). */
  readonly pid?: number;
  /**
   * Hands a batch (copied before returning) to a sender that sends batches in order later,
   * under `id` (the batch's first seq); used instead of `send` when present.
   */
  readonly queueSend?: (buf: Uint8Array, id: number) => void;
}

interface Epoch {
  requests: number;
  remaining: number;
  closed: boolean;
  failures: RouteRequestFailure[];
  waiters: ((r: FlushResult) => void)[];
}

/** Requests not sent yet, one column per field (index i = one request). */
interface Queue {
  ops: RouteOp[];
  routes: RouteInput[];
  /** routeMessageSize, computed once at enqueue. */
  sizes: number[];
  /** Completion callbacks; null while no request of the queue has one. */
  done: (RequestCallback | undefined)[] | null;
  epochs: Epoch[];
}

/** One datagram awaiting its replies: request i has seq firstSeq + i. */
interface Batch {
  readonly firstSeq: number;
  readonly n: number;
  readonly ops: RouteOp[];
  readonly routes: RouteInput[];
  readonly done: (RequestCallback | undefined)[] | null;
  readonly epochs: Epoch[];
  /** Requests already failed (made on the first failure). */
  failed: Uint8Array | null;
}

const newQueue = (): Queue => ({ ops: [], routes: [], sizes: [], done: null, epochs: [] });

/** A synthetic error for requests whose reply was lost or never sent. */
function localError(code: string, seq: number, type: number, flags: number, message: string): NlError {
  const errno = code === 'ENOBUFS' ? 105 : code === 'ECONNRESET' ? 104 : 0;
  return { errno, code, seq, requestType: type, requestFlags: flags, message };
}

/** Queues route add/replace/delete requests and writes them to the kernel in batches. */
export class RouteBatchWriter {
  private readonly send: SendFn;
  private readonly queueSend: ((buf: Uint8Array, id: number) => void) | undefined;
  private readonly nextSeq: () => number;
  private readonly maxBytes: number;
  private readonly maxInFlight: number;
  private readonly pid: number;
  private readonly buf: Buffer;
  private queue: Queue = newQueue();
  private queueHead = 0;
  private readonly inFlight: Batch[] = [];
  private epoch: Epoch = newEpoch();
  private pumpScheduled = false;
  private refillScheduled = false;
  /** Counters (for metrics and benchmarks). */
  readonly stats = { batches: 0, requests: 0, failures: 0, bytes: 0 };

  constructor(opts: BatchWriterOptions) {
    this.send = opts.send;
    this.queueSend = opts.queueSend;
    this.nextSeq = opts.nextSeq ?? makeSeq();
    this.maxBytes = opts.maxBatchBytes ?? 65536;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
    this.pid = opts.pid ?? 0;
    this.buf = Buffer.alloc(this.maxBytes);
  }

  /** Requests queued and not yet answered. */
  get pending(): number {
    let n = this.queue.ops.length - this.queueHead;
    for (const b of this.inFlight) n += b.n;
    return n;
  }

  /**
   * Queues one request. `done` (optional) is called once with null (done) or the kernel's
   * error. Sending starts on the next microtask, or at flush().
   */
  enqueue(op: RouteOp, route: RouteInput, done?: RequestCallback): void {
    const size = routeMessageSize(op, route);
    if (size > this.maxBytes) throw new WrenError('NETLINK_TOO_BIG', `route request of ${size} bytes exceeds the batch size ${this.maxBytes}`);
    const epoch = this.epoch;
    epoch.requests++;
    epoch.remaining++;
    const q = this.queue;
    if (done !== undefined && q.done === null) q.done = new Array<RequestCallback | undefined>(q.ops.length).fill(undefined);
    q.ops.push(op);
    q.routes.push(route);
    q.sizes.push(size);
    q.epochs.push(epoch);
    if (q.done !== null) q.done.push(done);
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      queueMicrotask(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  /** Sends what is queued; resolves when every request enqueued so far is answered. */
  flush(): Promise<FlushResult> {
    const epoch = this.epoch;
    this.epoch = newEpoch();
    epoch.closed = true;
    const p = new Promise<FlushResult>((resolve) => epoch.waiters.push(resolve));
    settle(epoch);
    this.pump();
    return p;
  }

  /** Feeds one received datagram; NLMSG_ERROR replies to our batches are consumed, the rest ignored. */
  receive(datagram: Buffer): void {
    if (this.inFlight.length === 0) return;
    let completed = false;
    forEachMessage(datagram, (m) => {
      if (m.type !== MsgType.NLMSG_ERROR) return;
      const seq = m.seq;
      for (let i = 0; i < this.inFlight.length; i++) {
        const b = this.inFlight[i]!;
        const k = (seq - b.firstSeq) >>> 0;
        if (k >= b.n) continue;
        const err = decodeError(m);
        if (err.errno !== 0) this.failSent(b, k, err);
        if (k === b.n - 1) {
          this.complete(b);
          this.inFlight.splice(i, 1);
          completed = true;
        }
        return;
      }
    });
    // Not at once: the transport may hand over the reply to the next batch within this same
    // callback (the kernel answers inside sendmsg), chaining every batch into one turn.
    if (completed && !this.refillScheduled) {
      this.refillScheduled = true;
      setImmediate(() => {
        this.refillScheduled = false;
        this.pump();
      });
    }
  }

  /**
   * Replies may have been lost (the socket reported ENOBUFS): every request sent and not yet
   * answered fails with ENOBUFS (outcome unknown: re-dump). Queued requests are still sent.
   */
  overrun(): void {
    const batches = this.inFlight.splice(0);
    for (const b of batches) this.failBatch(b, 'ENOBUFS', 'reply lost (receive buffer overrun); outcome unknown');
    this.pump();
  }

  /** A queued batch (queueSend id = its first seq) could not be sent: its requests fail with `code`. */
  sendFailed(id: number, code: string, message: string): void {
    const i = this.inFlight.findIndex((b) => b.firstSeq === id >>> 0);
    if (i < 0) return;
    const [b] = this.inFlight.splice(i, 1);
    this.failBatch(b!, code, `send failed: ${message}`);
    this.pump();
  }

  /** Fails everything sent or queued with `code` (the socket closed). */
  abort(code = 'ECONNRESET', message = 'netlink socket closed'): void {
    const batches = this.inFlight.splice(0);
    const q = this.queue;
    const head = this.queueHead;
    this.queue = newQueue();
    this.queueHead = 0;
    for (const b of batches) this.failBatch(b, code, message);
    // Never sent: seq 0.
    for (let i = head; i < q.ops.length; i++) {
      const op = q.ops[i]!;
      this.fail(q.epochs[i]!, 0, op, q.routes[i]!, q.done?.[i], localError(code, 0, ROUTE_OPS[op]!.type, ROUTE_OPS[op]!.flags, message));
      finish(q.epochs[i]!);
    }
  }

  private fail(epoch: Epoch, seq: number, op: RouteOp, route: RouteInput, done: RequestCallback | undefined, err: NlError): void {
    this.stats.failures++;
    epoch.failures.push({ seq, op, route, error: err });
    done?.(err);
  }

  /** Request k of a sent batch failed. */
  private failSent(b: Batch, k: number, err: NlError): void {
    (b.failed ??= new Uint8Array(b.n))[k] = 1;
    this.fail(b.epochs[k]!, (b.firstSeq + k) >>> 0, b.ops[k]!, b.routes[k]!, b.done?.[k], err);
  }

  /** Every request of a sent batch not failed yet fails with `code`; the batch is over. */
  private failBatch(b: Batch, code: string, message: string): void {
    for (let k = 0; k < b.n; k++) {
      if (b.failed === null || b.failed[k] === 0) {
        const op = b.ops[k]!;
        this.failSent(b, k, localError(code, (b.firstSeq + k) >>> 0, ROUTE_OPS[op]!.type, ROUTE_OPS[op]!.flags, message));
      }
      finish(b.epochs[k]!);
    }
  }

  /** The last reply of a batch came: every request not failed succeeded. */
  private complete(b: Batch): void {
    const done = b.done, failed = b.failed, epochs = b.epochs;
    if (done !== null) for (let k = 0; k < b.n; k++) if (failed === null || failed[k] === 0) done[k]?.(null);
    // Epochs settle per run of requests that share one (usually the whole batch).
    let run = 0;
    let cur = epochs[0]!;
    for (let k = 0; k < b.n; k++) {
      const e = epochs[k]!;
      if (e !== cur) {
        finishMany(cur, run);
        cur = e;
        run = 0;
      }
      run++;
    }
    if (run > 0) finishMany(cur, run);
  }

  /** Packs and sends batches while the in-flight window allows. */
  private pump(): void {
    const buf = this.buf;
    while (this.inFlight.length < this.maxInFlight && this.queueHead < this.queue.ops.length) {
      const q = this.queue;
      const len = q.ops.length;
      const start = this.queueHead;
      let off = 0;
      let lastOff = 0;
      let firstSeq = 0;
      let i = start;
      for (; i < len; i++) {
        const size = q.sizes[i]!;
        if (off + size > buf.length) break;
        const seq = this.nextSeq();
        if (i === start) firstSeq = seq;
        else if (((seq - firstSeq) >>> 0) !== i - start) {
          throw new Error('nextSeq must return consecutive numbers within one synchronous pump');
        }
        lastOff = off;
        off = encodeRoute(buf, off, q.ops[i]!, seq, q.routes[i]!, 0, this.pid);
      }
      const n = i - start;
      if (n === 0) break;
      const batch: Batch = {
        firstSeq,
        n,
        ops: q.ops.slice(start, i),
        routes: q.routes.slice(start, i),
        done: q.done === null ? null : q.done.slice(start, i),
        epochs: q.epochs.slice(start, i),
        failed: null,
      };
      this.queueHead = i;
      if (i === len) {
        this.queue = newQueue();
        this.queueHead = 0;
      } else if (i > 65536 && i * 2 > len) {
        this.queue = { ops: q.ops.slice(i), routes: q.routes.slice(i), sizes: q.sizes.slice(i), done: q.done === null ? null : q.done.slice(i), epochs: q.epochs.slice(i) };
        this.queueHead = 0;
      }
      buf.writeUInt16LE(buf.readUInt16LE(lastOff + 6) | NlmFlag.ACK, lastOff + 6);
      this.inFlight.push(batch);
      this.stats.batches++;
      this.stats.requests += n;
      this.stats.bytes += off;
      try {
        if (this.queueSend) this.queueSend(buf.subarray(0, off), firstSeq);
        else this.send(buf.subarray(0, off));
      } catch (err) {
        this.inFlight.pop();
        const code = err instanceof WrenError ? err.code : 'ESEND';
        this.failBatch(batch, code, `send failed: ${(err as Error).message}`);
      }
    }
  }
}

function newEpoch(): Epoch {
  return { requests: 0, remaining: 0, closed: false, failures: [], waiters: [] };
}

function finish(epoch: Epoch): void {
  epoch.remaining--;
  settle(epoch);
}

function finishMany(epoch: Epoch, n: number): void {
  epoch.remaining -= n;
  settle(epoch);
}

function settle(epoch: Epoch): void {
  if (!epoch.closed || epoch.remaining > 0 || epoch.waiters.length === 0) return;
  const result: FlushResult = { requests: epoch.requests, failures: epoch.failures };
  for (const w of epoch.waiters.splice(0)) w(result);
}

// ---- dumps ---------------------------------------------------------------------------------

export interface DumpResult<T> {
  readonly items: T[];
  /** NLM_F_DUMP_INTR was set, or the socket overran: the dump is inconsistent; redo it. */
  readonly interrupted: boolean;
  readonly overrun: boolean;
}

/**
 * Collects the multipart reply to one dump request (matched by seq). Feed it datagrams
 * with receive(); `done` is set once NLMSG_DONE (or an error) arrived.
 */
export class DumpCollector<T> {
  readonly items: T[] = [];
  interrupted = false;
  overrun = false;
  done = false;
  error: NetlinkRequestError | undefined;

  constructor(
    readonly seq: number,
    private readonly decode: (m: NlMessage) => T | undefined,
  ) {}

  /** Consumes this dump's messages from a datagram; returns true when the dump just ended. */
  receive(datagram: Buffer): boolean {
    if (this.done) return false;
    forEachMessage(datagram, (m) => {
      if (m.seq !== this.seq || this.done) return;
      if (m.flags & NlmFlag.DUMP_INTR) this.interrupted = true;
      if (m.type === MsgType.NLMSG_DONE) {
        const errno = decodeDone(m);
        if (errno !== 0) this.error = new NetlinkRequestError({ errno, code: errnoName(errno), seq: m.seq, requestType: 0, requestFlags: 0 });
        this.done = true;
      } else if (m.type === MsgType.NLMSG_ERROR) {
        const err = decodeError(m);
        if (err.errno !== 0) this.error = new NetlinkRequestError(err);
        this.done = true;
      } else if (m.flags & NlmFlag.MULTI || m.type >= 16) {
        const item = this.decode(m);
        if (item !== undefined) this.items.push(item);
      }
    });
    return this.done;
  }

  /** The socket overran: parts may be lost and DONE may never come; the dump ends interrupted. */
  markOverrun(): void {
    if (this.done) return;
    this.overrun = true;
    this.interrupted = true;
    this.done = true;
  }

  result(): DumpResult<T> {
    return { items: this.items, interrupted: this.interrupted, overrun: this.overrun };
  }
}

/** The event-emitter side of a transport (NetlinkSocket satisfies it). */
export interface NetlinkTransport {
  send(buf: Uint8Array): unknown;
  on(event: 'message', listener: (datagram: Buffer) => void): unknown;
  on(event: 'overrun', listener: () => void): unknown;
  off(event: 'message', listener: (datagram: Buffer) => void): unknown;
  off(event: 'overrun', listener: () => void): unknown;
}

/**
 * Sends a dump request built for a fresh seq and collects the decoded replies to NLMSG_DONE.
 * Rejects with NetlinkRequestError if the kernel refuses the dump. Check `interrupted`.
 */
export function dump<T>(
  t: NetlinkTransport,
  build: (seq: number) => Uint8Array,
  decode: (m: NlMessage) => T | undefined,
  nextSeq: () => number,
): Promise<DumpResult<T>> {
  const seq = nextSeq();
  const c = new DumpCollector<T>(seq, decode);
  return new Promise<DumpResult<T>>((resolve, reject) => {
    const end = (): void => {
      t.off('message', onMessage);
      t.off('overrun', onOverrun);
      if (c.error) reject(c.error);
      else resolve(c.result());
    };
    const onMessage = (d: Buffer): void => {
      try {
        if (c.receive(d)) end();
      } catch (e) {
        t.off('message', onMessage);
        t.off('overrun', onOverrun);
        reject(e);
      }
    };
    const onOverrun = (): void => {
      c.markOverrun();
      end();
    };
    t.on('message', onMessage);
    t.on('overrun', onOverrun);
    try {
      t.send(build(seq));
    } catch (e) {
      t.off('message', onMessage);
      t.off('overrun', onOverrun);
      reject(e);
    }
  });
}

// The batching route writer and the dump collector against a fake kernel: it parses each
// datagram the writer sends, answers like rtnetlink (an NLMSG_ERROR for every failed
// message, an ACK for a successful message that asked for one, in order, delivered on a
// later turn), and records what it saw.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { DumpCollector, RouteBatchWriter, dump, type NetlinkTransport } from '../../../src/fib/netlink/batch.js';
import { MsgType, NlmFlag, buildError, buildMessage, makeSeq, parseMessages, NetlinkRequestError, type NlMessage } from '../../../src/fib/netlink/message.js';
import { RouteOp, buildRouteDump, decodeRoute, buildRouteRequest, type KernelRoute, type RouteInput } from '../../../src/fib/netlink/route.js';
import { formatPrefix, parseAddress, parsePrefix } from '../../../src/rib/prefix.js';

interface Seen {
  seq: number;
  type: number;
  flags: number;
  route: KernelRoute;
}

/** A fake rtnetlink: decides an errno per message, replies asynchronously. */
class FakeKernel {
  readonly datagrams: Buffer[] = [];
  readonly seen: Seen[] = [];
  maxOutstanding = 0;
  private outstanding = 0;
  deliver: (d: Buffer) => void = () => {};
  dropReplies = false;

  constructor(private readonly errnoFor: (r: KernelRoute, type: number) => number = () => 0) {}

  send = (buf: Uint8Array): void => {
    const d = Buffer.from(buf); // copy: the writer reuses its buffer
    this.datagrams.push(d);
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const replies: Buffer[] = [];
    for (const m of parseMessages(d)) {
      const route = decodeRoute(m)!;
      this.seen.push({ seq: m.seq, type: m.type, flags: m.flags, route });
      const errno = this.errnoFor(route, m.type);
      if (errno) replies.push(buildError(errno, m, { message: `fake error for ${formatPrefix(route.dst)}`, offset: 28 }));
      else if (m.flags & NlmFlag.ACK) replies.push(buildError(0, m));
    }
    if (this.dropReplies) return;
    setImmediate(() => {
      this.outstanding--;
      this.deliver(Buffer.concat(replies));
    });
  };
}

const v4 = (i: number): RouteInput => ({
  dst: { afi: 1, len: 32, addr: Uint8Array.from([198, 19, (i >> 8) & 0xff, i & 0xff]) },
  gateway: parseAddress('198.18.0.2'),
});

function setup(errnoFor?: (r: KernelRoute, type: number) => number, opts: { maxBatchBytes?: number; maxInFlight?: number } = {}) {
  const k = new FakeKernel(errnoFor);
  const w = new RouteBatchWriter({ send: k.send, nextSeq: makeSeq(100), ...opts });
  k.deliver = (d) => w.receive(d);
  return { k, w };
}

describe('RouteBatchWriter', () => {
  test('packs 10k adds into few datagrams, ACK only on the last of each, consecutive seqs', async () => {
    const { k, w } = setup();
    for (let i = 0; i < 10000; i++) w.enqueue(RouteOp.ADD, v4(i));
    const r = await w.flush();
    assert.deepEqual(r, { requests: 10000, failures: [] });
    // 44 bytes per message (16 + 12 + RTA_DST 8 + RTA_GATEWAY 8): 1489 per 64 KiB.
    assert.equal(k.datagrams.length, Math.ceil(10000 / Math.floor(65536 / 44)));
    assert.ok(k.datagrams.every((d) => d.length <= 65536));
    assert.equal(k.seen.length, 10000);
    let prev = 100;
    for (const d of k.datagrams) {
      const ms = parseMessages(d);
      ms.forEach((m, i) => {
        assert.equal(m.seq, ++prev);
        assert.equal((m.flags & NlmFlag.ACK) !== 0, i === ms.length - 1, `ACK only on the last (seq ${m.seq})`);
        assert.equal(m.flags & ~NlmFlag.ACK, NlmFlag.REQUEST | NlmFlag.CREATE | NlmFlag.EXCL);
      });
    }
    assert.deepEqual(k.seen.map((s) => s.route.dst.addr[3]).slice(0, 3), [0, 1, 2]);
    assert.equal(w.pending, 0);
    assert.equal(w.stats.requests, 10000);
    assert.equal(w.stats.batches, k.datagrams.length);
  });

  test('errors in the middle of a batch go to exactly their requests; the rest succeed', async () => {
    const bad = new Set([17, 50, 51, 99]); // 99 is the last of the batch
    const { k, w } = setup((r) => (bad.has(r.dst.addr[3]!) ? (r.dst.addr[3] === 50 ? 3 : 101) : 0));
    const outcome = new Map<number, string>();
    for (let i = 0; i < 100; i++) w.enqueue(i === 50 ? RouteOp.DELETE : RouteOp.ADD, v4(i), (e) => outcome.set(i, e ? e.code : 'ok'));
    const r = await w.flush();
    assert.equal(k.datagrams.length, 1);
    assert.equal(r.requests, 100);
    assert.deepEqual(
      r.failures.map((f) => [f.route.dst.addr[3], f.seq, f.op, f.error.code, f.error.seq]),
      [
        [17, 118, RouteOp.ADD, 'ENETUNREACH', 118],
        [50, 151, RouteOp.DELETE, 'ESRCH', 151],
        [51, 152, RouteOp.ADD, 'ENETUNREACH', 152],
        [99, 200, RouteOp.ADD, 'ENETUNREACH', 200],
      ],
    );
    assert.equal(r.failures[0]!.error.message, 'fake error for 198.19.0.17/32');
    assert.equal(outcome.size, 100);
    for (let i = 0; i < 100; i++) assert.equal(outcome.get(i), bad.has(i) ? (i === 50 ? 'ESRCH' : 'ENETUNREACH') : 'ok', `request ${i}`);
  });

  test('never more than maxInFlight batches outstanding; small batches', async () => {
    const { k, w } = setup(undefined, { maxBatchBytes: 44 * 10, maxInFlight: 3 });
    for (let i = 0; i < 1000; i++) w.enqueue(RouteOp.REPLACE, v4(i));
    const r = await w.flush();
    assert.equal(r.failures.length, 0);
    assert.equal(k.datagrams.length, 100);
    assert.equal(k.maxOutstanding, 3);
    assert.ok(k.seen.every((s) => (s.flags & NlmFlag.REPLACE) !== 0));
  });

  test('flush() covers only what was enqueued before it', async () => {
    const { w } = setup((r) => (r.dst.addr[3] === 5 ? 17 : 0));
    for (let i = 0; i < 10; i++) w.enqueue(RouteOp.ADD, v4(i));
    const first = w.flush();
    for (let i = 0; i < 10; i++) w.enqueue(RouteOp.ADD, v4(i));
    const second = w.flush();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.requests, 10);
    assert.equal(b.requests, 10);
    assert.equal(a.failures.length, 1);
    assert.equal(b.failures.length, 1);
    assert.notEqual(a.failures[0]!.seq, b.failures[0]!.seq);
    assert.deepEqual(await w.flush(), { requests: 0, failures: [] });
  });

  test('random error sets and batch sizes: failures are exactly the failing requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.func(fc.constantFrom(0, 0, 0, 17, 101)),
        async (n, perBatch, inFlight, pick) => {
          const errno = (i: number) => pick(i);
          const { k, w } = setup((r) => errno((r.dst.addr[2]! << 8) | r.dst.addr[3]!), { maxBatchBytes: 44 * perBatch, maxInFlight: inFlight });
          let oks = 0;
          for (let i = 0; i < n; i++) w.enqueue(RouteOp.ADD, v4(i), (e) => void (e ? 0 : oks++));
          const r = await w.flush();
          const expected = [...Array(n).keys()].filter((i) => errno(i) !== 0);
          assert.deepEqual(r.failures.map((f) => (f.route.dst.addr[2]! << 8) | f.route.dst.addr[3]!), expected);
          assert.equal(oks, n - expected.length);
          assert.equal(k.datagrams.length, Math.ceil(n / perBatch));
        },
      ),
      { numRuns: 60 },
    );
  });

  test('lost replies (overrun) fail the unanswered requests with ENOBUFS, queued ones still go', async () => {
    const { k, w } = setup(undefined, { maxBatchBytes: 44 * 10, maxInFlight: 2 });
    k.dropReplies = true;
    for (let i = 0; i < 25; i++) w.enqueue(RouteOp.ADD, v4(i));
    const p = w.flush();
    await new Promise((r) => setImmediate(r));
    assert.equal(k.datagrams.length, 2);
    k.dropReplies = false;
    w.overrun();
    const r = await p;
    assert.equal(k.datagrams.length, 3);
    assert.equal(r.failures.length, 20);
    assert.ok(r.failures.every((f) => f.error.code === 'ENOBUFS' && f.error.errno === 105));
  });

  test('abort fails everything sent or queued; a throwing send fails its batch', async () => {
    const { k, w } = setup(undefined, { maxBatchBytes: 44 * 10, maxInFlight: 1 });
    k.dropReplies = true;
    for (let i = 0; i < 25; i++) w.enqueue(RouteOp.ADD, v4(i));
    const p = w.flush();
    await new Promise((r) => setImmediate(r));
    w.abort();
    const r = await p;
    assert.equal(r.failures.length, 25);
    assert.ok(r.failures.every((f) => f.error.code === 'ECONNRESET'));

    const w2 = new RouteBatchWriter({
      send: () => {
        throw Object.assign(new Error('boom'), { code: 'EMSGSIZE' });
      },
    });
    w2.enqueue(RouteOp.ADD, v4(1));
    const r2 = await w2.flush();
    assert.equal(r2.failures.length, 1);
    assert.equal(r2.failures[0]!.error.code, 'ESEND');
  });

  test('callbacks on some requests only, across batches and flushes; abort fails queued ones unsent (seq 0)', async () => {
    // Requests 7 and 33 fail; only every third request has a callback, the first from request 5 on.
    const { k, w } = setup((r) => (r.dst.addr[3] === 7 || r.dst.addr[3] === 33 ? 17 : 0), { maxBatchBytes: 44 * 10, maxInFlight: 2 });
    const outcome = new Map<number, string>();
    for (let i = 0; i < 40; i++) {
      if (i === 20) void w.flush(); // a second epoch from here
      if (i >= 5 && i % 3 === 0) w.enqueue(RouteOp.ADD, v4(i), (e) => outcome.set(i, e ? e.code : 'ok'));
      else w.enqueue(RouteOp.ADD, v4(i));
    }
    const r = await w.flush();
    assert.deepEqual([...r.failures].map((f) => [f.route.dst.addr[3], f.error.code, f.seq >= 100]), [[33, 'EEXIST', true]]);
    const want = new Map<number, string>();
    for (let i = 6; i < 40; i += 3) want.set(i, i === 33 ? 'EEXIST' : 'ok');
    assert.deepEqual([...outcome].sort((a, b) => a[0] - b[0]), [...want]);
    assert.equal(w.pending, 0);
    assert.equal(k.seen.length, 40);
    assert.equal(w.stats.failures, 2, '7 failed in the first epoch');

    // Queued, never sent: abort fails them with seq 0 and calls their callbacks.
    const { k: k2, w: w2 } = setup(undefined, { maxBatchBytes: 44 * 10, maxInFlight: 1 });
    k2.dropReplies = true;
    const codes: (string | null)[] = [];
    for (let i = 0; i < 25; i++) w2.enqueue(RouteOp.ADD, v4(i), (e) => codes.push(e ? e.code : null));
    const p2 = w2.flush();
    await new Promise((res) => setImmediate(res));
    assert.equal(w2.pending, 25);
    w2.abort();
    const r2 = await p2;
    assert.equal(r2.failures.length, 25);
    assert.equal(r2.failures.filter((f) => f.seq === 0).length, 15, 'the 15 never sent');
    assert.deepEqual(r2.failures.filter((f) => f.seq !== 0).map((f) => f.seq), Array.from({ length: 10 }, (_, i) => 101 + i), 'the sent batch: its seqs');
    assert.equal(codes.length, 25);
    assert.ok(codes.every((c) => c === 'ECONNRESET'));
    assert.equal(w2.pending, 0);
  });

  test('replies for unknown seqs and non-error messages are ignored', async () => {
    const { k, w } = setup();
    w.enqueue(RouteOp.ADD, v4(1));
    const p = w.flush();
    w.receive(buildError(17, { type: 24, flags: 0, seq: 5 })); // not ours
    w.receive(buildRouteRequest(RouteOp.ADD, 101, v4(1))); // a notification with our seq: not an error
    const r = await p;
    assert.deepEqual(r, { requests: 1, failures: [] });
    assert.equal(k.datagrams.length, 1);
  });
});

// ---- dumps ------------------------------------------------------------------------------------

function routePart(seq: number, i: number, flags: number = NlmFlag.MULTI): Buffer {
  const b = buildRouteRequest(RouteOp.ADD, seq, v4(i), 0);
  b.writeUInt16LE(flags, 6); // as the kernel sends it
  return b;
}
const done = (seq: number, flags: number = NlmFlag.MULTI) => buildMessage(MsgType.NLMSG_DONE, flags, seq, Buffer.alloc(4));

describe('dumps', () => {
  test('collects parts across datagrams to NLMSG_DONE, ignoring other seqs', () => {
    const c = new DumpCollector<KernelRoute>(7, (m: NlMessage) => decodeRoute(m));
    assert.equal(c.receive(Buffer.concat([routePart(7, 1), routePart(8, 99), routePart(7, 2)])), false);
    assert.equal(c.receive(routePart(0, 50, 0)), false); // a multicast notification
    assert.equal(c.receive(Buffer.concat([routePart(7, 3), done(7)])), true);
    assert.deepEqual(c.items.map((r) => r.dst.addr[3]), [1, 2, 3]);
    assert.deepEqual(c.result().interrupted, false);
  });

  test('NLM_F_DUMP_INTR on any part marks the dump interrupted', () => {
    const c = new DumpCollector(7, decodeRoute);
    c.receive(Buffer.concat([routePart(7, 1), routePart(7, 2, NlmFlag.MULTI | NlmFlag.DUMP_INTR), done(7, NlmFlag.MULTI | NlmFlag.DUMP_INTR)]));
    assert.equal(c.done, true);
    assert.equal(c.result().interrupted, true);
    assert.equal(c.items.length, 2);
  });

  test('dump() over a transport: request built with a fresh seq, error rejects, overrun ends it interrupted', async () => {
    class FakeSocket extends EventEmitter implements NetlinkTransport {
      sent: Buffer[] = [];
      send(buf: Uint8Array): number {
        const req = parseMessages(Buffer.from(buf))[0]!;
        this.sent.push(Buffer.from(buf));
        setImmediate(() => {
          if (this.sent.length === 1) this.emit('message', Buffer.concat([routePart(req.seq, 4), routePart(req.seq, 5)]));
          if (this.sent.length === 1) setImmediate(() => this.emit('message', done(req.seq)));
          if (this.sent.length === 2) this.emit('message', buildError(95, req, { message: 'nope' }));
          if (this.sent.length === 3) this.emit('overrun');
        });
        return buf.length;
      }
    }
    const s = new FakeSocket();
    const seq = makeSeq(40);
    const r = await dump(s, (q) => buildRouteDump(q), decodeRoute, seq);
    assert.deepEqual(r.items.map((x) => x!.dst.addr[3]), [4, 5]);
    assert.equal(r.interrupted, false);
    assert.equal(parseMessages(s.sent[0]!)[0]!.seq, 41);
    assert.equal(parseMessages(s.sent[0]!)[0]!.flags, NlmFlag.REQUEST | NlmFlag.DUMP);
    await assert.rejects(dump(s, (q) => buildRouteDump(q), decodeRoute, seq), (e: unknown) => e instanceof NetlinkRequestError && e.code === 'EOPNOTSUPP');
    const r3 = await dump(s, (q) => buildRouteDump(q), decodeRoute, seq);
    assert.equal(r3.interrupted, true);
    assert.equal(r3.overrun, true);
    assert.equal(s.listenerCount('message'), 0);
    assert.equal(s.listenerCount('overrun'), 0);
  });
});

test('a route too big for the batch size is refused at enqueue', () => {
  const w = new RouteBatchWriter({ send: () => {}, maxBatchBytes: 40 });
  assert.throws(() => w.enqueue(RouteOp.ADD, { dst: parsePrefix('10.0.0.0/8'), gateway: parseAddress('10.1.1.1') }), /NETLINK_TOO_BIG|exceeds/);
});

describe('queued sends (a sender thread)', () => {
  test('batches go to queueSend under their first seq, in order; a failed send fails exactly that batch', async () => {
    const k = new FakeKernel();
    const handed: { id: number; buf: Buffer }[] = [];
    const w = new RouteBatchWriter({
      send: () => assert.fail('the synchronous send is not used'),
      queueSend: (buf, id) => handed.push({ id, buf: Buffer.from(buf) }),
      nextSeq: makeSeq(500),
      maxBatchBytes: 1024,
      maxInFlight: 8,
    });
    k.deliver = (d) => w.receive(d);
    const done: (string | null)[] = [];
    for (let i = 0; i < 60; i++) w.enqueue(RouteOp.ADD, v4(i), (e) => (done[i] = e ? e.code : null));
    const flushed = w.flush();
    await new Promise((r) => setImmediate(r));
    assert.ok(handed.length >= 2, `several batches: ${handed.length}`);
    // Each id is the first seq of its batch; the batches follow each other.
    let next = handed[0]!.id;
    for (const h of handed) {
      const msgs = parseMessages(h.buf);
      assert.equal(h.id, msgs[0]!.seq);
      assert.equal(h.id, next);
      next += msgs.length;
    }
    // The "thread" sends all but the second batch; that one fails (EBUSY).
    const failed = handed[1]!;
    for (const h of handed) if (h !== failed) k.send(h.buf);
    w.sendFailed(failed.id, 'EBUSY', 'device busy');
    const res = await flushed;
    const failedCount = parseMessages(failed.buf).length;
    assert.equal(res.failures.length, failedCount);
    assert.ok(res.failures.every((f) => f.error.code === 'EBUSY' && f.seq >= failed.id && f.seq < failed.id + failedCount));
    assert.equal(done.filter((x) => x === 'EBUSY').length, failedCount);
    assert.equal(done.filter((x) => x === null).length, 60 - failedCount);
    assert.equal(w.pending, 0);
  });
});

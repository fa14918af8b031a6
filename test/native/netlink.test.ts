// The netlink transport (src/fib/netlink/socket.ts over native/src/netlink.c) against the
// real kernel, in a scratch network namespace: multicast events (RTNLGRP_LINK), a dump
// request answered by a multipart reply ending in NLMSG_DONE, ENOBUFS reported as
// 'overrun' with the socket still usable, the per-callback drain cap, close from inside a
// handler. Message parsing here is a minimal inline reader, not the project's codec.
// Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetlinkSocket, RtnlGroup } from '../../src/fib/netlink/socket.js';
import { WrenError } from '../../src/bgp/errors.js';
import { Netns, sh, tempDir, waitFor } from './helpers.js';

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWROUTE = 24;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_DUMP = 0x300;
const RTA_DST = 1;

interface Msg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  body: Buffer;
}

/*
 * nlmsghdr (host byte order), messages 4-byte aligned within a datagram:
 *   0  u32 nlmsg_len (header included)   4  u16 nlmsg_type   6  u16 nlmsg_flags
 *   8  u32 nlmsg_seq                     12 u32 nlmsg_pid    16 payload
 */
function split(datagram: Buffer): Msg[] {
  const out: Msg[] = [];
  let off = 0;
  while (off + 16 <= datagram.length) {
    const len = datagram.readUInt32LE(off);
    assert.ok(len >= 16 && off + len <= datagram.length, `bad nlmsg_len ${len} at ${off}`);
    out.push({
      type: datagram.readUInt16LE(off + 4),
      flags: datagram.readUInt16LE(off + 6),
      seq: datagram.readUInt32LE(off + 8),
      pid: datagram.readUInt32LE(off + 12),
      body: datagram.subarray(off + 16, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/* rtmsg (12 bytes: family, dst_len, src_len, tos, table, protocol, scope, type, u32 flags)
 * then rtattr { u16 len, u16 type, value } aligned to 4. Returns RTA_DST as a.b.c.d. */
function routeDst(body: Buffer): string | undefined {
  let off = 12;
  while (off + 4 <= body.length) {
    const len = body.readUInt16LE(off);
    const type = body.readUInt16LE(off + 2);
    if (len < 4) return undefined;
    if (type === RTA_DST && len === 8) return [...body.subarray(off + 4, off + 8)].join('.');
    off += (len + 3) & ~3;
  }
  return undefined;
}

function getLinkDump(seq: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(32, 0);
  b.writeUInt16LE(RTM_GETLINK, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(0, 12);
  // ifinfomsg: family AF_UNSPEC, everything else 0
  return b;
}

/** `ip -batch` adding `count` /32 routes 10.<base>.x.y via dev. */
function routeBatch(dir: string, name: string, base: number, count: number, dev: string): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`route add 10.${base}.${i >> 8}.${i & 255}/32 dev ${dev}`);
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

let ns: Netns;
let tmp: ReturnType<typeof tempDir>;
const sockets: NetlinkSocket[] = [];

function open(groups: number[], receiveBuffer?: number): NetlinkSocket {
  const s = new NetlinkSocket(receiveBuffer !== undefined ? { receiveBuffer } : {});
  s.open(groups);
  sockets.push(s);
  return s;
}

before(() => {
  ns = new Netns('nl').enter();
  tmp = tempDir();
  // this kernel has no dummy driver: a veth pair with both ends up gives a carrier-up link
  sh('ip', 'link', 'add', 'wrdum0', 'type', 'veth', 'peer', 'name', 'wrdum0p');
  sh('ip', 'link', 'set', 'wrdum0p', 'up');
  sh('ip', 'link', 'set', 'wrdum0', 'up');
  sh('ip', 'addr', 'add', '198.18.0.1/24', 'dev', 'wrdum0');
});
after(() => {
  for (const s of sockets) s.close();
  ns?.destroy();
  tmp?.remove();
});

describe('NetlinkSocket', () => {
  test('RTNLGRP_LINK: creating a link delivers an RTM_NEWLINK datagram', async () => {
    const s = open([RtnlGroup.RTNLGRP_LINK]);
    const seen: Msg[] = [];
    s.on('message', (d: Buffer) => seen.push(...split(d)));
    sh('ip', 'link', 'add', 'wrdum1', 'type', 'bridge');
    await waitFor(() => seen.some((m) => m.type === RTM_NEWLINK && m.body.includes('wrdum1\0')), 3000, 'RTM_NEWLINK');
    const m = seen.find((x) => x.type === RTM_NEWLINK)!;
    assert.equal(m.pid, 0, 'multicast from the kernel carries pid 0');
    s.close();
    assert.equal(s.isOpen, false);
  });

  test('RTM_GETLINK dump: multipart reply addressed to our port id, ending in NLMSG_DONE', async () => {
    const s = open([]);
    const port = s.portId;
    assert.ok(port > 0);
    const msgs: Msg[] = [];
    let datagrams = 0;
    s.on('message', (d: Buffer) => {
      datagrams++;
      msgs.push(...split(d));
    });
    assert.equal(s.send(getLinkDump(4242)), 32);
    await waitFor(() => msgs.some((m) => m.type === NLMSG_DONE), 3000, 'NLMSG_DONE');
    const links = msgs.filter((m) => m.type === RTM_NEWLINK);
    assert.ok(links.length >= 3, `expected lo, wrdum0, wrdum1; got ${links.length}`);
    for (const m of [...links, msgs.at(-1)!]) {
      assert.equal(m.seq, 4242);
      assert.equal(m.pid, port);
      assert.ok(m.flags & NLM_F_MULTI, 'NLM_F_MULTI set');
    }
    assert.equal(msgs.at(-1)!.type, NLMSG_DONE);
    assert.ok(links.some((m) => m.body.includes('wrdum0\0')));
    assert.ok(datagrams >= 1);
  });

  test('a bad request comes back as NLMSG_ERROR with the errno', async () => {
    const s = open([]);
    const msgs: Msg[] = [];
    s.on('message', (d: Buffer) => msgs.push(...split(d)));
    // RTM_GETLINK (not a dump) for ifindex 999999: no such device
    const b = getLinkDump(7);
    b.writeUInt16LE(NLM_F_REQUEST, 6);
    b.writeInt32LE(999999, 20);
    s.send(b);
    await waitFor(() => msgs.some((m) => m.type === NLMSG_ERROR), 3000, 'NLMSG_ERROR');
    const err = msgs.find((m) => m.type === NLMSG_ERROR)!;
    assert.equal(err.body.readInt32LE(0), -19 /* -ENODEV */);
    assert.equal(err.seq, 7);
  });

  test('ENOBUFS under a burst is reported as overrun, and the socket keeps working', async () => {
    const s = open([RtnlGroup.RTNLGRP_IPV4_ROUTE], 4096);
    let overruns = 0;
    const dsts = new Set<string>();
    s.on('overrun', () => overruns++);
    s.on('message', (d: Buffer) => {
      for (const m of split(d)) if (m.type === RTM_NEWROUTE) dsts.add(routeDst(m.body) ?? '');
    });
    s.on('error', (e) => assert.fail(`unexpected error ${String(e)}`));
    // spawnSync blocks this event loop: nothing reads while 20k events are sent
    const r = spawnSync('ip', ['-batch', routeBatch(tmp.dir, 'burst', 20, 20000, 'wrdum0')]);
    assert.equal(r.status, 0, r.stderr?.toString());
    await waitFor(() => overruns > 0, 3000, "'overrun'");
    sh('ip', 'route', 'add', '10.255.255.1/32', 'dev', 'wrdum0');
    await waitFor(() => dsts.has('10.255.255.1'), 3000, 'event after the overrun');
    assert.ok(dsts.size < 20000, 'some events must have been lost');
  });

  test('each poll callback drains at most 64 datagrams; every event still arrives', async () => {
    const s = open([RtnlGroup.RTNLGRP_IPV4_ROUTE], 32 * 1024 * 1024);
    let inTurn = 0;
    let maxPerTurn = 0;
    let turns = 0;
    let overrun = false;
    const dsts = new Set<string>();
    s.on('overrun', () => (overrun = true));
    s.on('message', (d: Buffer) => {
      inTurn++;
      for (const m of split(d)) {
        const dst = m.type === RTM_NEWROUTE ? routeDst(m.body) : undefined;
        if (dst?.startsWith('10.30.')) dsts.add(dst);
      }
    });
    let sampling = true;
    const sample = (): void => {
      maxPerTurn = Math.max(maxPerTurn, inTurn);
      if (inTurn > 0) turns++;
      inTurn = 0;
      if (sampling) setImmediate(sample);
    };
    const r = spawnSync('ip', ['-batch', routeBatch(tmp.dir, 'cap', 30, 3000, 'wrdum0')]);
    assert.equal(r.status, 0, r.stderr?.toString());
    setImmediate(sample);
    try {
      await waitFor(() => dsts.size === 3000 || overrun, 5000, 'all 3000 route events');
    } finally {
      sampling = false;
    }
    assert.equal(overrun, false, 'a 32 MiB buffer should hold 3000 events');
    assert.equal(dsts.size, 3000);
    assert.ok(maxPerTurn <= 64, `a turn delivered ${maxPerTurn} datagrams`);
    assert.ok(turns >= Math.ceil(3000 / 64), `only ${turns} turns`);
  });

  test('close() inside a message handler stops delivery; later calls fail with NOT_OPEN', async () => {
    const s = open([RtnlGroup.RTNLGRP_IPV4_ROUTE], 1024 * 1024);
    let count = 0;
    let closed = 0;
    s.on('close', () => closed++);
    s.on('message', () => {
      count++;
      s.close();
    });
    const r = spawnSync('ip', ['-batch', routeBatch(tmp.dir, 'close', 40, 200, 'wrdum0')]);
    assert.equal(r.status, 0);
    await waitFor(() => count > 0, 3000, 'first message');
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(count, 1);
    assert.equal(closed, 1);
    s.close();
    assert.equal(closed, 1, 'close is idempotent');
    assert.throws(() => s.send(Buffer.alloc(16)), (e: unknown) => e instanceof WrenError && e.code === 'NOT_OPEN');
  });

  test('pause() holds datagrams in the kernel until resume()', async () => {
    const s = open([RtnlGroup.RTNLGRP_LINK]);
    let count = 0;
    s.on('message', () => count++);
    s.pause();
    sh('ip', 'link', 'add', 'wrdum2', 'type', 'bridge');
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(count, 0);
    s.resume();
    await waitFor(() => count > 0, 3000, 'message after resume');
  });

  test('errno errors surface as WrenError codes', () => {
    const s = open([]);
    assert.throws(() => s.addMembership(0), (e: unknown) => e instanceof WrenError && e.code === 'EINVAL');
    const bad = new NetlinkSocket({ protocol: 99 });
    assert.throws(() => bad.open(), (e: unknown) => e instanceof WrenError && e.code === 'EPROTONOSUPPORT');
    assert.ok(s.setReceiveBuffer(1 << 20) >= 1 << 20);
  });
});

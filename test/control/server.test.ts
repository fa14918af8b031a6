// ControlServer as a resource: socket file lifecycle, line handling (\r, over-long lines,
// pipelining), and fairness — a client that stops reading a huge reply never blocks others.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../src/control/server.js';
import { WrenError } from '../../src/bgp/errors.js';
import { startServer, RawClient, wire } from './harness.js';
import { FakeSource, at } from './fake-source.js';
import type { RouteNet, RouteQuery } from '../../src/control/model.js';

describe('socket file lifecycle', () => {
  test('chmod 0660, removed on close, stale socket replaced, live or non-socket path refused', async () => {
    const h = await startServer();
    assert.equal(statSync(h.path).mode & 0o777, 0o660);
    assert.ok(statSync(h.path).isSocket());
    // A second server on the same live path is refused.
    const dup = new ControlServer(h.path, new FakeSource());
    await assert.rejects(dup.listen(), (e: unknown) => e instanceof WrenError && e.code === 'control-socket-in-use');
    await h.server.close();
    assert.equal(existsSync(h.path), false);
    rmSync(h.dir, { recursive: true, force: true });

    const dir = mkdtempSync(join(tmpdir(), 'wren-ctl-'));
    try {
      // A stale socket file, as a killed daemon leaves it: bound, never unlinked.
      const stale = join(dir, 'bird.ctl');
      const py = spawnSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', stale]);
      assert.equal(py.status, 0);
      assert.ok(existsSync(stale), 'stale socket file present');
      const srv = new ControlServer(stale, new FakeSource(), { version: 'v1' });
      await srv.listen();
      const c = await RawClient.open(stale);
      assert.equal(c.greeting, '0001 BIRD v1 ready.\n');
      c.close();
      await srv.close();

      const plain = join(dir, 'plain');
      writeFileSync(plain, 'x');
      await assert.rejects(new ControlServer(plain, new FakeSource()).listen(), (e: unknown) => e instanceof WrenError && e.code === 'control-socket-path');
      assert.ok(existsSync(plain), 'a regular file is never removed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('line handling', () => {
  test('\\r dropped, over-long line → 9000, pipelined commands answered in order', async () => {
    const h = await startServer();
    try {
      const c = await RawClient.open(h.path);
      assert.match(await c.cmd('show status\r'), /^1000-/);
      assert.equal(await c.cmd(`show route ${'1'.repeat(5000)}`), wire('9000 Command too long'));
      assert.match(await c.cmd('show status'), /^1000-/, 'the connection survives');
      c.close();

      // Three commands in one write: three replies in order.
      const raw = createConnection(h.path);
      let buf = '';
      raw.on('data', (d) => (buf += d.toString()));
      raw.write('show route count\nshow protocols nosuch\nshow route 10.1.2.3/32\n');
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (buf.split('\n').length >= 5) resolve();
          else setTimeout(check, 5);
        };
        check();
      });
      raw.destroy();
      assert.equal(
        buf,
        wire('0001 BIRD v0.3.3+birdv1.6.8 ready.', '0014 9 of 9 routes for 8 networks', '9002 nosuch is not a protocol', '8001 Network not in table'),
      );
    } finally {
      await h.close();
    }
  });
});

/** A source with `n` networks generated lazily; counts how many were produced. */
class BigSource extends FakeSource {
  produced = 0;
  constructor(private readonly n: number) {
    super();
  }
  override routes(_q: RouteQuery): Iterable<RouteNet> {
    const self = this;
    return (function* () {
      for (let i = 0; i < self.n; i++) {
        self.produced++;
        yield {
          prefix: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`,
          routes: [{ dest: { kind: 'device', iface: 'cali0' }, protocol: 'kernel1', since: at(5, 28, 57), primary: true, preference: 10 }],
        } satisfies RouteNet;
      }
    })();
  }
}

describe('fairness', () => {
  test('a client that does not read a huge reply does not block other clients', async () => {
    const N = 400_000;
    const src = new BigSource(N);
    const h = await startServer(src, { stallTimeoutMs: 60_000 });
    try {
      // The slow client asks for every route and never reads.
      const slow = createConnection(h.path);
      slow.pause();
      await new Promise<void>((r) => slow.once('connect', () => r()));
      slow.write('show route\n');
      // Wait until the server has started producing that reply.
      while (src.produced === 0) await new Promise((r) => setTimeout(r, 5));
      const c = await RawClient.open(h.path);
      assert.match(await c.cmd('show status'), /0013 Daemon is up and running\n$/);
      assert.match(await c.cmd('show protocols'), /^2002-name/);
      assert.ok(src.produced < N, `reply to the slow client is still pending (${src.produced} of ${N} networks produced)`);
      c.close();
      // Once the slow client goes away its reply generation stops.
      slow.destroy();
      const before = src.produced;
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(src.produced - before < N - before, 'generation stopped after the client left');
    } finally {
      await h.close();
    }
  });

  test('a full route listing streams completely to a reading client', async () => {
    const N = 50_000;
    const src = new BigSource(N);
    const h = await startServer(src);
    try {
      const c = await RawClient.open(h.path);
      const text = await c.cmd('show route');
      const lines = text.split('\n');
      assert.equal(lines.length, N + 2);
      assert.equal(lines[0], '1007-10.0.0.0/32        dev cali0 [kernel1 05:28:57] * (10)');
      assert.equal(lines[N], '0000 ');
      assert.equal(await c.cmd('show route count'), wire(`0014 ${N} of ${N} routes for ${N} networks`));
      c.close();
    } finally {
      await h.close();
    }
  });
});

describe('show route errors', () => {
  test('a filter the source cannot compile is answered 9001 <message>, and the connection goes on', async () => {
    const h = await startServer();
    try {
      const c = await RawClient.open(h.path);
      h.source.routesError = 'Unknown symbol no_such_thing';
      assert.equal(await c.cmd('show route where no_such_thing = 1'), wire('9001 Unknown symbol no_such_thing'));
      h.source.routesError = null;
      assert.match(await c.cmd('show route count'), /^0014 \d+ of \d+ routes for \d+ networks\n$/);
      c.close();
    } finally {
      await h.close();
    }
  });
});

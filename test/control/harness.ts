// Test harness: a ControlServer on a real unix socket in a fresh temp dir, and a raw client
// that returns replies as the exact bytes received.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer, type ControlServerOptions } from '../../src/control/server.js';
import { ControlClient } from '../../src/cli/client.js';
import { FakeSource, NOW } from './fake-source.js';

export interface Harness {
  readonly dir: string;
  readonly path: string;
  readonly source: FakeSource;
  readonly server: ControlServer;
  close(): Promise<void>;
}

export async function startServer(source = new FakeSource(), opts: ControlServerOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'wren-ctl-'));
  const path = join(dir, 'bird.ctl');
  const server = new ControlServer(path, source, { version: 'v0.3.3+birdv1.6.8', now: () => NOW, ...opts });
  await server.listen();
  return {
    dir,
    path,
    source,
    server,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A connected client whose replies come back as wire text (lines joined, each with `\n`). */
export class RawClient {
  private constructor(
    readonly client: ControlClient,
    readonly greeting: string,
  ) {}

  static async open(path: string): Promise<RawClient> {
    const c = await ControlClient.connect(path);
    const g = await c.greeting();
    if (!g) throw new Error('no greeting');
    return new RawClient(c, g.map((l) => l + '\n').join(''));
  }

  async cmd(line: string): Promise<string> {
    const r = await this.client.command(line);
    if (!r) throw new Error(`connection closed during ${line}`);
    return r.map((l) => l + '\n').join('');
  }

  close(): void {
    this.client.close();
  }
}

/** Transcript lines → wire text. */
export const wire = (...lines: string[]): string => lines.map((l) => l + '\n').join('');

// What the benchmark orchestrator and its peer workers (peer-worker.ts, one Node process
// per namespace) say to each other: the worker's job as JSON in a file named on its
// command line, commands as JSON lines on its stdin, events as JSON lines on its stdout.
// Times are CLOCK_MONOTONIC milliseconds (process.hrtime), which all processes on the
// machine share, so a tester's first-write time and a monitor's completion time compare.
// Leaves out: anything about which DUT runs (the workers only speak BGP to an address).

import type { MonitorChecks } from './counter.js';
import type { TableSpec } from './table.js';

export interface PeerEndpoint {
  readonly localAs: number;
  readonly peerAs: number;
  readonly routerId: string;
  readonly localAddress: string;
  readonly peerAddress: string;
}

export interface TesterJob extends PeerEndpoint {
  readonly role: 'tester';
  readonly table: TableSpec;
  /** The tester's next hop (its own address in the table's family). */
  readonly nextHop: string;
}

export interface MonitorJob extends PeerEndpoint {
  readonly role: 'monitor';
  readonly table: TableSpec;
  /** Distinct prefixes that make the run complete. */
  readonly target: number;
  /** Every AS_PATH must start with this AS (the DUT's, eBGP), or null. */
  readonly firstAs: number | null;
  /** ASes expected before the tester's path on sampled prefixes. */
  readonly prepend: readonly number[];
  /** Ask for ADD-PATH receive (RFC 7911) in the family. */
  readonly addPath: boolean;
}

export interface RrClientsJob {
  readonly role: 'rr-clients';
  readonly as: number;
  readonly dutAddress: string;
  /** One address per client (also its router id). */
  readonly clients: readonly string[];
  readonly blocksPerClient: number;
  /** The RR's cluster id, dotted quad, expected in every CLUSTER_LIST. */
  readonly clusterId: string;
}

export type WorkerJob = TesterJob | MonitorJob | RrClientsJob;

export type WorkerCommand =
  | { readonly cmd: 'go' }
  | { readonly cmd: 'status' }
  | { readonly cmd: 'withdraw' }
  | { readonly cmd: 'stop' };

export interface RrChecks {
  /** Reflected announcements seen (all clients). */
  announcements: number;
  /** …with an ORIGINATOR_ID that is not the originating client's router id. */
  originatorBad: number;
  /** …without the cluster id in CLUSTER_LIST. */
  clusterListBad: number;
  /** A client's own routes reflected back to it (RFC 4456 §8: it must ignore them). */
  ownReflected: number;
  /** Prefixes outside the clients' blocks. */
  foreign: number;
  examples: string[];
}

export type WorkerEvent =
  | { readonly ev: 'log'; readonly text: string }
  | { readonly ev: 'error'; readonly message: string }
  | { readonly ev: 'encoded'; readonly messages: number; readonly bytes: number; readonly prefixes: number; readonly ms: number }
  | { readonly ev: 'established'; readonly count: number }
  | { readonly ev: 'down'; readonly name: string; readonly reason: string }
  | { readonly ev: 'sent'; readonly t0: number; readonly t1: number; readonly messages: number }
  | { readonly ev: 'progress'; readonly held: number }
  | {
      readonly ev: 'done';
      readonly t: number;
      /** The first UPDATE received. */
      readonly tFirst: number;
      /** The monitor's own CPU seconds from its first UPDATE to done. */
      readonly cpuS: number;
      readonly held: number;
      readonly checks: MonitorChecks;
    }
  | { readonly ev: 'status'; readonly held: number; readonly checks: MonitorChecks | RrChecks; readonly complete?: number }
  | { readonly ev: 'converged'; readonly t0: number; readonly t: number; readonly checks: RrChecks }
  | { readonly ev: 'withdrawn'; readonly t0: number; readonly t: number; readonly checks: RrChecks };

/** CLOCK_MONOTONIC in milliseconds, comparable across processes. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function ipv4ToU32(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new RangeError(`not an IPv4 address: ${ip}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export function u32ToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

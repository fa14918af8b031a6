// DUT resource figures from procfs (proc(5)): CPU seconds as utime + stime of the whole
// thread group from /proc/<pid>/stat (fields 14 and 15, in clock ticks), and peak resident
// set size from VmHWM in /proc/<pid>/status. Read at a few instants only (not a sampler).
// Leaves out: children of the DUT (none of the drivers' daemons fork workers).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks = 0;

/** sysconf(_SC_CLK_TCK), from getconf (100 on Linux in practice). */
export function clockTicks(): number {
  if (ticks === 0) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** utime + stime of all threads, seconds. */
export function parseCpuSeconds(stat: string, hz: number): number {
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 120)}`);
  return (utime + stime) / hz;
}

export function cpuSeconds(pid: number): number {
  return parseCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), clockTicks());
}

/** A `Key:   123 kB` line of /proc/<pid>/status, in KiB. */
export function parseStatusKib(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${key} in /proc status`);
  return Number(m[1]);
}

/** Peak RSS (VmHWM), MiB. */
export function peakRssMiB(pid: number): number {
  return parseStatusKib(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM') / 1024;
}

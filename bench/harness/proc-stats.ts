// DUT resource figures from procfs (proc(5)): CPU seconds as utime + stime of the whole
// thread group from /proc/<pid>/stat (fields 14 and 15, in clock ticks) and of its main
// thread from /proc/<pid>/task/<pid>/stat; the whole machine's busy CPU seconds from the
// first line of /proc/stat; peak resident set size from VmHWM in /proc/<pid>/status. Read
// at a few instants only (not a sampler).
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

/**
 * Busy CPU seconds of the whole machine, all cores, from /proc/stat's `cpu` line: user,
 * nice, system, irq, softirq and steal (time the hypervisor gave to someone else while
 * this machine had work), everything but idle and iowait. Guest time is inside user.
 */
export function parseMachineBusySeconds(stat: string, hz: number): number {
  const line = stat.split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/);
  if (f[0] !== 'cpu' || f.length < 9) throw new Error(`unexpected /proc/stat line: ${line.slice(0, 120)}`);
  const n = f.slice(1, 9).map(Number);
  if (n.some((x) => !Number.isFinite(x))) throw new Error(`unexpected /proc/stat line: ${line.slice(0, 120)}`);
  const [user, nice, system, , , irq, softirq, steal] = n as [number, number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq + steal) / hz;
}

/** CPU seconds at one instant: the DUT's, its main thread's and the whole machine's. */
export interface CpuSnapshot {
  /** performance.now() when read, ms. */
  readonly at: number;
  readonly dut: number;
  readonly mainThread: number;
  readonly machine: number;
}

export function cpuSnapshot(pid: number): CpuSnapshot {
  const hz = clockTicks();
  return {
    at: performance.now(),
    dut: cpuSeconds(pid),
    mainThread: parseCpuSeconds(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'), hz),
    machine: parseMachineBusySeconds(readFileSync('/proc/stat', 'utf8'), hz),
  };
}

/**
 * What was used between two snapshots. The bounds of a run's wall time follow: a DUT
 * whose main thread was busy nearly all along is bound by that thread; a machine busy
 * on all its cores (DUT, tester, monitor and the rest) is bound by the cores.
 */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): { cpuS: number; mainThreadCpuS: number; machineCpuS: number; machineCores: number } {
  const machineCpuS = b.machine - a.machine;
  return { cpuS: b.dut - a.dut, mainThreadCpuS: b.mainThread - a.mainThread, machineCpuS, machineCores: machineCpuS / ((b.at - a.at) / 1000) };
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

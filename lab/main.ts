// `npm run lab -- --topology mesh|rr|tor --nodes N --workloads W [--daemon wren|bird]`:
// builds a Calico cluster in network namespaces (cluster.ts), runs the checks and fault
// drills (checks.ts), and prints the figures (cold-start convergence, convergence after a
// node joins, withdrawal after a node leaves, memory per daemon), a topology diagram and a
// convergence timeline; writes the same as an SVG (`--svg`, default lab-<topology>-<daemon>.svg
// in the current directory). Exit status 0 when every check passed. Needs root.
// Everything it made (namespaces, processes by PID, scratch files) is removed at the end,
// also on Ctrl-C, unless --keep.
//
// Leaves out: running several topologies in one invocation.

import { writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { Lab } from '../test/helpers/netns.js';
import { Cluster, type DaemonKind } from './cluster.js';
import { buildCluster, type Topology } from './model.js';
import { connectivity, hupStorm, killReflector, nodeJoins, nodeLeaves, restartNode, torMissing, waitReady, readiness } from './checks.js';
import { convergenceText, reportSvg, timelineText, topologyText } from './report.js';

export interface LabArgs {
  readonly topology: Topology;
  readonly nodes: number;
  readonly workloads: number;
  readonly daemon: DaemonKind;
  readonly ipv6?: boolean;
  readonly tor: 'bird' | 'frr';
  readonly faults: boolean;
  readonly hupSeconds: number;
  readonly svg?: string;
  readonly keep: boolean;
}

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

export async function runLab(a: LabArgs, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<boolean> {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces)');
  if (a.keep) process.env.WREN_KEEP_LAB = '1';
  const spec = buildCluster({ topology: a.topology, nodes: a.nodes, workloads: a.workloads, ipv6: a.ipv6, torDaemon: a.tor });
  const lab = new Lab(`lab-${a.topology}`);
  const onSignal = (): void => process.exit(130); // 'exit' runs the lab's synchronous cleanup
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const cluster = new Cluster(lab, spec, { daemon: a.daemon, log: out });
  const checks: Check[] = [];
  const figures: Array<[string, string]> = [];
  const check = (name: string, ok: boolean, detail: string): void => {
    checks.push({ name, ok, detail });
  };
  const convergeTimeout = Math.max(90_000, spec.nodes.length * 6_000);
  out(topologyText(spec, a.daemon === 'wren' ? 'Wren' : 'BIRD 2'));
  out('');
  try {
    await cluster.build();
    const tStart = cluster.mark(`starting ${spec.nodes.length * cluster.families.length} ${a.daemon} daemons`);
    await cluster.startAll();
    const tUp = cluster.mark('every control socket answers');
    const cold = await cluster.waitConverged('cold start: every kernel has every block', convergeTimeout);
    figures.push(['cold start convergence', `${((cold.at - tStart) / 1000).toFixed(1)} s (daemons spawned → every node's kernel holds every block), of which ${((cold.at - tUp) / 1000).toFixed(1)} s after the last control socket answered`]);
    const perNode = convergenceText(cold.perNode, tStart);

    if (a.daemon === 'wren') {
      try {
        const r = await waitReady(cluster, 60_000);
        check('readiness/liveness (contract §3)', true, `${r.ready.size} daemons ready and live`);
      } catch (e) {
        const r = await readiness(cluster);
        check('readiness/liveness (contract §3)', false, JSON.stringify([...r.ready].filter(([, v]) => v !== null)) + ' ' + (e as Error).message.split('\n')[0]);
      }
    }
    if (spec.tor) {
      const miss = await torMissing(cluster);
      check('ToR learned every block', miss.length === 0, miss.length ? miss.join('; ') : `${spec.nodes.length * cluster.families.length} blocks with the node as next hop`);
    }
    const conn = await connectivity(cluster);
    check('workload ↔ workload across nodes', conn.failed.length === 0, `${conn.pairs - conn.failed.length}/${conn.pairs} pairs (${conn.mode})${conn.failed.length ? ': ' + conn.failed.slice(0, 5).map((f) => `${f.from}→${f.to} ${f.addr} ${f.error}`).join('; ') : ''}`);

    const mem = cluster.memory();
    const kbs = [...mem.values()];
    if (kbs.length) {
      const avg = kbs.reduce((s, x) => s + x, 0) / kbs.length;
      figures.push([`memory per ${a.daemon === 'wren' ? 'Wren' : 'BIRD 2'} (VmRSS)`, `avg ${mb(avg)}, min ${mb(Math.min(...kbs))}, max ${mb(Math.max(...kbs))} over ${kbs.length} daemons`]);
    }

    if (a.faults) {
      const storm = await hupStorm(cluster, a.hupSeconds);
      check('SIGHUP storm keeps sessions up', storm.flapped.length === 0 && storm.converged, `${storm.hups} reloads; ${storm.flapped.length ? storm.flapped.slice(0, 5).join('; ') : 'no session re-established'}`);

      if (spec.topology === 'rr') {
        const k = await killReflector(cluster);
        const dels = [...k.routeEvents.values()].reduce((s, x) => s + x.length, 0);
        check('kill -9 one RR: routes stay, workloads reachable', k.converged && dels === 0 && k.watch!.failures === 0, `${k.watch!.failures}/${k.watch!.probes} probes failed, longest gap ${k.watch!.maxGapMs} ms, ${dels} block-route changes in clients' kernels${k.notes.length ? '; ' + k.notes.slice(0, 3).join('; ') : ''}`);
        figures.push(['RR failure: longest gap between successful probes', `${k.watch!.maxGapMs} ms (probe every 100 ms)`]);
      }

      const victim = spec.nodes.find((n) => !n.rrClusterId)!;
      const r = await restartNode(cluster, victim.name);
      const ev = r.routeEvents.get(victim.name) ?? [];
      check(`restart ${victim.name} with -R: its kernel routes do not flap`, ev.length === 0, ev.length ? `${ev.length} block-route events: ${ev.slice(0, 4).join(' | ')}` : `no block-route change in ${victim.name}'s kernel; probes from it: ${r.watch!.failures}/${r.watch!.probes} failed`);

      const j = await nodeJoins(cluster, a.workloads);
      figures.push(['convergence after adding a node', `${((j.convergedAt - j.startedAt) / 1000).toFixed(1)} s (namespace + workloads + daemon start + re-render of ${spec.nodes.length} configs → every kernel holds every block)`]);
      const conn2 = await connectivity(cluster);
      check(`${j.node} joined: reachable from everywhere`, conn2.failed.length === 0, `${conn2.pairs - conn2.failed.length}/${conn2.pairs} pairs`);

      const l = await nodeLeaves(cluster);
      figures.push(['withdrawal after a node leaves', `${((l.withdrawnAt - l.startedAt) / 1000).toFixed(1)} s (daemon stopped + re-render → its block gone from every kernel)`]);
      check(`${l.node} left: its routes withdrawn everywhere`, true, 'no kernel holds its block any more');
    }

    out('');
    out(timelineText(cluster.timeline));
    out('');
    out(perNode);
    out('');
    out('Figures:');
    for (const [k, v] of figures) out(`  ${k}: ${v}`);
    out('');
    out('Checks:');
    for (const c of checks) out(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name} — ${c.detail}`);
    const svgPath = a.svg ?? `lab-${a.topology}-${a.daemon}.svg`;
    writeFileSync(svgPath, reportSvg(spec, a.daemon === 'wren' ? 'Wren' : 'BIRD 2', cluster.timeline, [...figures, ...checks.map((c) => [`${c.ok ? 'PASS' : 'FAIL'} ${c.name}`, c.detail] as [string, string])]));
    out(`\nSVG report: ${svgPath}`);
    return checks.every((c) => c.ok);
  } catch (e) {
    out(`\nLAB FAILED: ${(e as Error).message}`);
    out(timelineText(cluster.timeline));
    return false;
  } finally {
    cluster.close();
    await lab.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function main(argv: string[]): Promise<number> {
  const a = await yargs(argv)
    .scriptName('npm run lab --')
    .option('topology', { choices: ['mesh', 'rr', 'tor'] as const, default: 'mesh' as const, describe: 'full mesh, 2 route reflectors + clients, or eBGP to a ToR' })
    .option('nodes', { type: 'number', default: 5, describe: 'nodes hosting workloads (rr: clients; the reflectors come on top)' })
    .option('workloads', { type: 'number', default: 2, describe: 'workloads per node (≤ 62)' })
    .option('daemon', { choices: ['wren', 'bird'] as const, default: 'wren' as const, describe: 'node BGP daemon: Wren with confd-shaped configs, or BIRD 2 with an equivalent config' })
    .option('ipv6', { type: 'boolean', describe: 'dual stack (default: on for tor)' })
    .option('tor', { choices: ['bird', 'frr'] as const, default: 'bird' as const, describe: 'ToR daemon for --topology tor' })
    .option('faults', { type: 'boolean', default: true, describe: 'run the fault drills after the checks' })
    .option('hup-seconds', { type: 'number', default: 10, describe: 'length of the SIGHUP storm' })
    .option('svg', { type: 'string', describe: 'where to write the SVG report' })
    .option('keep', { type: 'boolean', default: false, describe: 'keep the scratch directory (logs, configs)' })
    .strict()
    .help()
    .parseAsync();
  const ok = await runLab({
    topology: a.topology,
    nodes: a.nodes,
    workloads: a.workloads,
    daemon: a.daemon,
    ipv6: a.ipv6,
    tor: a.tor,
    faults: a.faults,
    hupSeconds: a['hup-seconds'],
    svg: a.svg,
    keep: a.keep,
  });
  return ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('lab/main.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
}

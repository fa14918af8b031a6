// Route-propagation benchmark (run by hand, as root; not a test): tester → DUT → monitor in
// network namespaces, against Wren, BIRD 2, FRR bgpd and GoBGP in one run. See
// bench/README.md for what each scenario measures and bench/harness/run.ts for the
// topology.
//
//   node --import tsx bench/propagation.ts --scenario ipv4-100k --dut bird,frr,gobgp,wren --runs 3
//
// Runs are interleaved (run 1 of every DUT, then run 2, …) so that a noisy spell on the
// shared machine does not land on one DUT only. Prints one line per run and a table of
// medians with ratios to BIRD; --json writes every result to a file.
// Leaves out: asserting anything about time (benchmarks are not tests).

import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DUT_NAMES, type DutName } from './harness/duts.js';
import { formatRun, formatTable, summarize } from './harness/report.js';
import { type RunResult, SCENARIOS, defaultTimeoutS, runOnce } from './harness/run.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('propagation')
  .option('scenario', { type: 'string', choices: Object.keys(SCENARIOS), demandOption: true, describe: 'what to measure' })
  .option('dut', { type: 'string', default: 'wren,bird,frr,gobgp', describe: 'comma-separated DUTs' })
  .option('runs', { type: 'number', default: 3, describe: 'runs per DUT (medians are reported)' })
  .option('timeout', { type: 'number', describe: 'seconds per run from the first UPDATE (default scales with the scenario)' })
  .option('wren-build', { type: 'boolean', default: false, describe: 'run Wren from the compiled build (bin/wrend.js; npm run build first)' })
  .option('linger', { type: 'number', default: 0, describe: 'seconds to keep each DUT after a full-table run ends, then read its peak RSS and CPU again (work a DUT defers past the end)' })
  .option('json', { type: 'string', describe: 'write all results as JSON to this file' })
  .strict()
  .help()
  .parseSync();

const duts = argv.dut.split(',').map((d) => d.trim()).filter(Boolean) as DutName[];
for (const d of duts) if (!(DUT_NAMES as readonly string[]).includes(d)) throw new Error(`unknown DUT ${d} (one of ${DUT_NAMES.join(', ')})`);
if (process.getuid && process.getuid() !== 0) throw new Error('needs root (network namespaces)');
const scenario = SCENARIOS[argv.scenario]!;
const timeoutS = argv.timeout ?? defaultTimeoutS(scenario);
const log = (l: string) => process.stderr.write(l + '\n');

const started = new Date();
const load0 = loadavg();
log(`${scenario.name}: ${duts.join(', ')} × ${argv.runs} runs, timeout ${timeoutS} s; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
const results: RunResult[] = [];
for (let run = 1; run <= argv.runs; run++) {
  for (const dut of duts) {
    log(`run ${run}/${argv.runs} ${dut}…`);
    const r = await runOnce(dut, scenario, { timeoutS, log, wrenBuild: argv.wrenBuild, lingerS: argv.linger });
    results.push(r);
    log(`  ${formatRun(r)}`);
  }
}
const load1 = loadavg();
const summaries = summarize(results, duts);
const rr = scenario.kind === 'rr';
const what = scenario.kind === 'ebgp'
  ? `${scenario.prefixes} ${scenario.name.startsWith('ipv6') ? 'IPv6' : 'IPv4'} prefixes, eBGP tester → DUT → monitor`
  : `route reflector, ${scenario.clients} iBGP clients × ${scenario.blocksPerClient} /26`;
process.stdout.write(
  `\n${scenario.name} (${what}); medians of ${argv.runs} run(s); ${started.toISOString()}; ` +
  `load average ${load0[0]!.toFixed(2)} → ${load1[0]!.toFixed(2)}\n${formatTable(summaries, rr)}\n`,
);
if (argv.json) {
  writeFileSync(argv.json, JSON.stringify({ scenario: scenario.name, started: started.toISOString(), load: [load0, load1], results, summaries }, null, 2));
}

// The control socket while the daemon is busy (issue: `show protocols` during a full-table
// ingest answers within 100 ms at p99), and the metrics endpoint during the same run (its
// counters must be non-zero and right). Runs the propagation harness's eBGP scenario with
// Wren as the DUT (metrics on 127.0.0.1:9610 inside its namespace) and, from the moment the
// tester starts sending until the monitor holds every prefix, asks `show protocols` over
// the control socket every 20 ms and scrapes /metrics once a second.
// Run (root): node --import tsx bench/responsiveness.ts [--scenario ipv4-1m] [--wren-build]

import { execFileSync } from 'node:child_process';
import { ControlClient } from '../src/cli/client.js';
import { runOnce, defaultTimeoutS, SCENARIOS } from './harness/run.js';

const args = process.argv.slice(2);
const scName = args.includes('--scenario') ? args[args.indexOf('--scenario') + 1]! : 'ipv4-1m';
const scenario = SCENARIOS[scName];
if (!scenario || scenario.kind !== 'ebgp') throw new Error(`unknown eBGP scenario ${scName}`);
process.env.WREN_DUT_ARGS = '--metrics-port 9610';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const result = await runOnce('wren', scenario, {
  timeoutS: defaultTimeoutS(scenario),
  wrenBuild: args.includes('--wren-build'),
  log: (l) => process.stderr.write(`${l}\n`),
  during: ({ netns, controlSocket }) => {
    const latencies: number[] = [];
    const scrapes: { t: number; updatesIn: number; received: number; advertised: number }[] = [];
    let stop = false;
    const t0 = performance.now();
    const probe = (async () => {
      const c = await ControlClient.connect(controlSocket);
      await c.nextLine(); // greeting
      while (!stop) {
        const start = performance.now();
        c.send('show protocols');
        for (;;) {
          const l = await c.nextLine();
          if (l === null || l.startsWith('0000')) break;
        }
        latencies.push(performance.now() - start);
        await new Promise((r) => setTimeout(r, 20));
      }
      c.close();
    })();
    const metric = (text: string, name: string, label: string) => {
      const m = new RegExp(`^${name}\\{[^}]*protocol="${label}"[^}]*\\} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : NaN;
    };
    const scraper = setInterval(() => {
      try {
        const text = execFileSync('ip', ['netns', 'exec', netns, 'curl', '-s', 'http://127.0.0.1:9610/metrics'], { encoding: 'utf8', timeout: 5000 });
        scrapes.push({
          t: (performance.now() - t0) / 1000,
          updatesIn: metric(text, 'wren_bgp_updates_received_total', 'tester'),
          received: metric(text, 'wren_bgp_prefixes_received', 'tester'),
          advertised: metric(text, 'wren_bgp_prefixes_advertised', 'monitor'),
        });
      } catch {
        // curl missing or the endpoint not up yet: the scrape list shows it.
      }
    }, 1000);
    return async () => {
      stop = true;
      clearInterval(scraper);
      await probe;
      return { latencies, scrapes };
    };
  },
});

const d = result.during as { latencies: number[]; scrapes: { t: number; updatesIn: number; received: number; advertised: number }[] } | undefined;
console.log(`${scenario.name}: ${result.status}${result.detail ? ` (${result.detail})` : ''}, wall ${result.wallS?.toFixed(2)} s, held ${result.held}/${result.target}`);
if (d && d.latencies.length) {
  console.log(`show protocols during the ingest: ${d.latencies.length} answers, p50 ${pct(d.latencies, 50).toFixed(1)} ms, p99 ${pct(d.latencies, 99).toFixed(1)} ms, max ${Math.max(...d.latencies).toFixed(1)} ms`);
}
for (const s of d?.scrapes ?? []) {
  console.log(`metrics at ${s.t.toFixed(1)} s: tester updates in ${s.updatesIn}, tester prefixes received ${s.received}, monitor prefixes advertised ${s.advertised}`);
}
process.exit(result.status === 'ok' ? 0 : 1);

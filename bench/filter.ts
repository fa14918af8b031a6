// Filter benchmark: Calico's per-peer export filter (which calls
// calico_export_to_bgp_peers, apply_communities, calico_aggr, reject_local_routes) and
// calico_kernel_programming from conf/examples/calico-mesh-node.conf, compiled to
// closures, over 1M synthetic routes (workload /32s at metric 1024/512, BGP-learned
// blocks from two mesh peers, IPAM/service blackholes, Felix VXLAN routes).
// Prints routes/s, median of 5 runs. A benchmark, not a test: nothing is asserted.
// Run: node --import tsx bench/filter.ts [routes]

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadConfig } from '../conf/index.js';
import type { CompiledFilter, FilterRoute } from '../conf/index.js';
import { RouteDest, RouteSource } from '../conf/filter/route.js';
import { Afi } from '../src/rib/prefix.js';
import type { Prefix } from '../src/rib/prefix.js';

const N = Number(process.argv[2] ?? 1_000_000);
const here = dirname(fileURLToPath(import.meta.url));
const config = loadConfig(join(here, '../conf/examples/calico-mesh-node.conf'), { dialect: 'ipv4', print: () => {} });
const exportFilter = config.protocols.find((p) => p.name === 'Mesh_192_0_2_10')!.export;
const kernelFilter = config.filters.find((f) => f.name === 'calico_kernel_programming')!.filter;

const pfx = (a: number, b: number, c: number, d: number, len: number): Prefix => ({ afi: Afi.IPV4, len, addr: Uint8Array.of(a, b, c, d) });
const peers = [Uint8Array.of(192, 0, 2, 10), Uint8Array.of(192, 0, 2, 30), Uint8Array.of(198, 51, 100, 7)];

function makeRoutes(n: number): FilterRoute[] {
  const out: FilterRoute[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    const x = (i >>> 4) & 255, y = i & 63;
    if (k < 4) {
      // workload /32 on a cali interface, inside the local block or elsewhere in the pool
      out[i] = {
        net: pfx(10, 48, k < 2 ? 7 : x, y, 32), source: RouteSource.RTS_INHERIT, proto: 'kernel1', preference: 10,
        ifname: `cali${i.toString(16)}`, dest: RouteDest.RTD_DEVICE, attrs: { krtMetric: k === 1 ? 512 : 1024, krtSource: 3 },
      };
    } else if (k < 8) {
      // block learned from a mesh peer
      const nh = peers[i % 3]!;
      out[i] = {
        net: pfx(10, k === 7 ? 49 : 48, x, (y & 3) << 6, 26), source: RouteSource.RTS_BGP, proto: 'Mesh_192_0_2_10', preference: 100,
        gw: nh, ifname: 'eth0', dest: RouteDest.RTD_ROUTER,
        attrs: { nextHop: nh, localPref: k === 6 ? 2147483647 - 512 : 2147483647 - 1024, asPath: [] },
      };
    } else if (k === 8) {
      out[i] = { net: i & 1 ? pfx(10, 48, 7, 0, 26) : pfx(10, 96, 0, 0, 12), source: RouteSource.RTS_STATIC, proto: 'static1', preference: 200, ifname: '', dest: RouteDest.RTD_BLACKHOLE, attrs: {} };
    } else {
      out[i] = { net: pfx(10, 49, x, 0, 26), source: RouteSource.RTS_INHERIT, proto: 'kernel1', preference: 10, ifname: 'vxlan.calico', dest: RouteDest.RTD_ROUTER, attrs: { krtSource: 80 } };
    }
  }
  return out;
}

function bench(name: string, f: CompiledFilter, routes: FilterRoute[]): void {
  const rates: number[] = [];
  let accepted = 0;
  for (let run = 0; run < 6; run++) {
    accepted = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < routes.length; i++) if (f.run(routes[i]!).accepted) accepted++;
    const ns = Number(process.hrtime.bigint() - t0);
    if (run > 0) rates.push((routes.length / ns) * 1e9); // run 0 warms up the JIT
  }
  rates.sort((a, b) => a - b);
  const med = rates[2]!;
  console.log(`${name.padEnd(44)} ${(med / 1e6).toFixed(2).padStart(6)} M routes/s  (median of 5, ${routes.length} routes, ${accepted} accepted)`);
}

const routes = makeRoutes(N);
console.log(`node ${process.version}, ${N} synthetic routes`);
bench('export (inline → calico_export_to_bgp_peers)', exportFilter, routes);
bench('calico_kernel_programming', kernelFilter, routes);

// Kernel route metrics (RTA_METRICS) as BIRD 1.6 carries them, with the whole daemon
// (scripts/wrend-dev.mjs) in a lab namespace (sysdep/linux/netlink.c nl_parse_route /
// nl_send_route, netlink.Y krt_mtu … krt_quickack, krt_lock_*, krt_feature_*):
//   - an alien route with `mtu lock 1300 advmss 1200 features ecn` is learned with them:
//     `show route all` prints Kernel.lock / Kernel.mtu / Kernel.advmss / Kernel.features as
//     1.6 does, an import filter reads krt_mtu and krt_lock_mtu, and one with `advmss 999`
//     is rejected by the filter that reads krt_advmss;
//   - a second kernel protocol (`kernel table 100`, export all) installs the learned route
//     with the same metrics;
//   - an export filter that writes krt_mtu, krt_lock_mtu, krt_hoplimit and
//     krt_feature_ecn on a static route installs them (`ip route`: mtu lock 1400, hoplimit,
//     features ecn), with the kernel's clamp of hoplimit 300 to 255;
//   - a SIGHUP with only the export filter changed rewrites the installed metrics;
//   - changing the metrics of the alien route in the kernel changes the learned route and
//     the exported one.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, type Lab } from '../helpers/netns.js';
import { until } from '../helpers/poll.js';
import { run } from '../helpers/process.js';
import { Wrend, type WrenRoute } from '../helpers/wrend.js';

const config = `
router id 198.18.1.1;
filter learn_in {
  if defined(krt_advmss) then { if krt_advmss = 999 then reject; }
  if defined(krt_mtu) then { if krt_mtu = 1300 && krt_lock_mtu then krt_metric = 55; }
  accept;
}
filter out100 {
  if net = 10.31.0.0/24 then {
    krt_mtu = 1400; krt_lock_mtu = true; krt_hoplimit = 300; krt_feature_ecn = true;
    krt_lock_window = false;
  }
  accept;
}
protocol kernel kernel1 { learn; scan time 2; import filter learn_in; export none; }
protocol kernel kernel2 { kernel table 100; scan time 2; import none; export filter out100; }
protocol device { scan time 2; }
protocol static s1 { route 10.31.0.0/24 via 198.18.1.2; }
`;

describe('kernel route metrics: krt_mtu & co.', () => {
  const lab: Lab = createLab('fib-metrics');
  let ns: string;
  let wren: Wrend;
  const ip = async (...args: string[]) => (await run(['ip', '-n', ns, ...args])).stdout;
  /** The route of table 100 as `ip route` prints it, once `ok` holds for that text. */
  const installed = (prefix: string, ok: (text: string) => boolean) =>
    until(async () => {
      const t = await ip('route', 'show', 'table', '100', 'exact', prefix);
      return t && ok(t) ? t : undefined;
    }, { what: `${prefix} in table 100`, timeoutMs: 20_000, context: async () => `${wren.proc.tail()}\n${await ip('route', 'show', 'table', '100')}` });
  /** Wren's route for `prefix` once `ok` holds for it. */
  const learned = (prefix: string, ok: (r: WrenRoute) => boolean) =>
    until(async () => {
      const r = (await wren.routes(prefix))[0];
      return r && ok(r) ? r : undefined;
    }, { what: `${prefix} in wren`, timeoutMs: 20_000, context: () => wren.proc.tail() });
  /** The Kernel.* lines of a route, in order. */
  const kernelAttrs = (r: WrenRoute) => Object.entries(r.attrs).filter(([k]) => k.startsWith('Kernel.')).map(([k, v]) => `${k}: ${v}`);

  before(async () => {
    ns = await lab.ns();
    const peer = await lab.ns();
    await lab.link({ a: ns, b: peer, aIf: 'v1', bIf: 'p1', aAddrs: ['198.18.1.1/24'], bAddrs: ['198.18.1.2/24'] });
    await ip('route', 'add', '10.30.0.0/24', 'via', '198.18.1.2', 'dev', 'v1', 'mtu', 'lock', '1300', 'advmss', '1200', 'features', 'ecn', 'proto', 'boot');
    await ip('route', 'add', '10.32.0.0/24', 'via', '198.18.1.2', 'dev', 'v1', 'advmss', '999', 'proto', 'boot');
    wren = await Wrend.start(lab, ns, 'wren', config);
  });

  test('a learned route carries its metrics: `show route all` as 1.6, and the import filter reads them', async () => {
    const r = await learned('10.30.0.0/24', (x) => 'Kernel.mtu' in x.attrs);
    assert.deepEqual(kernelAttrs(r), [
      'Kernel.source: 3',
      'Kernel.metric: 55',
      'Kernel.lock: mtu',
      'Kernel.mtu: 1300',
      'Kernel.advmss: 1200',
      'Kernel.features: ecn',
    ], 'krt_metric 55 was set by the filter through krt_mtu and krt_lock_mtu');
    assert.match((await wren.text('show route where krt_advmss = 1200')).join('\n'), /10\.30\.0\.0\/24/);
    assert.deepEqual(await wren.routes('10.32.0.0/24'), [], 'rejected through krt_advmss');
  });

  test('…and is exported with the same metrics', async () => {
    const text = await installed('10.30.0.0/24', (t) => /mtu/.test(t));
    assert.match(text, /proto bird/);
    assert.match(text, /mtu lock 1300/);
    assert.match(text, /advmss 1200/);
    assert.match(text, /features ecn/);
    assert.equal(await ip('route', 'show', 'table', '100', 'exact', '10.32.0.0/24'), '');
  });

  test('an export filter writes krt_mtu, krt_lock_mtu, krt_hoplimit, krt_feature_ecn; the kernel clamps hoplimit', async () => {
    const text = await installed('10.31.0.0/24', () => true);
    assert.match(text, /via 198\.18\.1\.2 dev v1 proto bird/);
    assert.match(text, /mtu lock 1400/);
    assert.match(text, /hoplimit 255/);
    assert.match(text, /features ecn/);
    assert.doesNotMatch(text, /window/, 'a lock bit written false adds nothing');
    // The table's own route carries none: the export filter's changes are for the kernel only.
    assert.deepEqual(kernelAttrs((await wren.routes('10.31.0.0/24'))[0]!), []);
  });

  test('a reload that changes only the export filter rewrites the installed metrics (SIGHUP)', async () => {
    wren.reload(config.replace('krt_mtu = 1400; krt_lock_mtu = true;', 'krt_mtu = 1300;'));
    const text = await installed('10.31.0.0/24', (t) => /mtu 1300/.test(t));
    assert.doesNotMatch(text, /lock/, 'the lock bit is no longer written');
    assert.match(text, /hoplimit 255/);
    assert.match(text, /features ecn/);
  });

  test('new metrics on the alien route reach the learned route and the exported one', async () => {
    await ip('route', 'replace', '10.30.0.0/24', 'via', '198.18.1.2', 'dev', 'v1', 'mtu', '1280', 'proto', 'boot');
    const r = await learned('10.30.0.0/24', (x) => x.attrs['Kernel.mtu'] === '1280');
    assert.deepEqual(kernelAttrs(r), ['Kernel.source: 3', 'Kernel.mtu: 1280'], 'no lock, so the filter no longer sets krt_metric');
    const k = await installed('10.30.0.0/24', (t) => /mtu 1280/.test(t));
    assert.doesNotMatch(k, /lock|advmss|ecn/);
  });
});

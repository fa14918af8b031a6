// The propagation benchmark harness's pure parts (bench/harness): table determinism and
// shape, UPDATE packing, the monitor's counting (withdrawals, treat-as-withdraw, ADD-PATH,
// sampled attribute checks), procfs parsing, medians and ratios to BIRD, and the DUT
// configurations. No namespaces, no daemons (the smoke test is harness.test.ts).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { decodeMessage, type UpdateMessage } from '../../src/bgp/codec/index.js';
import { UpdateAction } from '../../src/bgp/errors.js';
import { Afi, type Nlri, formatPrefix, parsePrefix } from '../../src/rib/prefix.js';
import { PrefixCounter } from '../../bench/harness/counter.js';
import { birdConfig, frrConfig, gobgpConfig, wrenConfig } from '../../bench/harness/duts.js';
import { cpuBetween, cpuSnapshot, parseCpuSeconds, parseMachineBusySeconds, parseStatusKib } from '../../bench/harness/proc-stats.js';
import { formatTable, median, summarize } from '../../bench/harness/report.js';
import { DUT_AS, type RunResult } from '../../bench/harness/run.js';
import { TESTER_CODEC, chunkMessages, encodeTable, generateTable, setAttributes } from '../../bench/harness/table.js';

const nlri = (text: string, pathId = 0): Nlri => ({ ...parsePrefix(text), pathId });

function update(over: Partial<UpdateMessage>): UpdateMessage {
  return { type: 2, withdrawn: [], attributes: {}, nlri: [], action: UpdateAction.NONE, errors: [], ...over } as UpdateMessage;
}

describe('synthetic table', () => {
  test('is deterministic, distinct, and mostly /24 with some /16–/23 and a few shorter', () => {
    const spec = { afi: Afi.IPV4, count: 20_000, seed: 7, firstAs: 65001 };
    const a = generateTable(spec), b = generateTable(spec);
    assert.deepEqual(a.addrs, b.addrs);
    assert.deepEqual(a.setOf, b.setOf);
    const keys = new Set<string>();
    const hist = new Map<number, number>();
    for (let i = 0; i < spec.count; i++) {
      keys.add(`${a.addrs.subarray(i * 4, i * 4 + 4).join('.')}/${a.lens[i]}`);
      hist.set(a.lens[i]!, (hist.get(a.lens[i]!) ?? 0) + 1);
    }
    assert.equal(keys.size, spec.count);
    const share = (lo: number, hi: number) => [...hist].filter(([l]) => l >= lo && l <= hi).reduce((s, [, n]) => s + n, 0) / spec.count;
    assert.ok(share(24, 24) > 0.55 && share(24, 24) < 0.7, `/24 share ${share(24, 24)}`);
    assert.ok(share(16, 23) > 0.25, `/16–/23 share ${share(16, 23)}`);
    assert.ok(share(8, 15) > 0 && share(8, 15) < 0.02, `/8–/15 share ${share(8, 15)}`);
    assert.ok(share(25, 32) === 0);
    const other = generateTable({ ...spec, seed: 8 });
    assert.notDeepEqual(other.addrs, a.addrs);
    for (const s of a.sets) assert.equal(s.asPath[0], 65001);
  });

  test('IPv6 is mostly /48 and /32–/44, inside 2000::/3', () => {
    const t = generateTable({ afi: Afi.IPV6, count: 5000, seed: 1, firstAs: 65001 });
    let l48 = 0, mid = 0;
    for (let i = 0; i < 5000; i++) {
      assert.equal(t.addrs[i * 16]! & 0xe0, 0x20);
      if (t.lens[i] === 48) l48++;
      if (t.lens[i]! >= 32 && t.lens[i]! <= 44) mid++;
    }
    assert.ok(l48 / 5000 > 0.45, `/48 share ${l48 / 5000}`);
    assert.ok(mid / 5000 > 0.25, `/32–/44 share ${mid / 5000}`);
  });

  test('encodes every prefix once, with its set\'s attributes, in ≤ 4096-byte UPDATEs', () => {
    for (const afi of [Afi.IPV4, Afi.IPV6]) {
      const t = generateTable({ afi, count: 3000, seed: 3, firstAs: 65001 });
      const nh = afi === Afi.IPV4 ? parsePrefix('198.18.1.2').addr : parsePrefix('fd00:1::2').addr;
      const enc = encodeTable(t, { global: nh });
      const c = new PrefixCounter(false, 65001);
      let n = 0;
      for (const m of enc.messages) {
        assert.ok(m.length <= 4096);
        const u = decodeMessage(m, TESTER_CODEC) as UpdateMessage;
        n += u.nlri.length + (u.mpReach?.nlri.length ?? 0);
        c.update(u);
      }
      assert.equal(n, 3000);
      assert.equal(c.size, 3000);
      assert.equal(c.checks.firstAsBad, 0);
      const chunks = chunkMessages(enc.messages, 8192);
      assert.equal(Buffer.concat(chunks).length, enc.bytes);
      assert.ok(chunks.every((b) => b.length <= 8192));
      assert.deepEqual(setAttributes(t.sets[0]!).asPath?.[0]?.asns, t.sets[0]!.asPath);
    }
  });
});

describe('monitor counting', () => {
  test('announce, withdraw, treat-as-withdraw, first-AS check', () => {
    const c = new PrefixCounter(false, 65000);
    const attrs = { origin: 0, asPath: [{ type: 2 as const, asns: [65000, 65001] }] };
    c.update(update({ attributes: attrs, nlri: [nlri('10.0.0.0/24'), nlri('10.0.1.0/24')] }));
    c.update(update({ attributes: { origin: 0, asPath: [{ type: 2 as const, asns: [65001] }] }, nlri: [nlri('10.0.2.0/24')] }));
    assert.equal(c.size, 3);
    assert.equal(c.checks.firstAsBad, 1);
    c.update(update({ withdrawn: [nlri('10.0.0.0/24')] }));
    assert.equal(c.size, 2);
    c.update(update({ attributes: attrs, nlri: [nlri('10.0.1.0/24')], action: UpdateAction.TREAT_AS_WITHDRAW }));
    assert.equal(c.size, 1);
    assert.equal(c.checks.softErrors, 1);
    c.update(update({ mpReach: { afi: Afi.IPV6, safi: 1, nextHop: { global: new Uint8Array(16) }, nlri: [nlri('2001:db8::/32')] }, attributes: attrs }));
    assert.ok(c.has(nlri('2001:db8::/32')));
    c.update(update({ mpUnreach: { afi: Afi.IPV6, safi: 1, withdrawn: [nlri('2001:db8::/32')] } }));
    assert.ok(!c.has(nlri('2001:db8::/32')));
  });

  test('the count agrees with a Set through growth, withdrawals and re-announcements, both families', () => {
    const c = new PrefixCounter(false, null, [], 16); // sized small: the index grows on the way
    const ref = new Set<string>();
    let x = 12345;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) | 0) >>> 0;
    for (let i = 0; i < 30000; i++) {
      // Few distinct addresses, many lengths: the same address with another length is another
      // prefix; high addresses (top bit set) too.
      const a = (rnd() % 3000) * 0x9e3779b1 >>> 0, v6 = rnd() % 4 === 0;
      const text = v6 ? `fd00:${(a >>> 16).toString(16)}:${(a & 0xffff).toString(16)}::/${32 + (rnd() % 17)}` : `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${rnd() % 33}`;
      const n = nlri(text), k = `${formatPrefix(n)}`;
      if (rnd() % 3 === 0) {
        c.update(update({ withdrawn: v6 ? [] : [n], ...(v6 ? { mpUnreach: { afi: Afi.IPV6, safi: 1, withdrawn: [n] } } : {}) }));
        ref.delete(k);
      } else {
        const attrs = { origin: 0, asPath: [] };
        c.update(update(v6 ? { attributes: attrs, mpReach: { afi: Afi.IPV6, safi: 1, nextHop: { global: new Uint8Array(16) }, nlri: [n] } } : { attributes: attrs, nlri: [n] }));
        ref.add(k);
      }
      if (i % 997 === 0) assert.equal(c.size, ref.size);
    }
    assert.equal(c.size, ref.size);
    for (const k of ref) assert.ok(c.has(nlri(k)), k);
  });

  test('ADD-PATH: a prefix is held while any of its paths is', () => {
    const c = new PrefixCounter(true);
    const attrs = { origin: 0, asPath: [] };
    c.update(update({ attributes: attrs, nlri: [nlri('10.0.0.0/24', 1), nlri('10.0.0.0/24', 2)] }));
    assert.equal(c.size, 1);
    c.update(update({ withdrawn: [nlri('10.0.0.0/24', 1)] }));
    assert.equal(c.size, 1);
    c.update(update({ withdrawn: [nlri('10.0.0.0/24', 2)] }));
    assert.equal(c.size, 0);
  });

  test('sampled prefixes are checked against the table', () => {
    const t = generateTable({ afi: Afi.IPV4, count: 10, seed: 1, firstAs: 65001 });
    const c = new PrefixCounter(false, DUT_AS, [DUT_AS]);
    c.addSamples(t, [0]);
    const p: Nlri = { afi: Afi.IPV4, len: t.lens[0]!, addr: t.addrs.slice(0, 4), pathId: 0 };
    const want = t.sets[t.setOf[0]!]!;
    c.update(update({ attributes: { origin: 0, asPath: [{ type: 2, asns: [DUT_AS, ...want.asPath] }], communities: want.communities ?? [] }, nlri: [p] }));
    assert.equal(c.checks.sampled, 1);
    assert.equal(c.checks.sampleBad, 0);
    c.update(update({ attributes: { origin: 0, asPath: [{ type: 2, asns: [DUT_AS, 1] }] }, nlri: [p] }));
    assert.equal(c.checks.sampleBad, 1);
  });
});

describe('figures', () => {
  test('procfs parsing', () => {
    const stat = '1234 (bgp d (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 1000 200';
    assert.equal(parseCpuSeconds(stat, 100), 3);
    assert.equal(parseStatusKib('Name:\tbird\nVmHWM:\t   20480 kB\nVmRSS:\t 1024 kB\n', 'VmHWM'), 20480);
    // user nice system idle iowait irq softirq steal guest guest_nice: idle and iowait left out.
    const procStat = 'cpu  1000 10 200 9000 70 1 30 5 0 0\ncpu0 500 5 100 4500 35 1 15 2 0 0\n';
    assert.equal(parseMachineBusySeconds(procStat, 100), 12.46);
    assert.throws(() => parseMachineBusySeconds('intr 1 2 3\n', 100), /unexpected \/proc\/stat line/);
  });

  test('CPU snapshots of a live process: its own, its main thread and the machine', () => {
    const a = cpuSnapshot(process.pid);
    const until = performance.now() + 60;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    assert.ok(x > 0);
    const d = cpuBetween(a, cpuSnapshot(process.pid));
    // 60 ms of spinning on this thread: seen at clock-tick resolution by all three. The three
    // counters of a snapshot are read one after another, so a tick may fall between them.
    assert.ok(d.mainThreadCpuS > 0 && d.mainThreadCpuS <= d.cpuS + 0.02, `main ${d.mainThreadCpuS} of ${d.cpuS}`);
    assert.ok(d.machineCpuS >= d.mainThreadCpuS - 0.02, `machine ${d.machineCpuS}`);
    assert.ok(d.machineCores > 0 && d.machineCores <= 2 * os.availableParallelism(), `cores ${d.machineCores}`);
  });

  test('medians and ratios to BIRD skip failed runs', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), undefined);
    const r = (dut: 'bird' | 'frr', wallS: number, status: RunResult['status'] = 'ok'): RunResult => ({
      dut, scenario: 'x', status, wallS, cpuS: wallS / 2, mainThreadCpuS: wallS / 4, peakRssMiB: 10, machineCores: 1 + wallS / 10,
    });
    const s = summarize([r('bird', 1), r('bird', 3), r('bird', 2), r('frr', 4), r('frr', 100, 'timeout'), r('frr', 6)], ['bird', 'frr']);
    assert.equal(s[0]!.wallS, 2);
    assert.equal(s[1]!.wallS, 5);
    assert.equal(s[1]!.ok, 2);
    assert.equal(s[1]!.wallVsBird, 2.5);
    assert.equal(s[1]!.cpuVsBird, 2.5);
    assert.equal(s[1]!.problems.length, 1);
    assert.equal(s[1]!.mainThreadCpuS, 1.25);
    assert.equal(s[1]!.machineCores, 1.5);
    const table = formatTable(s, false).split('\n');
    assert.match(table[0]!, /\| CPU s \| main thread s \| peak RSS MiB \| cores busy \|/);
    assert.match(table[3]!, /^\| frr +\| +2\/3 \| +5\.00 \| +2\.50 \| +1\.25 \| +10\.0 \| +1\.50 \| +2\.50 \|/);
  });

  test('DUT configurations name every peer with its AS and RR settings', () => {
    const setup = {
      as: 65000, routerId: '198.19.0.1', afi: Afi.IPV4, clusterId: '1.1.1.1',
      peers: [{ name: 'c0', address: '198.19.1.1', as: 65000, rrClient: true }, { name: 'm', address: '198.18.2.2', as: 65002 }],
    };
    const bird = birdConfig(setup);
    assert.match(bird, /neighbor 198\.19\.1\.1 as 65000;\n  passive on;\n  direct;\n  rr client;\n  rr cluster id 1\.1\.1\.1;/);
    assert.match(bird, /neighbor 198\.18\.2\.2 as 65002;/);
    const frr = frrConfig(setup);
    assert.match(frr, /neighbor 198\.19\.1\.1 peer-group RRC/);
    assert.match(frr, /neighbor RRC route-reflector-client/);
    assert.match(frr, /neighbor 198\.18\.2\.2 remote-as 65002/);
    assert.match(frr, /no bgp ebgp-requires-policy/);
    const gobgp = gobgpConfig(setup);
    assert.match(gobgp, /neighbor-address = "198\.19\.1\.1"\n {4}peer-as = 65000/);
    assert.match(gobgp, /route-reflector-cluster-id = "1\.1\.1\.1"/);
    assert.equal(gobgp.match(/\[\[neighbors\]\]/g)?.length, 2);
    const wren = wrenConfig(setup);
    // The same log classes as BIRD's configuration: neither logs a line per session state.
    assert.match(wren, /^log stderr \{ warning, error, fatal, bug \};$/m);
    assert.match(birdConfig(setup), /^log stderr \{ warning, error, fatal, bug \};$/m);
    assert.match(wren, /protocol bgp c0 \{\n  local as 65000;\n  neighbor 198\.19\.1\.1 as 65000;\n  passive on;\n  rr client;/);
    assert.match(birdConfig({ ...setup, afi: Afi.IPV6 }), /ipv6 \{ import all; export all; \};/);
  });
});


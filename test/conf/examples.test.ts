// Every example configuration parses (shared Calico examples, copied into fixtures/, plus
// Wren's own ToR and IPv6 ones), prints exactly as its reviewed golden file, and the
// printed text parses back to the same model (print ∘ parse is a fixed point).
// Also checks that the fixtures together exercise every construct of config-subset.md.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfigText, printConfig } from '../../conf/index.js';
import { EXAMPLES, FIXTURES, GOLDEN } from './helpers.js';

const quiet = { print: () => {} };

describe('example configurations', () => {
  for (const [name, file, dialect] of EXAMPLES) {
    test(`${name} parses (${dialect} dialect) and matches golden/${name}.txt`, () => {
      const c = loadConfig(join(FIXTURES, file), { dialect, ...quiet });
      const printed = printConfig(c);
      const golden = readFileSync(join(GOLDEN, `${name}.txt`), 'utf8');
      assert.equal(printed, golden);
    });

    test(`${name}: printed form parses back to the same text`, () => {
      const c = loadConfig(join(FIXTURES, file), { dialect, ...quiet });
      const printed = printConfig(c);
      const again = printConfig(parseConfigText(printed, `${name}.printed`, { dialect, ...quiet }));
      // Templates are merged when printing; only the `# from <template>` note is lost.
      assert.equal(again, printed.replace(/^  # from .*\n/gm, ''));
      assert.notEqual(again.length, 0);
    });
  }

  test('include-split: include is resolved relative to the including file, not the cwd', () => {
    const c = loadConfig(join(FIXTURES, 'include-split/main.conf'), quiet);
    assert.deepEqual(c.files.map((f) => f.replace(FIXTURES + '/', '')), [
      'include-split/main.conf', 'include-split/aggr.conf', 'include-split/ipam.conf',
    ]);
    assert.deepEqual(c.protocols.map((p) => p.name), [
      'static1', 'kernel1', 'device1', 'direct1', 'Mesh_192_0_2_51', 'Global_192_0_2_1',
    ]);
  });

  test('mesh-node model: defaults, templates and auto names', () => {
    const c = loadConfig(join(FIXTURES, 'mesh-node.conf'), quiet);
    assert.equal(c.routerId, (192 << 24 | 0 << 16 | 2 << 8 | 20) >>> 0);
    const names = c.protocols.map((p) => `${p.type}:${p.name}`);
    assert.deepEqual(names, ['static:static1', 'kernel:kernel1', 'device:device1', 'direct:direct1', 'bgp:Mesh_192_0_2_10', 'bgp:Mesh_192_0_2_30']);
    const k = c.protocols[1]!;
    assert.ok(k.type === 'kernel');
    assert.equal(k.learn, true);
    assert.equal(k.persist, true);
    assert.equal(k.scanTime, 2);
    assert.equal(k.gracefulRestart, true);
    assert.equal(k.mergePaths, true);
    assert.equal(k.import.kind, 'all');
    assert.equal(k.export.kind, 'named');
    assert.equal(k.export.name, 'calico_kernel_programming');
    const b = c.protocols[5]!;
    assert.ok(b.type === 'bgp');
    assert.equal(b.template, 'bgp_template');
    assert.equal(b.localAs, 64512);
    assert.equal(b.neighborAddress, '192.0.2.30');
    assert.equal(b.neighborPort, 179);
    assert.equal(b.internal, true);
    assert.equal(b.passive, true);
    assert.equal(b.password, 'mesh-secret');
    assert.equal(b.multihop, 64);
    assert.equal(b.holdTime, 240);
    assert.equal(b.keepaliveTime, 80);
    assert.equal(b.keepaliveTimeSet, false);
    assert.equal(b.connectDelayTime, 2);
    assert.equal(b.connectRetryTime, 5);
    assert.equal(b.errorWaitTimeMin, 5);
    assert.equal(b.errorWaitTimeMax, 30);
    assert.equal(b.gracefulRestart, 'able');
    assert.equal(b.gracefulRestartTime, 300);
    assert.equal(b.addPathsRx && b.addPathsTx, true);
    assert.equal(b.gateway, 'recursive');
    assert.equal(b.import.kind, 'inline');
    assert.deepEqual(b.debug, ['states', 'routes', 'filters', 'events']);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.protocols) && Object.isFrozen(b));
  });

  test('tor-ebgp model: eBGP options', () => {
    const c = loadConfig(join(FIXTURES, 'tor-ebgp.conf'), quiet);
    assert.deepEqual(c.listen, { address: '192.0.2.60', port: 1790, v6only: false, dual: false });
    const [a, b] = c.protocols.filter((p) => p.type === 'bgp');
    assert.ok(a?.type === 'bgp' && b?.type === 'bgp');
    assert.equal(a.localAs, 64513);
    assert.equal(a.internal, false);
    assert.equal(a.ttlSecurity, true);
    assert.equal(a.multihop, 1);
    assert.equal(a.keepaliveTime, 20);
    assert.equal(a.keepaliveTimeSet, true);
    assert.equal(a.nextHopKeep, true);
    assert.equal(a.allowLocalAs, 2);
    assert.equal(a.gracefulRestartTime, 600);
    assert.equal(b.neighborPort, 1179);
    assert.equal(b.localAs, 64512);
    assert.equal(b.multihop, 2);
    assert.equal(b.nextHopSelf, true);
    const st = c.protocols.find((p) => p.type === 'static');
    assert.ok(st?.type === 'static');
    assert.deepEqual(st.routes.map((r) => r.kind), ['blackhole', 'via']);
    const d = c.protocols.find((p) => p.type === 'direct');
    assert.ok(d?.type === 'direct');
    assert.deepEqual(d.interfaces.map((i) => (i.negated ? '-' : '') + i.pattern), ['-iface-1', '-iface-2', '-cali*', '-kube-ipvs*', '*']);
  });

  test('ipv6-node parses in the bird6 dialect with an IPv4 router id and cluster id', () => {
    const c = loadConfig(join(FIXTURES, 'ipv6-node.conf'), { dialect: 'ipv6', ...quiet });
    assert.equal(c.routerId, 0xc0000214);
    const b = c.protocols.find((p) => p.type === 'bgp');
    assert.ok(b?.type === 'bgp');
    assert.equal(b.neighborAddress, 'fd80:24e2:f998:72d7::2');
    assert.equal(b.rrClusterId, 0xf4000001);
    assert.equal(b.rrClient, true);
  });

  test('the fixtures exercise every construct listed in config-subset.md', () => {
    const all = readdirSync(FIXTURES, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.conf'))
      .map((f) => readFileSync(join(FIXTURES, f), 'utf8'))
      .join('\n');
    const constructs: [string, RegExp][] = [
      ['router id', /^router id \d+\.\d+\.\d+\.\d+;/m],
      ['listen bgp address', /^listen bgp address [\d.]+;/m],
      ['listen bgp port', /^listen bgp port \d+;/m],
      ['listen bgp address … port …', /^listen bgp address \S+ port \d+;/m],
      ['include', /^include "[^"]+";/m],
      ['comment after statement', /;\s+#/],
      ['comment after brace', /};\s+#/],
      ['glued brace + keyword', /}function /],
      ['glued tokens', /\(defined\(ifname\)\)&&\(ifname ~ "eth0"\)/],
      ['krt_tunnel="…" glued', /krt_tunnel="tunl0";/],
      ['quoted symbol with - and .', /'bgp_[\w-]+\.[\w.]+'/],
      ['template kernel', /template kernel \w+ \{/],
      ['protocol kernel from', /protocol kernel from \w+ \{/],
      ['older protocol kernel', /protocol kernel \{/],
      ['learn; persist; scan time; import all', /learn;[^]*persist;[^]*scan time 2;[^]*import all;/],
      ['graceful restart;', /graceful restart;/],
      ['merge paths on', /merge paths on;/],
      ['protocol device debug', /protocol device \{\s*debug/],
      ['template direct', /template direct \w+ \{/],
      ['older protocol direct', /protocol direct \{/],
      ['interface patterns', /interface -"cali\*", -"kube-ipvs\*", "\*";/],
      ['ignoredInterfaces patterns', /interface -"iface-1", -"iface-2", -"cali\*"/],
      ['template static', /template static \w+ \{/],
      ['empty static template', /template static \w+ \{\s*#[^\n]*\n\s*\}/],
      ['older protocol static', /protocol static \{/],
      ['route blackhole', /route [\d.]+\/\d+ blackhole;/],
      ['route via', /route [\d.]+\/32 via [\d.]+;/],
      ['route /128 via', /route [\w:]+\/128 via [\w:]+;/],
      ['template bgp', /template bgp bgp_template \{/],
      ['description', /description "Connection to BGP peer";/],
      ['local as', /local as \d+;/],
      ['neighbor … as', /neighbor [\d.]+ as \d+;/],
      ['neighbor … port … as', /neighbor [\d.]+ port \d+ as \d+;/],
      ['neighbor IPv6', /neighbor [\w:]+ as \d+;/],
      ['source address', /source address [\d.]+;/],
      ['ttl security off + multihop', /ttl security off;\s*multihop;/],
      ['ttl security on + multihop n', /ttl security on;\s*multihop \d;/],
      ['import filter {', /import filter \{/],
      ['export filter {', /export filter \{/],
      ['export filter name', /export filter calico_\w+;/],
      ['passive on', /passive on;/],
      ['graceful restart time', /graceful restart time \d+;/],
      ['keepalive time', /keepalive time \d+;/],
      ['rr client', /rr client;/],
      ['rr cluster id', /rr cluster id [\d.]+;/],
      ['password', /password "[^"]+";/],
      ['next hop keep', /next hop keep;/],
      ['next hop self', /next hop self;/],
      ['allow local as', /allow local as \d+;/],
      ['add paths on', /add paths on;/],
      ['gateway recursive', /gateway recursive;/],
      ['connect delay time', /connect delay time \d+;/],
      ['connect retry time', /connect retry time \d+;/],
      ['error wait time a,b', /error wait time \d+,\d+;/],
      ['debug all', /debug all;/],
      ['debug { states }', /debug \{ states \};/],
      ['debug { states, routes, filters, events }', /debug \{ states, routes, filters, events \};/],
      ['function name ()', /function \w+ \(\)\s*\n\{/],
      ['function name(bool p)', /function \w+\(bool \w+\)/],
      ["function 'quoted'()", /function '[^']+'\(\)/],
      ["function 'quoted'(bool is_same_as)", /function '[^']+'\(bool is_same_as\)/],
      ['filter name {', /filter calico_kernel_programming \{/],
      ['empty function body', /function \w+ \(\)\s*\{\s*\}/],
      ['if … then stmt on next line', /then\n\s+preference = 200;/],
      ['if … then … else … unbraced', /then krt_tunnel=""; else krt_tunnel="tunl0";/],
      ['unparenthesised multi-line if', /if defined\(bgp_next_hop\) && \( bgp_next_hop ~ [\d./]+ \) then\n\s+krt_tunnel = "";\n\s+else\n/],
      ['if … then { } else { }', /\} else \{/],
      ['nested if in is_same_as', /if \(is_same_as\) then \{\s*if/],
      ['bgp_community.add', /bgp_community\.add\(\(\d+, \d+\)\);/],
      ['bgp_large_community.add', /bgp_large_community\.add\(\(\d+, \d+, \d+\)\);/],
      ['bgp_path.prepend twice', /bgp_path\.prepend\(\d+\);\s*bgp_path\.prepend\(\d+\);/],
      ['call with true', /calico_export_to_bgp_peers\(true\);/],
      ['call with false', /calico_export_to_bgp_peers\(false\);/],
      ['quoted call', /'bgp_[^']+'\(\);/],
      ['quoted call with bool', /'bgp_[^']+'\(false\);/],
      ['older no-arg calls', /reject_disabled_pools\(\);/],
      ['defined(source)', /defined\(source\)/],
      ['!defined', /!defined\(krt_metric\)/],
      ['!= on prefix', /net != [\w.:]+\/\d+/],
      ['!~', /net !~ [\d.]+\/\d+/],
      ['= on ip', /bgp_next_hop = [\d.]+/],
      ['< on int', /krt_metric < \d+/],
      ['> on int', /bgp_local_pref > \d+/],
      ['ip ~ prefix', /bgp_next_hop ~ [\d.]+\/\d+/],
      ['string wildcard', /ifname ~ "bpf\*\.cali"/],
      ['enum set', /source ~ \[ RTS_BGP \]/],
      ['prefix set with range', /\[ [\d.]+\/\d+\{\d+,\d+\}/],
      ['pair ~ clist', /\(\d+, \d+\) ~ bgp_community/],
      ['triple ~ lclist', /\(\d+, \d+, \d+\) ~ bgp_large_community/],
      ['path mask', /bgp_path ~ \[= \d+ \* =\]/],
      ['path mask two ASNs', /\[= \d+ \d+ \* =\]/],
      ['int minus attr', /2147483647 - bgp_local_pref/],
      ['set bgp_local_pref', /bgp_local_pref = \d+;/],
      ['odd IPv6 prefix', /9000:1::0\/64/],
      ['IPv6 /122 block', /\/122 blackhole/],
    ];
    const missing = constructs.filter(([, re]) => !re.test(all)).map(([n]) => n);
    assert.deepEqual(missing, []);
  });
});

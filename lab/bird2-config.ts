// Configurations for the other daemons in the lab, in their own dialects:
//   - `renderBird2Node`: a BIRD 2 configuration equivalent to what confd renders for a node
//     (renderConfd in confd.ts), for the `--daemon bird` comparison run: kernel protocol
//     learning alien routes and exporting with proto bird and krt_metric, device, direct
//     without cali*, the block blackhole, one BGP protocol per peer with the same names,
//     options (multihop, passive, rr client, password, GR, timers, add paths) and
//     filters (export the block and BGP routes inside the pool, never a workload /32).
//     BIRD 2 cannot run confd's file itself (contract.md §1: it rejects `import all` in
//     the kernel template), hence this translation.
//   - `renderBird2Tor` / `renderFrrTor`: the top-of-rack switch for the tor topology, eBGP
//     AS 65001 to every node, TCP-MD5 password, GTSM (ttl security, one hop), and the
//     original next hop kept on routes passed between nodes (they share the rack subnet).
//
// Leaves out: route priorities other than the normal one (no preference = 200 rule).

import type { ClusterSpec, Family, NodeSpec } from './model.js';
import { peersOf } from './model.js';

const MAX = 2147483647;

export function renderBird2Node(c: ClusterSpec, node: NodeSpec, f: Family): string {
  const ch = f === 4 ? 'ipv4' : 'ipv6';
  const pool = f === 4 ? c.pool4 : c.pool6;
  const block = f === 4 ? node.block4 : node.block6;
  const me = f === 4 ? node.ip4 : node.ip6!;
  const out: string[] = [
    '# BIRD 2 equivalent of the confd-rendered configuration (Wren Calico lab)',
    'log stderr all;',
    `router id ${node.ip4};`,
    '',
    'filter calico_kernel_programming {',
    '  if source = RTS_BGP then {',
    `    krt_metric = ${c.normalPriority};`,
    `    if defined(bgp_local_pref) then krt_metric = ${MAX} - bgp_local_pref;`,
    '  }',
    `  if net ~ ${pool} then accept;`,
    '  reject;',
    '}',
    '',
    'filter calico_export_to_bgp_peers {',
    '  if source = RTS_BGP && defined(bgp_local_pref) then krt_metric = ' + MAX + ' - bgp_local_pref;',
    `  else { if !defined(krt_metric) then krt_metric = ${c.normalPriority}; bgp_local_pref = ${MAX} - krt_metric; }`,
    '  if ifname ~ "*.cali" || ifname ~ "*.calico" || ifname ~ "tunl0" then reject;',
  ];
  if (block) {
    out.push(`  if net = ${block} then accept;`, `  if net ~ ${block} && krt_metric < ${c.normalPriority} then accept;`, `  if net ~ ${block} then reject;`);
  }
  out.push(
    `  if source = RTS_BGP && net ~ ${pool} then accept;`,
    `  if source = RTS_STATIC && net ~ ${pool} then accept;`,
    '  reject;',
    '}',
    '',
    'protocol kernel {',
    `  ${ch} { import all; export filter calico_kernel_programming; };`,
    '  learn;',
    '  persist;',
    '  scan time 2;',
    '  graceful restart;',
    '  merge paths on;',
    '}',
    '',
    'protocol device { scan time 2; }',
    '',
    `protocol direct { ${ch}; interface -"cali*", -"kube-ipvs*", "*"; }`,
    '',
  );
  if (block) out.push(`protocol static { ${ch}; route ${block} blackhole; }`, '');
  for (const p of peersOf(c, node, f)) {
    const l: string[] = [`protocol bgp ${p.name} {`, `  local ${me} as ${node.asn};`, `  neighbor ${p.ip} as ${p.asn};`];
    if (p.ttlSecurity) l.push('  ttl security on;', `  multihop ${p.ttlSecurity};`);
    else l.push('  multihop;');
    l.push('  graceful restart on;', '  connect delay time 2;', '  connect retry time 5;', '  error wait time 5,30;');
    if (p.passive) l.push('  passive on;');
    if (p.rrClusterId) l.push('  rr client;', `  rr cluster id ${p.rrClusterId};`);
    if (p.password) l.push(`  password "${p.password}";`);
    if (p.allowLocalAs) l.push(`  allow local as ${p.allowLocalAs};`);
    l.push(
      `  ${ch} {`,
      '    import all;',
      '    export filter calico_export_to_bgp_peers;',
      '    gateway recursive;',
      '    add paths on;',
      ...(p.nextHopKeep ? ['    next hop keep;'] : []),
      '  };',
      '}',
      '',
    );
    out.push(...l);
  }
  return out.join('\n');
}

export function renderBird2Tor(c: ClusterSpec): string {
  const t = c.tor!;
  const out: string[] = ['log stderr all;', `router id ${t.ip4};`, 'protocol device { scan time 2; }', ''];
  for (const f of [4, 6] as const) {
    const me = f === 4 ? t.ip4 : t.ip6;
    if (!me) continue;
    const ch = f === 4 ? 'ipv4' : 'ipv6';
    for (const n of c.nodes) {
      const ip = f === 4 ? n.ip4 : n.ip6;
      if (!ip) continue;
      out.push(
        `protocol bgp ${n.name.replace(/-/g, '_')}_v${f} {`,
        `  local ${me} as ${t.asn};`,
        `  neighbor ${ip} as ${n.asn};`,
        `  password "${t.password}";`,
        '  ttl security on;',
        '  multihop 1;',
        '  graceful restart on;',
        '  connect retry time 5;',
        `  ${ch} { import all; export all; next hop keep; add paths on; };`,
        '}',
        '',
      );
    }
  }
  return out.join('\n');
}

export function renderFrrTor(c: ClusterSpec): string {
  const t = c.tor!;
  const l: string[] = [
    `router bgp ${t.asn}`,
    ` bgp router-id ${t.ip4}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' bgp graceful-restart',
  ];
  const fams: [Family, string][] = [[4, 'ipv4'], ...(t.ip6 ? ([[6, 'ipv6']] as [Family, string][]) : [])];
  for (const [f] of fams) {
    for (const n of c.nodes) {
      const ip = f === 4 ? n.ip4 : n.ip6;
      if (!ip) continue;
      l.push(` neighbor ${ip} remote-as ${n.asn}`, ` neighbor ${ip} password ${t.password}`, ` neighbor ${ip} ttl-security hops 1`, ` neighbor ${ip} timers connect 5`);
    }
  }
  for (const [f, afi] of fams) {
    l.push(` address-family ${afi} unicast`);
    for (const n of c.nodes) {
      const ip = f === 4 ? n.ip4 : n.ip6;
      if (!ip) continue;
      l.push(`  neighbor ${ip} activate`, `  neighbor ${ip} attribute-unchanged next-hop`, `  neighbor ${ip} addpath-tx-all-paths`);
    }
    l.push(' exit-address-family');
  }
  return l.join('\n') + '\n';
}

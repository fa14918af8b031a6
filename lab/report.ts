// The lab's pictures: a topology diagram (who peers with whom, addresses, blocks, roles) and
// a convergence timeline (build steps, faults, convergence points, per-node convergence
// after a cold start), as terminal text and as one self-contained SVG file an operator can
// open in a browser. Pure functions from the cluster model and the recorded timeline.
//
// Leaves out: interactive views, live updating.

import type { ClusterSpec, NodeSpec } from './model.js';
import { peersOf } from './model.js';
import type { TimelineEvent } from './cluster.js';

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

function nodeLine(n: NodeSpec, ipv6: boolean): string {
  const role = n.rrClusterId ? `RR cluster ${n.rrClusterId}` : `${n.workloads.length} workloads`;
  const blocks = [n.block4, ipv6 ? n.block6 : undefined].filter(Boolean).join(' ');
  return `${pad(n.name, 9)} ${pad(n.ip4, 13)}${ipv6 ? ' ' + pad(n.ip6 ?? '', 14) : ''} AS${n.asn}  ${pad(role, 22)} ${blocks}`;
}

/** A text diagram of the cluster (at most `max` nodes listed). */
export function topologyText(c: ClusterSpec, daemon: string, max = 24): string {
  const out: string[] = [];
  const nodes = c.nodes;
  const sessions = new Set<string>();
  for (const n of nodes) for (const p of peersOf(c, n, 4)) sessions.add([n.ip4, p.ip].sort().join('-'));
  const title = { mesh: 'full node-to-node mesh', rr: 'route reflectors', tor: 'ToR eBGP' }[c.topology];
  out.push(`Topology: ${title} — ${nodes.length} nodes running ${daemon}, ${sessions.size} IPv4 BGP sessions${c.ipv6 ? ' (+ the same over IPv6)' : ''}`);
  out.push('');
  if (c.tor) {
    out.push(`                 ┌───────────────────────────────┐`);
    out.push(`                 │ ${pad(`${c.tor.name} (${c.tor.daemon === 'bird' ? 'BIRD 2' : 'FRR'}) AS${c.tor.asn}`, 29)} │`);
    out.push(`                 │ ${pad(c.tor.ip4 + (c.tor.ip6 ? ' ' + c.tor.ip6 : ''), 29)} │`);
    out.push(`                 └───────────────┬───────────────┘`);
    out.push(`     eBGP, MD5, GTSM (1 hop), next hop kept, allow local as 1`);
    out.push(`                                 │`);
  }
  const rrs = nodes.filter((n) => n.rrClusterId);
  if (rrs.length) {
    out.push(`   ${rrs.map((r) => `[ ${r.name} ${r.ip4} ]`).join(' ══ plain iBGP ══ ')}`);
    out.push(`        ╲ rr client sessions: every node ↔ every reflector ╱`);
  }
  out.push('  ══════════════════ fabric bridge br0  198.18.0.0/16' + (c.ipv6 ? '  fd00:18::/64' : '') + ' ══════════════════');
  const shown = nodes.filter((n) => !n.rrClusterId || rrs.length);
  for (const n of shown.slice(0, max)) {
    const peers = peersOf(c, n, 4);
    const passive = peers.filter((p) => p.passive).length;
    const tag = peers.length ? `  ${peers.length} peers${passive ? ` (${passive} passive)` : ''}` : '';
    out.push(`   ├─ ${nodeLine(n, c.ipv6)}${tag}`);
  }
  if (shown.length > max) out.push(`   └─ … ${shown.length - max} more nodes`);
  out.push('');
  out.push(`   each node: eth0 on the bridge; workloads in their own namespaces behind cali* veths (/32 proto boot metric 1024);`);
  out.push(`   pool ${c.pool4}${c.ipv6 ? ` + ${c.pool6}` : ''}, no encapsulation (the BGP daemon programs the block routes, proto bird)`);
  return out.join('\n');
}

/** A text timeline: one line per event, with a bar proportional to time. */
export function timelineText(events: readonly TimelineEvent[], width = 40): string {
  if (!events.length) return '';
  const end = Math.max(...events.map((e) => e.t), 1);
  const mark = { step: '·', fault: '✗', converged: '✓', info: 'i' } as const;
  const lines = ['Timeline (seconds since the lab started):'];
  for (const e of events) {
    const n = Math.round((e.t / end) * width);
    lines.push(`${(e.t / 1000).toFixed(1).padStart(7)} s ${mark[e.kind]} ${'█'.repeat(n)}${' '.repeat(width - n)} ${e.label}`);
  }
  return lines.join('\n');
}

/** Per-node convergence after a cold start, as a sorted histogram line. */
export function convergenceText(perNode: ReadonlyMap<string, number>, start: number): string {
  const xs = [...perNode.entries()].map(([n, t]) => [n, t - start] as const).sort((a, b) => a[1] - b[1]);
  if (!xs.length) return '';
  const end = Math.max(...xs.map((x) => x[1]), 1);
  return [
    'Per-node convergence after the daemons started (kernel holds every block):',
    ...xs.map(([n, t]) => `  ${pad(n, 9)} ${(t / 1000).toFixed(1).padStart(6)} s ${'▇'.repeat(Math.max(1, Math.round((t / end) * 30)))}`),
  ].join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One SVG: the topology (left) and the timeline (right). */
export function reportSvg(c: ClusterSpec, daemon: string, events: readonly TimelineEvent[], figures: ReadonlyArray<readonly [string, string]>): string {
  const W = 1200;
  const topoW = 560;
  const nodes = c.nodes;
  const cx = topoW / 2;
  const cy = 330;
  const pos = new Map<string, [number, number]>();
  const rrs = nodes.filter((n) => n.rrClusterId);
  const plain = nodes.filter((n) => !n.rrClusterId);
  if (c.topology === 'mesh') {
    nodes.forEach((n, i) => {
      const a = (2 * Math.PI * i) / nodes.length - Math.PI / 2;
      pos.set(n.name, [cx + 210 * Math.cos(a), cy + 210 * Math.sin(a)]);
    });
  } else {
    const top = c.tor ? [c.tor.name] : rrs.map((r) => r.name);
    top.forEach((n, i) => pos.set(n, [cx + (i - (top.length - 1) / 2) * 200, 150]));
    const per = Math.max(1, Math.ceil(plain.length / 2));
    plain.forEach((n, i) => {
      const row = Math.floor(i / per);
      const col = i % per;
      const cols = Math.min(per, plain.length - row * per);
      pos.set(n.name, [cx + (col - (cols - 1) / 2) * Math.min(90, (topoW - 60) / Math.max(cols, 1)), 420 + row * 110]);
    });
  }
  const edges: string[] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    for (const p of peersOf(c, n, 4)) {
      const other = c.tor && p.ip === c.tor.ip4 ? c.tor.name : nodes.find((m) => m.ip4 === p.ip)?.name;
      if (!other) continue;
      const k = [n.name, other].sort().join('|');
      if (seen.has(k)) continue;
      seen.add(k);
      const [x1, y1] = pos.get(n.name)!;
      const [x2, y2] = pos.get(other)!;
      const color = p.rrClusterId || (c.topology === 'rr' && rrs.some((r) => r.name === other)) ? '#c77d00' : p.kind === 'Global' ? '#2a7ab0' : '#8a8a8a';
      edges.push(`<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${color}" stroke-width="1.2" opacity="0.7"/>`);
    }
  }
  const circles: string[] = [];
  for (const [name, [x, y]] of pos) {
    const n = nodes.find((m) => m.name === name);
    const isTor = c.tor?.name === name;
    const fill = isTor ? '#2a7ab0' : n?.rrClusterId ? '#c77d00' : '#3c9d5d';
    const sub = isTor ? `AS${c.tor!.asn}` : n ? (n.rrClusterId ? 'RR' : `${n.workloads.length} wl`) : '';
    const r = nodes.length > 16 ? 15 : 22;
    circles.push(
      `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${fill}" stroke="#fff" stroke-width="2"/>`,
      `<text x="${x.toFixed(1)}" y="${(y - r - 6).toFixed(1)}" font-size="11" text-anchor="middle">${esc(name)}</text>`,
      `<text x="${x.toFixed(1)}" y="${(y + 4).toFixed(1)}" font-size="9" fill="#fff" text-anchor="middle">${esc(sub)}</text>`,
    );
  }
  // Timeline on the right.
  const tx = topoW + 40;
  const tw = W - tx - 30;
  const end = Math.max(...events.map((e) => e.t), 1);
  const color = { step: '#666', fault: '#c0392b', converged: '#27ae60', info: '#2a7ab0' } as const;
  const tl: string[] = [
    `<text x="${tx}" y="60" font-size="16" font-weight="bold">Convergence timeline</text>`,
    `<line x1="${tx}" y1="90" x2="${tx + tw}" y2="90" stroke="#333"/>`,
  ];
  for (let s = 0; s <= end / 1000; s += Math.max(1, Math.ceil(end / 1000 / 10))) {
    const x = tx + (s * 1000 * tw) / end;
    tl.push(`<line x1="${x.toFixed(1)}" y1="86" x2="${x.toFixed(1)}" y2="94" stroke="#333"/><text x="${x.toFixed(1)}" y="80" font-size="10" text-anchor="middle">${s}s</text>`);
  }
  events.forEach((e, i) => {
    const x = tx + (e.t * tw) / end;
    const y = 115 + i * 19;
    tl.push(
      `<line x1="${x.toFixed(1)}" y1="94" x2="${x.toFixed(1)}" y2="${y - 4}" stroke="${color[e.kind]}" stroke-dasharray="2,2" opacity="0.5"/>`,
      `<circle cx="${x.toFixed(1)}" cy="${y - 4}" r="4" fill="${color[e.kind]}"/>`,
      `<text x="${Math.min(x + 8, tx + tw - 300).toFixed(1)}" y="${y}" font-size="11" fill="${color[e.kind]}">${esc(`${(e.t / 1000).toFixed(1)} s  ${e.label}`)}</text>`,
    );
  });
  const figY = 130 + events.length * 19 + 20;
  const figs = figures.map(([k, v], i) => `<text x="${tx}" y="${figY + 18 + i * 17}" font-size="12"><tspan font-weight="bold">${esc(k)}:</tspan> ${esc(v)}</text>`);
  const H = Math.max(720, figY + 40 + figures.length * 17);
  const title = `${{ mesh: 'Full mesh', rr: 'Route reflectors', tor: 'ToR eBGP' }[c.topology]} — ${nodes.length} nodes, ${daemon}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    `<text x="20" y="34" font-size="20" font-weight="bold">${esc(title)}</text>`,
    `<text x="20" y="56" font-size="12" fill="#555">fabric bridge 198.18.0.0/16${c.ipv6 ? ' + fd00:18::/64' : ''}; grey: mesh, orange: reflector sessions, blue: eBGP to the ToR</text>`,
    ...edges,
    ...circles,
    ...tl,
    `<text x="${tx}" y="${figY}" font-size="16" font-weight="bold">Figures</text>`,
    ...figs,
    '</svg>',
  ].join('\n');
}

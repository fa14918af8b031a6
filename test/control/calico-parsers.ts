// Calico's consumers of the BIRD control socket, re-implemented from contract.md §3 so tests
// can check that our output satisfies them: the readiness probe (node/pkg/health/bird),
// calicoctl node status, and the CalicoNodeStatus populators (bird_status.go, peers.go,
// route.go). They use the same line rules and regexes as described there, including what
// they reject; the liveness probe (birdcl output starts with `BIRD`) is checked in the
// wrenc tests.

import { ControlClient } from '../../src/cli/client.js';

export class CalicoParseError extends Error {}

export interface BirdPeer {
  readonly peerIP: string;
  readonly peerType: 'Global' | 'Node' | 'Mesh';
  readonly state: string;
  readonly since: string;
  readonly bgpState: string;
  readonly info: string;
}

const PEER_NAME = /^(Global|Node|Mesh)_(.+)$/;

async function line(c: ControlClient): Promise<string> {
  const l = await c.nextLine();
  if (l === null) throw new CalicoParseError('connection closed');
  return l;
}

/** bird.go GetPeers on an open connection: `show protocols`, heading check, peer rows. */
export async function getPeers(c: ControlClient, ipv6 = false): Promise<BirdPeer[]> {
  c.send('show protocols');
  const peers: BirdPeer[] = [];
  for (;;) {
    const l = await line(c);
    if (l.startsWith('0000')) break;
    if (l.startsWith('0001')) continue;
    if (l.startsWith('2002')) {
      const f = l.slice(5).split(/\s+/).filter(Boolean);
      if (f.join(' ') !== 'name proto table state since info') throw new CalicoParseError('unknown BIRD table output format');
      continue;
    }
    let row: string;
    if (l.startsWith('1002')) row = l.slice(5);
    else if (l.startsWith(' ')) row = l.slice(1);
    else throw new CalicoParseError(`unexpected output line from BIRD: ${l}`);
    const f = row.split(/\s+/).filter(Boolean);
    if (f.length < 6 || f[1] !== 'BGP') continue;
    const m = PEER_NAME.exec(f[0]!);
    if (!m) continue;
    peers.push({
      peerIP: m[2]!.replaceAll('_', ipv6 ? ':' : '.'),
      peerType: m[1] as BirdPeer['peerType'],
      state: f[3]!,
      since: f[4]!,
      bgpState: f[5]!,
      info: f.slice(6).join(' '),
    });
  }
  return peers;
}

/** health.go GRInProgress: `show status` on a new connection; a 0024 line ⇒ true. */
export async function grInProgress(path: string): Promise<boolean> {
  const c = await ControlClient.connect(path);
  try {
    c.send('show status');
    let gr = false;
    for (;;) {
      const l = await line(c);
      if (l.startsWith('0013')) return gr;
      if (l.startsWith('0024')) {
        gr = true;
        continue;
      }
      if (l.startsWith('0001') || l.startsWith('1000') || l.startsWith('1011') || l.startsWith(' ')) continue;
      throw new CalicoParseError(`unexpected line in show status: ${l}`);
    }
  } finally {
    c.close();
  }
}

/** health.go checkBIRDReady (the nodename-file check left out): null = ready, else why not. */
export async function birdReady(path: string, young: boolean): Promise<string | null> {
  const c = await ControlClient.connect(path);
  let peers: BirdPeer[];
  try {
    peers = await getPeers(c);
  } finally {
    c.close();
  }
  if (peers.length === 0) return null;
  if (young) {
    const notUp = peers.filter((p) => p.bgpState !== 'Established');
    if (notUp.length > 0) return `BGP not established with ${notUp.map((p) => p.peerIP).join(',')}`;
    if (await grInProgress(path)) return 'Graceful restart in progress';
    return null;
  }
  return peers.some((p) => p.bgpState === 'Established') ? null : 'BGP not established with any peer';
}

/** calicoctl node status: the printed table rows. */
export async function calicoctlRows(path: string): Promise<string[][]> {
  const c = await ControlClient.connect(path);
  try {
    const peers = await getPeers(c);
    const type = { Mesh: 'node-to-node mesh', Global: 'global', Node: 'node specific' } as const;
    return peers.map((p) => [p.peerIP, type[p.peerType], p.state, p.since, [p.bgpState, p.info].filter(Boolean).join(' ')]);
  } finally {
    c.close();
  }
}

export interface AgentStatus {
  state: 'Ready' | 'NotReady';
  version?: string;
  routerID?: string;
  serverTime?: string;
  lastBootTime?: string;
  lastReconfigurationTime?: string;
}

/** bird_status.go: `show status` parsed into the agent status. */
export async function agentStatus(path: string): Promise<AgentStatus> {
  let c: ControlClient;
  try {
    c = await ControlClient.connect(path);
  } catch {
    return { state: 'NotReady' };
  }
  const s: AgentStatus = { state: 'NotReady' };
  try {
    c.send('show status');
    for (;;) {
      const l = await line(c);
      if (l.startsWith('0013')) break;
      let text: string;
      if (l.startsWith('0001') || l.startsWith('1000') || l.startsWith('1011')) text = l.slice(5);
      else if (l.startsWith(' ')) text = l.slice(1);
      else break; // warn and stop
      if (text.includes('BIRD') && text.includes('ready')) s.state = 'Ready';
      else if (text.startsWith('BIRD v')) s.version = text.slice('BIRD '.length);
      else if (text.startsWith('Router ID is ')) s.routerID = text.slice('Router ID is '.length);
      else if (text.startsWith('Current server time is ')) s.serverTime = text.slice('Current server time is '.length);
      else if (text.startsWith('Last reboot on ')) s.lastBootTime = text.slice('Last reboot on '.length);
      else if (text.startsWith('Last reconfiguration on ')) s.lastReconfigurationTime = text.slice('Last reconfiguration on '.length);
    }
  } finally {
    c.close();
  }
  return s;
}

const BGP_STATES = new Set(['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established', 'Close']);

export interface PeerStatus {
  peerIP: string;
  type: string;
  state: string;
  session: string;
  /** From `show protocols all <name>`: `BGP state:` mapped, `Neighbor address:` verbatim. */
  bgpState: string;
  neighborAddress: string;
}

/** peers.go: show protocols, then `show protocols all <name>` per peer on the SAME connection. */
export async function bgpPeersStatus(path: string): Promise<{ established: number; notEstablished: number; peers: PeerStatus[] }> {
  const c = await ControlClient.connect(path);
  try {
    await line(c); // greeting
    const peers = await getPeers(c);
    const out: PeerStatus[] = [];
    let established = 0;
    let notEstablished = 0;
    for (const p of peers) {
      const name = `${p.peerType}_${p.peerIP.replaceAll('.', '_')}`;
      c.send(`show protocols all ${name}`);
      let bgpState = '';
      let neighborAddress = '';
      for (;;) {
        const l = await line(c);
        if (l.startsWith('0000')) break;
        if (/^[89]\d{3} /.test(l)) throw new CalicoParseError(`error for ${name}: ${l}`);
        const bs = l.indexOf('BGP state:');
        if (bs >= 0) bgpState = l.slice(bs + 'BGP state:'.length).trim();
        const na = l.indexOf('Neighbor address:');
        if (na >= 0) neighborAddress = l.slice(na + 'Neighbor address:'.length).trim();
      }
      if (p.state === 'up') established++;
      else notEstablished++;
      out.push({ peerIP: p.peerIP, type: p.peerType, state: p.state, session: p.bgpState, bgpState: BGP_STATES.has(bgpState) ? bgpState : '', neighborAddress });
    }
    return { established, notEstablished, peers: out };
  } finally {
    c.close();
  }
}

export interface CalicoRoute {
  dest: string;
  type: 'via' | 'dev' | 'blackhole' | 'unreachable';
  gateway?: string;
  iface?: string;
  from: string;
  primary: boolean;
}

const VIA = /(\S*)\s*via\s(\S*)\s*on\s(.*)\s\[(\S*)\s.*\].*/;
const DEV = /(\S*)\s*dev\s(.*)\s\[(\S*)\s.*\].*/;
const BLACKHOLE = /(\S*)\s*blackhole\s\[(\S*)\s.*\].*/;
const UNREACHABLE = /(\S*)\s*unreachable\s\[(\S*)\s.*\].*/;

/** route.go: `show route` lines through Calico's regexes; any unknown source protocol fails all. */
export async function calicoRoutes(path: string): Promise<CalicoRoute[]> {
  const c = await ControlClient.connect(path);
  try {
    await line(c);
    c.send('show route');
    const routes: CalicoRoute[] = [];
    let lastDest = '';
    for (;;) {
      const l = await line(c);
      if (l.startsWith('0000')) break;
      let text: string;
      if (l.startsWith('1007')) text = l.slice(5);
      else if (l.startsWith(' ')) text = l.slice(1);
      else throw new CalicoParseError(`unexpected route line: ${l}`);
      let r: CalicoRoute | null = null;
      let m: RegExpExecArray | null;
      if (text.includes(' via ') && (m = VIA.exec(text))) r = { dest: m[1]!, type: 'via', gateway: m[2]!, iface: m[3]!, from: m[4]!, primary: false };
      else if (text.includes(' dev ') && (m = DEV.exec(text))) r = { dest: m[1]!, type: 'dev', iface: m[2]!, from: m[3]!, primary: false };
      else if (text.includes(' blackhole ') && (m = BLACKHOLE.exec(text))) r = { dest: m[1]!, type: 'blackhole', from: m[2]!, primary: false };
      else if (text.includes(' unreachable ') && (m = UNREACHABLE.exec(text))) r = { dest: m[1]!, type: 'unreachable', from: m[2]!, primary: false };
      if (!r) continue;
      if (r.dest === '') r.dest = lastDest;
      lastDest = r.dest;
      r.primary = text.includes('] *');
      if (!/^(kernel|static|direct)/.test(r.from) && !PEER_NAME.test(r.from)) throw new CalicoParseError(`unknown route source ${r.from}`);
      routes.push(r);
    }
    return routes;
  } finally {
    c.close();
  }
}

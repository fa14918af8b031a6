// Transport security against real peers: TCP MD5 signatures (RFC 2385) with BIRD and FRR,
// and GTSM (RFC 5082) with BIRD. Every case runs at the same time on its own Wren address
// (198.18.0.1, .3, .5, … in the Wren namespace), so the bounded "never Established" windows
// overlap with the positive cases:
//   MD5, Wren dials:   right key ⇒ Established;  wrong key ⇒ never (kernel TCPMD5Failure)
//   MD5, peer dials:   right key ⇒ Established;  wrong key ⇒ never
//   GTSM (BIRD):       both `ttl security` ⇒ Established; Wren only ⇒ never (the peer's
//                      packets arrive with TTL < 255: kernel TCPMinTTLDrop)

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, type Lab } from '../helpers/netns.js';
import { Bird, Frr } from '../helpers/peers.js';
import { WrenPeer } from '../helpers/wren.js';
import { until, holdsFalse } from '../helpers/poll.js';
import { P4, WREN_AS, HOLD_TIME, wrenSession, ipToU32 } from '../helpers/topology.js';

const KEY = 's3cret-key';
const WRONG = 'wrong-key';
const NEGATIVE_WINDOW_MS = 8000;

interface Case {
  readonly name: string;
  /** Wren's address for this case. */
  readonly addr: string;
  readonly wrenDials: boolean;
  readonly wrenPassword?: string;
  readonly peerPassword?: string;
  readonly wrenTtlSecurity?: boolean;
  readonly peerTtlSecurity?: boolean;
  readonly expectUp: boolean;
}

const MD5_CASES: readonly Case[] = [
  { name: 'md5_wd_ok', addr: '198.18.0.1', wrenDials: true, wrenPassword: KEY, peerPassword: KEY, expectUp: true },
  { name: 'md5_wd_bad', addr: '198.18.0.3', wrenDials: true, wrenPassword: WRONG, peerPassword: KEY, expectUp: false },
  { name: 'md5_pd_ok', addr: '198.18.0.5', wrenDials: false, wrenPassword: KEY, peerPassword: KEY, expectUp: true },
  { name: 'md5_pd_bad', addr: '198.18.0.7', wrenDials: false, wrenPassword: WRONG, peerPassword: KEY, expectUp: false },
];
const GTSM_CASES: readonly Case[] = [
  { name: 'gtsm_ok', addr: '198.18.0.9', wrenDials: true, wrenTtlSecurity: true, peerTtlSecurity: true, expectUp: true },
  { name: 'gtsm_bad', addr: '198.18.0.11', wrenDials: true, wrenTtlSecurity: true, peerTtlSecurity: false, expectUp: false },
];

/** Namespaces W (Wren, one address per case) and P (peer 198.18.0.2), one veth. */
async function setUp(lab: Lab, cases: readonly Case[]): Promise<{ wns: string; pns: string }> {
  const wns = await lab.ns();
  const pns = await lab.ns();
  await lab.link({ a: wns, b: pns, aIf: 'wren0', bIf: 'peer0', aAddrs: cases.map((c) => `${c.addr}/24`), bAddrs: [`${P4}/24`] });
  return { wns, pns };
}

function startWren(lab: Lab, wns: string, c: Case, peerAs: number): Promise<WrenPeer> {
  return WrenPeer.start(lab, wns, {
    session: wrenSession({
      name: c.name,
      peerAs,
      peerAddress: P4,
      localAddress: c.addr,
      routerId: ipToU32(c.addr),
      families: ['ipv4'],
      passive: !c.wrenDials,
      ...(c.wrenPassword ? { password: c.wrenPassword } : {}),
      ...(c.wrenTtlSecurity ? { ttlSecurity: true } : {}),
    }),
    ...(c.wrenDials ? {} : { listen: { address: c.addr } }),
  });
}

async function nstat(lab: Lab, ns: string, counter: string): Promise<number> {
  const r = await lab.exec(ns, ['nstat', '-az', counter]);
  const m = new RegExp(`^${counter}\\s+(\\d+)`, 'm').exec(r.stdout);
  return m ? Number(m[1]) : 0;
}

/** Positive cases reach Established; negative ones stay down for the whole window. */
async function checkCases(cases: readonly Case[], wren: Map<string, WrenPeer>, peerUp: (c: Case) => Promise<boolean>): Promise<void> {
  const negatives = cases.filter((c) => !c.expectUp);
  const positives = cases.filter((c) => c.expectUp);
  await Promise.all([
    ...positives.map(async (c) => {
      const w = wren.get(c.name)!;
      await w.waitEstablished(20_000);
      await until(() => peerUp(c), { what: `peer side of ${c.name} Established` });
    }),
    ...negatives.map((c) =>
      holdsFalse(async () => wren.get(c.name)!.state === 'Established' || (await peerUp(c)), {
        forMs: NEGATIVE_WINDOW_MS,
        what: `${c.name} reaching Established`,
      }),
    ),
  ]);
  for (const c of negatives) {
    const w = wren.get(c.name)!;
    assert.ok(!w.events.some((e) => e.ev === 'state' && (e.to === 'OpenConfirm' || e.to === 'Established')), `${c.name} never got an OPEN through`);
  }
}

describe('TCP MD5 and GTSM with BIRD', () => {
  const lab = createLab('sec-bird');
  const cases = [...MD5_CASES, ...GTSM_CASES];
  const wren = new Map<string, WrenPeer>();
  let bird: Bird;
  let wns = '';
  let pns = '';

  before(async () => {
    ({ wns, pns } = await setUp(lab, cases));
    const peers = await Promise.all(cases.map((c) => startWren(lab, wns, c, 65002)));
    cases.forEach((c, i) => wren.set(c.name, peers[i]!));
    const protocols = cases.map((c) => `
protocol bgp ${c.name} {
  local ${P4} as 65002;
  neighbor ${c.addr} as ${WREN_AS};
  hold time ${HOLD_TIME};
  connect delay time 1;
  connect retry time 2;
  error wait time 1, 2;
  ${c.wrenDials ? 'passive on;' : ''}
  ${c.peerPassword ? `password "${c.peerPassword}";` : ''}
  ${c.peerTtlSecurity ? 'ttl security on;' : ''}
  ipv4 { import all; export none; };
}`).join('\n');
    bird = await Bird.start(lab, pns, `router id ${P4};\nprotocol device {}\n${protocols}`);
  });

  test('MD5 right key ⇒ Established, wrong key ⇒ never, whichever side dials; GTSM likewise', async () => {
    const birdUp = async (c: Case) => (await bird.protocol(c.name)).info === 'Established';
    await checkCases(cases, wren, birdUp);
    // The negative cases failed for the intended reason: the kernels dropped the segments.
    assert.ok(await nstat(lab, pns, 'TcpExtTCPMD5Failure') > 0, 'BIRD side rejected wrongly signed segments (TCPMD5Failure)');
    assert.ok(await nstat(lab, wns, 'TcpExtTCPMD5Failure') > 0, 'Wren side rejected wrongly signed segments (TCPMD5Failure)');
    assert.ok(await nstat(lab, wns, 'TcpExtTCPMinTTLDrop') > 0, 'Wren side dropped low-TTL segments (TCPMinTTLDrop)');
    const gtsm = await bird.protocol('gtsm_ok');
    assert.equal(gtsm.info, 'Established');
  });
});

describe('TCP MD5 with FRR', () => {
  const lab = createLab('sec-frr');
  const cases = MD5_CASES;
  const wren = new Map<string, WrenPeer>();
  let frr: Frr;

  before(async () => {
    const { wns, pns } = await setUp(lab, cases);
    const peers = await Promise.all(cases.map((c) => startWren(lab, wns, c, 65003)));
    cases.forEach((c, i) => wren.set(c.name, peers[i]!));
    const neighbors = cases.map((c) => [
      ` neighbor ${c.addr} remote-as ${WREN_AS}`,
      ` neighbor ${c.addr} timers 3 ${HOLD_TIME}`,
      ` neighbor ${c.addr} timers connect 1`,
      ...(c.wrenDials ? [` neighbor ${c.addr} passive`] : []),
      ...(c.peerPassword ? [` neighbor ${c.addr} password ${c.peerPassword}`] : []),
    ].join('\n')).join('\n');
    frr = await Frr.start(lab, pns, `
router bgp 65003
 bgp router-id ${P4}
 no bgp ebgp-requires-policy
${neighbors}
`, [P4]);
  });

  test('MD5 right key ⇒ Established, wrong key ⇒ never, whichever side dials', async () => {
    const frrUp = async (c: Case) => (await frr.neighbor(c.addr))?.bgpState === 'Established';
    await checkCases(cases, wren, frrUp);
  });
});

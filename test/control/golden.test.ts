// Golden tests: each command's reply over a real unix socket must equal, byte for byte, the
// BIRD 1.6 transcripts in shared/calico/birdc-protocol.md, given the transcript's values in
// the fake source.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, RawClient, wire, type Harness } from './harness.js';
import { at, globalDown, CONFIG_FILE } from './fake-source.js';
import { bgpStatusInfo } from '../../src/control/format.js';

describe('golden transcripts (BIRD 1.6)', () => {
  let h: Harness;
  let c: RawClient;
  before(async () => {
    h = await startServer();
    c = await RawClient.open(h.path);
  });
  after(async () => {
    c.close();
    await h.close();
  });

  test('greeting §3.1', () => {
    assert.equal(c.greeting, '0001 BIRD v0.3.3+birdv1.6.8 ready.\n');
  });

  test('show status §3.1', async () => {
    assert.equal(
      await c.cmd('show status'),
      wire(
        '1000-BIRD v0.3.3+birdv1.6.8',
        '1011-Router ID is 192.0.2.11',
        ' Current server time is 2026-11-26 05:29:18',
        ' Last reboot on 2026-11-26 05:28:56',
        ' Last reconfiguration on 2026-11-26 05:28:56',
        '0013 Daemon is up and running',
      ),
    );
  });

  test('show protocols §3.3 (trailing blanks included)', async () => {
    assert.equal(
      await c.cmd('show protocols'),
      wire(
        '2002-name     proto    table    state  since       info',
        '1002-static1  Static   master   up     05:28:56    ',
        ' kernel1  Kernel   master   up     05:28:56    ',
        ' device1  Device   master   up     05:28:56    ',
        ' direct1  Direct   master   up     05:28:56    ',
        ' Mesh_192_0_2_12 BGP      master   up     05:28:58    Established   ',
        ' Global_192_0_2_13 BGP      master   up     05:29:00    Established   ',
        ' Node_192_0_2_1 BGP      master   up     05:28:58    Established   ',
        '0000 ',
      ),
    );
  });

  test('show protocols all <bgp up> §3.4', async () => {
    assert.equal(
      await c.cmd('show protocols all Mesh_192_0_2_12'),
      wire(
        '2002-name     proto    table    state  since       info',
        '1002-Mesh_192_0_2_12 BGP      master   up     05:28:58    Established   ',
        '1006-  Description:    Connection to BGP peer',
        '   Preference:     100',
        '   Input filter:   (unnamed)',
        '   Output filter:  (unnamed)',
        '   Routes:         1 imported, 2 exported, 1 preferred',
        '   Route change stats:     received   rejected   filtered    ignored   accepted',
        '     Import updates:              1          0          0          0          1',
        '     Import withdraws:            0          0        ---          0          0',
        '     Export updates:              9          2          5        ---          2',
        '     Export withdraws:            0        ---        ---        ---          0',
        '   BGP state:          Established',
        '     Neighbor address: 192.0.2.12',
        '     Neighbor AS:      64512',
        '     Neighbor ID:      192.0.2.12',
        '     Neighbor caps:    refresh enhanced-refresh restart-able llgr-aware AS4 add-path-rx add-path-tx',
        '     Session:          internal multihop AS4 add-path-rx add-path-tx',
        '     Source address:   192.0.2.11',
        '     Hold timer:       171/240',
        '     Keepalive timer:  51/80',
        ' ',
        '0000 ',
      ),
    );
  });

  test('show protocols all kernel1 / static1 §3.4', async () => {
    assert.equal(
      await c.cmd('show protocols all kernel1'),
      wire(
        '2002-name     proto    table    state  since       info',
        '1002-kernel1  Kernel   master   up     05:28:56    ',
        '1006-  Preference:     10',
        '   Input filter:   ACCEPT',
        '   Output filter:  calico_kernel_programming',
        '   Routes:         2 imported, 4 exported, 2 preferred',
        '   Route change stats:     received   rejected   filtered    ignored   accepted',
        '     Import updates:              2          0          0          0          2',
        '     Import withdraws:            0          0        ---          0          0',
        '     Export updates:              8          3          1        ---          4',
        '     Export withdraws:            0        ---        ---        ---          0',
        ' ',
        '0000 ',
      ),
    );
    assert.equal(
      await c.cmd('show protocols all static1'),
      wire(
        '2002-name     proto    table    state  since       info',
        '1002-static1  Static   master   up     05:28:56    ',
        '1006-  Preference:     200',
        '   Input filter:   ACCEPT',
        '   Output filter:  REJECT',
        '   Routes:         2 imported, 0 exported, 2 preferred',
        '   Route change stats:     received   rejected   filtered    ignored   accepted',
        '     Import updates:              2          0          0          0          2',
        '     Import withdraws:            0          0        ---          0          0',
        '     Export updates:              0          0          0        ---          0',
        '     Export withdraws:            0        ---        ---        ---          0',
        ' ',
        '0000 ',
      ),
    );
  });

  test('show route §3.5', async () => {
    assert.equal(
      await c.cmd('show route'),
      wire(
        '1007-198.51.100.0/24    via 192.0.2.1 on eth0 [Node_192_0_2_1 05:29:00] * (100/0) [AS65001i]',
        ' 10.96.0.0/12       blackhole [static1 05:28:56] * (200)',
        ' 203.0.113.0/24     via 192.0.2.1 on eth0 [Node_192_0_2_1 05:29:00] * (100/0) [AS65001i]',
        ' 192.0.2.0/24       dev eth0 [direct1 05:28:56] * (240)',
        ' 10.244.1.6/32      dev cali1112 [kernel1 05:28:57] * (10)',
        ' 10.244.1.5/32      dev cali1111 [kernel1 05:28:57] * (10)',
        ' 10.244.2.0/26      via 192.0.2.12 on eth0 [Mesh_192_0_2_12 05:28:58] * (100/0) [i]',
        '                    via 192.0.2.12 on eth0 [Global_192_0_2_13 05:29:00 from 192.0.2.13] (100/0) [i]',
        ' 10.244.1.0/26      blackhole [static1 05:28:56] * (200)',
        '0000 ',
      ),
    );
  });

  test('show route all <prefix> §3.5 (tabs, 1008/1012 code changes)', async () => {
    assert.equal(
      await c.cmd('show route all 10.244.2.0/26'),
      wire(
        '1007-10.244.2.0/26      via 192.0.2.12 on eth0 [Mesh_192_0_2_12 05:28:58] * (100/0) [i]',
        '1008-\tType: BGP unicast univ',
        '1012-\tBGP.origin: IGP',
        ' \tBGP.as_path: ',
        ' \tBGP.next_hop: 192.0.2.12',
        ' \tBGP.local_pref: 2147482623',
        '1007-                   via 192.0.2.12 on eth0 [Global_192_0_2_13 05:29:00 from 192.0.2.13] (100/0) [i]',
        '1008-\tType: BGP unicast univ',
        '1012-\tBGP.origin: IGP',
        ' \tBGP.as_path: ',
        ' \tBGP.next_hop: 192.0.2.12',
        ' \tBGP.local_pref: 2147482623',
        ' \tBGP.originator_id: 192.0.2.12',
        ' \tBGP.cluster_list: 244.0.0.1',
        '0000 ',
      ),
    );
    assert.equal(
      await c.cmd('show route all 198.51.100.0/24'),
      wire(
        '1007-198.51.100.0/24    via 192.0.2.1 on eth0 [Node_192_0_2_1 05:29:00] * (100/0) [AS65001i]',
        '1008-\tType: BGP unicast univ',
        '1012-\tBGP.origin: IGP',
        ' \tBGP.as_path: 65001',
        ' \tBGP.next_hop: 192.0.2.1',
        ' \tBGP.local_pref: 100',
        '0000 ',
      ),
    );
  });

  test('show route count / protocol / for / not in table §3.5', async () => {
    assert.equal(await c.cmd('show route count'), wire('0014 9 of 9 routes for 8 networks'));
    assert.equal(
      await c.cmd('show route protocol kernel1'),
      wire('1007-10.244.1.6/32      dev cali1112 [kernel1 05:28:57] * (10)', ' 10.244.1.5/32      dev cali1111 [kernel1 05:28:57] * (10)', '0000 '),
    );
    assert.equal(
      await c.cmd('show route protocol static1'),
      wire('1007-10.96.0.0/12       blackhole [static1 05:28:56] * (200)', ' 10.244.1.0/26      blackhole [static1 05:28:56] * (200)', '0000 '),
    );
    assert.equal(await c.cmd('show route protocol direct1'), wire('1007-192.0.2.0/24       dev eth0 [direct1 05:28:56] * (240)', '0000 '));
    assert.equal(
      await c.cmd('show route for 10.244.2.7'),
      wire(
        '1007-10.244.2.0/26      via 192.0.2.12 on eth0 [Mesh_192_0_2_12 05:28:58] * (100/0) [i]',
        '                    via 192.0.2.12 on eth0 [Global_192_0_2_13 05:29:00 from 192.0.2.13] (100/0) [i]',
        '0000 ',
      ),
    );
    assert.equal(await c.cmd('show route 10.1.2.3/32'), wire('8001 Network not in table'));
    assert.equal(await c.cmd('show route protocol kernel1 count'), wire('0014 2 of 9 routes for 8 networks'));
    assert.equal(
      await c.cmd('show route primary protocol Global_192_0_2_13'),
      wire('0000 '),
      'primary: only the best route of each network is considered',
    );
  });

  test('disable / enable / restart §3.3', async () => {
    const src = h.source;
    assert.equal(await c.cmd('disable Node_192_0_2_1'), wire('0009-Node_192_0_2_1: disabled', '0000 '));
    assert.equal(await c.cmd('disable Node_192_0_2_1'), wire('0008-Node_192_0_2_1: already disabled', '0000 '));
    const node = src.protocolList.findIndex((p) => p.name === 'Node_192_0_2_1');
    src.protocolList[node] = { ...src.protocolList[node]!, state: 'down', since: at(5, 29, 26), info: bgpStatusInfo(true, 'Down') };
    assert.equal(
      await c.cmd('show protocols Node_192_0_2_1'),
      wire('2002-name     proto    table    state  since       info', '1002-Node_192_0_2_1 BGP      master   down   05:29:26    ', '0000 '),
    );
    assert.equal(await c.cmd('enable Node_192_0_2_1'), wire('0011-Node_192_0_2_1: enabled', '0000 '));
    assert.equal(await c.cmd('restart Mesh_192_0_2_12'), wire('0012-Mesh_192_0_2_12: restarted', '0000 '));
    assert.equal(
      await c.cmd('restart "Mesh_*"'),
      wire('0012-Mesh_192_0_2_12: restarted', '0000 '),
    );
    assert.equal(await c.cmd('enable "Zzz*"'), wire('8003 No protocols match'));
    assert.deepEqual(src.calls.actions, [
      'disable Node_192_0_2_1',
      'disable Node_192_0_2_1',
      'enable Node_192_0_2_1',
      'restart Mesh_192_0_2_12',
      'restart Mesh_192_0_2_12',
    ]);
    src.protocolList[node] = { ...src.protocolList[node]!, state: 'up', since: at(5, 28, 58), info: bgpStatusInfo(false, 'Established') };
  });

  test('show protocols "pattern" and errors §3.3 §3.8', async () => {
    assert.equal(
      await c.cmd('show protocols "Mesh_*"'),
      wire('2002-name     proto    table    state  since       info', '1002-Mesh_192_0_2_12 BGP      master   up     05:28:58    Established   ', '0000 '),
    );
    assert.equal(await c.cmd('show protocols nosuch'), wire('9002 nosuch is not a protocol'));
    assert.equal(await c.cmd('show protocols calico_kernel_programming'), wire('9002 calico_kernel_programming is not a protocol'));
    assert.equal(await c.cmd('show protocols all Mesh_*'), wire('9001 syntax error'));
    assert.equal(await c.cmd('foo'), wire('9001 syntax error'));
    assert.equal(await c.cmd('help'), wire('9001 syntax error'));
    assert.equal(await c.cmd(`show route ${'x'.repeat(600)}`), wire('9001 Symbol too long'));
  });

  test('case-sensitive, no abbreviations, empty line §1', async () => {
    assert.equal(await c.cmd('sh st'), wire('9001 syntax error'));
    assert.equal(await c.cmd('SHOW STATUS'), wire('9001 syntax error'));
    assert.equal(await c.cmd('show protocol'), wire('9001 syntax error'));
    assert.equal(await c.cmd(''), wire('9001 syntax error'));
    assert.match(await c.cmd('  show status  '), /^1000-BIRD v0\.3\.3\+birdv1\.6\.8\n/, 'leading/trailing blanks tolerated');
  });

  test('show route argument errors (1.6 cf_error texts)', async () => {
    assert.equal(await c.cmd('show route protocol nosuch'), wire('9001 nosuch is not a protocol'));
    assert.equal(await c.cmd('show route export master'), wire('9001 master is not a protocol'));
    assert.equal(await c.cmd('show route table kernel1'), wire('9001 kernel1 is not a table'));
    assert.equal(await c.cmd('show route filter nosuch'), wire('9001 No such filter.'));
    assert.equal(await c.cmd('show route 10.0.0.1/8'), wire('9001 Invalid prefix'));
    assert.equal(await c.cmd('show route 10.0.0.0/8 for 10.1.1.1'), wire('9001 Only one prefix expected'));
    assert.equal(await c.cmd('show route protocol kernel1 protocol static1'), wire('9001 Protocol specified twice'));
    assert.match(await c.cmd('show route where net ~ 10.0.0.0/8 filter x'), /^1007-/, 'where takes the rest of the line');
    assert.deepEqual(h.source.calls.queries.at(-1)!.filter, { kind: 'where', text: 'net ~ 10.0.0.0/8 filter x' });
  });

  test('show route query structure reaches the source', async () => {
    h.source.calls.queries.length = 0;
    await c.cmd('show route for 10.244.2.7 table master filter calico_kernel_programming all primary filtered export Node_192_0_2_1 stats');
    await c.cmd('show route where net.len = 26');
    await c.cmd('show route filter { if net.len = 26 then accept; reject; } count');
    const [q1, q2, q3] = h.source.calls.queries;
    assert.equal(q1!.for?.len, 32);
    assert.deepEqual([...q1!.for!.addr], [10, 244, 2, 7]);
    assert.equal(q1!.table, 'master');
    assert.deepEqual(q1!.filter, { kind: 'name', name: 'calico_kernel_programming' });
    assert.equal(q1!.verbose, true);
    assert.equal(q1!.primaryOnly, true);
    assert.equal(q1!.filtered, true);
    assert.deepEqual(q1!.export, { mode: 'export', protocol: 'Node_192_0_2_1' });
    assert.equal(q1!.stats, 1);
    assert.deepEqual(q2!.filter, { kind: 'where', text: 'net.len = 26' });
    assert.deepEqual(q3!.filter, { kind: 'inline', text: '{ if net.len = 26 then accept; reject; }' });
    assert.equal(q3!.stats, 2);
  });

  test('configure and friends §3.7', async () => {
    const src = h.source;
    src.configureResult = (req) => (req.check ? { file: CONFIG_FILE, kind: 'checked' } : { file: CONFIG_FILE, kind: 'committed', outcome: 'done' });
    assert.equal(await c.cmd('configure check'), wire(`0002-Reading configuration from ${CONFIG_FILE}`, '0020 Configuration OK'));
    assert.equal(await c.cmd('configure'), wire(`0002-Reading configuration from ${CONFIG_FILE}`, '0003 Reconfigured'));
    assert.equal(await c.cmd('configure soft'), wire(`0002-Reading configuration from ${CONFIG_FILE}`, '0003 Reconfigured'));
    assert.equal(
      await c.cmd('configure timeout'),
      wire(`0002-Reading configuration from ${CONFIG_FILE}`, '0022-Undo scheduled in 300 s', '0003 Reconfigured'),
    );
    src.configureResult = () => ({ file: CONFIG_FILE, kind: 'committed', outcome: 'progress' });
    assert.equal(await c.cmd('configure'), wire(`0002-Reading configuration from ${CONFIG_FILE}`, '0004 Reconfiguration in progress'));
    src.configureResult = (req) => ({ file: req.file ?? CONFIG_FILE, kind: 'error', message: `${req.file}:128:3 syntax error` });
    assert.equal(
      await c.cmd(`configure "${CONFIG_FILE}"`),
      wire(`0002-Reading configuration from ${CONFIG_FILE}`, `8002 ${CONFIG_FILE}:128:3 syntax error`),
    );
    assert.equal(await c.cmd('configure confirm'), wire('0019 Nothing to do'));
    assert.equal(await c.cmd('configure undo'), wire('0021-Undo requested', '0019 Nothing to do'));
    const last = src.calls.configures.at(-1)!;
    assert.equal(last.file, CONFIG_FILE);
    assert.equal(src.calls.configures[3]!.timeout, 300);
    assert.equal(src.calls.configures[2]!.soft, true);
  });

  test('graceful restart: 0024 block in show status, GR recovery line §3.2', async () => {
    const src = h.source;
    const saved = { status: src.statusValue, protos: src.protocolList };
    src.statusValue = {
      ...saved.status,
      routerId: '192.0.2.12',
      serverTime: at(5, 29, 56),
      lastReboot: at(5, 29, 52),
      lastReconfiguration: at(5, 29, 52),
      gracefulRestart: { waitingFor: 1, waitTimerLeft: 236, waitTimerTotal: 240 },
    };
    src.protocolList = [
      ...saved.protos.slice(0, 4).map((p) => ({ ...p, since: at(5, 29, 52), ...(p.name === 'kernel1' ? { state: 'wait' as const, grRecovery: { pending: false, waiting: true }, stats: undefined } : {}) })),
      globalDown(),
    ];
    try {
      assert.equal(
        await c.cmd('show status'),
        wire(
          '1000-BIRD v0.3.3+birdv1.6.8',
          '1011-Router ID is 192.0.2.12',
          ' Current server time is 2026-11-26 05:29:56',
          ' Last reboot on 2026-11-26 05:29:52',
          ' Last reconfiguration on 2026-11-26 05:29:52',
          '0024-Graceful restart recovery in progress',
          '   Waiting for 1 protocols to recover',
          '   Wait timer is 236/240',
          '0013 Daemon is up and running',
        ),
      );
      assert.equal(
        await c.cmd('show protocols all Global_192_0_2_13'),
        wire(
          '2002-name     proto    table    state  since       info',
          '1002-Global_192_0_2_13 BGP      master   start  05:29:52    Active        Socket: Connection refused',
          '1006-  Description:    Connection to BGP peer',
          '   Preference:     100',
          '   Input filter:   (unnamed)',
          '   Output filter:  (unnamed)',
          '   GR recovery:    pending',
          '   Routes:         0 imported, 0 exported, 0 preferred',
          '   Route change stats:     received   rejected   filtered    ignored   accepted',
          '     Import updates:              0          0          0          0          0',
          '     Import withdraws:            0          0        ---          0          0',
          '     Export updates:              0          0          0        ---          0',
          '     Export withdraws:            0        ---        ---        ---          0',
          '   BGP state:          Active',
          '     Neighbor address: 192.0.2.13',
          '     Neighbor AS:      64512',
          '     Connect delay:    2/2',
          '     Last error:       Socket: Connection refused',
          ' ',
          '0000 ',
        ),
      );
      const k = await c.cmd('show protocols kernel1');
      assert.equal(k, wire('2002-name     proto    table    state  since       info', '1002-kernel1  Kernel   master   wait   05:29:52    ', '0000 '));
    } finally {
      src.statusValue = saved.status;
      src.protocolList = saved.protos;
    }
  });

  test('show interfaces summary §3.8 and show interfaces', async () => {
    const base = { multiAccess: true, broadcast: true, multicast: true, adminUp: true, linkUp: true, loopback: false, ignored: false, mtu: 1500 };
    h.source.ifaces = [
      { ...base, name: 'lo', index: 1, up: true, multiAccess: false, broadcast: false, multicast: false, loopback: true, mtu: 65536, addresses: [{ address: '127.0.0.1', prefixLength: 8, kind: 'Primary', scope: 'host' }] },
      {
        ...base,
        name: 'eth0',
        index: 2,
        up: true,
        addresses: [
          { address: '192.0.2.99', prefixLength: 24, kind: 'Secondary', scope: 'univ' },
          { address: '192.0.2.11', prefixLength: 24, kind: 'Primary', scope: 'univ' },
        ],
      },
      { ...base, name: 'cali1111', index: 5, up: false, addresses: [] },
      { ...base, name: 'tunl0', index: 6, up: false, addresses: [] },
    ];
    assert.equal(
      await c.cmd('show interfaces summary'),
      wire('2005-interface state address', '1005-lo        up    127.0.0.1/8', ' eth0      up    192.0.2.11/24', ' cali1111  DOWN  ', ' tunl0     DOWN  ', '0000 '),
    );
    const full = await c.cmd('show interfaces');
    assert.equal(
      full.split('\n').slice(0, 7).join('\n'),
      [
        '1001-lo up (index=1)',
        '1004-\tPtP AdminUp LinkUp Loopback MTU=65536',
        '1003-\t127.0.0.1/8 (Primary, scope host)',
        '1001-eth0 up (index=2)',
        '1004-\tMultiAccess Broadcast Multicast AdminUp LinkUp MTU=1500',
        '1003-\t192.0.2.11/24 (Primary, scope univ)',
        ' \t192.0.2.99/24 (Secondary, scope univ)',
      ].join('\n'),
    );
    assert.ok(full.endsWith('0000 \n'));
  });

  test('show symbols and the per-connection last-code memory', async () => {
    const all = await c.cmd('show symbols');
    assert.equal(
      all,
      wire(
        '1010-calico_kernel_programming\tfilter',
        ' master  \trouting table',
        ' bgp_template\tprotocol template',
        ' calico_aggr\tfunction',
        '0000 ',
      ),
    );
    assert.equal(await c.cmd('show symbols table'), wire('1010-master  \trouting table', '0000 '));
    assert.equal(await c.cmd('show symbols master'), wire('1010 master  \trouting table'));
    // 1.6 keeps the last code per connection: the next 1010 line is a continuation.
    assert.equal(await c.cmd('show symbols table'), wire(' master  \trouting table', '0000 '));
  });

  test('show memory', async () => {
    h.source.memoryRows = [
      { name: 'Routing tables', bytes: 5120 },
      { name: 'Route attributes', bytes: 2500 },
      { name: 'ROA tables', bytes: 192 },
      { name: 'Protocols', bytes: 51200 },
    ];
    assert.equal(
      await c.cmd('show memory'),
      wire(
        '1018-BIRD memory usage',
        ' Routing tables:   5120  B',
        ' Route attributes: 2500  B',
        ' ROA tables:        192  B',
        ' Protocols:          50 kB',
        ' Total:              58 kB',
        '0000 ',
      ),
    );
  });
});

describe('restricted mode and down', () => {
  test('restrict forbids configure/enable/down, keeps show', async () => {
    const h = await startServer();
    try {
      const c = await RawClient.open(h.path);
      assert.equal(await c.cmd('restrict'), wire('0016 Access restricted'));
      assert.equal(await c.cmd('disable Mesh_192_0_2_12'), wire('8007 Access denied'));
      assert.equal(await c.cmd('configure'), wire('8007 Access denied'));
      assert.equal(await c.cmd('down'), wire('8007 Access denied'));
      assert.match(await c.cmd('show status'), /0013 Daemon is up and running\n$/);
      assert.deepEqual(h.source.calls.actions, []);
      assert.equal(h.source.calls.downs, 0);
      // Restriction is per connection.
      const d = await RawClient.open(h.path);
      assert.equal(await d.cmd('down'), wire('0007 Shutdown requested'));
      assert.equal(h.source.calls.downs, 1);
      c.close();
      d.close();
    } finally {
      await h.close();
    }
  });
});

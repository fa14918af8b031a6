// Reload plans: identical configs change nothing; a changed filter (or a function it
// calls) reloads exactly the protocols that use it; session options restart; protocols
// come and go by name.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffConfigs, parseConfigText } from '../../conf/index.js';
import type { ReloadPlan } from '../../conf/index.js';
import { FIXTURES } from './helpers.js';

const MESH = readFileSync(join(FIXTURES, 'mesh-node.conf'), 'utf8');
const parse = (t: string) => parseConfigText(t, 'mesh-node.conf', { print: () => {} });
const actions = (p: ReloadPlan) => Object.fromEntries(p.protocols.map((c) => [c.name, c.action]));
const edit = (from: string, to: string) => {
  assert.ok(MESH.includes(from), from);
  return MESH.replace(from, to);
};

describe('diffConfigs', () => {
  test('identical text (and the same config re-read) → everything unchanged', () => {
    const plan = diffConfigs(parse(MESH), parse(MESH));
    assert.deepEqual(new Set(Object.values(actions(plan))), new Set(['unchanged']));
    assert.equal(plan.protocols.length, 6);
    assert.equal(plan.routerIdChanged, false);
    assert.equal(plan.listenChanged, false);
  });

  test('formatting and comments only → unchanged', () => {
    const b = MESH.replace(/#[^\n]*/g, '').replace(/\(\s*net ~ 10\.96\.0\.0\/12\s*\)/g, 'net~10.96.0.0/12').replace(/\n\s*\n/g, '\n');
    assert.notEqual(b, MESH);
    assert.deepEqual(new Set(Object.values(actions(diffConfigs(parse(MESH), parse(b))))), new Set(['unchanged']));
  });

  test('a named filter body changed → reload of the protocol exporting through it only', () => {
    const b = edit('if (net ~ 10.49.0.0/16) then { reject; } # Felix owns VXLAN routes', 'if (net ~ 10.49.0.0/16) then { accept; }');
    const plan = diffConfigs(parse(MESH), parse(b));
    assert.deepEqual(actions(plan), {
      static1: 'unchanged', kernel1: 'reload', device1: 'unchanged', direct1: 'unchanged',
      Mesh_192_0_2_10: 'unchanged', Mesh_192_0_2_30: 'unchanged',
    });
    const k = plan.protocols.find((p) => p.name === 'kernel1')!;
    assert.equal(k.exportChanged, true);
    assert.equal(k.importChanged, false);
  });

  test('a function called by the inline export filters changed → both BGP peers reload', () => {
    const b = edit('bgp_community.add((64512, 300));', 'bgp_community.add((64512, 301));');
    const plan = diffConfigs(parse(MESH), parse(b));
    assert.deepEqual(actions(plan), {
      static1: 'unchanged', kernel1: 'unchanged', device1: 'unchanged', direct1: 'unchanged',
      Mesh_192_0_2_10: 'reload', Mesh_192_0_2_30: 'reload',
    });
    assert.ok(plan.protocols.filter((p) => p.action === 'reload').every((p) => p.exportChanged && !p.importChanged));
  });

  test('neighbor changed → restart of that session only', () => {
    const b = edit('neighbor 192.0.2.30 as 64512;', 'neighbor 192.0.2.31 as 64512;');
    assert.deepEqual(actions(diffConfigs(parse(MESH), parse(b))), {
      static1: 'unchanged', kernel1: 'unchanged', device1: 'unchanged', direct1: 'unchanged',
      Mesh_192_0_2_10: 'unchanged', Mesh_192_0_2_30: 'restart',
    });
  });

  test('a template option changed → every protocol from it restarts', () => {
    const b = edit('connect retry time 5;', 'connect retry time 6;');
    const a = actions(diffConfigs(parse(MESH), parse(b)));
    assert.equal(a.Mesh_192_0_2_10, 'restart');
    assert.equal(a.Mesh_192_0_2_30, 'restart');
    assert.equal(a.kernel1, 'unchanged');
  });

  test('password or restart time changes restart; description only reconfigures', () => {
    const pw = edit('graceful restart time 300;\n  password "mesh-secret";\n}\n\nprotocol bgp Mesh_192_0_2_30', 'graceful restart time 300;\n  password "other";\n}\n\nprotocol bgp Mesh_192_0_2_30');
    assert.equal(actions(diffConfigs(parse(MESH), parse(pw))).Mesh_192_0_2_10, 'restart');
    const d = edit('description "Connection to BGP peer";', 'description "Mesh peer";');
    const plan = diffConfigs(parse(MESH), parse(d));
    assert.equal(actions(plan).Mesh_192_0_2_10, 'reconfigure');
    assert.equal(actions(plan).Mesh_192_0_2_30, 'reconfigure');
  });

  test('import filter changed → reload with importChanged', () => {
    const b = MESH.replace('preference = 200;\n    accept;\n  };\n  export filter {\n    if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {\n      krt_metric = 2147483647 - bgp_local_pref;\n    } else {\n      if (!defined(krt_metric)) then { krt_metric = 1024; }\n      bgp_local_pref = 2147483647 - krt_metric;\n    }\n    calico_export_to_bgp_peers(true);\n    reject;\n  };\n  passive on;',
      'preference = 150;\n    accept;\n  };\n  export filter {\n    if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {\n      krt_metric = 2147483647 - bgp_local_pref;\n    } else {\n      if (!defined(krt_metric)) then { krt_metric = 1024; }\n      bgp_local_pref = 2147483647 - krt_metric;\n    }\n    calico_export_to_bgp_peers(true);\n    reject;\n  };\n  passive on;');
    assert.notEqual(b, MESH);
    const plan = diffConfigs(parse(MESH), parse(b));
    const p = plan.protocols.find((x) => x.name === 'Mesh_192_0_2_30')!;
    assert.equal(p.action, 'reload');
    assert.equal(p.importChanged, true);
    assert.equal(p.exportChanged, false);
    assert.equal(actions(plan).Mesh_192_0_2_10, 'unchanged');
  });

  test('static route added → reconfigure with routesChanged (no restart)', () => {
    const b = edit('route 10.96.0.0/12 blackhole;', 'route 10.96.0.0/12 blackhole;\n   route 10.48.10.0/26 blackhole;');
    const plan = diffConfigs(parse(MESH), parse(b));
    const s = plan.protocols.find((x) => x.name === 'static1')!;
    assert.equal(s.action, 'reconfigure');
    assert.equal(s.routesChanged, true);
  });

  test('protocol removed and added', () => {
    const start = MESH.indexOf('protocol bgp Mesh_192_0_2_30');
    const removed = MESH.slice(0, start);
    const added = MESH.slice(0, start) + MESH.slice(start).replace(/Mesh_192_0_2_30/, 'Mesh_192_0_2_40').replace('192.0.2.30 as', '192.0.2.40 as');
    const plan = diffConfigs(parse(MESH), parse(removed));
    assert.equal(actions(plan).Mesh_192_0_2_30, 'removed');
    const plan2 = diffConfigs(parse(removed), parse(added));
    assert.equal(actions(plan2).Mesh_192_0_2_40, 'added');
    assert.equal(plan2.protocols.at(-1)!.name, 'Mesh_192_0_2_40');
  });

  test('router id change restarts BGP sessions, listen change is flagged', () => {
    const b = edit('router id 192.0.2.20;', 'router id 192.0.2.21;\nlisten bgp port 1790;');
    const plan = diffConfigs(parse(MESH), parse(b));
    assert.equal(plan.routerIdChanged, true);
    assert.equal(plan.listenChanged, true);
    assert.equal(actions(plan).Mesh_192_0_2_10, 'restart');
    assert.equal(actions(plan).kernel1, 'unchanged');
  });
});

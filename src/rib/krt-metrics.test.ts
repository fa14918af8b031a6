// Kernel route metrics: the record operations filters use, and `show route all` lines as
// BIRD 1.6's krt_sys_get_attr / ea_format_bitfield print them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricBit, metricLines, metricsEqual, withBit, withMetric, RTAX_LOCK, RTAX_FEATURES } from './krt-metrics.js';

test('withMetric and withBit copy, keep ids ascending, and freeze', () => {
  const a = withMetric(undefined, 8, 1200);
  const b = withMetric(a, 2, 1400);
  assert.deepEqual(Object.keys(b), ['2', '8']);
  assert.ok(Object.isFrozen(b));
  assert.deepEqual({ ...a }, { 8: 1200 }, 'the old record is unchanged');
  const c = withBit(b, RTAX_LOCK, 2, true);
  assert.equal(c[RTAX_LOCK], 4);
  assert.equal(withBit(c, RTAX_LOCK, 2, false)[RTAX_LOCK], 0, 'a cleared bit leaves the field, at 0');
  assert.equal(metricBit(c, RTAX_LOCK, 2), true);
  assert.equal(metricBit(c, RTAX_LOCK, 3), false);
  assert.equal(metricBit(b, RTAX_LOCK, 2), undefined, 'absent field: void');
  assert.equal(withMetric(undefined, 2, -1)[2], 0xffffffff, 'unsigned 32-bit');
  assert.ok(metricsEqual({ 2: 1, 8: 2 }, withMetric(withMetric(undefined, 8, 2), 2, 1)));
  assert.ok(!metricsEqual({ 2: 1 }, { 2: 1, 8: 2 }));
  assert.ok(!metricsEqual({ 2: 1 }, { 3: 1 }));
  assert.ok(!metricsEqual({ 2: 1 }, undefined));
});

test('show route all: names and values in id order, bit fields by name, unnamed bits in hex', () => {
  assert.deepEqual(metricLines({ [RTAX_LOCK]: (1 << 2) | (1 << 13) | 2, 2: 1300, 6: 7, [RTAX_FEATURES]: 1 | 8 | 16, 15: 1 }), [
    { name: 'Kernel.lock', value: 'mtu rto_min 00000002' },
    { name: 'Kernel.mtu', value: '1300' },
    { name: 'Kernel.sstresh', value: '7' },
    { name: 'Kernel.features', value: 'ecn allfrag 00000010' },
    { name: 'Kernel.quickack', value: '1' },
  ]);
});

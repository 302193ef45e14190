import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { CellHistogram } from './cell-histogram.ts';

// The exposition must not change for dashboards: the same observations through prom-client's Histogram and
// through CellHistogram give the same lines.
test('exposes exactly what prom-client Histogram exposes for the same observations', async () => {
  const buckets = [0.001, 0.01, 0.1, 1];
  const cells = [
    { verdict: 'pass', class: 'critical' },
    { verdict: 'limit', class: 'none' },
    { verdict: 'block', class: 'bulk' },
  ];
  const theirs = new Registry();
  const ours = new Registry();
  const h = new Histogram({
    name: 'x_seconds',
    help: 'h.',
    labelNames: ['verdict', 'class'],
    buckets,
    registers: [theirs],
  });
  const c = new CellHistogram({ name: 'x_seconds', help: 'h.', buckets, cells }).registerOn(ours);
  const values = [0, 0.0005, 0.001, 0.0011, 0.05, 0.1, 0.7, 1, 3, 1e6];
  values.forEach((v, i) => {
    const cell = i % 2; // the third cell is never observed: absent from both
    h.observe(cells[cell], v);
    c.observe(cell, v);
  });
  const lines = async (r: Registry) => (await r.metrics()).split('\n').sort();
  assert.deepEqual(await lines(ours), await lines(theirs));
  assert.deepEqual(
    (await ours.getMetricsAsJSON())[0].values.length,
    (await theirs.getMetricsAsJSON())[0].values.length,
  );
});

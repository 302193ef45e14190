import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { AdmissionController, isShed } from './controller.ts';

// The limit adapts to a real origin: this one has 4 workers of 50 ms each, so beyond 4 concurrent requests
// its latency grows with its own queue. Starting from a limit of 32, the controller must come down to a
// handful (≈ 8 in theory) and keep the origin's latency near its idle latency, not 8× above it.

const WORKERS = 4;
const WORK_MS = 50;
let origin: Server;
let port = 0;
let active = 0;
const waiting: (() => void)[] = [];

function work(done: () => void): void {
  active++;
  setTimeout(() => {
    active--;
    done();
    const next = waiting.shift();
    if (next !== undefined) work(next);
  }, WORK_MS);
}

before(async () => {
  origin = createServer((_req, res) => {
    const done = () => res.end('ok');
    if (active < WORKERS) work(done);
    else waiting.push(done);
  });
  origin.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  port = (origin.address() as AddressInfo).port;
});
after(async () => {
  origin.closeAllConnections();
  await new Promise((r) => origin.close(r));
});

function hit(): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    r.on('error', reject);
    r.setTimeout(30_000, () => r.destroy(new Error('timeout')));
    r.end();
  });
}

test('the gradient limit comes down to what the origin can take', { timeout: 60_000 }, async (t) => {
  const c = new AdmissionController(
    'poste',
    {
      concurrency: { initial: 32, min: 2, max: 64 },
      queueSize: 200,
      deadlineMs: { critical: 30_000, normal: 30_000, static: 30_000, bulk: 30_000 },
      gradient: { sampleWindowMs: 100, minRttSamples: 10, minRttIntervalMs: 60_000 },
    },
    systemClock,
  );
  const CLIENTS = 40;
  const RUN_MS = 4_000;
  const stopAt = systemClock.mono() + RUN_MS;
  const lateLatencies: number[] = [];
  let maxLimit = 0;

  async function client(): Promise<void> {
    for (let i = 0; i < 500 && systemClock.mono() < stopAt; i++) {
      const t = await c.acquire('normal', systemClock.mono());
      assert.ok(!isShed(t), 'nothing is shed: the queue is large and deadlines long');
      const start = systemClock.mono();
      try {
        await hit();
        const ms = systemClock.mono() - start;
        if (stopAt - systemClock.mono() < 1_000) lateLatencies.push(ms);
        c.release(t, 'done', ms);
      } catch (err) {
        c.release(t, 'cancel', 0);
        throw err;
      }
      maxLimit = Math.max(maxLimit, c.limit);
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const st = c.state();
  c.close();

  assert.ok(st.minRttMs !== null && st.minRttMs >= WORK_MS, `minRTT ${st.minRttMs}`);
  assert.ok(maxLimit >= 32, 'it ran at the initial limit after measuring');
  assert.ok(st.limit <= 20, `limit came down from 32: ${st.limit}`);
  assert.ok(st.limit >= 2);
  lateLatencies.sort((a, b) => a - b);
  const median = lateLatencies[Math.floor(lateLatencies.length / 2)];
  t.diagnostic(`minRTT ${st.minRttMs?.toFixed(1)} ms, final limit ${st.limit}, late median ${median.toFixed(0)} ms`);
  // At 32 in flight the origin's latency would be ~8 × 50 ms = 400 ms; adapted, it stays well below.
  assert.ok(median < 300, `origin latency median in the last second: ${median.toFixed(0)} ms`);
});

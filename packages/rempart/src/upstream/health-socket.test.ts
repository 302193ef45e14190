import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../core/clock.ts';
import { call } from './testing/call.ts';
import { type Listening, startFront, startOrigin, upstreamConfig } from './testing/front.ts';
import { createUpstreams, type UpstreamLog, type Upstreams } from './upstreams.ts';

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function recorder(): UpstreamLog & { events: string[] } {
  const events: string[] = [];
  const push = (o: object) => events.push((o as { event: string }).event);
  return { events, info: push, warn: push };
}

describe('upstream health over real sockets', () => {
  let origin: Listening<Server>;
  let healthStatus = 200;
  let appStatus = 200;
  let appHits = 0;

  before(async () => {
    origin = await startOrigin((req, res) => {
      if (req.url === '/healthz') {
        res.statusCode = healthStatus;
        res.end('health');
        return;
      }
      appHits++;
      if (req.url?.startsWith('/fail-after/')) {
        setTimeout(
          () => {
            res.statusCode = 500;
            res.end('late failure');
          },
          Number(req.url.slice('/fail-after/'.length)),
        );
        return;
      }
      res.statusCode = appStatus;
      res.end('app');
    });
  });
  after(() => origin.close());

  describe('active checks', () => {
    let upstreams: Upstreams;
    let front: Awaited<ReturnType<typeof startFront>>;
    const log = recorder();
    before(async () => {
      upstreams = createUpstreams(
        [
          upstreamConfig(origin.port, {
            health: { interval_ms: 50, timeout_ms: 1_000, unhealthy_after: 2, healthy_after: 2 },
            eject_after_failures: 1000,
          }),
        ],
        { clock: systemClock, log },
      );
      front = await startFront(upstreams);
    });
    after(async () => {
      await front.close();
      await upstreams.close();
    });

    it('marks the upstream down after failed probes, answers 503 + Retry-After without touching it, then recovers', async () => {
      assert.equal(upstreams.isHealthy('origin'), true);
      healthStatus = 503;
      await until(() => !upstreams.isHealthy('origin'), 'down');
      assert.deepEqual(log.events, ['down']);
      assert.equal(upstreams.stats()[0].status, 'down');
      const hits = appHits;
      const a = await call(front.port, { path: '/app' });
      assert.equal(a.status, 503);
      assert.equal(a.headers['retry-after'], '1');
      assert.ok(a.headers['x-rempart-decision']);
      assert.equal(appHits, hits, 'the origin was not asked');
      await until(() => front.results.length === 1, 'result');
      assert.equal(front.results[0].outcome, 'unhealthy');
      healthStatus = 200;
      await until(() => upstreams.isHealthy('origin'), 'up again');
      assert.deepEqual(log.events, ['down', 'up']);
      assert.equal((await call(front.port, { path: '/app' })).status, 200);
    });
  });

  describe('passive ejection', () => {
    let upstreams: Upstreams;
    let front: Awaited<ReturnType<typeof startFront>>;
    const log = recorder();
    before(async () => {
      upstreams = createUpstreams([upstreamConfig(origin.port, { eject_after_failures: 3 })], {
        clock: systemClock,
        log,
        ejectBaseMs: 400,
      });
      front = await startFront(upstreams);
    });
    after(async () => {
      await front.close();
      await upstreams.close();
    });

    it('ejects after consecutive 5xx, refuses fast, lets one trial through and closes on success', async () => {
      appStatus = 500;
      appHits = 0;
      for (let i = 0; i < 3; i++) assert.equal((await call(front.port, { path: '/app' })).status, 500);
      assert.deepEqual(log.events, ['ejected']);
      assert.equal(upstreams.stats()[0].status, 'ejected');
      const refused = await call(front.port, { path: '/app' });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(appHits, 3);
      // Back-off over: one trial; it fails, so the back-off doubles.
      await until(() => upstreams.stats()[0].status === 'half-open', 'half-open');
      assert.equal((await call(front.port, { path: '/app' })).status, 500);
      assert.equal(appHits, 4);
      assert.deepEqual(log.events, ['ejected', 'ejected']);
      assert.equal(upstreams.stats()[0].ejections, 2);
      appStatus = 200;
      await until(() => upstreams.stats()[0].status === 'half-open', 'half-open again');
      assert.equal((await call(front.port, { path: '/app' })).status, 200);
      assert.deepEqual(log.events, ['ejected', 'ejected', 'restored']);
      assert.equal(upstreams.isHealthy('origin'), true);
      assert.equal((await call(front.port, { path: '/app' })).status, 200);
    });
  });

  describe('a half-open trial that never reaches the origin', () => {
    it('gives the trial back when the trial request leaves the queue, so the upstream can recover', async () => {
      appStatus = 200;
      const log = recorder();
      const upstreams = createUpstreams(
        [upstreamConfig(origin.port, { max_connections: 1, eject_after_failures: 1 })],
        {
          clock: systemClock,
          log,
          queueLimit: 1,
          ejectBaseMs: 100,
          ejectMaxMs: 100,
        },
      );
      const front = await startFront(upstreams);
      try {
        const a = call(front.port, { path: '/fail-after/400' });
        await until(() => upstreams.stats()[0].inflight === 1, 'A in flight');
        const b = call(front.port, { path: '/fail-after/1500' });
        await until(() => upstreams.stats()[0].queued === 1, 'B queued');
        assert.equal((await a).status, 500);
        assert.deepEqual(log.events, ['ejected']);
        await until(() => upstreams.stats()[0].status === 'half-open', 'half-open');
        // D becomes the trial but must wait behind B; its client gives up.
        const { request } = await import('node:http');
        const d = request({ host: '127.0.0.1', port: front.port, path: '/ok' });
        d.on('error', () => {});
        d.end();
        await until(() => upstreams.stats()[0].queued === 1, 'D queued as the trial');
        d.destroy();
        await until(() => upstreams.stats()[0].queued === 0, 'D left');
        assert.equal((await b).status, 500);
        // The trial was given back: the next request is let through, succeeds, and closes the breaker.
        const e = await call(front.port, { path: '/ok' });
        assert.equal(e.status, 200);
        assert.deepEqual(log.events, ['ejected', 'restored']);
      } finally {
        await front.close();
        await upstreams.close();
      }
    });
  });
});

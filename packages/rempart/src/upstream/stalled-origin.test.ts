import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../core/clock.ts';
import { call } from './testing/call.ts';
import { type Listening, startFront, startOrigin, upstreamConfig } from './testing/front.ts';
import { createUpstreams, type Upstreams } from './upstreams.ts';

// A stalled origin must cost a bounded number of sockets and a bounded amount of memory: 500 concurrent
// requests, max_connections 8, a 3 s headers timeout → at most 8 origin sockets and 500 answers of 504.

describe('stalled origin stays bounded', () => {
  let origin: Listening<import('node:http').Server>;
  let upstreams: Upstreams;
  let front: Awaited<ReturnType<typeof startFront>>;
  const open = new Set<Socket>();
  let maxOpen = 0;

  before(async () => {
    origin = await startOrigin(() => {
      // Never answers.
    });
    origin.server.on('connection', (s: Socket) => {
      open.add(s);
      maxOpen = Math.max(maxOpen, open.size);
      s.on('close', () => open.delete(s));
    });
    upstreams = createUpstreams(
      [upstreamConfig(origin.port, { max_connections: 8, headers_timeout_ms: 3_000, eject_after_failures: 100_000 })],
      { clock: systemClock },
    );
    front = await startFront(upstreams);
  });

  after(async () => {
    await front.close();
    await upstreams.close();
    await origin.close();
  });

  it('500 concurrent requests: ≤ 8 origin sockets, all 504, heap does not balloon', async () => {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const agent = new Agent({ keepAlive: false, maxSockets: 1_000 });
    let peakQueued = 0;
    const watch = setInterval(() => {
      peakQueued = Math.max(peakQueued, upstreams.stats()[0].queued);
    }, 20);
    try {
      const answers = await Promise.all(
        Array.from({ length: 500 }, (_, i) => call(front.port, { path: `/slow/${i}`, agent }).then((a) => a.status)),
      );
      const counts = new Map<number, number>();
      for (const s of answers) counts.set(s, (counts.get(s) ?? 0) + 1);
      assert.deepEqual([...counts], [[504, 500]]);
    } finally {
      clearInterval(watch);
      agent.destroy();
    }
    assert.ok(maxOpen <= 8, `origin saw ${maxOpen} concurrent sockets`);
    assert.ok(peakQueued >= 100, `requests waited in the gateway queue, not in the pool (peak ${peakQueued})`);
    const s = upstreams.stats()[0];
    assert.equal(s.inflight, 0);
    assert.equal(s.queued, 0);
    assert.ok(s.pool.pending === 0, 'nothing left queued inside the origin pool');
    globalThis.gc?.();
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    assert.ok(grownMb < 64, `heap grew by ${grownMb.toFixed(1)} MB`);
  });

  it('past the queue limit new requests get a fast 503 instead of waiting', async () => {
    const small = createUpstreams(
      [upstreamConfig(origin.port, { max_connections: 2, headers_timeout_ms: 5_000, eject_after_failures: 100_000 })],
      { clock: systemClock, queueLimit: 10 },
    );
    const f = await startFront(small);
    const agent = new Agent({ keepAlive: false, maxSockets: 100 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () =>
          call(f.port, { path: '/q', agent }).then((a) => [a.status, a.headers['retry-after']]),
        ),
      );
      const s504 = answers.filter(([s]) => s === 504).length;
      const s503 = answers.filter(([s, ra]) => s === 503 && ra === '1').length;
      assert.equal(s504, 12, '2 in flight + 10 queued time out');
      assert.equal(s503, 28, 'the rest are refused at once with Retry-After');
      assert.equal(small.stats()[0].refused, 28);
    } finally {
      agent.destroy();
      await f.close();
      await small.close();
    }
  });
});

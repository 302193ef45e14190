import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, test } from 'node:test';
import { type LabOrigin, startLabOrigin } from '../origin/lab-origin.ts';
import { exchange } from './http-send.ts';
import { summarise } from './latency.ts';
import { runOpenLoop } from './open-loop.ts';

describe('open-loop generator', () => {
  const origins: LabOrigin[] = [];
  after(async () => {
    for (const o of origins) await o.close();
  });

  test('keeps the arrival rate whatever the server does', async () => {
    let calls = 0;
    const r = await runOpenLoop({
      rate: () => 200,
      durationS: 2,
      maxRequests: 10_000,
      maxInFlight: 1000,
      queueCap: 1000,
      send: async () => {
        calls++;
      },
    });
    // 200/s for 2 s = 400 arrivals; a loaded machine may delay the timer but not skip arrivals.
    assert.equal(r.scheduled, 400);
    assert.equal(calls, 400);
    assert.equal(r.dropped, 0);
  });

  test('stops at maxRequests and counts overflow beyond the queue as dropped', async () => {
    const r = await runOpenLoop({
      rate: () => 500,
      durationS: 10,
      maxRequests: 100,
      maxInFlight: 1,
      queueCap: 5,
      send: () => new Promise((res) => setTimeout(res, 2000)),
    });
    assert.equal(r.scheduled, 100);
    assert.ok(r.sent <= 7, `sent ${r.sent}`);
    assert.equal(r.sent + r.dropped, 100);
  });

  test('a server that stalls 1 s once shows the stall in corrected p99, not in service time', async () => {
    const origin = await startLabOrigin({ cpuMs: 0, stallMs: 1000, stallAtRequest: 20 });
    origins.push(origin);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const r = await runOpenLoop({
        rate: () => 50,
        durationS: 4,
        maxRequests: 1000,
        maxInFlight: 1, // one connection, like a closed-loop tool
        queueCap: 1000,
        send: () =>
          exchange({ host: origin.host, port: origin.port, method: 'GET', path: '/status', agent, timeoutMs: 10_000 }),
      });
      const corrected = summarise(r.corrected);
      const service = summarise(r.service);
      assert.equal(r.errors, 0);
      assert.ok((corrected.p99_ms ?? 0) >= 500, `corrected p99 ${corrected.p99_ms}`);
      // Only one request saw the stall directly: service-time p90 stays low (generously bounded).
      assert.ok((service.p90_ms ?? 0) < 500, `service p90 ${service.p90_ms}`);
      assert.ok((corrected.p90_ms ?? 0) > (service.p90_ms ?? 0));
    } finally {
      agent.destroy();
    }
  });
});

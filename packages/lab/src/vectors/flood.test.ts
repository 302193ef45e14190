import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { sourceAddress } from '../load/sources.ts';
import { Collector } from '../measure/collector.ts';
import { runFlood } from './flood.ts';

// The adaptive attacker over real sockets: refused most of the time → it switches vector; served → it stays.

async function serve(status: number): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status).end());
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return s;
}

describe('flood and adaptive attacker', () => {
  const servers: http.Server[] = [];
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  for (const [status, switches] of [
    [429, true],
    [200, false],
  ] as const) {
    test(`target answering ${status}: the adaptive attacker ${switches ? 'switches' : 'keeps its'} vector`, async () => {
      const s = await serve(status);
      servers.push(s);
      const collector = new Collector();
      collector.beginPhase('attack');
      const r = await runFlood({
        vectors: ['ddosia', 'cache-bust', 'login-stuffing'],
        host: '127.0.0.1',
        port: (s.address() as AddressInfo).port,
        rate: 60,
        rampS: 0,
        durationS: 3.5,
        maxInFlight: 50,
        source: (k) => sourceAddress(9000 + k),
        sourceCount: 100,
        collector,
        seed: 5,
        signal: new AbortController().signal,
      });
      assert.ok(r.sent >= 150, `sent ${r.sent}`);
      assert.equal(r.refused > 0, status === 429);
      assert.equal(r.switches.length > 0, switches, `switches ${r.switches.join(',')}`);
      collector.endRun();
      assert.equal(collector.overallSummary().attack.requests, r.sent);
    });
  }
});

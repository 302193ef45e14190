import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { checkProof } from '../../../rempart/src/pipeline/challenge/pow.ts';
import { Collector } from '../measure/collector.ts';
import { rempartSolver } from './rempart-solver.ts';
import { startLegitUsers } from './users.ts';

// Legit users facing the challenge protocol (401 + WWW-Authenticate: Rempart-PoW, proof traded at the verify
// endpoint for a clearance header). The server here checks real proofs of work; the solver must pass it.

describe('legit users solve the challenge through the protocol', () => {
  const servers: http.Server[] = [];
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  test('challenged once per user, then served with the clearance; nobody counted as challenged', async () => {
    let verified = 0;
    const tokens = new Set<string>();
    const server = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/.rempart/verify') {
        const [challenge, n] = String(req.headers['rempart-proof'] ?? '').split(':');
        const ok = challenge?.startsWith('c-') && checkProof(challenge, n ?? '', 8);
        if (!ok) {
          res.writeHead(403).end();
          return;
        }
        verified++;
        const t = `t-${verified}`;
        tokens.add(t);
        res.writeHead(200, { 'rempart-clearance': t }).end('{}');
        return;
      }
      if (!tokens.has(String(req.headers['rempart-clearance'] ?? ''))) {
        res
          .writeHead(401, {
            'www-authenticate': `Rempart-PoW challenge="c-${Math.random()}", difficulty="8", verify="/.rempart/verify"`,
          })
          .end('{"challenge":true}');
        return;
      }
      res.writeHead(200).end('{}');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const collector = new Collector();
    collector.beginPhase('all');
    const users = startLegitUsers({
      host: '127.0.0.1',
      port,
      users: 3,
      thinkMs: [50, 100],
      timeoutMs: 10_000,
      source: (u) => `127.10.9.${u + 1}`,
      collector,
      solver: rempartSolver,
    });
    await new Promise((r) => setTimeout(r, 2000));
    await users.stop();
    collector.endRun();
    const s = collector.overallSummary().legit;
    assert.ok(s.requests >= 6, `requests ${s.requests}`);
    assert.equal(s.challenged, 0);
    assert.equal(s.success_ratio, 1);
    assert.ok(verified >= 1 && verified <= 3, `one clearance per user, got ${verified}`);
  });
});

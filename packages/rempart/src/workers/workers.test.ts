import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLEARANCE_HEADER, PROOF_HEADER, parseChallenge, solvePow } from '../../client/solve.ts';
import type { Config } from '../config/schema.ts';
import { DECISION_HEADER } from '../pipeline/respond.ts';
import type { Gateway } from '../server.ts';
import {
  adminCall,
  baseYaml,
  call,
  configFrom,
  metricValue,
  type Origin,
  startOrigin,
} from '../testing/gateway-kit.ts';
import { startServer } from './start-server.ts';

// Two worker threads on one port, as a client sees them: every new connection may land on either (SO_REUSEPORT),
// and limits, bans, single-use challenge ids, pins and reloads must hold across both. Decision ids start with a
// per-worker random prefix (8 hex digits): their set tells how many workers answered.

let origin: Origin;
let gw: Gateway;
let port = 0;
let adminPort = 0;

const extra = (burst: number) => `workers: 2
routes:
  - name: limited
    match: { path_prefix: /limited }
  - name: api
    match: { path_prefix: /api }
rate_limits:
  - name: per-ip
    key: [ip]
    rate: 0.01
    burst: ${burst}
    routes: [limited]
challenge:
  difficulty: { base: 4, max: 4 }
`;

function configOf(burst: number): Config {
  return configFrom(baseYaml(origin.url, extra(burst)));
}

const workerOf = (id: unknown) => String(id).slice(0, 8);

/** `n` requests from one address, each on a new connection: statuses and the workers that made refusals. */
async function burst(ip: string, path: string, n: number, headers: Record<string, string> = {}) {
  const statuses: number[] = [];
  const workers = new Set<string>();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await call(port, { path, localAddress: ip, headers });
    statuses.push(r.status);
    const id = r.headers[DECISION_HEADER];
    if (id !== undefined) {
      workers.add(workerOf(id));
      ids.push(String(id));
    }
  }
  return { statuses, workers, ids, count: (s: number) => statuses.filter((x) => x === s).length };
}

before(async () => {
  origin = await startOrigin();
  gw = await startServer(configOf(9));
  port = gw.listeners[0].port;
  adminPort = gw.admin.port;
});

after(async () => {
  await gw?.close(1_000);
  await origin?.close();
});

describe('workers: 2', () => {
  it('both workers answer, and a per-address limit holds exactly across them', async () => {
    const b = await burst('127.0.9.1', '/limited/a', 40);
    assert.equal(b.count(200), 10, `burst 9 + 1: ${b.statuses}`);
    assert.equal(b.count(429), 30);
    assert.equal(b.workers.size, 2, `refusals came from ${[...b.workers]}`);
    assert.equal(origin.seen.filter((s) => s.url.startsWith('/limited/a')).length, 10);
  });

  it('explains a refusal whichever worker made it', async () => {
    const b = await burst('127.0.9.2', '/limited/b', 24);
    const byWorker = new Map(b.ids.map((id) => [workerOf(id), id]));
    assert.equal(byWorker.size, 2);
    for (const id of byWorker.values()) {
      const r = await adminCall(adminPort, 'GET', `/api/decisions/${id}`);
      assert.equal(r.status, 200, id);
      assert.equal(r.json().rule, 'ratelimit/per-ip');
    }
  });

  it("adds the workers' metrics up and keeps one copy of what they share", async () => {
    const text = (await adminCall(adminPort, 'GET', '/metrics')).text;
    const limited = metricValue(text, 'rempart_http_requests_total', 'verdict="limit",class="normal",status="429"');
    assert.equal(limited, 30 + 14, 'every refusal of both workers, counted once');
    assert.equal(metricValue(text, 'rempart_detect_mode_info', 'mode="normal"'), 1);
    assert.equal(metricValue(text, 'rempart_state_table_capacity_entries', 'table="rate"'), 200_000);
    assert.match(text, /^rempart_process_resident_memory_bytes \d/m, 'process metrics once, from the main thread');
  });

  it('an admin ban holds on every worker at once', async () => {
    const ban = await adminCall(adminPort, 'POST', '/api/bans', {
      json: { target: '127.0.9.3', ttl_s: 60, reason: 'test' },
    });
    assert.equal(ban.status, 201);
    const b = await burst('127.0.9.3', '/', 20);
    assert.equal(b.count(403), 20, `${b.statuses}`);
    assert.equal(b.workers.size, 2);
  });

  it('a challenge earned on one worker clears the client on all; its proof is spent on all', async () => {
    const pin = await adminCall(adminPort, 'PUT', '/api/mode', { json: { mode: 'under-attack' } });
    assert.equal(pin.status, 200);
    const ip = '127.0.9.4';
    const json = { accept: 'application/json', 'user-agent': 'workers-test/1' };
    const first = await call(port, { path: '/api/x', localAddress: ip, headers: json });
    assert.equal(first.status, 401, 'under attack, a client without clearance is challenged');
    const c = parseChallenge(String(first.headers['www-authenticate']));
    assert.ok(c);
    const proof = `${c.challenge}:${solvePow(c.challenge, c.difficulty)}:5`;
    const verify = (i: number) =>
      call(port, {
        method: 'POST',
        path: c.verify,
        localAddress: ip,
        headers: { ...json, [PROOF_HEADER]: proof, 'x-n': String(i) },
      });
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await verify(i));
    assert.equal(answers.filter((r) => r.status === 200).length, 1, 'one proof, one clearance, across workers');
    const token = String(answers.find((r) => r.status === 200)?.headers[CLEARANCE_HEADER]);
    const b = await burst(ip, '/api/y', 20, { ...json, [CLEARANCE_HEADER]: token });
    assert.equal(b.count(200), 20, `cleared on every worker: ${b.statuses}`);
    const other = await burst('127.0.9.5', '/api/z', 20, json);
    assert.equal(other.count(401), 20, 'the pin reached every worker');
    assert.equal(other.workers.size, 2);
    // Unpinned, detection would keep under-attack for its dwell time: hand back a calm mode explicitly.
    await adminCall(adminPort, 'PUT', '/api/mode', { json: { mode: 'normal' } });
  });

  it('a reload reaches every worker', async () => {
    gw.reload(configOf(2));
    // The other worker applies it asynchronously: wait until a fresh address sees the new burst everywhere.
    let b = await burst('127.0.9.6', '/limited/c', 12);
    for (let i = 0; i < 50 && b.count(200) !== 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      b = await burst(`127.0.10.${i + 1}`, '/limited/c', 12);
    }
    assert.equal(b.count(200), 3, `burst 2 + 1 on both workers: ${b.statuses}`);
    assert.equal(b.workers.size, 2);
  });
});

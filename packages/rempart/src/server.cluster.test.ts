import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Gateway, startGateway } from './server.ts';
import {
  adminCall,
  call,
  configFrom,
  limitedYaml,
  metricValue,
  type Origin,
  startOrigin,
  until,
} from './testing/gateway-kit.ts';
import { dropPrefixes, REDIS_URL, redisSkip } from './testing/redis.ts';

// Two gateways over real sockets sharing the machine's Redis (state.backend: redis, one key prefix): what one
// counts or bans, the other applies. This is the cluster mode a deployment with several hosts relies on.

const skip = await redisSkip();
const prefix = `rempart-test:${randomBytes(6).toString('hex')}:`;
let origin: Origin;
const gws: Gateway[] = [];

before(async () => {
  if (skip !== false) return;
  origin = await startOrigin();
  const yaml = limitedYaml(
    origin.url,
    2,
    `state:
  backend: redis
  redis_url: ${REDIS_URL}
  key_prefix: "${prefix}"
`,
  );
  for (let i = 0; i < 2; i++) gws.push(await startGateway({ config: configFrom(yaml) }));
});

after(async () => {
  for (const g of gws) await g.close(1_000);
  await origin?.close();
  if (skip === false) await dropPrefixes([prefix]);
});

describe('two gateways on one Redis', { skip }, () => {
  it('sum one client’s requests into one rate limit, whichever gateway it reaches', async () => {
    const [a, b] = gws.map((g) => g.listeners[0].port);
    const from = { path: '/limited/x', localAddress: '127.0.31.7' };
    assert.equal((await call(a, from)).status, 200);
    assert.equal((await call(b, from)).status, 200);
    assert.equal((await call(a, from)).status, 200);
    // burst 2 = three requests in all; the fourth is refused on either gateway.
    const refused = await call(b, from);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal((await call(a, from)).status, 429);
    // Another client is untouched.
    assert.equal((await call(b, { path: '/limited/x', localAddress: '127.0.31.8' })).status, 200);
  });

  it('apply a ban added on one gateway’s admin API on the other', async () => {
    const [a, b] = gws;
    const ip = '127.0.31.20';
    assert.equal((await call(b.listeners[0].port, { path: '/', localAddress: ip })).status, 200);
    const added = await adminCall(a.admin.port, 'POST', '/api/bans', {
      json: { target: ip, ttl_s: 600, reason: 'test' },
    });
    assert.equal(added.status, 201);
    await until(
      async () =>
        (await call(b.listeners[0].port, { path: '/', localAddress: ip })).status === 403 ? true : undefined,
      'the ban on the other gateway',
      3_000,
    );
    const listed = (await adminCall(b.admin.port, 'GET', '/api/bans')).json();
    assert.ok(listed.bans.some((x: { target: string }) => x.target === ip));
    assert.equal((await adminCall(b.admin.port, 'DELETE', `/api/bans/${ip}`)).status, 200);
    await until(
      async () =>
        (await call(a.listeners[0].port, { path: '/', localAddress: ip })).status === 200 ? true : undefined,
      'the unban on the first gateway',
      3_000,
    );
  });

  it('share an operator’s mode pin, and its release', async () => {
    const [a, b] = gws.map((g) => g.admin.port);
    const modeOf = async (port: number) => (await adminCall(port, 'GET', '/api/mode')).json().mode;
    assert.equal((await adminCall(a, 'PUT', '/api/mode', { json: { mode: 'under-attack' } })).status, 200);
    await until(async () => ((await modeOf(b)).pinned ? true : undefined), 'the pin on the other gateway', 3_000);
    assert.equal((await modeOf(b)).mode, 'under-attack');
    assert.equal((await adminCall(b, 'PUT', '/api/mode', { json: { mode: null } })).status, 200);
    await until(async () => ((await modeOf(a)).pinned ? undefined : true), 'the release on the first gateway', 3_000);
  });

  it('report the Redis link in /metrics', async () => {
    const m = (await adminCall(gws[1].admin.port, 'GET', '/metrics')).text;
    assert.equal(metricValue(m, 'rempart_state_remote_connected'), 1);
    assert.equal(metricValue(m, 'rempart_state_remote_fallbacks_total'), 0);
  });
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseConfig } from '../../../rempart/src/config/load.ts';
import { type Gateway, startGateway } from '../../../rempart/src/server.ts';
import { ADMIN_TOKEN, baseYaml, call, type Origin, startOrigin } from '../../../rempart/src/testing/gateway-kit.ts';
import { explainer } from './run-target.ts';

// The lab names why a legit step was refused with the gateway's own rule, read from its explain API by decision id.

let origin: Origin;
let gw: Gateway;

before(async () => {
  origin = await startOrigin();
  const yaml = baseYaml(origin.url, 'rate_limits:\n  - name: per-ip\n    key: [ip]\n    rate: 0.01\n    burst: 0\n');
  gw = await startGateway({ config: parseConfig(yaml, 'explain-test.yaml') });
});

after(async () => {
  await gw?.close(1_000);
  await origin?.close();
});

test("a refusal's decision id gives its rule; an unknown id gives none", async () => {
  const port = gw.listeners[0].port;
  let refused = await call(port, { localAddress: '127.0.44.1' });
  if (refused.status !== 429) refused = await call(port, { localAddress: '127.0.44.1' });
  assert.equal(refused.status, 429);
  const id = refused.headers['x-rempart-decision'];
  assert.ok(typeof id === 'string');
  const explain = explainer({ host: '127.0.0.1', port: gw.admin.port, token: ADMIN_TOKEN });
  assert.equal(await explain(id), 'ratelimit/per-ip');
  assert.equal(await explain('no-such-decision').catch(() => undefined), undefined);
});

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { RempartError } from '../core/errors.ts';
import { CidrSet } from '../core/ip-prefix.ts';
import { bindListeners, urlOf } from './bind.ts';

function config(ports: number[]) {
  const listeners = ports.map((p, i) => `  - name: l${i}\n    host: 127.0.0.1\n    port: ${p}\n`).join('');
  return parseConfig(
    `listeners:\n${listeners}admin:\n  token: bind-test-token-0123456789\nupstreams:\n  - name: o\n    url: http://127.0.0.1:9\n`,
    'bind.yaml',
  );
}

const opts = { trustedProxies: new CidrSet([]), onRequest: () => {} };

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

const held: Server[] = [];
after(() => {
  for (const s of held) s.close();
});

describe('bindListeners', () => {
  it('opens every listener and names its address', async () => {
    const { publics, addresses } = await bindListeners(config([0, 0]), opts);
    try {
      assert.deepEqual(
        addresses.map((a) => a.name),
        ['l0', 'l1'],
      );
      for (const a of addresses) assert.equal(a.url, `http://127.0.0.1:${a.port}`);
    } finally {
      await Promise.all(publics.map((l) => l.close(0)));
    }
  });

  it('a port already taken fails the start with the listener named, and the listeners opened before are closed', async () => {
    const taken = await listenOn(0);
    held.push(taken);
    const takenPort = (taken.address() as { port: number }).port;
    const free = await listenOn(0);
    const freePort = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));

    const err = await bindListeners(config([freePort, takenPort]), opts).then(
      () => assert.fail('bound a taken port'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RempartError);
    assert.equal(err.code, 'REMPART_LISTEN_FAILED');
    assert.match(err.message, new RegExp(`listener "l1" cannot bind 127.0.0.1:${takenPort}`));
    // The first listener was closed again: its port can be bound by someone else.
    held.push(await listenOn(freePort));
  });

  it('gives a URL a person can type', () => {
    assert.equal(urlOf('http', '0.0.0.0', 80), 'http://127.0.0.1:80');
    assert.equal(urlOf('https', '::1', 8443), 'https://[::1]:8443');
  });
});

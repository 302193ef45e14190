import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { asciiJson, writeMade } from './respond.ts';

// Gateway-made answers outside the cleartext engine (node:http, as TLS listeners use): the same field lines reach
// the client as headers, and JSON bodies written as latin1 bytes stay valid UTF-8.

describe('writeMade on a node:http response', () => {
  it('turns the field lines into headers and frames the body', async () => {
    const server = createServer((_req, res) =>
      writeMade(res, 401, 'content-type: application/json; charset=utf-8\r\nwww-authenticate: X a="b"\r\n', '{"a":1}'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'X a="b"');
      assert.equal(res.headers.get('content-length'), '7');
      assert.deepEqual(await res.json(), { a: 1 });
    } finally {
      server.close();
    }
  });
});

describe('asciiJson', () => {
  it('escapes non-ASCII characters so the literal survives a latin1 write', () => {
    const name = 'limite-été-🚦';
    const lit = asciiJson(name);
    assert.match(lit, /^[\x20-\x7e]+$/);
    assert.equal(JSON.parse(Buffer.from(lit, 'latin1').toString('utf8')), name);
    assert.equal(asciiJson('per-ip'), '"per-ip"');
  });
});

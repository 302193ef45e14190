import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Dispatcher } from 'undici';
import {
  BODY_BUFFER,
  BODY_CHUNKED,
  BODY_NONE,
  BODY_STREAM,
  type PreparedRequest,
  prepareRequest,
} from './h1-request-head.ts';

// The request head bytes exactly as sent, the body framing chosen, and the refusals.

function prepare(opts: Partial<Dispatcher.DispatchOptions>): PreparedRequest & { text: string } {
  const out: PreparedRequest = { head: null, bodyKind: -1, bodyLength: -1, bodyBuffer: null, bodyStream: null };
  prepareRequest(out, { path: '/', method: 'GET', ...opts } as Dispatcher.DispatchOptions, 'origin.test:8080');
  return { ...out, text: (out.head as Buffer).toString('latin1') };
}

describe('h1 request head', () => {
  it('writes the request line and fields as given, adding host only when absent', () => {
    const a = prepare({ path: '/p?q=1', headers: ['x-a', 'one', 'Host', 'site.example', 'x-b', 'caf\u00e9'] });
    assert.equal(a.text, 'GET /p?q=1 HTTP/1.1\r\nx-a: one\r\nHost: site.example\r\nx-b: caf\u00e9\r\n\r\n');
    assert.equal(a.bodyKind, BODY_NONE);
    const b = prepare({ headers: { 'x-list': ['1', '2'] } });
    assert.equal(b.text, 'GET / HTTP/1.1\r\nx-list: 1\r\nx-list: 2\r\nhost: origin.test:8080\r\n\r\n');
  });

  it('frames bodies: a Buffer with its length, a stream raw under its length or chunked, empty POST with 0', () => {
    const buf = prepare({ method: 'POST', body: Buffer.from('hello') });
    assert.match(buf.text, /\r\ncontent-length: 5\r\n\r\n$/);
    assert.equal(buf.bodyKind, BODY_BUFFER);
    const sized = prepare({ method: 'PUT', headers: ['content-length', '7'], body: Readable.from([]) });
    assert.equal(sized.bodyKind, BODY_STREAM);
    assert.equal(sized.bodyLength, 7);
    const chunked = prepare({ method: 'PUT', body: Readable.from([]) });
    assert.equal(chunked.bodyKind, BODY_CHUNKED);
    assert.match(chunked.text, /\r\ntransfer-encoding: chunked\r\n\r\n$/);
    assert.match(prepare({ method: 'POST' }).text, /\r\ncontent-length: 0\r\n\r\n$/);
    assert.doesNotMatch(prepare({ method: 'GET' }).text, /content-length/);
    const dup = prepare({ method: 'POST', headers: ['content-length', '2', 'content-length', '2'], body: 'ok' });
    assert.equal(dup.text.match(/content-length/g)?.length, 1, 'an identical repeat is sent once');
  });

  it('hands out heads that later ones never overwrite', () => {
    const heads = Array.from({ length: 2_000 }, (_, i) => prepare({ path: `/n/${i}` }));
    for (let i = 0; i < heads.length; i++)
      assert.equal(
        (heads[i].head as Buffer).toString('latin1'),
        `GET /n/${i} HTTP/1.1\r\nhost: origin.test:8080\r\n\r\n`,
      );
    const big = prepare({ headers: ['x-big', 'v'.repeat(40_000)] });
    assert.equal(big.text.length, 40_000 + 'GET / HTTP/1.1\r\nx-big: \r\nhost: origin.test:8080\r\n\r\n'.length);
  });

  const refused: [string, Partial<Dispatcher.DispatchOptions>, string][] = [
    ['CRLF in a value', { headers: ['x-a', 'one\r\nx-injected: 1'] }, 'UND_ERR_INVALID_ARG'],
    ['NUL in a value', { headers: ['x-a', 'a\u0000b'] }, 'UND_ERR_INVALID_ARG'],
    ['a code above 0xFF (would be cut to CR)', { headers: ['x-a', 'caf\u010d'] }, 'UND_ERR_INVALID_ARG'],
    ['a space in a name', { headers: ['x a', '1'] }, 'UND_ERR_INVALID_ARG'],
    ['an empty name', { headers: ['', '1'] }, 'UND_ERR_INVALID_ARG'],
    ['a space in the path', { path: '/a b' }, 'UND_ERR_INVALID_ARG'],
    ['a relative path', { path: 'a' }, 'UND_ERR_INVALID_ARG'],
    ['a bad method', { method: 'GE T' as 'GET' }, 'UND_ERR_INVALID_ARG'],
    ['CONNECT', { method: 'CONNECT' }, 'UND_ERR_INVALID_ARG'],
    ['transfer-encoding from the caller', { headers: ['Transfer-Encoding', 'chunked'] }, 'UND_ERR_INVALID_ARG'],
    ['connection from the caller', { headers: ['connection', 'close'] }, 'UND_ERR_INVALID_ARG'],
    ['differing lengths', { headers: ['content-length', '1', 'content-length', '2'] }, 'UND_ERR_INVALID_ARG'],
    ['a length without a body', { headers: ['content-length', '5'] }, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'],
    [
      'a length unlike the body',
      { headers: ['content-length', '5'], body: 'abc' },
      'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
    ],
  ];
  for (const [name, opts, code] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(() => prepare(opts), { code });
    });
  }
});

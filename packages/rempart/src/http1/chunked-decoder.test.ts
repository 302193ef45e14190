import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_ERRORS, ChunkedDecoder, MAX_CHUNK_EXT } from './chunked-decoder.ts';
import type { HeadError } from './request-head.ts';

// The chunked body decoder fed in every possible split, so a body cut anywhere by TCP decodes the same way.

function decode(raw: string, cuts: number[] = []): { body: string; used: number; error?: HeadError } {
  const buf = Buffer.from(raw, 'latin1');
  const d = new ChunkedDecoder();
  let body = '';
  const sink = { onBody: (c: Buffer) => (body += c.toString('latin1')) };
  let used = 0;
  let from = 0;
  for (const to of [...cuts, buf.length]) {
    const r = d.feed(buf, from, to, sink);
    if (typeof r !== 'number') return { body, used, error: r };
    used += r;
    if (d.done) break;
    from = to;
  }
  return { body, used: d.done ? used : -1 };
}

describe('ChunkedDecoder', () => {
  const body = '5\r\nhello\r\n7;name=val\r\n, world\r\n0\r\nx-trailer: t\r\n\r\n';

  it('decodes sizes, data, extensions and trailers, and stops at the end of the body', () => {
    const r = decode(`${body}GET / HTTP/1.1\r\n`);
    assert.equal(r.body, 'hello, world');
    assert.equal(r.used, body.length);
  });

  it('decodes the same whatever the split', () => {
    for (let a = 1; a < body.length; a++) {
      for (const b of [a + 1, a + 5, body.length - 1]) {
        if (b <= a || b >= body.length) continue;
        const r = decode(body, [a, b]);
        assert.equal(r.body, 'hello, world', `split at ${a}, ${b}`);
        assert.equal(r.used, body.length, `split at ${a}, ${b}`);
      }
    }
  });

  it('accepts upper-case hex and leading zeros', () => {
    assert.equal(decode('0A\r\n0123456789\r\n000\r\n\r\n').body, '0123456789');
  });

  const bad: [name: string, raw: string, error: HeadError][] = [
    ['not hex', 'zz\r\nabc\r\n0\r\n\r\n', CHUNK_ERRORS.size],
    ['no size', '\r\nabc\r\n0\r\n\r\n', CHUNK_ERRORS.size],
    ['size over 13 hex digits', 'ffffffffffffffffff\r\n', CHUNK_ERRORS.size],
    ['bare LF after size', '3\nabc\r\n0\r\n\r\n', CHUNK_ERRORS.size],
    ['data longer than its size', '3\r\nabcd\r\n0\r\n\r\n', CHUNK_ERRORS.framing],
    ['control character in an extension', '3;a=\x01\r\nabc\r\n0\r\n\r\n', CHUNK_ERRORS.framing],
    ['extension too long', `3;${'e'.repeat(MAX_CHUNK_EXT + 1)}\r\nabc\r\n0\r\n\r\n`, CHUNK_ERRORS.ext],
    ['bare LF in trailers', '0\r\nx: y\n\r\n', CHUNK_ERRORS.framing],
    ['signed size', '-3\r\nabc\r\n0\r\n\r\n', CHUNK_ERRORS.size],
  ];
  for (const [name, raw, error] of bad) {
    it(`refuses: ${name} (${error.reason})`, () => assert.equal(decode(raw).error, error));
  }

  it('bounds the trailer section', () => {
    assert.equal(decode(`0\r\nx: ${'t'.repeat(9000)}\r\n\r\n`).error, CHUNK_ERRORS.trailers);
  });
});

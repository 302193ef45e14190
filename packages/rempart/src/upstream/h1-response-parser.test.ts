import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { H1ResponseParser, PARSE_DONE, PARSE_FAILED } from './h1-response-parser.ts';

// The parser alone, fed by hand: every framing the gateway must follow, every shape it must refuse, and the
// same answers whatever the chunk boundaries.

interface Seen {
  heads: { status: number; reason: string; headers: IncomingHttpHeaders }[];
  body: Buffer[];
}

function parser(noBody = false): { p: H1ResponseParser; seen: Seen } {
  const seen: Seen = { heads: [], body: [] };
  const p = new H1ResponseParser({
    onHead: (status, reason, headers) => seen.heads.push({ status, reason, headers }),
    onBody: (chunk) => seen.body.push(chunk),
  });
  p.reset(noBody);
  return { p, seen };
}

/** Feeds `text` in pieces of `step` bytes (0: all at once); returns what was seen and the bytes left over. */
function feed(text: string | Buffer, step = 0, noBody = false) {
  const { p, seen } = parser(noBody);
  const all = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  let left = 0;
  const n = step === 0 ? all.length : step;
  for (let i = 0; i < all.length && p.state < PARSE_DONE; i += n) left = p.execute(all.subarray(i, i + n));
  return { p, seen, left, body: Buffer.concat(seen.body).toString('latin1') };
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-sum\r\n\r\n' +
  '5;name=val\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-sum: abc\r\nx-sum: def\r\n\r\n';

describe('h1 response parser', () => {
  it('content-length body in one chunk: delivered as a slice of that chunk, no copy', () => {
    const chunk = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello');
    const { p, seen } = parser();
    assert.equal(p.execute(chunk), 0);
    assert.equal(p.state, PARSE_DONE);
    assert.equal(seen.heads[0].status, 200);
    assert.equal(seen.heads[0].reason, 'OK');
    assert.deepEqual(seen.heads[0].headers, { 'content-length': '5', 'x-a': '1' });
    assert.equal(seen.body.length, 1);
    assert.equal(seen.body[0].buffer, chunk.buffer, 'same memory as the socket chunk');
    assert.equal(seen.body[0].toString(), 'hello');
    assert.equal(p.keepAlive, true);
  });

  it('offers the final head as a proxy forwards it: hop-by-hop lines out, names lower-cased, order kept', () => {
    const text =
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nSet-Cookie: a=1\r\n' +
      'Keep-Alive: timeout=5\r\nContent-Length: 2\r\nX-Odd:  spaced\t \r\nContent-Length: 2\r\n' +
      'Transfer-Encoding-X: y\r\nProxy-Thing: z\r\nSet-Cookie: b=2\r\nDate: Sat, 06 Dec 2025 20:00:00 GMT\r\n\r\nok';
    for (const step of [0, 5]) {
      const seen: string[] = [];
      const p: H1ResponseParser = new H1ResponseParser({
        onHead: (status) => {
          const f = p.forwardHead();
          seen.push(`${status} ${f?.contentLength} ${f?.hasDate}`, f?.fields ?? 'none');
        },
        onBody: () => {},
      });
      p.reset(false);
      const all = Buffer.from(text, 'latin1');
      const n = step === 0 ? all.length : step;
      for (let i = 0; i < all.length && p.state < PARSE_DONE; i += n) p.execute(all.subarray(i, i + n));
      assert.deepEqual(seen, [
        '200 2 true',
        'content-type: text/plain\r\nset-cookie: a=1\r\ncontent-length: 2\r\nx-odd: spaced\r\n' +
          'transfer-encoding-x: y\r\nset-cookie: b=2\r\ndate: Sat, 06 Dec 2025 20:00:00 GMT\r\n',
      ]);
    }
    // Connection naming other fields: those drops are left to the headers object, no forward head.
    const named: (string | undefined)[] = [];
    const q: H1ResponseParser = new H1ResponseParser({
      onHead: () => void named.push(q.forwardHead()?.fields),
      onBody: () => {},
    });
    q.reset(false);
    q.execute(Buffer.from('HTTP/1.1 200 OK\r\nConnection: x-hop\r\nX-Hop: 1\r\nContent-Length: 0\r\n\r\n'));
    assert.deepEqual(named, [undefined]);
  });

  it('chunked with extensions and trailers, whatever the chunk boundaries', () => {
    for (const step of [0, 1, 2, 3, 7, 16]) {
      const r = feed(CHUNKED, step);
      assert.equal(r.p.state, PARSE_DONE, `step ${step}`);
      assert.equal(r.body, 'hello 0123456789', `step ${step}`);
      assert.deepEqual(r.p.trailers, { 'x-sum': ['abc', 'def'] }, `step ${step}`);
      assert.equal(r.p.keepAlive, true);
    }
  });

  it('close-delimited body ends at EOF and is never kept alive', () => {
    const r = feed('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome bytes', 4);
    assert.equal(r.p.state < PARSE_DONE, true);
    assert.equal(r.p.finish(), true);
    assert.equal(r.p.state, PARSE_DONE);
    assert.equal(r.body, 'some bytes');
    assert.equal(r.p.keepAlive, false);
  });

  it('no body for HEAD, 204 and 304, even with a length', () => {
    const head = feed('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n', 0, true);
    assert.equal(head.p.state, PARSE_DONE);
    assert.equal(head.p.keepAlive, true);
    const nc = feed('HTTP/1.1 204 No Content\r\n\r\n');
    assert.equal(nc.p.state, PARSE_DONE);
    const nm = feed('HTTP/1.1 304 Not Modified\r\nContent-Length: 20\r\nETag: "v1"\r\n\r\n');
    assert.equal(nm.p.state, PARSE_DONE);
    assert.equal(nm.p.keepAlive, true);
    const odd = feed('HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n');
    assert.equal(odd.p.keepAlive, false, 'a 204 announcing a body is a framing doubt: close after');
  });

  it('interim 100 and 103 come before the final head', () => {
    const r = feed(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      5,
    );
    assert.deepEqual(
      r.seen.heads.map((h) => h.status),
      [100, 103, 200],
    );
    assert.equal(r.seen.heads[1].headers.link, '</a.css>; rel=preload');
    assert.equal(r.body, 'ok');
  });

  it('keep-alive rules: Connection tokens, HTTP/1.0, and the Keep-Alive timeout hint', () => {
    assert.equal(feed('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').p.keepAlive, false);
    assert.equal(feed('HTTP/1.1 200 OK\r\nConnection: x-a, Close\r\nContent-Length: 0\r\n\r\n').p.keepAlive, false);
    assert.equal(feed('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').p.keepAlive, false);
    const ka = feed(
      'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n',
    );
    assert.equal(ka.p.keepAlive, true);
    assert.equal(ka.p.keepAliveMs, 5_000);
    assert.equal(
      feed('HTTP/1.1 200 OK\r\nKeep-Alive: max=3, TIMEOUT=2\r\nContent-Length: 0\r\n\r\n').p.keepAliveMs,
      2_000,
    );
  });

  it('header names lower-cased; set-cookie always an array; repeats become arrays; prototype names are safe', () => {
    const r = feed(
      'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Dup: 1\r\nx-dup: 2\r\nConstructor: yes\r\n__proto__: x\r\n' +
        'CONTENT-type:   text/plain  \r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n',
    );
    const h = r.seen.heads[0].headers;
    assert.deepEqual(h['set-cookie'], ['a=1']);
    assert.deepEqual(h['x-dup'], ['1', '2']);
    assert.equal(h.constructor, 'yes');
    assert.equal(Object.getPrototypeOf(h), Object.prototype, '__proto__ is dropped, not applied');
    assert.equal(h['content-type'], 'text/plain');
    assert.equal(h['content-length'], '0', 'an identical repeated length is kept once');
  });

  it('leaves bytes sent after a complete response unread (the socket is then not reused)', () => {
    const r = feed('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n');
    assert.equal(r.p.state, PARSE_DONE);
    assert.equal(r.left, 17);
  });

  const refused: [string, string, string][] = [
    [
      'CL with TE',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
      'HPE_UNEXPECTED_CONTENT_LENGTH',
    ],
    [
      'differing CLs',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
      'HPE_INVALID_CONTENT_LENGTH',
    ],
    ['CL list', 'HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['signed CL', 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['empty CL', 'HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['TE gzip', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
    [
      'TE gzip, chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      'HPE_INVALID_TRANSFER_ENCODING',
    ],
    [
      'TE chunked twice',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
      'HPE_INVALID_TRANSFER_ENCODING',
    ],
    ['TE in HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['space before colon', 'HTTP/1.1 200 OK\r\nX-A : one\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['control byte in value', 'HTTP/1.1 200 OK\r\nX-A: o\x01ne\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['bare LF in value', 'HTTP/1.1 200 OK\r\nX-A: o\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['bare CR line', 'HTTP/1.1 200 OK\r\n\rX-A: 1\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['no colon', 'HTTP/1.1 200 OK\r\nX-A\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['HTTP/2 status line', 'HTTP/2.0 200 OK\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    ['HTTP/1.2', 'HTTP/1.2 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
    ['bad status', 'HTTP/1.1 2x0 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['101 unasked', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['leading empty line', '\r\nHTTP/1.1 200 OK\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    [
      'huge chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000\r\n',
      'HPE_INVALID_CHUNK_SIZE',
    ],
    ['chunk size then junk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['chunk without CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n', 'HPE_CR_EXPECTED'],
    ['chunk size bare LF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\rok\r\n', 'HPE_LF_EXPECTED'],
  ];
  for (const [name, text, code] of refused) {
    it(`refuses ${name} (${code}), whatever the chunk boundaries`, () => {
      for (const step of [0, 1, 5]) {
        const r = feed(text, step);
        assert.equal(r.p.state, PARSE_FAILED, `step ${step}`);
        assert.equal(r.p.error?.code, code, `step ${step}: ${r.p.error?.message}`);
        if (!code.includes('CHUNK') && !code.endsWith('_EXPECTED'))
          assert.equal(r.seen.heads.length, 0, 'a refused head is not delivered');
      }
    });
  }

  it('bounds the head, interim heads included (64 KiB by default)', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`;
    for (const step of [0, 1000]) assert.equal(feed(big, step).p.error?.code, 'HPE_HEADER_OVERFLOW');
    const flood = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(3000);
    const r = feed(flood);
    assert.equal(r.p.error?.code, 'HPE_HEADER_OVERFLOW');
    assert.ok(r.seen.heads.length < 3000);
    const never = feed(Buffer.alloc(70 * 1024, 'a'), 4096);
    assert.equal(never.p.error?.code, 'HPE_HEADER_OVERFLOW', 'no CRLFCRLF at all');
  });
});

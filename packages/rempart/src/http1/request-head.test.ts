import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPartialHead, findHeadEnd, HEAD_ERRORS, parseRequestHead, rawHeaderPairs } from './request-head.ts';

// The cleartext listener's head parser as a pure function: named cases in, fields or a refusal out.

function parse(raw: string) {
  const b = Buffer.from(raw, 'latin1');
  return parseRequestHead(b, 0, b.length);
}

function ok(raw: string) {
  const r = parse(raw);
  if ('status' in r) assert.fail(`refused: ${r.reason}`);
  return r;
}

describe('parseRequestHead', () => {
  it('reads the request line, lower-cases names and keeps values as sent', () => {
    const r = ok('GET /a?b=C HTTP/1.1\r\nHost: Gw.Test\r\nX-Thing:  spaced value \t\r\nUser-Agent: UA/1\r\n\r\n');
    assert.equal(r.method, 'GET');
    assert.equal(r.url, '/a?b=C');
    assert.deepEqual([r.versionMajor, r.versionMinor], [1, 1]);
    assert.deepEqual(r.headers, { host: 'Gw.Test', 'x-thing': 'spaced value', 'user-agent': 'UA/1' });
    assert.equal(r.headerCount, 3);
    assert.equal(r.framing, 'none');
    assert.equal(r.keepAlive, true);
  });

  it('merges repeated fields as node:http does', () => {
    const r = ok(
      'GET / HTTP/1.1\r\nhost: a\r\nhost: b\r\naccept: x\r\naccept: y\r\ncookie: a=1\r\ncookie: b=2\r\n' +
        'set-cookie: s=1\r\nset-cookie: s=2\r\nuser-agent: one\r\nuser-agent: two\r\n\r\n',
    );
    assert.equal(r.headers.host, 'a');
    assert.equal(r.headers.accept, 'x, y');
    assert.equal(r.headers.cookie, 'a=1; b=2');
    assert.deepEqual(r.headers['set-cookie'], ['s=1', 's=2']);
    assert.equal(r.headers['user-agent'], 'one');
    assert.equal(r.headerCount, 10);
  });

  it('decodes bytes above 0x7f as latin1, like node:http', () => {
    const r = ok('GET /caf\xe9 HTTP/1.1\r\nhost: a\r\nx-name: Fran\xe7ois\r\n\r\n');
    assert.equal(r.url, '/café');
    assert.equal(r.headers['x-name'], 'François');
  });

  const framing: [name: string, raw: string, framing: string, length: number, keepAlive: boolean][] = [
    ['content-length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 12\r\n\r\n', 'length', 12, true],
    ['content-length zero', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n', 'none', 0, true],
    ['chunked, any case', 'POST / HTTP/1.1\r\nhost: a\r\nTransfer-Encoding: Chunked\r\n\r\n', 'chunked', 0, true],
    [
      'gzip only: left to hygiene',
      'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip\r\n\r\n',
      'unframed',
      0,
      false,
    ],
    ['HTTP/1.0 closes by default', 'GET / HTTP/1.0\r\n\r\n', 'none', 0, false],
    ['HTTP/1.0 keep-alive', 'GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n', 'none', 0, true],
    ['HTTP/1.1 close', 'GET / HTTP/1.1\r\nhost: a\r\nconnection: foo, close\r\n\r\n', 'none', 0, false],
  ];
  for (const [name, raw, f, len, ka] of framing) {
    it(`framing: ${name}`, () => {
      const r = ok(raw);
      assert.equal(r.framing, f);
      assert.equal(r.contentLength, len);
      assert.equal(r.keepAlive, ka);
    });
  }

  it('notes Expect', () => {
    assert.equal(ok('POST / HTTP/1.1\r\nhost: a\r\nexpect: 100-Continue\r\n\r\n').expectContinue, true);
    const other = ok('POST / HTTP/1.1\r\nhost: a\r\nexpect: something\r\n\r\n');
    assert.deepEqual([other.expectContinue, other.expectOther], [false, true]);
  });

  it('leaves version and method policy to hygiene where node:http did', () => {
    assert.equal(ok('GET / HTTP/2.0\r\nhost: a\r\n\r\n').versionMajor, 2);
    assert.equal(ok('GET /\r\n\r\n').versionMajor, 0);
    assert.equal(ok('TRACE / HTTP/1.1\r\nhost: a\r\n\r\n').method, 'TRACE');
  });

  const refused: [name: string, raw: string, error: (typeof HEAD_ERRORS)[keyof typeof HEAD_ERRORS]][] = [
    ['unknown method', 'FOO / HTTP/1.1\r\n\r\n', HEAD_ERRORS.method],
    ['lower-case method', 'get / HTTP/1.1\r\n\r\n', HEAD_ERRORS.method],
    ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nhost: a\r\n\r\n', HEAD_ERRORS.connect],
    ['two spaces', 'GET  / HTTP/1.1\r\n\r\n', HEAD_ERRORS.target],
    ['space in target', 'GET /a b HTTP/1.1\r\n\r\n', HEAD_ERRORS.requestLine],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\n\r\n', HEAD_ERRORS.version],
    ['HTTP/3.0', 'GET / HTTP/3.0\r\n\r\n', HEAD_ERRORS.version],
    ['lower-case protocol', 'GET / http/1.1\r\n\r\n', HEAD_ERRORS.requestLine],
    ['space before colon', 'GET / HTTP/1.1\r\nhost : a\r\n\r\n', HEAD_ERRORS.headerName],
    ['obs-fold', 'GET / HTTP/1.1\r\nx-a: one\r\n two\r\n\r\n', HEAD_ERRORS.obsFold],
    ['empty name', 'GET / HTTP/1.1\r\n: v\r\n\r\n', HEAD_ERRORS.headerName],
    ['NUL in value', 'GET / HTTP/1.1\r\nx-a: a\0b\r\n\r\n', HEAD_ERRORS.headerValue],
    ['bare CR in value', 'GET / HTTP/1.1\r\nx-a: a\rb\r\n\r\n', HEAD_ERRORS.headerValue],
    ['DEL in value', 'GET / HTTP/1.1\r\nx-a: a\x7fb\r\n\r\n', HEAD_ERRORS.headerValue],
    [
      'two content-lengths, same value',
      'POST / HTTP/1.1\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\n',
      HEAD_ERRORS.duplicateCl,
    ],
    ['content-length list', 'POST / HTTP/1.1\r\ncontent-length: 3, 3\r\n\r\n', HEAD_ERRORS.badCl],
    ['signed content-length', 'POST / HTTP/1.1\r\ncontent-length: +3\r\n\r\n', HEAD_ERRORS.badCl],
    ['huge content-length', `POST / HTTP/1.1\r\ncontent-length: ${'9'.repeat(16)}\r\n\r\n`, HEAD_ERRORS.badCl],
    ['CL and TE', 'POST / HTTP/1.1\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n', HEAD_ERRORS.clAndTe],
    ['TE and CL', 'POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n', HEAD_ERRORS.clAndTe],
    [
      'TE twice',
      'POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n',
      HEAD_ERRORS.teTwice,
    ],
  ];
  for (const [name, raw, error] of refused) {
    it(`refuses: ${name} (${error.reason})`, () => assert.equal(parse(raw), error));
  }
});

describe('findHeadEnd', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  it('finds the empty line, or asks for more', () => {
    const head = 'GET / HTTP/1.1\r\nhost: a\r\n\r\n';
    const buf = b(`${head}NEXT`);
    assert.equal(findHeadEnd(buf, 0, buf.length, 0, 8192), head.length);
    assert.equal(findHeadEnd(b('GET / HTTP/1.1\r\nhost: a\r\n'), 0, 25, 0, 8192), -1);
  });
  it('resumes a search where it stopped, across a split CRLF CRLF', () => {
    const whole = b('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    for (let cut = 1; cut < whole.length; cut++) {
      const first = findHeadEnd(whole, 0, cut, 0, 8192);
      assert.equal(first, -1, `cut at ${cut}`);
      assert.equal(findHeadEnd(whole, 0, whole.length, Math.max(0, cut - 3), 8192), whole.length, `cut at ${cut}`);
    }
  });
  it('refuses bare LF and heads over the limit', () => {
    assert.equal(findHeadEnd(b('GET / HTTP/1.1\nhost: a\n\n'), 0, 24, 0, 8192), HEAD_ERRORS.lineEnding);
    const big = b(`GET / HTTP/1.1\r\nx: ${'a'.repeat(100)}`);
    assert.equal(findHeadEnd(big, 0, big.length, 0, 64), HEAD_ERRORS.tooLarge);
  });
});

describe('checkPartialHead', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  it('waits on a plausible request line, refuses what can never be one', () => {
    assert.equal(checkPartialHead(b('GE'), 0, 2), undefined);
    assert.equal(checkPartialHead(b('GET /lo'), 0, 7), undefined);
    assert.equal(checkPartialHead(b('\x16\x03\x01\x02'), 0, 4), HEAD_ERRORS.requestLine);
    assert.equal(checkPartialHead(b(' GET'), 0, 4), HEAD_ERRORS.requestLine);
    assert.equal(checkPartialHead(b('A'.repeat(40)), 0, 40), HEAD_ERRORS.method);
  });
});

describe('rawHeaderPairs', () => {
  it('gives the original case and values, on demand', () => {
    const buf = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nX-Two:  b c \r\n\r\n', 'latin1');
    assert.deepEqual(rawHeaderPairs(buf, 0, buf.length), ['Host', 'a', 'X-Two', 'b c']);
  });
});

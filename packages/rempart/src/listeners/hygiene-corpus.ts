// Malformed and ambiguous HTTP/1.1 requests, each with the answer a gateway must give. `by` records who catches
// it on the cleartext listener: 'parser' = its HTTP/1.1 parser (http1/request-head.ts), 'hygiene' =
// checkRequest. Over TLS, Node's parser (llhttp) and checkRequest give the same statuses. Used by hygiene.test.ts; the lab can replay it against a deployment.

export interface CorpusCase {
  name: string;
  raw: string;
  status: number;
  by: 'parser' | 'hygiene';
}

const H = 'host: gw.test\r\n';

export const CORPUS: readonly CorpusCase[] = [
  {
    name: 'CL and TE together',
    raw: `POST / HTTP/1.1\r\n${H}content-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
    by: 'parser',
  },
  {
    name: 'TE and CL together (reversed)',
    raw: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n0\r\n\r\n`,
    status: 400,
    by: 'parser',
  },
  {
    name: 'duplicate CL, same value',
    raw: `POST / HTTP/1.1\r\n${H}content-length: 3\r\ncontent-length: 3\r\n\r\nabc`,
    status: 400,
    by: 'parser',
  },
  {
    name: 'duplicate CL, different values',
    raw: `POST / HTTP/1.1\r\n${H}content-length: 3\r\ncontent-length: 4\r\n\r\nabcd`,
    status: 400,
    by: 'parser',
  },
  {
    name: 'CL list in one field',
    raw: `POST / HTTP/1.1\r\n${H}content-length: 3, 3\r\n\r\nabc`,
    status: 400,
    by: 'parser',
  },
  { name: 'non-numeric CL', raw: `POST / HTTP/1.1\r\n${H}content-length: 3a\r\n\r\nabc`, status: 400, by: 'parser' },
  { name: 'negative CL', raw: `POST / HTTP/1.1\r\n${H}content-length: -1\r\n\r\n`, status: 400, by: 'parser' },
  { name: 'CL with plus sign', raw: `POST / HTTP/1.1\r\n${H}content-length: +3\r\n\r\nabc`, status: 400, by: 'parser' },
  {
    name: 'TE gzip only',
    raw: `POST / HTTP/1.1\r\n${H}transfer-encoding: gzip\r\n\r\nabc`,
    status: 501,
    by: 'hygiene',
  },
  {
    name: 'TE gzip, chunked',
    raw: `POST / HTTP/1.1\r\n${H}transfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    status: 501,
    by: 'hygiene',
  },
  {
    name: 'TE chunked twice',
    raw: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
    by: 'parser',
  },
  {
    name: 'TE with odd spelling',
    raw: `POST / HTTP/1.1\r\n${H}transfer-encoding: xchunked\r\n\r\n0\r\n\r\n`,
    status: 501,
    by: 'hygiene',
  },
  {
    name: 'space before colon',
    raw: `GET / HTTP/1.1\r\n${H}transfer-encoding : chunked\r\n\r\n`,
    status: 400,
    by: 'parser',
  },
  {
    name: 'obs-fold continuation line',
    raw: `GET / HTTP/1.1\r\n${H}x-a: one\r\n two\r\n\r\n`,
    status: 400,
    by: 'parser',
  },
  { name: 'NUL in header value', raw: `GET / HTTP/1.1\r\n${H}x-a: a\0b\r\n\r\n`, status: 400, by: 'parser' },
  { name: 'bare LF line endings', raw: `GET / HTTP/1.1\n${H.replace('\r', '')}\n`, status: 400, by: 'parser' },
  { name: 'bare CR in value', raw: `GET / HTTP/1.1\r\n${H}x-a: a\rb\r\n\r\n`, status: 400, by: 'parser' },
  { name: 'DEL in header value', raw: `GET / HTTP/1.1\r\n${H}x-a: a\x7fb\r\n\r\n`, status: 400, by: 'parser' },
  { name: 'control char in header value', raw: `GET / HTTP/1.1\r\n${H}x-a: a\x01b\r\n\r\n`, status: 400, by: 'parser' },
  { name: 'invalid char in header name', raw: `GET / HTTP/1.1\r\n${H}x(a): b\r\n\r\n`, status: 400, by: 'parser' },
  { name: 'missing Host', raw: 'GET / HTTP/1.1\r\n\r\n', status: 400, by: 'hygiene' },
  {
    name: 'absolute URI for another host',
    raw: `GET http://evil.test/ HTTP/1.1\r\n${H}\r\n`,
    status: 400,
    by: 'hygiene',
  },
  {
    name: 'absolute URI with userinfo',
    raw: `GET http://gw.test@evil.test/ HTTP/1.1\r\n${H}\r\n`,
    status: 400,
    by: 'hygiene',
  },
  {
    name: 'CONNECT (answered by the listener)',
    raw: `CONNECT evil.test:443 HTTP/1.1\r\n${H}\r\n`,
    status: 400,
    by: 'parser',
  },
  { name: 'TRACE', raw: `TRACE / HTTP/1.1\r\n${H}\r\n`, status: 501, by: 'hygiene' },
  { name: 'WebDAV PROPFIND', raw: `PROPFIND / HTTP/1.1\r\n${H}\r\n`, status: 501, by: 'hygiene' },
  { name: 'unknown method token', raw: `FOO / HTTP/1.1\r\n${H}\r\n`, status: 400, by: 'parser' },
  { name: 'lower-case method', raw: `get / HTTP/1.1\r\n${H}\r\n`, status: 400, by: 'parser' },
  { name: 'asterisk target with GET', raw: `GET * HTTP/1.1\r\n${H}\r\n`, status: 400, by: 'hygiene' },
  { name: 'HTTP/2 version on a 1.1 port', raw: `GET / HTTP/2.0\r\n${H}\r\n`, status: 400, by: 'hygiene' },
  { name: 'HTTP/1.2 version', raw: `GET / HTTP/1.2\r\n${H}\r\n`, status: 400, by: 'parser' },
  { name: 'HTTP/0.9 request line', raw: 'GET /\r\n\r\n', status: 400, by: 'hygiene' },
  { name: 'space in target', raw: `GET /a b HTTP/1.1\r\n${H}\r\n`, status: 400, by: 'parser' },
  { name: 'URL over max_url_bytes', raw: `GET /${'a'.repeat(3000)} HTTP/1.1\r\n${H}\r\n`, status: 414, by: 'hygiene' },
  {
    name: 'more headers than max_headers',
    raw: `GET / HTTP/1.1\r\n${H}${'x-n: 1\r\n'.repeat(40)}\r\n`,
    status: 431,
    by: 'hygiene',
  },
  {
    name: 'headers over max_header_bytes',
    raw: `GET / HTTP/1.1\r\n${H}x-big: ${'b'.repeat(9000)}\r\n\r\n`,
    status: 431,
    by: 'parser',
  },
  {
    name: 'bad chunk size',
    raw: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
    status: 400,
    by: 'parser',
  },
  {
    name: 'chunk size overflow',
    raw: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\nffffffffffffffffff\r\n`,
    status: 400,
    by: 'parser',
  },
  { name: 'garbage', raw: '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', status: 400, by: 'parser' },
];

/** Limits the corpus is written against (small so the oversize cases stay small). */
export const CORPUS_LIMITS = { max_url_bytes: 2048, max_headers: 30, max_header_bytes: 8192 } as const;

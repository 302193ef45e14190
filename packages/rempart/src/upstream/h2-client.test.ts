import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import {
  type ClientHttp2Session,
  connect,
  createSecureServer,
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../core/clock.ts';
import type { ForwardResult } from './forward.ts';
import { ctxFor, type Listening, startOrigin, upstreamConfig } from './testing/front.ts';
import { throwawayCert } from './testing/throwaway-cert.ts';
import { createUpstreams, type Upstreams } from './upstreams.ts';

// HTTP/2 clients in front, HTTP/1.1 origin behind: pseudo-headers become Host, connection-specific origin
// headers never reach the h2 stream, trailers pass, and a reset stream cancels the origin request.

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface H2Answer {
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers: IncomingHttpHeaders | undefined;
}

function h2call(session: ClientHttp2Session, headers: Record<string, string>, body?: Buffer): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let resHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      resHeaders = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      if (stream.rstCode) reject(new Error(`stream reset ${stream.rstCode}`));
      else resolve({ headers: resHeaders, body: Buffer.concat(chunks), trailers });
    });
    stream.on('error', reject);
    stream.on('close', () => {
      if (stream.rstCode) reject(new Error(`stream reset ${stream.rstCode}`));
    });
    if (body !== undefined) stream.end(body);
  });
}

describe('HTTP/2 client → HTTP/1.1 origin', () => {
  let origin: Listening<Server>;
  let upstreams: Upstreams;
  let front: Http2Server;
  let session: ClientHttp2Session;
  const results: ForwardResult[] = [];
  let originClosedEarly = 0;
  const tls = throwawayCert();

  before(async () => {
    origin = await startOrigin((req, res) => {
      if (req.url === '/echo') {
        const h = createHash('sha256');
        let n = 0;
        req.on('data', (c: Buffer) => {
          h.update(c);
          n += c.length;
        });
        req.on('end', () => {
          res.writeHead(200, {
            'content-type': 'application/json',
            connection: 'keep-alive',
            'keep-alive': 'timeout=5',
          });
          res.end(JSON.stringify({ method: req.method, bytes: n, sha: h.digest('hex'), headers: req.headers }));
        });
        return;
      }
      if (req.url === '/trailers') {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('body');
        res.addTrailers({ 'x-checksum': 'abc' });
        res.end();
        return;
      }
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('part');
        setTimeout(() => req.socket.destroy(), 50);
        return;
      }
      // /stall: never answers; count closes seen before an answer.
      res.on('close', () => {
        if (!res.writableFinished) originClosedEarly++;
      });
    });
    upstreams = createUpstreams([upstreamConfig(origin.port, { eject_after_failures: 1000 })], { clock: systemClock });
    const handler = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
      upstreams.forward('origin', req, res, ctxFor(req, tls !== undefined), {
        onSettled: (_ctx, _res, r) => results.push(r),
      });
    };
    front = tls ? createSecureServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const port = (front.address() as AddressInfo).port;
    session = tls
      ? connect(`https://localhost:${port}`, { rejectUnauthorized: false, host: '127.0.0.1' })
      : connect(`http://localhost:${port}`);
    session.on('error', () => {});
  });

  after(async () => {
    session.destroy();
    await new Promise<void>((resolve) => front.close(() => resolve()));
    await upstreams.close();
    await origin.close();
  });

  it('maps :authority to Host and answers without connection-specific headers', async () => {
    const a = await h2call(session, {
      ':method': 'GET',
      ':path': '/echo',
      ':authority': 'shop.example',
      accept: '*/*',
    });
    assert.equal(a.headers[':status'], 200);
    assert.equal(a.headers.connection, undefined);
    assert.equal(a.headers['keep-alive'], undefined);
    const got = JSON.parse(a.body.toString());
    assert.equal(got.headers.host, 'shop.example');
    assert.equal(got.headers.via, '2 rempart');
    assert.equal(got.headers['x-forwarded-proto'], tls ? 'https' : 'http');
    assert.equal(
      Object.keys(got.headers).some((k: string) => k.startsWith(':')),
      false,
    );
  });

  it('streams an h2 request body (no content-length) to the origin', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 5);
    const a = await h2call(session, { ':method': 'POST', ':path': '/echo', ':authority': 'shop.example' }, body);
    const got = JSON.parse(a.body.toString());
    assert.equal(got.method, 'POST');
    assert.equal(got.bytes, body.length);
    assert.equal(got.sha, createHash('sha256').update(body).digest('hex'));
  });

  it('passes trailers to the h2 client', async () => {
    const a = await h2call(session, { ':method': 'GET', ':path': '/trailers', ':authority': 'x', te: 'trailers' });
    assert.equal(a.body.toString(), 'body');
    assert.equal(a.trailers?.['x-checksum'], 'abc');
  });

  it('a reset h2 stream cancels the origin request', async () => {
    const n = results.length;
    const stream = session.request({ ':method': 'GET', ':path': '/stall', ':authority': 'x' });
    stream.on('error', () => {});
    await until(() => upstreams.stats()[0].inflight === 1, 'origin reached');
    stream.close();
    await until(() => originClosedEarly === 1, 'origin sees the close');
    await until(() => results.length > n, 'result');
    assert.equal(results.at(-1)?.outcome, 'client-aborted');
  });

  it('an origin failing after the headers resets the h2 stream (no truncated success)', async () => {
    await assert.rejects(h2call(session, { ':method': 'GET', ':path': '/cut', ':authority': 'x' }));
    // The session itself survives for other streams.
    const a = await h2call(session, { ':method': 'GET', ':path': '/echo', ':authority': 'x' });
    assert.equal(a.headers[':status'], 200);
  });
});

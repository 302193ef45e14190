import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LimitsConfig } from '../config/schema.ts';
import { CidrSet } from '../core/ip-prefix.ts';
import type { H1Request } from '../http1/request.ts';
import type { H1Response } from '../http1/response.ts';
import { jsonBody, textBody, writeError, writeMade } from '../pipeline/respond.ts';
import { createPublicListener, type PublicListener } from './public-listener.ts';
import { rawExchange, testLimits, testListener } from './testing/raw-client.ts';

// The cleartext HTTP/1.1 engine over real sockets: persistence, pipelining, bodies both ways, Expect, framing of
// answers, client aborts, timeouts and per-socket budgets, as a client sees them.

type Handler = (req: H1Request, res: H1Response) => void;

const open: PublicListener[] = [];
after(async () => {
  for (const l of open) await l.close(0);
});

async function serve(handler: Handler, limits: Partial<LimitsConfig> = {}): Promise<number> {
  const l = createPublicListener(testListener(), testLimits(limits), {
    trustedProxies: new CidrSet([]),
    onRequest: (req, res) => handler(req as H1Request, res as H1Response),
  });
  open.push(l);
  return (await l.listen()).port;
}

/** A client that keeps one socket and reads until `until` matches (or the socket closes). */
function client(port: number) {
  const s = net.connect({ port, host: '127.0.0.1' });
  let text = '';
  let closed = false;
  s.on('data', (d) => (text += d.toString('latin1')));
  s.on('close', () => (closed = true));
  s.on('error', () => {});
  return {
    socket: s,
    send: (raw: string | Buffer) => s.write(raw),
    async read(until: RegExp, timeoutMs = 5_000): Promise<string> {
      const end = Date.now() + timeoutMs;
      while (!until.test(text) && !closed && Date.now() < end) await sleep(5);
      return text;
    },
    get closed() {
      return closed;
    },
    async waitClosed(timeoutMs = 5_000): Promise<boolean> {
      const end = Date.now() + timeoutMs;
      while (!closed && Date.now() < end) await sleep(5);
      return closed;
    },
    reset() {
      text = '';
    },
  };
}

const echo: Handler = (req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    const body = `${req.method} ${req.url} ${Buffer.concat(parts).toString('latin1')}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
};

describe('cleartext HTTP/1.1 engine', () => {
  it('keeps a connection for several requests, then honours Connection: close', async () => {
    const port = await serve(echo);
    const c = client(port);
    c.send('GET /one HTTP/1.1\r\nhost: a\r\n\r\n');
    assert.match(await c.read(/GET \/one $/), /^HTTP\/1\.1 200 OK\r\n/);
    c.reset();
    c.send('GET /two HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n');
    const t = await c.read(/GET \/two $/);
    assert.match(t, /\r\nconnection: close\r\n/);
    assert.equal(await c.waitClosed(), true);
  });

  it('answers pipelined requests in order, one at a time', async () => {
    const order: string[] = [];
    const port = await serve((req, res) => {
      order.push(`start ${req.url}`);
      // The first answer is late: the second request must wait for it.
      setTimeout(
        () => {
          order.push(`end ${req.url}`);
          res.end(req.url);
        },
        req.url === '/slow' ? 50 : 0,
      );
    });
    const c = client(port);
    c.send('GET /slow HTTP/1.1\r\nhost: a\r\n\r\nGET /fast HTTP/1.1\r\nhost: a\r\n\r\n');
    const t = await c.read(/\/fast\r\n0\r\n\r\n$/);
    assert.ok(t.indexOf('/slow') < t.indexOf('/fast'), t);
    assert.deepEqual(order, ['start /slow', 'end /slow', 'start /fast', 'end /fast']);
    c.socket.destroy();
  });

  it('delivers bodies by length and chunked, split across packets, and goes on with the next request', async () => {
    const port = await serve(echo);
    const c = client(port);
    c.send('POST /len HTTP/1.1\r\nhost: a\r\ncontent-length: 11\r\n\r\nhello');
    await sleep(20);
    c.send(' world');
    assert.match(await c.read(/POST \/len hello world$/), /200 OK/);
    c.reset();
    c.send('POST /chunked HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r');
    await sleep(20);
    c.send('\n2;x=y\r\nde\r\n0\r\n\r\nGET /after HTTP/1.1\r\nhost: a\r\n\r\n');
    const t = await c.read(/GET \/after $/);
    assert.match(t, /POST \/chunked abcde/);
    c.socket.destroy();
  });

  it('sends 100 Continue only when the body is read; a refusal never invites it', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/refuse') {
        res.shouldKeepAlive = false;
        res.writeHead(429, { 'content-length': 2 });
        res.end('no');
        return;
      }
      echo(req, res);
    });
    const a = client(port);
    a.send('POST /take HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\nexpect: 100-continue\r\n\r\n');
    assert.match(await a.read(/100 Continue\r\n\r\n/), /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    a.send('abc');
    assert.match(await a.read(/POST \/take abc$/), /200 OK/);
    a.socket.destroy();
    const b = client(port);
    b.send('POST /refuse HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\nexpect: 100-continue\r\n\r\n');
    const t = await b.read(/no$/);
    assert.match(t, /^HTTP\/1\.1 429 /);
    assert.doesNotMatch(t, /100 Continue/);
    assert.equal(await b.waitClosed(), true);
    const other = await rawExchange(port, ['POST / HTTP/1.1\r\nhost: a\r\nexpect: magic\r\n\r\n']);
    assert.equal(other.status, 417);
  });

  it('frames answers: chunked with trailers on 1.1, close-delimited on 1.0, nothing after HEAD or 204', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/204') {
        res.writeHead(204, {});
        res.end('ignored');
        return;
      }
      res.writeHead(200, req.method === 'HEAD' ? { 'content-length': 5 } : { 'content-type': 'text/plain' });
      res.write('hel');
      if (req.method !== 'HEAD') res.addTrailers({ 'x-sum': '42' });
      res.end('lo');
    });
    const c = client(port);
    c.send('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    const chunked = await c.read(/0\r\nx-sum: 42\r\n\r\n$/);
    assert.match(chunked, /transfer-encoding: chunked\r\n/);
    assert.match(chunked, /\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\nx-sum: 42\r\n\r\n$/);
    c.reset();
    c.send('HEAD / HTTP/1.1\r\nhost: a\r\n\r\n');
    const head = await c.read(/\r\n\r\n$/);
    assert.match(head, /content-length: 5\r\n/);
    c.reset();
    c.send('GET /204 HTTP/1.1\r\nhost: a\r\n\r\nGET /next HTTP/1.1\r\nhost: a\r\n\r\n');
    const two = await c.read(/0\r\nx-sum: 42\r\n\r\n$/);
    assert.match(two, /^HTTP\/1\.1 204 No Content\r\n(?:[^\r]+\r\n)*\r\nHTTP\/1\.1 200 OK/);
    c.socket.destroy();
    const old = await rawExchange(port, ['GET / HTTP/1.0\r\n\r\n']);
    assert.equal(old.closed, true);
    assert.match(old.text, /connection: close\r\n\r\nhello$/);
  });

  it('sends a first written chunk with the head, then the rest; a first chunk over Content-Length is refused', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/long') {
        res.writeHead(200, { 'content-length': 2 });
        res.write('abc');
        return;
      }
      res.writeHead(200, { 'content-length': 8 });
      res.write('abc');
      res.write(Buffer.from('defgh'));
      res.end();
    });
    const ok = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n']);
    assert.match(ok.text, /^HTTP\/1\.1 200 OK\r\n(?:[^\r]+\r\n)*content-length: 8\r\n(?:[^\r]+\r\n)*\r\nabcdefgh$/);
    const long = await rawExchange(port, ['GET /long HTTP/1.1\r\nhost: a\r\n\r\n']);
    assert.equal(long.closed, true);
    assert.equal(long.text, '', 'nothing of an over-long answer is sent');
  });

  it('tells the gateway when a client leaves mid-answer or mid-body', async () => {
    const events: string[] = [];
    const port = await serve((req, res) => {
      if (req.url === '/body') {
        req.on('data', () => {});
        req.on('close', () => events.push(`req close aborted=${req.aborted}`));
        return;
      }
      res.on('close', () => events.push(`res close finished=${res.writableFinished}`));
      res.writeHead(200, { 'content-length': 100 });
      res.write('partial');
    });
    const a = client(port);
    a.send('GET /answer HTTP/1.1\r\nhost: a\r\n\r\n');
    await a.read(/partial/);
    a.socket.destroy();
    const b = client(port);
    b.send('POST /body HTTP/1.1\r\nhost: a\r\ncontent-length: 100\r\n\r\nsome');
    await sleep(50);
    b.socket.destroy();
    for (let i = 0; i < 100 && events.length < 2; i++) await sleep(10);
    assert.deepEqual(events.sort(), ['req close aborted=true', 'res close finished=false']);
  });

  it("emits a response's 'finish' and 'close' after end() returns, as node:http does", async () => {
    const seen: string[] = [];
    const port = await serve((_req, res) => {
      res.on('finish', () => seen.push('finish'));
      res.on('close', () => seen.push(`close finished=${res.writableFinished}`));
      res.end('ok');
      // A proxy settles its own state right after end(): its 'close' listener must not have run yet.
      seen.push('after end()');
    });
    const r = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n']);
    assert.equal(r.status, 200);
    assert.deepEqual(seen, ['after end()', 'finish', 'close finished=true']);
  });

  it('takes a FIN during an answer as the client leaving (as node:http and nginx do)', async () => {
    let closed: boolean | undefined;
    const port = await serve((_req, res) => {
      res.on('close', () => (closed = res.writableFinished));
      setTimeout(() => res.end('late'), 300);
    });
    const c = client(port);
    c.send('GET /x HTTP/1.1\r\nhost: a\r\n\r\n');
    await sleep(30);
    c.socket.end();
    assert.equal(await c.waitClosed(), true);
    for (let i = 0; i < 100 && closed === undefined; i++) await sleep(10);
    assert.equal(closed, false);
  });

  it('closes idle keep-alive connections and ends a socket after max_requests_per_socket', async () => {
    const port = await serve((_req, res) => res.end('ok'), { keepalive_timeout_ms: 300, max_requests_per_socket: 2 });
    const idle = client(port);
    idle.send('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    await idle.read(/ok$/);
    const t0 = Date.now();
    assert.equal(await idle.waitClosed(5_000), true);
    assert.ok(Date.now() - t0 >= 150, 'not closed before the keep-alive timeout');
    const budget = client(port);
    budget.send(
      'GET /1 HTTP/1.1\r\nhost: a\r\n\r\nGET /2 HTTP/1.1\r\nhost: a\r\n\r\nGET /3 HTTP/1.1\r\nhost: a\r\n\r\n',
    );
    assert.equal(await budget.waitClosed(), true);
    const t = await budget.read(/$^/, 0);
    assert.equal(t.match(/HTTP\/1\.1 200/g)?.length, 2, t);
    assert.match(t, /connection: close\r\n/);
  });

  it('streams a large answer to a slow reader with backpressure, every byte delivered', async () => {
    const size = 8 * 1024 * 1024;
    let drains = 0;
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': size });
      const block = Buffer.alloc(64 * 1024, 97);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += block.length;
          if (!res.write(block)) {
            res.once('drain', () => {
              drains++;
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const s = net.connect({ port, host: '127.0.0.1' });
    s.write('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      s.pause();
      setTimeout(() => s.resume(), 1);
    });
    const end = Date.now() + 30_000;
    while (got < size && Date.now() < end) await sleep(20);
    s.destroy();
    assert.ok(got > size, `received ${got} of ${size} body bytes plus the head`);
    assert.ok(drains > 0, 'the writer waited for drain at least once');
  });

  it('frames a body in chunks when the caller names chunked coding itself, empty or not', async () => {
    const port = await serve((req, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.end(req.url === '/empty' ? undefined : 'abc');
    });
    const c = client(port);
    c.send('GET /full HTTP/1.1\r\nhost: a\r\n\r\n');
    assert.match(await c.read(/\r\n0\r\n\r\n$/), /\r\n\r\n3\r\nabc\r\n0\r\n\r\n$/);
    c.reset();
    c.send('GET /empty HTTP/1.1\r\nhost: a\r\n\r\n');
    assert.match(await c.read(/\r\n0\r\n\r\n$/), /transfer-encoding: chunked\r\n(?:[^\r]+\r\n)*\r\n0\r\n\r\n$/);
    c.socket.destroy();
  });

  it("sends a gateway-made answer's field lines and ASCII body in one write, framed, and keeps the connection", async () => {
    const writes: number[] = [];
    const port = await serve((req, res) => {
      const write = res.socket.write;
      let n = 0;
      res.socket.write = ((...a: Parameters<typeof write>) => {
        n++;
        return write.apply(res.socket, a);
      }) as typeof write;
      writeMade(res, 403, 'content-type: text/html; charset=utf-8\r\nx-made: yes\r\n', `<p>${req.url}</p>`);
      res.socket.write = write;
      writes.push(n);
    });
    const c = client(port);
    c.send('GET /first HTTP/1.1\r\nhost: a\r\n\r\n');
    const t = await c.read(/<\/p>$/);
    assert.match(t, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(t, /\r\nx-made: yes\r\ncontent-length: 13\r\n/);
    assert.match(t, /\r\n\r\n<p>\/first<\/p>$/);
    c.reset();
    c.send('HEAD /second HTTP/1.1\r\nhost: a\r\n\r\n');
    const head = await c.read(/\r\n\r\n$/);
    assert.match(head, /content-length: 14\r\n/);
    assert.doesNotMatch(head, /<p>/, 'no body after HEAD');
    assert.equal(c.closed, false);
    c.socket.destroy();
    assert.deepEqual(writes, [1, 1]);
  });

  it('answers gateway errors from prebuilt lines: UTF-8 bilingual bodies, JSON for API clients, close when asked', async () => {
    const port = await serve((req, res) => {
      const id = `abc${req.url?.length}`;
      const accept = req.headers.accept;
      if (req.url === '/limit')
        writeError(res, { id, headers: { accept } }, 429, { rule: 'limite-été', retryAfterS: 7 });
      else writeError(res, { id, headers: { accept } }, 400, { rule: 'hygiene/x', close: true });
    });
    const c = client(port);
    c.send('GET /limit HTTP/1.1\r\nhost: a\r\n\r\n');
    let t = await c.read(/Reference: abc6\n$/);
    const [head, body] = t.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
    for (const line of [
      'content-type: text/plain; charset=utf-8',
      'cache-control: no-store',
      'x-rempart-decision: abc6',
    ])
      assert.ok(head.includes(`\r\n${line}\r\n`), line);
    assert.match(head, /\r\nretry-after: 7\r\n/);
    // The body's bytes are UTF-8 (read here as latin1): the same text as the object path makes.
    assert.equal(Buffer.from(body, 'latin1').toString('utf8'), textBody(429, 'abc6'));
    assert.match(head, new RegExp(`content-length: ${Buffer.byteLength(textBody(429, 'abc6'))}\r\n`));
    c.reset();
    c.send('GET /limit HTTP/1.1\r\nhost: a\r\naccept: application/json\r\n\r\n');
    t = await c.read(/\}$/);
    const json = JSON.parse(Buffer.from(t.split('\r\n\r\n')[1], 'latin1').toString('utf8'));
    assert.deepEqual(json, JSON.parse(jsonBody(429, 'abc6', 'limite-été', 7)));
    assert.match(t, /\r\ncontent-type: application\/json; charset=utf-8\r\n/);
    assert.equal(c.closed, false, 'a 429 keeps the connection');
    c.reset();
    c.send('HEAD /bad HTTP/1.1\r\nhost: a\r\n\r\n');
    t = await c.read(/\r\n\r\n$/);
    assert.match(t, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(t, /\r\nconnection: close\r\n/);
    assert.doesNotMatch(t, /Reference/, 'no body after HEAD');
    assert.equal(await c.waitClosed(), true, 'closed after the answer when asked');
  });

  it('refuses response headers that would split the response, and short bodies are cut', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/split') {
        assert.throws(() => {
          res.writeHead(200, { 'x-a': 'v\r\nset-cookie: evil=1' });
          res.end('x');
        }, /invalid header/);
        res.destroy();
        return;
      }
      res.writeHead(200, { 'content-length': 10 });
      res.end('short');
    });
    const split = await rawExchange(port, ['GET /split HTTP/1.1\r\nhost: a\r\n\r\n']);
    assert.equal(split.closed, true);
    assert.doesNotMatch(split.text, /evil/);
    const short = await rawExchange(port, ['GET /short HTTP/1.1\r\nhost: a\r\n\r\n']);
    assert.equal(short.closed, true);
  });

  it('answers 408 to a body that stops arriving within request_timeout_ms', async () => {
    const port = await serve(echo, { request_timeout_ms: 400, header_timeout_ms: 400 });
    const r = await rawExchange(port, ['POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 10\r\n\r\nabc'], {
      timeoutMs: 5_000,
    });
    assert.equal(r.status, 408);
    assert.equal(r.closed, true);
    assert.match(r.text, /x-rempart-decision: /);
  });
});

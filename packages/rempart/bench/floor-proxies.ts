import { connect, createServer, type Socket } from 'node:net';

// The two floors `npm run bench:floor` sets beside Rempart, each as little as Node needs to do the job, so the
// run says how much of Rempart's cost per request is Node's and how much is Rempart's own:
//   pipe   bytes copied between a client socket and its own origin socket, no HTTP at all;
//   proxy  a keep-alive HTTP/1.1 proxy with nothing a gateway must do (no checks, no limits, no timeouts), for
//          requests without a body (what wrk sends): the head found by its blank line and sent on with one
//          X-Forwarded-For line added; the answer's length read from its Content-Length and the answer returned
//          in one write; origin sockets reused from a free list.
// Usage: node floor-proxies.ts pipe|proxy ORIGIN_PORT; prints {"event":"ready","port":N}. Not for production.

const [kind, originArg] = process.argv.slice(2);
const originPort = Number(originArg);
if ((kind !== 'pipe' && kind !== 'proxy') || !(originPort > 0)) {
  process.stderr.write('usage: floor-proxies.ts pipe|proxy ORIGIN_PORT\n');
  process.exit(2);
}

function pipeBoth(client: Socket): void {
  const origin = connect(originPort, '127.0.0.1');
  client.pipe(origin);
  origin.pipe(client);
  client.on('error', () => origin.destroy());
  origin.on('error', () => client.destroy());
  client.on('close', () => origin.destroy());
}

const CRLF2 = Buffer.from('\r\n\r\n');
const LENGTH = /content-length: *(\d+)/i;

/** An origin connection of the proxy floor and the client waiting for its answer. */
class OriginConn {
  readonly socket = connect(originPort, '127.0.0.1');
  answer: ((response: Buffer) => void) | undefined = undefined;
  private pending: Buffer | undefined = undefined;

  constructor() {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', () => this.socket.destroy());
  }

  private onData(chunk: Buffer): void {
    const b = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const end = b.indexOf(CRLF2);
    const length = end < 0 ? -1 : end + 4 + Number(LENGTH.exec(b.toString('latin1', 0, end))?.[1] ?? 0);
    if (end < 0 || b.length < length) {
      this.pending = b;
      return;
    }
    this.pending = undefined;
    const answer = this.answer;
    this.answer = undefined;
    idle.push(this);
    answer?.(b.length === length ? b : b.subarray(0, length));
  }
}

const idle: OriginConn[] = [];

function proxyHttp(client: Socket): void {
  client.setNoDelay(true);
  const forwarded = Buffer.from(`x-forwarded-for: ${client.remoteAddress}\r\n\r\n`, 'latin1');
  const reply = (response: Buffer) => client.write(response);
  let pending: Buffer | undefined;
  client.on('data', (chunk: Buffer) => {
    const b = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    const end = b.indexOf(CRLF2);
    if (end < 0) {
      pending = b;
      return;
    }
    pending = undefined;
    const origin = idle.pop() ?? new OriginConn();
    origin.answer = reply;
    origin.socket.write(Buffer.concat([b.subarray(0, end + 2), forwarded]));
  });
  client.on('error', () => client.destroy());
}

const server = createServer(kind === 'pipe' ? pipeBoth : proxyHttp);
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => process.exit(0));

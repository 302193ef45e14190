import { connect, type Socket } from 'node:net';

// A small keep-alive HTTP/1.1 client for loads too slow for wrk to be useful (a gateway under valgrind answers a
// few hundred requests a second): `connections` sockets, each sending the next request once the previous answer
// has fully arrived. Answers must carry Content-Length (the bench origin's and the gateway's own do).

export interface KeepAliveRun {
  /** Answers per status code. */
  readonly statuses: ReadonlyMap<number, number>;
  readonly ms: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Length of the first complete response in `buf` and its status, or null while it is incomplete. */
export function responseAt(buf: Buffer): { length: number; status: number } | null {
  const end = buf.indexOf(CRLF2);
  if (end < 0) return null;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const m = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (m === null) throw new Error(`answer without content-length: ${head.split('\r\n')[0]}`);
  const length = end + 4 + Number(m[1]);
  return buf.length >= length ? { length, status } : null;
}

/** Sends `total` copies of `request` to 127.0.0.1:port over `connections` keep-alive sockets; bounded by timeoutMs. */
export function runKeepAlive(
  port: number,
  request: Buffer,
  total: number,
  connections: number,
  timeoutMs = 600_000,
): Promise<KeepAliveRun> {
  const statuses = new Map<number, number>();
  const started = performance.now();
  let sent = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const sockets: Socket[] = [];
    const timer = setTimeout(() => fail(new Error(`${done} of ${total} answers after ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      reject(err);
    }
    const ended = new WeakSet<Socket>();
    function next(s: Socket): void {
      if (sent >= total) {
        ended.add(s);
        s.end();
        return;
      }
      sent++;
      s.write(request);
    }
    for (let i = 0; i < Math.min(connections, total); i++) {
      const s = connect({ port, host: '127.0.0.1', noDelay: true });
      sockets.push(s);
      let buf: Buffer = Buffer.alloc(0);
      s.on('connect', () => next(s));
      s.on('error', fail);
      s.on('close', () => {
        if (done < total && !ended.has(s)) fail(new Error('the gateway closed a connection before the run ended'));
      });
      s.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        for (let r = responseAt(buf); r !== null; r = responseAt(buf)) {
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          buf = buf.subarray(r.length);
          if (++done === total) {
            clearTimeout(timer);
            for (const x of sockets) x.destroy();
            resolve({ statuses, ms: performance.now() - started });
            return;
          }
          next(s);
        }
      });
    }
  });
}

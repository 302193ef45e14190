import { createServer, type Server, type Socket } from 'node:net';

// Test kit: an origin speaking raw bytes, for answers node:http would never send (smuggling shapes, closes at
// chosen moments). Bodiless requests only: each CRLFCRLF ends one.

export interface RawOrigin {
  server: Server;
  port: number;
  /** Sockets accepted so far, and those the client closed. */
  accepted: number;
  closed: number;
  close(): Promise<void>;
}

/** `answer` gets the socket, the request head, and the request's index on that socket (0 for the first). */
export async function startRawOrigin(answer: (s: Socket, head: string, index: number) => void): Promise<RawOrigin> {
  const sockets = new Set<Socket>();
  const o = { accepted: 0, closed: 0 } as RawOrigin;
  const server = createServer((s) => {
    o.accepted++;
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      o.closed++;
    });
    s.on('error', () => {});
    let text = '';
    let index = 0;
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      for (let end = text.indexOf('\r\n\r\n'); end >= 0; end = text.indexOf('\r\n\r\n')) {
        const head = text.slice(0, end + 4);
        text = text.slice(end + 4);
        answer(s, head, index++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  o.server = server;
  o.port = (server.address() as { port: number }).port;
  o.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return o;
}

import { type Agent, type IncomingHttpHeaders, request } from 'node:http';

// Test client over node:http, so what is checked is what a browser-like client would see on the wire.

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
  informational: { status: number; headers: NodeJS.Dict<string | string[]> }[];
}

export interface CallOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string | AsyncIterable<Buffer>;
  agent?: Agent | false;
}

export function call(port: number, o: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const informational: Answer['informational'] = [];
    const headers: Record<string, string> = { ...o.headers };
    // Node frames a DELETE/OPTIONS body only with an explicit length.
    if (typeof o.body === 'string' || Buffer.isBuffer(o.body))
      headers['content-length'] = String(Buffer.byteLength(o.body));
    const req = request(
      { host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers, agent: o.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
        res.on('end', () => {
          if (!res.complete) return reject(new Error('response incomplete'));
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            trailers: res.trailers,
            informational,
          });
        });
      },
    );
    req.on('information', (info) => informational.push({ status: info.statusCode, headers: info.headers }));
    req.on('error', reject);
    const b = o.body;
    if (b === undefined || typeof b === 'string' || Buffer.isBuffer(b)) {
      req.end(b);
      return;
    }
    void (async () => {
      try {
        for await (const chunk of b) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      } catch (err) {
        req.destroy(err as Error);
      }
    })();
  });
}

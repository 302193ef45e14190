import http from 'node:http';

// One HTTP/1.1 exchange from a chosen source address. The lab is not a hot path: clarity over speed.

export interface Exchange {
  host: string;
  port: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  localAddress?: string;
  /** A keep-alive agent (a user's browser) or undefined for one connection per request (a bot). */
  agent?: http.Agent;
  timeoutMs: number;
  /** Keep at most this many body bytes (the rest is read and discarded). */
  keepBodyBytes?: number;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function exchange(x: Exchange): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...x.headers };
    if (x.body !== undefined) headers['content-length'] = Buffer.byteLength(x.body);
    const req = http.request(
      {
        host: x.host,
        port: x.port,
        method: x.method,
        path: x.path,
        headers,
        localAddress: x.localAddress,
        agent: x.agent ?? false,
        timeout: x.timeoutMs,
      },
      (res) => {
        const keep = x.keepBodyBytes ?? 64 * 1024;
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (c: Buffer) => {
          if (kept < keep) {
            chunks.push(c);
            kept += c.length;
          }
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(x.body);
  });
}

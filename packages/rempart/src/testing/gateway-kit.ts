import { createHash } from 'node:crypto';
import {
  type Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

// Test kit for the composition root (server.ts) and the CLI: a real origin on loopback that says what reached
// it, a node:http client that can pick its source address, admin calls and a YAML config builder. Every wait
// is bounded.

export const ADMIN_TOKEN = 'server-test-token-0123456789abcdef';

/** What the origin saw of one request. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
  /** Remote port of the gateway's connection to the origin (pooled connections share one). */
  fromPort: number;
}

export interface Origin {
  readonly port: number;
  readonly url: string;
  readonly seen: Seen[];
  /** Requests being handled right now / most at once. */
  readonly inFlight: { now: number; max: number };
  close(): Promise<void>;
}

/**
 * A request whose query has `ms=N` is answered after N ms; anything else at once. Every answer is JSON
 * describing the request (method, url, headers, body size and SHA-256) with hop-by-hop headers of its own.
 */
export async function startOrigin(): Promise<Origin> {
  const seen: Seen[] = [];
  const inFlight = { now: 0, max: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    const h = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      h.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        bytes,
        sha256: h.digest('hex'),
        fromPort: req.socket.remotePort ?? 0,
      };
      seen.push(s);
      const url = new URL(req.url ?? '/', 'http://origin');
      const wait = Number(url.searchParams.get('ms') ?? 0);
      const send = () => {
        inFlight.now--;
        const body = JSON.stringify(s);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-origin': 'yes',
          // Hop-by-hop on the way back: the gateway must not pass these to the client.
          'keep-alive': 'timeout=30',
          'x-origin-hop': 'drop-me',
          connection: 'x-origin-hop',
        });
        res.end(body);
      };
      if (wait > 0) setTimeout(send, wait);
      else send();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Parses YAML the way `rempart serve` does (no environment lookups). */
export function configFrom(yaml: string, file = 'server-test.yaml'): Config {
  return parseConfig(yaml, file, {});
}

export interface BaseYamlOptions {
  /** Lines under `logging:` (default: silent). */
  logging?: string;
  /** A fixed origin concurrency limit (initial = min = max) instead of the adaptive default. */
  concurrency?: number;
  /** More listener entries after `public` (YAML list items, indented two spaces). */
  listeners?: string;
}

/** A small complete configuration: one public listener and the admin listener on port 0, logs silent. */
export function baseYaml(originUrl: string, extra = '', o: BaseYamlOptions = {}): string {
  const c = o.concurrency;
  return `listeners:
  - name: public
    host: 127.0.0.1
    port: 0
${o.listeners ?? ''}admin:
  host: 127.0.0.1
  port: 0
  token: ${ADMIN_TOKEN}
upstreams:
  - name: origin
    url: ${originUrl}
    retries: 0
    concurrency: ${c === undefined ? '{ initial: 64, min: 8, max: 256 }' : `{ initial: ${c}, min: ${c}, max: ${c} }`}
logging:
${o.logging ?? '  level: silent'}
${extra}`;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Local port of the client's socket (keep-alive checks). */
  localPort: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json(): any;
}

export interface CallOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  localAddress?: string;
  agent?: Agent | false;
  host?: string;
  timeoutMs?: number;
}

/** A gateway with one `limited` route under a per-IP limit of `burst` requests (refills in ~100 s). */
export function limitedYaml(originUrl: string, burst: number, extra = '', o: BaseYamlOptions = {}): string {
  return baseYaml(
    originUrl,
    `routes:
  - name: limited
    match: { path_prefix: /limited }
rate_limits:
  - name: per-ip
    key: [ip]
    rate: 0.01
    burst: ${burst}
    routes: [limited]
${extra}`,
    o,
  );
}

/** One HTTP/1.1 request to 127.0.0.1:port; resolves with the whole answer, rejects on socket errors. */
export function call(port: number, o: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
    const req = request(
      {
        host: o.host ?? '127.0.0.1',
        port,
        method: o.method ?? 'GET',
        path: o.path ?? '/',
        headers,
        localAddress: o.localAddress,
        agent: o.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const localPort = res.socket.localPort ?? 0;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, localPort, json: () => JSON.parse(text) });
        });
      },
    );
    req.setTimeout(o.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout: ${o.method ?? 'GET'} ${o.path}`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** An admin API call with the bearer token (token: null sends none). */
export function adminCall(
  port: number,
  method: string,
  path: string,
  o: { token?: string | null; json?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? ADMIN_TOKEN : o.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (o.json !== undefined) {
    body = JSON.stringify(o.json);
    headers['content-type'] = 'application/json';
  }
  return call(port, { method, path, headers, body });
}

/** Polls `probe` until it returns a value other than undefined; throws after `ms`. */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Value of one Prometheus sample (`name{labels}`), or undefined when absent. */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  const want = labels === '' ? name : `${name}{${labels}}`;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (sp > 0 && line.slice(0, sp) === want) return Number(line.slice(sp + 1));
  }
  return undefined;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

// The lab's own origin: poste's public paths with a configurable CPU cost per request, counting what
// reaches it. Attack traffic carries `x-lab-attack: 1` (gateways forward it), so the origin can say which
// share of the attack got through. Also run as a child process (`rempart-lab origin`) so its CPU is separate.

export interface OriginOptions {
  host?: string;
  port?: number;
  /** Busy CPU per request, ms; search costs `searchFactor` times more (the endpoint floods target). */
  cpuMs?: number;
  searchFactor?: number;
  /** Stall the whole process this many ms on request number `stallAtRequest` (CO tests). */
  stallMs?: number;
  stallAtRequest?: number;
  /** Tap mode: count, then forward everything to this origin (poste) instead of answering. */
  upstream?: { host: string; port: number };
}

export interface OriginCounters {
  legit: number;
  attack: number;
  in_flight: number;
  max_in_flight: number;
  /** Distinct peer addresses seen (bounded: stops growing at 100 000). */
  distinct_peers: number;
}

export interface LabOrigin {
  url: string;
  host: string;
  port: number;
  counters(): OriginCounters;
  close(): Promise<void>;
}

const MAX_PEERS = 100_000;

function burn(ms: number): void {
  if (ms <= 0) return;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // deliberate CPU cost: stands for rendering / database work
  }
}

export async function startLabOrigin(o: OriginOptions = {}): Promise<LabOrigin> {
  const cpuMs = o.cpuMs ?? 1;
  const searchFactor = o.searchFactor ?? 8;
  const c: OriginCounters = { legit: 0, attack: 0, in_flight: 0, max_in_flight: 0, distinct_peers: 0 };
  const peers = new Set<string>();
  let seen = 0;
  const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const server = http.createServer((req, res) => {
    seen++;
    if (req.url === '/__lab/reset') {
      // After the capacity probe: what it sent is not part of the run. In-flight requests stay counted.
      c.legit = 0;
      c.attack = 0;
      c.max_in_flight = c.in_flight;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"reset":true}');
      return;
    }
    if (req.url === '/__lab/counters') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...c, distinct_peers: peers.size }));
      return;
    }
    const peer = req.socket.remoteAddress ?? '';
    if (peers.size < MAX_PEERS) peers.add(peer);
    if (req.headers['x-lab-attack'] === '1') c.attack++;
    else c.legit++;
    c.in_flight++;
    if (c.in_flight > c.max_in_flight) c.max_in_flight = c.in_flight;
    if (o.upstream) {
      forward(req, res, o.upstream, peer, upstreamAgent, () => {
        c.in_flight--;
      });
      return;
    }
    if (o.stallMs && seen === (o.stallAtRequest ?? 1)) burn(o.stallMs);
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
    });
    req.on('end', () => {
      const url = req.url ?? '/';
      const search = url.startsWith('/boutique/recherche');
      burn(search ? cpuMs * searchFactor : cpuMs);
      c.in_flight--;
      const { status, body, headers } = answer(req.method ?? 'GET', url, req.headers, size);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
      res.end(body);
    });
    req.on('error', () => {
      c.in_flight--;
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const a = server.address() as AddressInfo;
  const host = o.host ?? '127.0.0.1';
  return {
    url: `http://${host}:${a.port}`,
    host,
    port: a.port,
    counters: () => ({ ...c, distinct_peers: peers.size }),
    close: () =>
      new Promise((resolve) => {
        upstreamAgent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Transparent for the origin: a gateway's X-Forwarded-For passes unchanged (poste reads its last entry from a
// loopback peer); without a gateway, the tap states the real peer so poste still sees each source address.
function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  to: { host: string; port: number },
  peer: string,
  agent: http.Agent,
  done: () => void,
): void {
  let finished = false;
  const finish = () => {
    if (!finished) {
      finished = true;
      done();
    }
  };
  const headers = { ...req.headers };
  if (!headers['x-forwarded-for']) headers['x-forwarded-for'] = peer.replace(/^::ffff:/, '');
  const up = http.request({ host: to.host, port: to.port, method: req.method, path: req.url, headers, agent }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.pipe(res);
    ur.on('end', finish);
    ur.on('error', finish);
  });
  up.on('error', () => {
    finish();
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":"lab tap: origin unreachable"}');
  });
  res.on('close', () => {
    finish();
    up.destroy();
  });
  req.pipe(up);
}

type Answer = { status: number; body: string; headers?: Record<string, string> };

// Plausible answers for poste's public routes; enough for journeys to follow (session cookie, idempotency).
function answer(method: string, url: string, h: http.IncomingHttpHeaders, bodyBytes: number): Answer {
  const path = url.split('?', 1)[0];
  if (path === '/healthz' || path === '/status' || path === '/status.json')
    return { status: 200, body: '{"status":"ok"}' };
  if (method === 'GET' && (path.startsWith('/suivi/') || path.startsWith('/api/parcels/')))
    return { status: 200, body: '{"events":[{"at":"2025-12-22T08:00:00Z","what":"pris en charge"}]}' };
  if (method === 'GET' && path === '/boutique/recherche') return { status: 200, body: '{"results":[],"page":1}' };
  if (method === 'POST' && path === '/api/accounts/login') {
    if (bodyBytes === 0) return { status: 400, body: '{"error":"missing credentials"}' };
    const ok = String(h['x-lab-attack'] ?? '') !== '1';
    return ok
      ? { status: 200, body: '{"ok":true}', headers: { 'set-cookie': 'session=lab-session; Path=/; HttpOnly' } }
      : { status: 401, body: '{"error":"bad credentials"}' };
  }
  if (method === 'POST' && path.startsWith('/api/payments/')) {
    return String(h.cookie ?? '').includes('session=')
      ? { status: 200, body: '{"approved":true}' }
      : { status: 401, body: '{"error":"login required"}' };
  }
  if (method === 'POST' && path === '/api/parcels') {
    return h['idempotency-key']
      ? { status: 201, body: '{"label":"LAB000000001FR"}' }
      : { status: 400, body: '{"error":"Idempotency-Key required"}' };
  }
  if (method === 'POST') return { status: 200, body: '{"ok":true}' };
  return { status: 404, body: '{"error":"not found"}' };
}

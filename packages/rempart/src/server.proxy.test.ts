import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { connect } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { TEST_TLS } from './listeners/testing/raw-client.ts';
import { DECISION_HEADER } from './pipeline/respond.ts';
import { type Gateway, startGateway } from './server.ts';
import {
  adminCall,
  baseYaml,
  call,
  configFrom,
  metricValue,
  type Origin,
  startOrigin,
  until,
} from './testing/gateway-kit.ts';

// The composition root over real sockets, as a client sees it: startGateway() with a YAML configuration in
// front of a real node:http origin, clients on distinct loopback addresses, the admin API on its own port.

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let origin: Origin;
let gw: Gateway;
let port = 0;
let tlsPort = 0;
let adminPort = 0;

/** Requests the origin saw for a path from one client address (as the gateway reported it). */
const seenFrom = (ip: string, path: string) =>
  origin.seen.filter((s) => s.url.startsWith(path) && s.headers['x-forwarded-for'] === ip).length;

before(async () => {
  origin = await startOrigin();
  const yaml = baseYaml(
    origin.url,
    `limits:
  max_body_bytes: 65536
routes:
  - name: upload
    match: { path_prefix: /upload }
    max_body_bytes: 2097152
  - name: tiny
    match: { path_prefix: /tiny }
    max_body_bytes: 1024
  - name: limited
    match: { path_prefix: /limited }
  - name: search
    match: { path_prefix: /recherche }
    class: bulk
  - name: listing
    match: { path_prefix: /liste }
    class: bulk
  - name: tracking
    match: { path_prefix: /suivi/ }
    class: critical
rate_limits:
  # Slow refill: a loaded machine cannot refill a bucket between two requests of a test.
  - name: per-ip
    key: [ip]
    rate: 0.01
    burst: 1
    routes: [limited]
  - name: search-prefix
    key: [prefix]
    rate: 0.01
    burst: 2
    routes: [search]
admission:
  retry_after_s: 9
challenge:
  # Under attack nothing is challenged here: the mode test is about shedding, the challenge has its own tests.
  classes: { under-attack: [] }
`,
  );
  const config = configFrom(yaml);
  gw = await startGateway({
    config: {
      ...config,
      listeners: [
        ...config.listeners,
        { name: 'tls', host: '127.0.0.1', port: 0, protocol: 'https', tls: TEST_TLS, proxy_protocol: false },
      ],
    },
  });
  port = gw.listeners[0].port;
  tlsPort = gw.listeners[1].port;
  adminPort = gw.admin.port;
});

after(async () => {
  await gw?.close(1_000);
  await origin?.close();
});

describe('startGateway: addresses', () => {
  it('reports each bound listener and the admin listener', () => {
    assert.deepEqual(
      gw.listeners.map((l) => [l.name, l.protocol, l.url]),
      [
        ['public', 'http', `http://127.0.0.1:${port}`],
        ['tls', 'https', `https://127.0.0.1:${tlsPort}`],
      ],
    );
    assert.ok(port > 0 && tlsPort > 0 && tlsPort !== port);
    assert.equal(gw.admin.url, `http://127.0.0.1:${adminPort}`);
  });
});

describe('proxying HTTP/1.1', () => {
  for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
    it(`${method} with a body reaches the origin intact and the answer comes back`, async () => {
      const body = method === 'GET' ? '' : `payload for ${method} ${randomBytes(8).toString('hex')}`;
      const r = await call(port, {
        method,
        path: `/echo/${method.toLowerCase()}?x=1`,
        body: body === '' ? undefined : body,
        headers: body === '' ? {} : { 'content-type': 'text/plain' },
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-origin'], 'yes');
      const seen = r.json();
      assert.equal(seen.method, method);
      assert.equal(seen.url, `/echo/${method.toLowerCase()}?x=1`);
      assert.equal(seen.bytes, Buffer.byteLength(body));
      assert.equal(seen.sha256, sha(body));
      if (body !== '') assert.equal(seen.headers['content-type'], 'text/plain');
    });
  }

  it('a 1 MB upload arrives intact when the route allows it; a smaller route limit answers 413', async () => {
    const big = randomBytes(1024 * 1024);
    const r = await call(port, { method: 'POST', path: '/upload', body: big });
    assert.equal(r.status, 200);
    assert.deepEqual([r.json().bytes, r.json().sha256], [big.length, sha(big)]);

    const before = origin.seen.length;
    const refused = await call(port, { method: 'POST', path: '/tiny', body: randomBytes(4096) });
    assert.equal(refused.status, 413);
    assert.ok(refused.headers[DECISION_HEADER]);
    assert.match(refused.text, /Contenu trop volumineux/);
    assert.equal(origin.seen.length, before, 'the refused body never reached the origin');
  });

  it('keeps the client connection and the origin connection alive across requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await call(port, { path: `/keepalive/${i}`, agent });
        assert.equal(r.status, 200);
        assert.equal(r.json().url, `/keepalive/${i}`);
        ports.push(r.localPort);
      }
      assert.equal(new Set(ports).size, 1, `one client socket for every request: ${ports}`);
      // And one origin socket: an answer relayed in full leaves the gateway's origin connection reusable.
      const originPorts = origin.seen.filter((s) => s.url.startsWith('/keepalive/')).map((s) => s.fromPort);
      assert.equal(new Set(originPorts).size, 1, `one origin socket for every request: ${originPorts}`);
    } finally {
      agent.destroy();
    }
  });

  it('the origin gets X-Forwarded-For/Proto, Forwarded, Via and a request id; forged ones are replaced', async () => {
    const r = await call(port, {
      path: '/headers',
      localAddress: '127.0.0.3',
      headers: {
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-proto': 'https',
        forwarded: 'for=6.6.6.6',
        'x-request-id': 'forged-by-client',
        'x-app': 'kept',
      },
    });
    assert.equal(r.status, 200);
    const h = r.json().headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.3');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h.forwarded, `for=127.0.0.3;proto=http;host="127.0.0.1:${port}"`);
    assert.equal(h.via, '1.1 rempart');
    assert.equal(typeof h['x-request-id'], 'string');
    assert.ok(h['x-request-id'].length >= 8);
    assert.notEqual(h['x-request-id'], 'forged-by-client');
    assert.equal(h['x-app'], 'kept');
    assert.equal(h.host, `127.0.0.1:${port}`);
  });

  it('each request gets its own request id', async () => {
    const a = (await call(port, { path: '/id/a' })).json().headers['x-request-id'];
    const b = (await call(port, { path: '/id/b' })).json().headers['x-request-id'];
    assert.notEqual(a, b);
  });

  it('strips hop-by-hop headers in both directions', async () => {
    const r = await call(port, {
      path: '/hop',
      headers: {
        connection: 'keep-alive, x-client-hop',
        'x-client-hop': 'secret',
        'keep-alive': 'timeout=99',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        te: 'trailers',
        'x-end-to-end': 'yes',
      },
    });
    assert.equal(r.status, 200);
    const h = r.json().headers;
    for (const name of ['x-client-hop', 'proxy-authorization', 'te']) assert.equal(h[name], undefined, name);
    assert.notEqual(h['keep-alive'], 'timeout=99');
    assert.equal(h['x-end-to-end'], 'yes');
    // The origin's own hop-by-hop headers stop at the gateway too.
    assert.equal(r.headers['x-origin-hop'], undefined);
    assert.notEqual(r.headers['keep-alive'], 'timeout=30');
    assert.equal(r.headers['x-origin'], 'yes');
  });
});

describe('proxying HTTP/2 over TLS to an HTTP/1.1 origin', () => {
  it('GET and POST streams on one h2 session reach the origin as HTTP/1.1', async () => {
    const session = connect(`https://127.0.0.1:${tlsPort}`, { rejectUnauthorized: false });
    try {
      const h2 = (method: string, path: string, body?: Buffer) =>
        new Promise<{ status: number; text: string; headers: Record<string, unknown> }>((resolve, reject) => {
          const s = session.request({ ':method': method, ':path': path, ...(body ? { 'content-type': 'x/y' } : {}) });
          let text = '';
          let status = 0;
          let headers: Record<string, unknown> = {};
          s.setEncoding('utf8');
          s.on('response', (h) => {
            status = Number(h[':status']);
            headers = h;
          });
          s.on('data', (d: string) => {
            text += d;
          });
          s.on('end', () => resolve({ status, text, headers }));
          s.on('error', reject);
          s.setTimeout(30_000, () => s.close());
          s.end(body);
        });
      const body = randomBytes(200_000);
      const [g, p] = await Promise.all([h2('GET', '/h2/get'), h2('POST', '/upload/h2', body)]);
      assert.equal(g.status, 200);
      assert.equal(g.headers['x-origin'], 'yes');
      const gs = JSON.parse(g.text);
      assert.equal(gs.url, '/h2/get');
      assert.equal(gs.headers['x-forwarded-proto'], 'https');
      assert.equal(gs.headers.via, '2 rempart');
      assert.equal(gs.headers.host, `127.0.0.1:${tlsPort}`);
      assert.equal(p.status, 200);
      const ps = JSON.parse(p.text);
      assert.deepEqual([ps.method, ps.bytes, ps.sha256], ['POST', body.length, sha(body)]);
    } finally {
      session.close();
    }
  });
});

describe('rate limits', () => {
  it('per IP: over the limit gets 429 with Retry-After, a decision id and a short fr/en body', async () => {
    assert.equal((await call(port, { path: '/limited/a', localAddress: '127.0.1.1' })).status, 200);
    assert.equal((await call(port, { path: '/limited/b', localAddress: '127.0.1.1' })).status, 200);
    const r = await call(port, { path: '/limited/c', localAddress: '127.0.1.1' });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers['retry-after']) >= 1, `retry-after: ${r.headers['retry-after']}`);
    const id = r.headers[DECISION_HEADER];
    assert.equal(typeof id, 'string');
    assert.match(r.text, /Trop de requêtes/);
    assert.match(r.text, /Too many requests/);
    assert.ok(r.text.includes(id as string), 'the body quotes the decision id');
    assert.ok(r.text.length < 400, `short body (${r.text.length} chars)`);
    assert.equal(seenFrom('127.0.1.1', '/limited/'), 2, 'the refused request never reached the origin');

    const other = await call(port, { path: '/limited/a', localAddress: '127.0.1.2' });
    assert.equal(other.status, 200, 'another address is not limited');
    const elsewhere = await call(port, { path: '/not-limited', localAddress: '127.0.1.1' });
    assert.equal(elsewhere.status, 200, 'the rule is scoped to its route');
  });

  it('JSON clients get the rule and the retry delay', async () => {
    await call(port, { path: '/limited', localAddress: '127.0.1.3' });
    await call(port, { path: '/limited', localAddress: '127.0.1.3' });
    const r = await call(port, {
      path: '/limited',
      localAddress: '127.0.1.3',
      headers: { accept: 'application/json' },
    });
    assert.equal(r.status, 429);
    const j = r.json();
    assert.equal(j.rule, 'ratelimit/per-ip');
    assert.equal(j.decision_id, r.headers[DECISION_HEADER]);
    assert.equal(String(j.retry_after_s), r.headers['retry-after']);
  });

  it('per /24 prefix: addresses sharing a prefix share the allowance; another prefix is unaffected', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++)
      statuses.push((await call(port, { path: `/recherche?q=${i}`, localAddress: `127.0.3.${i}` })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal((await call(port, { path: '/recherche?q=5', localAddress: '127.0.3.99' })).status, 429);
    assert.equal((await call(port, { path: '/recherche?q=z', localAddress: '127.0.4.1' })).status, 200);
  });
});

describe('admin API', () => {
  it('refuses calls without a valid token with 401', async () => {
    const none = await adminCall(adminPort, 'GET', '/api/bans', { token: null });
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    assert.equal(
      (await adminCall(adminPort, 'GET', '/api/state', { token: 'wrong-token-0123456789abcdef' })).status,
      401,
    );
    assert.equal((await adminCall(adminPort, 'GET', '/metrics', { token: null })).status, 401);
    assert.equal((await adminCall(adminPort, 'GET', '/healthz', { token: null })).status, 200);
    // The admin API is not on the public port: there the path is the origin's.
    assert.equal((await call(port, { path: '/api/bans' })).json().url, '/api/bans');
  });

  it('a ban added over the API gives that address 403 with a decision id; deleting it lifts the ban', async () => {
    assert.equal((await call(port, { path: '/ban-me', localAddress: '127.0.5.5' })).status, 200);
    const added = await adminCall(adminPort, 'POST', '/api/bans', {
      json: { target: '127.0.5.5', ttl_s: 600, reason: 'test' },
    });
    assert.equal(added.status, 201);
    assert.equal(added.json().ban.target, '127.0.5.5');

    const before = origin.seen.length;
    const r = await call(port, { path: '/ban-me', localAddress: '127.0.5.5' });
    assert.equal(r.status, 403);
    assert.ok(r.headers[DECISION_HEADER]);
    assert.match(r.text, /Accès refusé/);
    assert.match(r.text, /Access denied/);
    assert.equal(origin.seen.length, before);
    assert.equal((await call(port, { path: '/ban-me', localAddress: '127.0.5.6' })).status, 200, 'neighbour passes');

    const listed = await adminCall(adminPort, 'GET', '/api/bans');
    assert.ok(listed.json().bans.some((b: { target: string }) => b.target === '127.0.5.5'));
    const explained = await adminCall(adminPort, 'GET', `/api/decisions/${r.headers[DECISION_HEADER]}`);
    assert.equal(explained.status, 200);
    assert.deepEqual([explained.json().verdict, explained.json().status], ['block', 403]);

    const removed = await adminCall(adminPort, 'DELETE', '/api/bans/127.0.5.5');
    assert.equal(removed.status, 200);
    assert.equal((await call(port, { path: '/ban-me', localAddress: '127.0.5.5' })).status, 200);
    assert.equal((await adminCall(adminPort, 'DELETE', '/api/bans/127.0.5.5')).status, 404);
  });

  it('a /24 ban covers every address of the prefix', async () => {
    const added = await adminCall(adminPort, 'POST', '/api/bans', { json: { target: '127.0.6.0/24', ttl_s: 60 } });
    assert.equal(added.status, 201);
    assert.equal((await call(port, { path: '/p', localAddress: '127.0.6.7' })).status, 403);
    assert.equal((await call(port, { path: '/p', localAddress: '127.0.6.200' })).status, 403);
    assert.equal((await call(port, { path: '/p', localAddress: '127.0.7.1' })).status, 200);
    assert.equal((await adminCall(adminPort, 'DELETE', '/api/bans/127.0.6.0%2F24')).status, 200);
    assert.equal((await call(port, { path: '/p', localAddress: '127.0.6.7' })).status, 200);
  });

  it('GET /api/decisions/:id explains a 429', async () => {
    await call(port, { path: '/limited', localAddress: '127.0.1.9' });
    await call(port, { path: '/limited', localAddress: '127.0.1.9' });
    const r = await call(port, { path: '/limited/why', localAddress: '127.0.1.9' });
    assert.equal(r.status, 429);
    const e = await adminCall(adminPort, 'GET', `/api/decisions/${r.headers[DECISION_HEADER]}`);
    assert.equal(e.status, 200);
    const j = e.json();
    assert.equal(j.id, r.headers[DECISION_HEADER]);
    assert.equal(j.verdict, 'limit');
    assert.equal(j.status, 429);
    assert.equal(j.rule, 'ratelimit/per-ip');
    assert.equal(j.client.ip, '127.0.1.9');
    assert.deepEqual([j.request.method, j.request.path, j.request.route], ['GET', '/limited/why', 'limited']);
    assert.match(j.explanation_en, /ratelimit\/per-ip/);
    assert.ok(j.trace.some((t: { stage: string; rule: string }) => t.stage === 'ratelimit' && t.rule));
    assert.equal((await adminCall(adminPort, 'GET', '/api/decisions/no-such-id')).status, 404);
  });

  it('metrics count requests by verdict', async () => {
    const m = await adminCall(adminPort, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.text, /^rempart_http_requests_total\{.*verdict="limit".*\} \d+/m);
    assert.match(m.text, /^rempart_http_requests_total\{.*verdict="pass".*\} \d+/m);
  });
});

describe('protection mode pinned through the admin API', () => {
  it('under-attack sheds bulk with 503 + Retry-After while critical passes; normal restores bulk', async () => {
    assert.equal((await call(port, { path: '/liste?p=1', localAddress: '127.0.8.1' })).status, 200);
    const pin = await adminCall(adminPort, 'PUT', '/api/mode', { json: { mode: 'under-attack' } });
    assert.equal(pin.status, 200);
    assert.deepEqual([pin.json().mode, pin.json().pinned], ['under-attack', true]);
    const mode = (await adminCall(adminPort, 'GET', '/api/mode')).json().mode;
    assert.deepEqual([mode.mode, mode.pinned], ['under-attack', true]);
    const detect = (await adminCall(adminPort, 'GET', '/api/detect')).json();
    assert.deepEqual([detect.enabled, detect.mode, detect.pinned], [true, 'under-attack', true]);

    try {
      const before = origin.seen.length;
      const bulk = await call(port, {
        path: '/liste?p=2',
        localAddress: '127.0.8.1',
        headers: { accept: 'application/json' },
      });
      assert.equal(bulk.status, 503);
      assert.equal(bulk.headers['retry-after'], '9');
      assert.ok(bulk.headers[DECISION_HEADER]);
      assert.equal(bulk.json().rule, 'admission/mode-shed-bulk');
      assert.equal(origin.seen.length, before, 'shed bulk never reached the origin');
      const critical = await call(port, { path: '/suivi/123', localAddress: '127.0.8.1' });
      assert.equal(critical.status, 200);
      assert.equal(critical.json().url, '/suivi/123');
      const normal = await call(port, { path: '/anything', localAddress: '127.0.8.1' });
      assert.equal(normal.status, 200);
    } finally {
      const back = await adminCall(adminPort, 'PUT', '/api/mode', { json: { mode: 'normal' } });
      assert.equal(back.status, 200);
    }
    assert.equal((await adminCall(adminPort, 'GET', '/api/mode')).json().mode.mode, 'normal');
    assert.equal((await call(port, { path: '/liste?p=3', localAddress: '127.0.8.1' })).status, 200);
    const text = (await adminCall(adminPort, 'GET', '/metrics')).text;
    const transitions = (from: string, to: string) =>
      metricValue(text, 'rempart_detect_mode_transitions_total', `from="${from}",to="${to}"`);
    assert.equal(transitions('normal', 'under-attack'), 1, 'the pin is counted as a transition');
    assert.equal(transitions('under-attack', 'normal'), 1);
  });

  it('a bad mode is refused with 400 and the mode is unchanged', async () => {
    const r = await adminCall(adminPort, 'PUT', '/api/mode', { json: { mode: 'panic' } });
    assert.equal(r.status, 400);
    assert.equal((await adminCall(adminPort, 'GET', '/api/mode')).json().mode.mode, 'normal');
  });
});

describe('bounded state under a key spray', () => {
  const CAP = 1_000;
  const KEYS = 20_000;
  let sprayOrigin: Origin;
  let spray: Gateway;

  before(async () => {
    sprayOrigin = await startOrigin();
    spray = await startGateway({
      config: configFrom(
        baseYaml(
          sprayOrigin.url,
          `trusted_proxies: [127.0.0.1]
limits:
  max_requests_per_socket: 0
state:
  max_entries: ${CAP}
rate_limits:
  - name: per-ip
    key: [ip]
    rate: 100
    burst: 100
detect:
  enabled: false
`,
        ),
      ),
    });
  });

  after(async () => {
    await spray?.close(1_000);
    await sprayOrigin?.close();
  });

  it(`${KEYS} distinct client addresses from a trusted proxy keep the rate table at its cap`, async () => {
    const p = spray.listeners[0].port;
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    let next = 0;
    let ok = 0;
    const worker = async () => {
      while (next < KEYS) {
        const n = next++;
        const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        const r = await call(p, { path: '/spray', agent, headers: { 'x-forwarded-for': ip } });
        if (r.status === 200) ok++;
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, worker));
    } finally {
      agent.destroy();
    }
    assert.equal(ok, KEYS, 'every sprayed request was served');
    // The trusted proxy's header named the client: the origin saw the sprayed address, not the proxy's.
    assert.match(String(sprayOrigin.seen.at(-1)?.headers['x-forwarded-for']), /^10\.\d+\.\d+\.\d+, 127\.0\.0\.1$/);

    const m = await until(async () => {
      const r = await adminCall(spray.admin.port, 'GET', '/metrics');
      return r.status === 200 ? r.text : undefined;
    }, 'metrics');
    assert.equal(metricValue(m, 'rempart_state_table_capacity_entries', 'table="rate"'), CAP);
    const size = metricValue(m, 'rempart_state_table_entries', 'table="rate"');
    assert.equal(size, CAP, `rate table size ${size} stays at its cap`);
    const evicted = metricValue(m, 'rempart_state_table_evictions_total', 'table="rate"') ?? 0;
    assert.equal(evicted, KEYS - CAP);
    const state = (await adminCall(spray.admin.port, 'GET', '/api/state')).json();
    assert.equal(state.tables.rate.size, CAP);
  });
});

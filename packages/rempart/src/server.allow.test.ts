import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { parseConfig } from './config/load.ts';
import { TEST_TLS } from './listeners/testing/raw-client.ts';
import { DECISION_HEADER } from './pipeline/respond.ts';
import { type Gateway, startGateway } from './server.ts';
import { adminCall, baseYaml, call, metricValue, type Origin, startOrigin } from './testing/gateway-kit.ts';

// Allow-listing by credential over real sockets: a partner/monitoring token in a header (access.allow_tokens)
// and a client certificate verified by an https listener (tls.client_ca + allow_client_certs), over HTTP/1.1
// and HTTP/2. An allow-listed client is neither rate-limited nor challenged, even under a pinned under-attack
// mode; a wrong, missing or foreign credential is treated like anyone; the token header never reaches the origin.
// The client CA and certificates are made with openssl at test time (mTLS tests skip without it).

const TOKEN = `partner-${randomBytes(12).toString('hex')}`;
const HEADER = 'x-rempart-partner';

interface Pki {
  dir: string;
  ca: string;
  /** Signed by `ca`, CN monitoring-probe. */
  good: { key: Buffer; cert: Buffer };
  /** Signed by another CA, CN intruder. */
  foreign: { key: Buffer; cert: Buffer };
}

function makePki(): Pki | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'rempart-mtls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    writeFileSync(
      join(dir, 'client.ext'),
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
    );
    const issue = (ca: string, client: string, cn: string) => {
      ssl(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.pem`,
        '-days',
        '2',
        '-subj',
        `/CN=${ca}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      );
      ssl('req', ...ec, '-keyout', `${client}.key`, '-out', `${client}.csr`, '-subj', `/CN=${cn}`);
      ssl(
        'x509',
        '-req',
        '-in',
        `${client}.csr`,
        '-CA',
        `${ca}.pem`,
        '-CAkey',
        `${ca}.key`,
        '-set_serial',
        `0x${randomBytes(8).toString('hex')}`,
        '-days',
        '2',
        '-extfile',
        'client.ext',
        '-out',
        `${client}.pem`,
      );
      return { key: readFileSync(join(dir, `${client}.key`)), cert: readFileSync(join(dir, `${client}.pem`)) };
    };
    const good = issue('partner-ca', 'good', 'monitoring-probe');
    const foreign = issue('other-ca', 'foreign', 'intruder');
    return { dir, ca: join(dir, 'partner-ca.pem'), good, foreign };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

let origin: Origin;
let gw: Gateway;
let pki: Pki | undefined;
let port = 0;
let mtlsPort = 0;
let adminPort = 0;
const noPki = () => (pki === undefined ? 'openssl is not available' : false);

before(async () => {
  pki = makePki();
  origin = await startOrigin();
  const mtls = pki
    ? `  - name: partners
    host: 127.0.0.1
    port: 0
    protocol: https
    tls:
      cert: ${TEST_TLS.cert}
      key: ${TEST_TLS.key}
      client_ca: ${pki.ca}
      allow_client_certs: true
`
    : '';
  const yaml = baseYaml(
    origin.url,
    `routes:
  - name: limited
    match: { path_prefix: /limited }
  - name: listing
    match: { path_prefix: /liste }
    class: bulk
rate_limits:
  # Slow refill: a loaded machine cannot refill the bucket between two requests of a test.
  - name: per-ip
    key: [ip]
    rate: 0.01
    burst: 0
    routes: [limited]
access:
  allow_tokens:
    - { name: monitoring, header: X-Rempart-Partner, token: "env:PARTNER_TOKEN" }
`,
    { listeners: mtls },
  );
  gw = await startGateway({ config: parseConfig(yaml, 'allow-test.yaml', { PARTNER_TOKEN: TOKEN }) });
  port = gw.listeners[0].port;
  mtlsPort = gw.listeners[1]?.port ?? 0;
  adminPort = gw.admin.port;
});

after(async () => {
  await gw?.close(1_000);
  await origin?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

/** Requests the origin saw for `path`, and whether any carried the token header. */
function originSaw(path: string): { n: number; leaked: boolean } {
  const s = origin.seen.filter((x) => x.url === path);
  return { n: s.length, leaked: s.some((x) => x.headers[HEADER] !== undefined) };
}

async function withMode<T>(mode: string, f: () => Promise<T>): Promise<T> {
  const pin = await adminCall(adminPort, 'PUT', '/api/mode', { json: { mode } });
  assert.equal(pin.status, 200);
  try {
    return await f();
  } finally {
    assert.equal((await adminCall(adminPort, 'PUT', '/api/mode', { json: { mode: 'normal' } })).status, 200);
  }
}

interface Reply {
  status: number;
  id: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json(): any;
}

type Cred = { key: Buffer; cert: Buffer } | undefined;

/** One HTTP/1.1-over-TLS request to the mTLS listener, with or without a client certificate. */
function h1(path: string, cred: Cred, localAddress: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = {
      host: '127.0.0.1',
      port: mtlsPort,
      path,
      localAddress,
      agent: false,
      rejectUnauthorized: false,
      headers: { accept: 'application/json' },
      ...cred,
    };
    const req = https.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          id: res.headers[DECISION_HEADER] as string | undefined,
          json: () => JSON.parse(text),
        });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** `paths` as streams of one HTTP/2 session to the mTLS listener. */
async function h2(paths: string[], cred: Cred, localAddress: string): Promise<Reply[]> {
  const session = http2.connect(`https://127.0.0.1:${mtlsPort}`, {
    createConnection: () => {
      const o: tls.ConnectionOptions = {
        socket: net.connect({ host: '127.0.0.1', port: mtlsPort, localAddress }),
        ALPNProtocols: ['h2'],
        rejectUnauthorized: false,
      };
      if (cred !== undefined) Object.assign(o, cred);
      return tls.connect(o);
    },
  });
  try {
    const out: Reply[] = [];
    for (const path of paths) {
      out.push(
        await new Promise<Reply>((resolve, reject) => {
          const s = session.request({ ':path': path, accept: 'application/json' });
          let status = 0;
          let id: string | undefined;
          const chunks: Buffer[] = [];
          s.on('response', (h) => {
            status = Number(h[':status']);
            id = h[DECISION_HEADER] as string | undefined;
          });
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => resolve({ status, id, json: () => JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
          s.on('error', reject);
          s.setTimeout(10_000, () => s.close());
          s.end();
        }),
      );
    }
    return out;
  } finally {
    session.close();
  }
}

const withToken = (token: string) => ({ [HEADER]: token, accept: 'application/json' });

describe('partner token (access.allow_tokens)', () => {
  it('the right token is never rate-limited; without it or with a wrong one the per-IP limit applies', async () => {
    const allowed: number[] = [];
    for (let i = 0; i < 5; i++)
      allowed.push(
        (await call(port, { path: '/limited/a', headers: withToken(TOKEN), localAddress: '127.0.9.1' })).status,
      );
    assert.deepEqual(allowed, [200, 200, 200, 200, 200]);

    for (const [ip, headers] of [
      ['127.0.9.2', { accept: 'application/json' }],
      ['127.0.9.3', withToken(`${TOKEN.slice(0, -1)}x`)],
      ['127.0.9.4', withToken(TOKEN.toUpperCase())],
    ] as const) {
      assert.equal((await call(port, { path: '/limited/b', headers, localAddress: ip })).status, 200, ip);
      const r = await call(port, { path: '/limited/b', headers, localAddress: ip });
      assert.equal(r.status, 429, ip);
      assert.equal(r.json().rule, 'ratelimit/per-ip');
    }
    assert.deepEqual(originSaw('/limited/a'), { n: 5, leaked: false }, 'the token header never reaches the origin');
    assert.deepEqual(originSaw('/limited/b'), { n: 3, leaked: false }, 'nor a wrong token');
  });

  it('the right token is never challenged when under-attack is pinned; wrong or missing ones are', async () => {
    await withMode('under-attack', async () => {
      const ok = await call(port, { path: '/partner/feed', headers: withToken(TOKEN), localAddress: '127.0.9.5' });
      assert.equal(ok.status, 200);
      assert.equal(ok.json().headers[HEADER], undefined, 'the origin answer shows no token header');
      for (let i = 0; i < 3; i++)
        assert.equal(
          (await call(port, { path: '/limited/c', headers: withToken(TOKEN), localAddress: '127.0.9.5' })).status,
          200,
        );
      for (const headers of [{ accept: 'application/json' }, withToken('wrong-token-0123456789abcdef')]) {
        const r = await call(port, { path: '/partner/feed', headers, localAddress: '127.0.9.6' });
        assert.equal(r.status, 401);
        assert.match(r.json().rule, /^challenge\//);
      }
    });
    assert.deepEqual(originSaw('/partner/feed'), { n: 1, leaked: false });
    assert.deepEqual(originSaw('/limited/c'), { n: 3, leaked: false });
  });

  it('rempart_decisions_total and the explain trace name the token', async () => {
    const text = (await adminCall(adminPort, 'GET', '/metrics')).text;
    const n = metricValue(
      text,
      'rempart_decisions_total',
      'rule="access/allow-token:monitoring",kind="pass",dry_run="false"',
    );
    assert.ok(n !== undefined && n >= 9, `allow-token counted: ${n}`);
    // An allow-listed request still meets admission: under-attack sheds bulk for everyone (capacity, not trust).
    const shed = await withMode('under-attack', () =>
      call(port, { path: '/liste?p=1', headers: withToken(TOKEN), localAddress: '127.0.9.7' }),
    );
    assert.equal(shed.status, 503);
    const why = (await adminCall(adminPort, 'GET', `/api/decisions/${shed.headers[DECISION_HEADER]}`)).json();
    const access = why.trace.find((t: { stage: string }) => t.stage === 'access');
    assert.equal(access.rule, 'access/allow-token:monitoring');
  });
});

describe('client certificates (tls.client_ca + allow_client_certs)', () => {
  it('HTTP/1.1: a certificate from client_ca passes limits and challenges; none or a foreign one does not', {
    skip: noPki(),
  }, async () => {
    const p = pki as Pki;
    const good: number[] = [];
    for (let i = 0; i < 4; i++) good.push((await h1('/limited/m1', p.good, '127.0.10.1')).status);
    assert.deepEqual(good, [200, 200, 200, 200]);
    for (const [cred, ip] of [
      [undefined, '127.0.10.2'],
      [p.foreign, '127.0.10.3'],
    ] as const) {
      assert.equal((await h1('/limited/m1', cred, ip)).status, 200, `${ip}: connects and is served once`);
      const r = await h1('/limited/m1', cred, ip);
      assert.deepEqual([r.status, r.json().rule], [429, 'ratelimit/per-ip'], ip);
    }
    await withMode('under-attack', async () => {
      assert.equal((await h1('/m/feed', p.good, '127.0.10.1')).status, 200);
      for (const cred of [undefined, p.foreign]) {
        const r = await h1('/m/feed', cred, '127.0.10.4');
        assert.equal(r.status, 401);
        assert.match(r.json().rule, /^challenge\//);
      }
    });
  });

  it('HTTP/2: the same, per session', { skip: noPki() }, async () => {
    const p = pki as Pki;
    await withMode('under-attack', async () => {
      const good = await h2(['/m2/feed', '/limited/m2', '/limited/m2', '/limited/m2'], p.good, '127.0.10.5');
      assert.deepEqual(
        good.map((r) => r.status),
        [200, 200, 200, 200],
      );
      for (const cred of [undefined, p.foreign]) {
        const [r] = await h2(['/m2/feed'], cred, '127.0.10.6');
        assert.equal(r.status, 401);
        assert.match(r.json().rule, /^challenge\//);
      }
    });
    const limited = await h2(['/limited/m3', '/limited/m3'], undefined, '127.0.10.7');
    assert.deepEqual(
      limited.map((r) => r.status),
      [200, 429],
      'no certificate: the per-IP limit applies',
    );
    assert.equal(origin.seen.find((x) => x.url === '/limited/m3')?.headers['x-forwarded-for'], '127.0.10.7');
  });

  it('the explain trace names the listener and the certificate subject; the metric counts it', {
    skip: noPki(),
  }, async () => {
    const p = pki as Pki;
    const shed = await withMode('under-attack', () => h1('/liste?p=2', p.good, '127.0.10.8'));
    assert.equal(shed.status, 503);
    const why = (await adminCall(adminPort, 'GET', `/api/decisions/${shed.id}`)).json();
    const access = why.trace.find((t: { stage: string }) => t.stage === 'access');
    assert.deepEqual([access.rule, access.detail], ['access/allow-mtls:partners', 'cn=monitoring-probe']);
    const text = (await adminCall(adminPort, 'GET', '/metrics')).text;
    assert.ok(
      (metricValue(text, 'rempart_decisions_total', 'rule="access/allow-mtls:partners",kind="pass",dry_run="false"') ??
        0) >= 8,
    );
  });
});

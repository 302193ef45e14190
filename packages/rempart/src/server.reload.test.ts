import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { Config } from './config/schema.ts';
import { RempartError } from './core/errors.ts';
import { encodeProxyV2 } from './listeners/proxy-protocol.ts';
import { rawExchange } from './listeners/testing/raw-client.ts';
import { DECISION_HEADER } from './pipeline/respond.ts';
import { type Gateway, startGateway } from './server.ts';
import {
  ADMIN_TOKEN,
  adminCall,
  baseYaml,
  call,
  configFrom,
  limitedYaml,
  type Origin,
  startOrigin,
} from './testing/gateway-kit.ts';

// startGateway().reload() and admission, over real sockets: a good configuration takes effect on the next
// request; one that needs a restart (or cannot be compiled) is refused and the running one keeps serving.

const origins: Origin[] = [];
const gateways: Gateway[] = [];

async function origin(): Promise<Origin> {
  const o = await startOrigin();
  origins.push(o);
  return o;
}

async function gateway(config: Config): Promise<Gateway> {
  const g = await startGateway({ config });
  gateways.push(g);
  return g;
}

afterEach(async () => {
  for (const g of gateways.splice(0)) await g.close(1_000);
});
after(async () => {
  for (const o of origins.splice(0)) await o.close();
});

const statuses = async (port: number, from: string, n: number, path = '/limited') => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(port, { path, localAddress: from })).status);
  return out;
};

describe('reload(config)', () => {
  it('a changed limit takes effect on the next request, both ways', async () => {
    const o = await origin();
    const gw = await gateway(configFrom(limitedYaml(o.url, 1)));
    const port = gw.listeners[0].port;
    assert.deepEqual(await statuses(port, '127.0.10.1', 3), [200, 200, 429]);

    gw.reload(configFrom(limitedYaml(o.url, 10)));
    assert.deepEqual(await statuses(port, '127.0.10.1', 2), [200, 200], 'the limited client passes again at once');
    const running = (await adminCall(gw.admin.port, 'GET', '/api/config')).json();
    assert.equal(running.rate_limits[0].burst, 10);

    gw.reload(configFrom(limitedYaml(o.url, 0)));
    assert.deepEqual(await statuses(port, '127.0.10.2', 2), [200, 429], 'a stricter limit applies at once');
  });

  it('changing listeners, state or the admin port is refused with a clear error; the running config keeps serving', async () => {
    const o = await origin();
    const good = configFrom(limitedYaml(o.url, 1));
    const gw = await gateway(good);
    const port = gw.listeners[0].port;
    const refused = (next: Config, what: RegExp) =>
      assert.throws(
        () => gw.reload(next),
        (e: unknown) => {
          assert.ok(e instanceof RempartError);
          assert.equal(e.code, 'REMPART_RELOAD_NEEDS_RESTART');
          assert.match(e.message, what);
          assert.match(e.message, /restart/);
          return true;
        },
      );
    const looser = configFrom(limitedYaml(o.url, 50));
    refused({ ...looser, listeners: [{ ...looser.listeners[0], port: port + 1 }] }, /listeners/);
    refused({ ...looser, listeners: [...looser.listeners, { ...looser.listeners[0], name: 'second' }] }, /listeners/);
    refused({ ...looser, state: { ...looser.state, max_entries: 10 } }, /state/);
    refused({ ...looser, admin: { ...looser.admin, port: gw.admin.port + 1 } }, /admin\.host\/port/);

    // None of the refused configs applied (their burst of 50 would let these through).
    assert.deepEqual(await statuses(port, '127.0.10.3', 3), [200, 200, 429]);
    assert.equal((await adminCall(gw.admin.port, 'GET', '/api/config')).json().rate_limits[0].burst, 1);
  });

  it('a configuration that cannot be compiled is refused and nothing of it applies', async () => {
    const o = await origin();
    const gw = await gateway(configFrom(limitedYaml(o.url, 1)));
    const port = gw.listeners[0].port;
    const next = configFrom(limitedYaml(o.url, 50));
    // Only a hand-made Config (not through the loader, which would refuse it) can carry a broken regex.
    const broken: Config = {
      ...next,
      routes: [...next.routes, { name: 'broken', match: { path_regex: '([' }, class: 'normal' }],
    };
    assert.throws(() => gw.reload(broken), SyntaxError);
    assert.deepEqual(await statuses(port, '127.0.10.4', 3), [200, 200, 429]);
    assert.equal((await adminCall(gw.admin.port, 'GET', '/api/config')).json().routes.length, 1);
  });

  it('a new upstream URL and a rotated admin token apply on reload', async () => {
    const a = await origin();
    const b = await origin();
    const gw = await gateway(configFrom(limitedYaml(a.url, 1)));
    const port = gw.listeners[0].port;
    assert.equal((await call(port, { path: '/which' })).status, 200);
    assert.equal(a.seen.at(-1)?.url, '/which');

    const next = configFrom(limitedYaml(b.url, 1));
    const rotated = 'rotated-admin-token-0123456789abcdef';
    gw.reload({ ...next, admin: { ...next.admin, token: rotated } });
    const before = a.seen.length;
    assert.equal((await call(port, { path: '/which/now' })).status, 200);
    assert.equal(b.seen.at(-1)?.url, '/which/now');
    assert.equal(a.seen.length, before, 'the old origin gets nothing new');

    assert.equal((await adminCall(gw.admin.port, 'GET', '/api/state', { token: ADMIN_TOKEN })).status, 401);
    assert.equal((await adminCall(gw.admin.port, 'GET', '/api/state', { token: rotated })).status, 200);
  });

  it('trusted_proxies changes apply to PROXY protocol connections of a running listener', async () => {
    const o = await origin();
    const yaml = (trusted: string) =>
      baseYaml(o.url, `trusted_proxies: [${trusted}]\n`).replace(
        '    port: 0\n',
        '    port: 0\n  - name: lb\n    host: 127.0.0.1\n    port: 0\n    proxy_protocol: true\n',
      );
    const gw = await gateway(configFrom(yaml('127.0.0.2')));
    const lb = gw.listeners.find((l) => l.name === 'lb');
    assert.ok(lb);
    const viaLb = (from: string) =>
      rawExchange(
        lb.port,
        [
          Buffer.concat([
            encodeProxyV2({ ip: '198.51.100.23', port: 5555 }),
            Buffer.from('GET /lb HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
          ]),
        ],
        { localAddress: from },
      );

    const trustedHop = await viaLb('127.0.0.2');
    assert.equal(trustedHop.status, 200);
    assert.equal(o.seen.at(-1)?.headers['x-forwarded-for'], '198.51.100.23', 'the client named by the balancer');
    const stranger = await viaLb('127.0.0.5');
    assert.deepEqual([stranger.status, stranger.closed], [undefined, true], 'an untrusted peer is cut');

    // The operator swaps balancers: the new one is trusted, the old one no longer.
    gw.reload(configFrom(yaml('127.0.0.5')));
    const swapped = await viaLb('127.0.0.5');
    assert.equal(swapped.status, 200, 'the newly trusted balancer is accepted');
    const old = await viaLb('127.0.0.2');
    assert.deepEqual([old.status, old.closed], [undefined, true], 'the balancer removed from trust is cut');
  });
  it('a mode pinned through the admin API survives a reload that retunes detection', async () => {
    const o = await origin();
    const yaml = (detect: string) =>
      baseYaml(
        o.url,
        `routes:
  - name: listing
    match: { path_prefix: /liste }
    class: bulk
challenge:
  classes: { under-attack: [] }
detect:
${detect}
`,
      );
    const gw = await gateway(configFrom(yaml('  min_rps: 50')));
    const port = gw.listeners[0].port;
    const mode = async () => (await adminCall(gw.admin.port, 'GET', '/api/mode')).json().mode;
    assert.equal((await adminCall(gw.admin.port, 'PUT', '/api/mode', { json: { mode: 'under-attack' } })).status, 200);
    assert.equal((await call(port, { path: '/liste' })).status, 503);

    gw.reload(configFrom(yaml('  min_rps: 80')));
    assert.deepEqual([(await mode()).mode, (await mode()).pinned], ['under-attack', true]);
    assert.equal((await call(port, { path: '/liste' })).status, 503, 'bulk is still shed');

    // A file that pins a mode itself decides.
    gw.reload(configFrom(yaml('  min_rps: 80\n  pin: normal')));
    assert.deepEqual([(await mode()).mode, (await mode()).pinned], ['normal', true]);
    assert.equal((await call(port, { path: '/liste' })).status, 200);
  });
});

describe('admission through the gateway', () => {
  it('an overloaded slow origin: bulk is shed with 503 + Retry-After before critical, which all succeed', async () => {
    const o = await origin();
    const QUEUE = 6;
    const gw = await gateway(
      configFrom(
        baseYaml(
          o.url,
          `routes:
  - name: search
    match: { path_prefix: /recherche }
    class: bulk
  - name: tracking
    match: { path_prefix: /suivi/ }
    class: critical
admission:
  queue_size: ${QUEUE}
  # Generous deadlines: on a loaded machine shedding must still come from the full queue, not from time.
  deadline_ms: { critical: 30000, normal: 30000, bulk: 30000, static: 30000 }
  retry_after_s: 7
detect:
  enabled: false
`,
          { concurrency: 2 },
        ),
      ),
    );
    const port = gw.listeners[0].port;
    type Got = { cls: string; status: number; retryAfter?: string; rule?: string };
    const get = (cls: 'bulk' | 'critical', i: number): Promise<Got> =>
      call(port, {
        path: cls === 'bulk' ? `/recherche?ms=400&q=${i}` : `/suivi/${i}`,
        headers: { accept: 'application/json' },
        timeoutMs: 60_000,
      }).then((r) => ({
        cls,
        status: r.status,
        retryAfter: r.headers['retry-after'] as string | undefined,
        rule: r.status === 200 ? undefined : r.json().rule,
      }));
    // The slow route is the bulk one; critical is fast but has to wait for a slot like everyone.
    const flood: Promise<Got>[] = [];
    for (let i = 0; i < 16; i++) flood.push(get('bulk', i));
    // Bulk fills both origin slots and the queue before critical arrives.
    const end = Date.now() + 10_000;
    for (;;) {
      const st = (await adminCall(gw.admin.port, 'GET', '/api/state')).json().admission[0];
      if (st.inFlight === 2 && st.queued.bulk === QUEUE) break;
      assert.ok(Date.now() < end, `bulk never filled the queue: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 4; i++) flood.push(get('critical', i));
    const results = await Promise.all(flood);

    const count = (cls: string, status: number) => results.filter((r) => r.cls === cls && r.status === status).length;
    assert.equal(count('critical', 200), 4, `every critical request succeeds: ${JSON.stringify(results)}`);
    assert.ok(count('bulk', 503) >= 16 - 2 - QUEUE, `bulk shed: ${count('bulk', 503)}`);
    assert.equal(count('bulk', 200) + count('bulk', 503), 16);
    for (const r of results.filter((x) => x.status === 503)) {
      assert.equal(r.retryAfter, '7');
      assert.equal(r.rule, 'admission/shed-bulk');
    }
    assert.ok(o.inFlight.max <= 2, `origin concurrency ${o.inFlight.max} stayed within the limit`);
    const st = (await adminCall(gw.admin.port, 'GET', '/api/state')).json().admission[0];
    assert.equal(st.shed.critical, 0);
    assert.equal(st.shed.bulk, count('bulk', 503));
    assert.equal(st.inFlight, 0, 'every slot was given back');
  });

  it('a shed answer carries a decision id the admin API explains', async () => {
    const o = await origin();
    const gw = await gateway(
      configFrom(
        baseYaml(
          o.url,
          `routes:
  - name: search
    match: { path_prefix: /recherche }
    class: bulk
admission:
  queue_size: 1
  deadline_ms: { critical: 30000, normal: 30000, bulk: 30000, static: 30000 }
detect:
  enabled: false
`,
          { concurrency: 1 },
        ),
      ),
    );
    const port = gw.listeners[0].port;
    // A slow request holds the only origin slot, a bulk one waits in the one-place queue: the next bulk is shed.
    const slow = call(port, { path: '/slow?ms=800' }); // class normal: it holds the slot
    const queued = call(port, { path: '/recherche/q' });
    const end = Date.now() + 10_000;
    for (;;) {
      const st = (await adminCall(gw.admin.port, 'GET', '/api/state')).json().admission[0];
      if (st.inFlight === 1 && st.queued.bulk === 1) break;
      assert.ok(Date.now() < end, `queue never filled: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const shed = await call(port, { path: '/recherche/shed' });
    assert.equal(shed.status, 503);
    assert.equal(shed.headers['retry-after'], '5');
    assert.match(shed.text, /Service momentanément surchargé/);
    assert.match(shed.text, /Service temporarily overloaded/);
    const id = shed.headers[DECISION_HEADER] as string;
    const e = (await adminCall(gw.admin.port, 'GET', `/api/decisions/${id}`)).json();
    assert.deepEqual([e.verdict, e.status, e.rule, e.request.class], ['limit', 503, 'admission/shed-bulk', 'bulk']);
    assert.equal((await slow).status, 200);
    assert.equal((await queued).status, 200);
  });
});

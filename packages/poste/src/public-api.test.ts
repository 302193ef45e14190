// End to end over real HTTP: tracking, idempotent parcel writes, search, accounts, bad input.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, lastSmsCode, type Reply, startTestPoste } from './poste-test-kit.ts';
import type { Poste } from './server.ts';
import { demo, seedTrackingNumber } from './store/seed.ts';
import { makeTrackingNumber } from './tracking-number.ts';

let poste: Poste;
let base: string;
before(async () => {
  poste = await startTestPoste({ loginThrottle: { maxFailures: 8, windowMs: 60_000 } });
  base = poste.url;
});
after(() => poste.close());

test('tracking: a seeded parcel has events; page and JSON agree', async () => {
  const id = seedTrackingNumber(42);
  const r = await call(base, 'GET', `/api/parcels/${id}/events`);
  assert.equal(r.status, 200);
  assert.equal(r.body.trackingNumber, id);
  assert.ok(r.body.events.length >= 1);
  const page = await call(base, 'GET', `/suivi/${id}?lang=en`);
  assert.equal(page.status, 200);
  assert.match(page.body, new RegExp(id));
  assert.match(page.body, /Posted/);
});

test('tracking: malformed → 400, wrong check digit → 400, unknown valid → 404', async () => {
  const cases: Array<[string, number, string]> = [
    ['/api/parcels/not-a-number/events', 400, 'tracking-number-shape'],
    ['/api/parcels/LA100000004FR/events', 400, 'tracking-number-check-digit'],
    [`/api/parcels/${makeTrackingNumber('LA', 99_999_999)}/events`, 404, 'parcel-not-found'],
  ];
  for (const [path, status, code] of cases) {
    const r = await call(base, 'GET', path);
    assert.equal(r.status, status, path);
    assert.equal(r.body.error, code, path);
    assert.ok(r.body.fr && r.body.en && r.body.requestId, 'bilingual body with id');
  }
});

test('sending a parcel: retries with the same key give one parcel; another body → 422', async () => {
  const body = { fromZip: '75001', toZip: '13001', weightG: 1200, service: 'express' };
  const key = 'send-retry-0001';
  const replies = await Promise.all(
    Array.from({ length: 6 }, () => call(base, 'POST', '/api/parcels', body, { 'idempotency-key': key })),
  );
  const ids = new Set(replies.map((r) => r.body.trackingNumber));
  assert.deepEqual(
    replies.map((r) => r.status),
    [201, 201, 201, 201, 201, 201],
  );
  assert.equal(ids.size, 1, 'one parcel');
  const [id] = ids;
  const n = await poste.db.get<{ n: number }>(
    "SELECT COUNT(*) AS n FROM parcels WHERE from_zip = '75001' AND to_zip = '13001' AND weight_g = 1200",
  );
  assert.equal(Number(n?.n), 1);
  const track = await call(base, 'GET', `/api/parcels/${id}/events`);
  assert.equal(track.status, 200, 'new parcel is trackable');
  const misuse = await call(base, 'POST', '/api/parcels', { ...body, weightG: 1300 }, { 'idempotency-key': key });
  assert.equal(misuse.status, 422);
  assert.equal(misuse.body.error, 'idempotency-key-reused');
  const pickup = await call(
    base,
    'POST',
    `/api/parcels/${id}/pickup`,
    { day: '2026-12-24', address: '1 rue de Rivoli, Paris' },
    { 'idempotency-key': 'pickup-0001' },
  );
  const again = await call(
    base,
    'POST',
    `/api/parcels/${id}/pickup`,
    { day: '2026-12-24', address: '1 rue de Rivoli, Paris' },
    { 'idempotency-key': 'pickup-0001' },
  );
  assert.equal(pickup.status, 201);
  assert.deepEqual(again.body, pickup.body);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
});

test('bad input on writes → clear 4xx', async () => {
  const ok = { fromZip: '75001', toZip: '13001', weightG: 100 };
  const cases: Array<[string, () => Promise<Reply>, number, string]> = [
    ['no idempotency key', () => call(base, 'POST', '/api/parcels', ok), 400, 'idempotency-key-required'],
    [
      'not JSON',
      () => call(base, 'POST', '/api/parcels', '{oops', { 'idempotency-key': 'bad-input-1' }),
      400,
      'bad-json',
    ],
    [
      'wrong field',
      () => call(base, 'POST', '/api/parcels', { ...ok, toZip: 'ABCDE' }, { 'idempotency-key': 'bad-input-2' }),
      400,
      'invalid-field',
    ],
    [
      'unknown field',
      () => call(base, 'POST', '/api/parcels', { ...ok, admin: true }, { 'idempotency-key': 'bad-input-3' }),
      400,
      'invalid-field',
    ],
    [
      'too heavy',
      () => call(base, 'POST', '/api/parcels', { ...ok, weightG: 99_999 }, { 'idempotency-key': 'bad-input-4' }),
      400,
      'invalid-field',
    ],
    [
      'huge body',
      () =>
        call(base, 'POST', '/api/parcels', JSON.stringify({ pad: 'x'.repeat(70_000) }), {
          'idempotency-key': 'bad-input-5',
        }),
      413,
      'body-too-large',
    ],
    [
      'form body',
      () =>
        call(base, 'POST', '/api/parcels', undefined, {
          'idempotency-key': 'bad-input-6',
          'content-type': 'text/plain',
        }),
      415,
      'json-required',
    ],
    ['wrong method', () => call(base, 'DELETE', '/api/parcels'), 405, 'method-not-allowed'],
    ['unknown path', () => call(base, 'GET', '/nope'), 404, 'not-found'],
  ];
  for (const [name, run, status, code] of cases) {
    const r = await run();
    assert.equal(r.status, status, name);
    assert.equal(r.body.error, code, name);
  }
});

test('search: paginated, bounded, and 400 on bad parameters', async () => {
  const p1 = await call(base, 'GET', '/api/boutique/recherche?q=colis');
  const p2 = await call(base, 'GET', '/api/boutique/recherche?q=colis&page=2');
  assert.equal(p1.status, 200);
  assert.ok(p1.body.total > 20, 'enough hits to paginate');
  assert.equal(p1.body.items.length, 20);
  const overlap = p1.body.items.filter((a: { id: number }) => p2.body.items.some((b: { id: number }) => b.id === a.id));
  assert.equal(overlap.length, 0, 'pages do not overlap');
  for (const q of ['q=a', `q=${'x'.repeat(65)}`, 'q=colis&page=0', 'q=colis&page=51', 'q=colis&page=abc']) {
    assert.equal((await call(base, 'GET', `/api/boutique/recherche?${q}`)).status, 400, q);
  }
  const wildcard = await call(base, 'GET', '/api/boutique/recherche?q=%25%25');
  assert.equal(wildcard.body.total, 0, '% is searched literally, not as a wildcard');
  const html = await call(base, 'GET', '/boutique/recherche?q=colis');
  assert.match(html.body, /Boutique/);
});

test('accounts: register, login with session, wrong password → 401, lock-out after 5, unlock by SMS code, audit', async () => {
  const email = 'alice@example.org';
  const phone = '+33611111111';
  assert.equal(
    (await call(base, 'POST', '/api/accounts', { email, password: 'correct horse battery', phone })).status,
    201,
  );
  assert.equal(
    (await call(base, 'POST', '/api/accounts', { email, password: 'correct horse battery', phone })).status,
    409,
  );
  const ok = await call(base, 'POST', '/api/accounts/login', { email, password: 'correct horse battery' });
  assert.equal(ok.status, 200);
  const cookie = ok.headers.get('set-cookie')?.split(';')[0] ?? '';
  const me = await call(base, 'GET', '/api/accounts/me', undefined, { cookie });
  assert.equal(me.status, 200);
  assert.equal(me.body.recentLogins[0].outcome, 'ok');
  assert.equal((await call(base, 'GET', '/api/accounts/me')).status, 401);

  for (let i = 0; i < 5; i++) {
    const r = await call(
      base,
      'POST',
      '/api/accounts/login',
      { email, password: `wrong-${i}` },
      { 'x-forwarded-for': `198.51.100.${i}` },
    );
    assert.equal(r.status, 401, `failure ${i}`);
  }
  const locked = await call(
    base,
    'POST',
    '/api/accounts/login',
    { email, password: 'correct horse battery' },
    { 'x-forwarded-for': '198.51.100.77' },
  );
  assert.equal(locked.status, 423, 'right password refused while locked');
  const req = await call(base, 'POST', '/api/accounts/unlock/request', { email });
  assert.equal(req.status, 202);
  const ghost = await call(base, 'POST', '/api/accounts/unlock/request', { email: 'nobody@example.org' });
  assert.equal(ghost.status, 202, 'same answer for unknown accounts');
  const code = await lastSmsCode(base, phone, 'unlock');
  assert.ok(code);
  assert.equal(
    (await call(base, 'POST', '/api/accounts/unlock', { email, code: code === '000000' ? '000001' : '000000' })).status,
    400,
  );
  assert.equal((await call(base, 'POST', '/api/accounts/unlock', { email, code })).status, 200);
  assert.equal(
    (
      await call(
        base,
        'POST',
        '/api/accounts/login',
        { email, password: 'correct horse battery' },
        { 'x-forwarded-for': '198.51.100.78' },
      )
    ).status,
    200,
  );
  const audit = await poste.db.all<{ outcome: string }>('SELECT outcome FROM login_audit WHERE email = ? ORDER BY id', [
    email,
  ]);
  assert.deepEqual(
    audit.map((a) => a.outcome),
    [
      'ok',
      'bad-password',
      'bad-password',
      'bad-password',
      'bad-password',
      'bad-password',
      'locked-right-password',
      'unlocked',
      'ok',
    ],
  );
});

test('accounts: a /24 that keeps failing is throttled with 429 before any password hash', async () => {
  let first429 = -1;
  for (let i = 0; i < 12; i++) {
    const r = await call(
      base,
      'POST',
      '/api/accounts/login',
      { email: `stuffed${i}@example.org`, password: 'hunter2' },
      { 'x-forwarded-for': `203.0.113.${i}` },
    );
    if (r.status === 429) {
      first429 = i;
      assert.ok(Number(r.headers.get('retry-after')) > 0);
      break;
    }
    assert.equal(r.status, 401);
  }
  assert.equal(first429, 8, 'throttled after maxFailures=8');
  const other = await call(
    base,
    'POST',
    '/api/accounts/login',
    { email: demo.email, password: demo.password },
    { 'x-forwarded-for': '192.0.2.10' },
  );
  assert.equal(other.status, 200, 'other networks unaffected');
});

test('status page, status.json and healthz report load', async () => {
  const s = await call(base, 'GET', '/status.json');
  assert.equal(s.status, 200);
  assert.equal(s.body.status, 'ok');
  assert.ok(s.headers.get('cache-control')?.includes('max-age'));
  const h = await call(base, 'GET', '/healthz');
  assert.equal(h.status, 200);
  assert.equal(typeof h.body.inFlight, 'number');
  assert.ok(h.body.p99Ms > 0, 'latency measured over recent requests');
  const page = await call(base, 'GET', '/status');
  assert.match(page.body, /État du service/);
});

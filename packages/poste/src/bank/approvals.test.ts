// Payment approvals over real HTTP and a real SSE push stream.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  appDecision,
  call,
  createPayment,
  eventually,
  lastSmsCode,
  merchantHeaders,
  openAppStream,
  startTestPoste,
} from '../poste-test-kit.ts';
import type { Poste } from '../server.ts';
import { demo } from '../store/seed.ts';
import { verifyLedger } from '../store/verify-ledger.ts';

let poste: Poste;
let base: string;
before(async () => {
  poste = await startTestPoste({ approvals: { pushTimeoutMs: 400, sweepMs: 100 } });
  base = poste.url;
});
after(() => poste.close());

async function balance(id: string): Promise<number> {
  return Number(
    (await poste.db.get<{ balance: number }>('SELECT balance FROM bank_accounts WHERE id = ?', [id]))?.balance,
  );
}

test('approval via push: the app receives the request on its stream and approves with a signed request', async () => {
  const stream = await openAppStream(base);
  try {
    const before = await balance(demo.accountId);
    const created = await createPayment(base, 1999, 'push-approve-1');
    assert.equal(created.status, 201);
    assert.equal(created.body.channel, 'push');
    const event = await stream.next();
    assert.equal(event.id, created.body.id);
    assert.equal(event.amount, 1999);
    const r = await appDecision(base, event.id, 'approve');
    assert.equal(r.status, 200);
    assert.equal(r.body.outcome, 'approved');
    assert.equal(r.body.approvedVia, 'push');
    assert.equal(await balance(demo.accountId), before - 1999);
    const seen = await call(base, 'GET', `/api/payments/${event.id}`, undefined, merchantHeaders);
    assert.equal(seen.body.state, 'approved');
  } finally {
    stream.close();
  }
});

test('a forged or stale device signature cannot approve', async () => {
  const created = await createPayment(base, 500, 'forged-1');
  const r = await call(
    base,
    'POST',
    `/api/app/payments/${created.body.id}/decision`,
    { decision: 'approve' },
    {
      'x-device-id': demo.deviceId,
      'x-timestamp': String(Date.now()),
      'x-signature': '00'.repeat(32),
    },
  );
  assert.equal(r.status, 401);
  const noMerchant = await call(
    base,
    'POST',
    '/api/payments',
    { accountId: demo.accountId, amountCents: 1 },
    { 'idempotency-key': 'no-merchant-1' },
  );
  assert.equal(noMerchant.status, 401);
});

test('app disconnected → immediate SMS fallback; the code approves once', async () => {
  // The previous test's stream is closed client-side; wait until the server has seen it go.
  await eventually(async () =>
    (await call(base, 'GET', '/status.json')).body.components.pushChannel === '0 streams' ? true : undefined,
  );
  const created = await createPayment(base, 750, 'sms-fallback-1');
  assert.equal(created.status, 201);
  assert.equal(created.body.channel, 'sms');
  assert.equal(created.body.state, 'pending_sms');
  const code = await lastSmsCode(base, demo.phone, `payment:${created.body.id}`);
  assert.ok(code, 'code in the outbox');
  const wrong = await call(base, 'POST', `/api/payments/${created.body.id}/otp`, {
    code: code === '111111' ? '222222' : '111111',
  });
  assert.equal(wrong.status, 400);
  const ok = await call(base, 'POST', `/api/payments/${created.body.id}/otp`, { code });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.outcome, 'approved');
  assert.equal(ok.body.approvedVia, 'sms');
  const again = await call(base, 'POST', `/api/payments/${created.body.id}/otp`, { code });
  assert.equal(again.body.outcome, 'already');
});

test('app connected but silent → SMS fallback after the push timeout', async () => {
  const stream = await openAppStream(base);
  try {
    const created = await createPayment(base, 321, 'slow-app-1');
    assert.equal(created.body.channel, 'push');
    await stream.next(); // the app got it but never answers
    const p = await eventually(async () => {
      const r = await call(base, 'GET', `/api/payments/${created.body.id}`, undefined, merchantHeaders);
      return r.body.state === 'pending_sms' ? r.body : undefined;
    });
    assert.equal(p.state, 'pending_sms');
    assert.ok(await lastSmsCode(base, demo.phone, `payment:${created.body.id}`));
    const transitions = await poste.db.all<{ to_state: string; reason: string }>(
      'SELECT to_state, reason FROM payment_transitions WHERE payment_id = ? ORDER BY id',
      [created.body.id],
    );
    assert.deepEqual(
      transitions.map((t) => `${t.to_state}:${t.reason}`),
      ['pending_push:created', 'pending_sms:push-timeout'],
    );
  } finally {
    stream.close();
  }
});

test('concurrent duplicate approvals (push + SMS, retried) → exactly one approval and one debit', async () => {
  const before = await balance(demo.accountId);
  const created = await createPayment(base, 1234, 'race-0001');
  // Whether by push failure or push timeout, an SMS code arrives; then push and SMS race each other.
  const code = await eventually(() => lastSmsCode(base, demo.phone, `payment:${created.body.id}`));
  const attempts = await Promise.all([
    ...Array.from({ length: 6 }, () => appDecision(base, created.body.id, 'approve')),
    ...Array.from({ length: 6 }, () => call(base, 'POST', `/api/payments/${created.body.id}/otp`, { code })),
  ]);
  const outcomes = attempts.map((a) => a.body.outcome);
  assert.equal(outcomes.filter((o) => o === 'approved').length, 1, outcomes.join(','));
  assert.equal(outcomes.filter((o) => o === 'already').length, 11);
  assert.equal(await balance(demo.accountId), before - 1234);
  const retried = await createPayment(base, 1234, 'race-0001');
  assert.equal(retried.body.id, created.body.id, 'merchant retry returns the same payment');
  const v = await verifyLedger(poste.db);
  assert.deepEqual(v.violations, []);
});

test('insufficient funds → declined, nothing booked', async () => {
  const created = await createPayment(base, 1_000_000, 'too-big-1');
  const code = await lastSmsCode(base, demo.phone, `payment:${created.body.id}`);
  const r = await call(base, 'POST', `/api/payments/${created.body.id}/otp`, { code });
  assert.equal(r.body.outcome, 'declined');
  assert.equal((await verifyLedger(poste.db)).ok, true);
});

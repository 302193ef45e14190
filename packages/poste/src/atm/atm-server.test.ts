// The shop/ATM listener: separate port, every request signed, idempotent by authorisation id,
// and it keeps answering while the public listener is saturated by expensive searches.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { transfer } from '../bank/ledger.ts';
import { call, startTestPoste } from '../poste-test-kit.ts';
import type { Poste } from '../server.ts';
import { demo } from '../store/seed.ts';
import { verifyLedger } from '../store/verify-ledger.ts';
import { signAtm } from './atm-signature.ts';

const TERMINAL = 'atm-test-1';
const SECRET = 'atm-test-secret';
let poste: Poste;
before(async () => {
  poste = await startTestPoste({
    atmSecrets: { [TERMINAL]: SECRET },
    costs: { searchCpuMs: 30, maxHeavyInFlight: 400 },
  });
});
after(() => poste.close());

function authorise(body: unknown, opts: { secret?: string; ts?: number; terminal?: string } = {}) {
  const raw = JSON.stringify(body);
  const ts = opts.ts ?? Date.now();
  return call(poste.atmUrl, 'POST', '/atm/authorise', raw, {
    'content-type': 'application/json',
    'x-terminal-id': opts.terminal ?? TERMINAL,
    'x-timestamp': String(ts),
    'x-signature': signAtm(opts.secret ?? SECRET, ts, 'POST', '/atm/authorise', raw),
  });
}

async function balance(): Promise<number> {
  return Number(
    (await poste.db.get<{ balance: number }>('SELECT balance FROM bank_accounts WHERE id = ?', [demo.accountId]))
      ?.balance,
  );
}

test('unauthenticated, wrongly signed or stale requests are refused', async () => {
  const body = { authId: 'auth-refused-1', accountId: demo.accountId, amountCents: 2000, kind: 'withdrawal' };
  const cases: Array<[string, () => ReturnType<typeof call>]> = [
    ['no headers', () => call(poste.atmUrl, 'POST', '/atm/authorise', body)],
    ['wrong secret', () => authorise(body, { secret: 'guess' })],
    ['unknown terminal', () => authorise(body, { terminal: 'atm-evil' })],
    ['stale timestamp', () => authorise(body, { ts: Date.now() - 5 * 60_000 })],
  ];
  for (const [name, run] of cases) assert.equal((await run()).status, 401, name);
  assert.equal(Number((await poste.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM atm_auths'))?.n), 0);
});

test('a withdrawal debits once, even when the terminal retries', async () => {
  const before = await balance();
  const body = { authId: 'auth-withdraw-1', accountId: demo.accountId, amountCents: 4000, kind: 'withdrawal' };
  const replies = await Promise.all([authorise(body), authorise(body), authorise(body)]);
  for (const r of replies) {
    assert.equal(r.status, 200);
    assert.equal(r.body.result, 'approved');
  }
  assert.equal(replies.filter((r) => r.body.replayed === false).length, 1);
  assert.equal(await balance(), before - 4000);
  const reuse = await authorise({ ...body, amountCents: 1 });
  assert.equal(reuse.status, 422);
  await poste.db.tx(async (q) => {
    await q.run(
      "INSERT INTO bank_accounts (id, user_id, kind, label, balance) VALUES ('FR76-LOW-0001', NULL, 'customer', 'low', 0)",
    );
    await transfer(q, {
      txnId: 'open:FR76-LOW-0001',
      kind: 'opening',
      from: demo.equityAccountId,
      to: 'FR76-LOW-0001',
      amount: 1500,
      at: Date.now(),
    });
  });
  const broke = await authorise({
    authId: 'auth-too-much-1',
    accountId: 'FR76-LOW-0001',
    amountCents: 2000,
    kind: 'purchase',
  });
  assert.equal(broke.body.result, 'declined-insufficient-funds');
  assert.deepEqual((await verifyLedger(poste.db)).violations, []);
});

test('the ATM path is not on the public listener, and the public API is not on the ATM listener', async () => {
  assert.equal((await call(poste.url, 'POST', '/atm/authorise', {})).status, 404);
  assert.equal((await call(poste.atmUrl, 'GET', '/boutique/recherche?q=colis')).status, 404);
});

test('the ATM keeps authorising while the public search is flooded', async () => {
  const flood: Array<Promise<unknown>> = [];
  for (let i = 0; i < 60; i++)
    flood.push(call(poste.url, 'GET', `/api/boutique/recherche?q=co&page=${1 + (i % 5)}`).catch(() => undefined));
  const r = await authorise({
    authId: 'auth-under-flood-1',
    accountId: demo.accountId,
    amountCents: 100,
    kind: 'purchase',
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.result, 'approved');
  await Promise.all(flood);
});

// The same contract against both backends: SQLite (file, WAL) and PostgreSQL (a throw-away schema).
// Idempotent writes, exactly-once approval under concurrency, invariants, and persistence across restarts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { appDecision, call, createPayment, startTestPoste } from '../poste-test-kit.ts';
import { demo } from './seed.ts';
import { verifyLedger } from './verify-ledger.ts';

const PG_BASE = process.env.POSTE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

function contract(name: string, dbUrl: () => Promise<string | undefined>, cleanup: () => Promise<void>) {
  describe(name, () => {
    after(cleanup);
    test('idempotent writes, one approval under concurrency, invariants, data survives a restart', async (t) => {
      const url = await dbUrl();
      if (!url) return t.skip('backend unreachable (CI would fail)');
      let poste = await startTestPoste({ db: url, seedParcels: 1_000, approvals: { pushTimeoutMs: 60_000 } });
      try {
        assert.equal(poste.seeded.parcelsAdded, 1_000);
        const body = { fromZip: '33000', toZip: '67000', weightG: 250 };
        const sends = await Promise.all(
          Array.from({ length: 8 }, () =>
            call(poste.url, 'POST', '/api/parcels', body, { 'idempotency-key': 'backend-send-1' }),
          ),
        );
        assert.equal(new Set(sends.map((s) => s.body.trackingNumber)).size, 1);
        assert.ok(sends.every((s) => s.status === 201));
        const pays = await Promise.all(
          Array.from({ length: 5 }, () => createPayment(poste.url, 4200, 'backend-pay-1')),
        );
        assert.equal(new Set(pays.map((p) => p.body.id)).size, 1, 'one payment whatever the merchant retries');
        const id = pays[0].body.id;
        const decisions = await Promise.all(Array.from({ length: 8 }, () => appDecision(poste.url, id, 'approve')));
        assert.equal(decisions.filter((d) => d.body.outcome === 'approved').length, 1);
        assert.deepEqual((await verifyLedger(poste.db)).violations, []);
        const tracking = sends[0].body.trackingNumber;
        await poste.close();

        poste = await startTestPoste({ db: url, seedParcels: 1_000 });
        assert.equal(poste.seeded.parcelsAdded, 0, 'cached seed reused');
        assert.equal((await call(poste.url, 'GET', `/api/parcels/${tracking}/events`)).status, 200);
        const v = await verifyLedger(poste.db);
        assert.deepEqual(v.violations, []);
        assert.equal(v.stats.approved, 1);
        const bal = await poste.db.get<{ balance: number }>('SELECT balance FROM bank_accounts WHERE id = ?', [
          demo.accountId,
        ]);
        assert.equal(Number(bal?.balance), demo.openingBalance - 4200);
      } finally {
        await poste.close();
      }
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'poste-sqlite-'));
contract(
  'SQLite',
  async () => `sqlite:${join(dir, 'poste.sqlite')}`,
  async () => rmSync(dir, { recursive: true, force: true }),
);

const schema = `poste_test_${process.pid}_${Date.now().toString(36)}`;
contract(
  'PostgreSQL',
  async () => {
    if (await pgReachable()) return `${PG_BASE}?schema=${schema}`;
    if (process.env.CI === 'true')
      throw new Error(`PostgreSQL unreachable at ${PG_BASE} (CI=true: failing, not skipping)`);
    return undefined;
  },
  async () => {
    if (!(await pgReachable())) return;
    const c = new pg.Client({ connectionString: PG_BASE });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  },
);

test('retention prunes old idempotency records and expired sessions only', async () => {
  const { openDb } = await import('./open-db.ts');
  const { pruneExpired, IDEMPOTENCY_KEEP_MS } = await import('./retention.ts');
  const db = await openDb(':memory:');
  try {
    const now = 1_800_000_000_000;
    await db.run(
      "INSERT INTO idempotency (scope, key, body_hash, status, response, created_at) VALUES ('s', 'old', 'h', 201, '{}', ?)",
      [now - IDEMPOTENCY_KEEP_MS - 1],
    );
    await db.run(
      "INSERT INTO idempotency (scope, key, body_hash, status, response, created_at) VALUES ('s', 'new', 'h', 201, '{}', ?)",
      [now - 1000],
    );
    await db.run("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('a', 1, ?), ('b', 1, ?)", [
      now - 1,
      now + 1000,
    ]);
    assert.deepEqual(await pruneExpired(db, now), { idempotency: 1, sessions: 1 });
    assert.equal((await db.all('SELECT key FROM idempotency')).length, 1);
  } finally {
    await db.close();
  }
});

// `poste verify`: the ledger invariants that must hold after any crash or flood.
import type { Db } from './db.ts';

export type Violation = { rule: string; detail: string };

export async function verifyLedger(
  db: Db,
): Promise<{ ok: boolean; violations: Violation[]; stats: Record<string, number> }> {
  const violations: Violation[] = [];
  const negative = await db.all<{ id: string; balance: number }>(
    "SELECT id, balance FROM bank_accounts WHERE balance < 0 AND kind <> 'equity' LIMIT 20",
  );
  for (const r of negative) violations.push({ rule: 'no-negative-balance', detail: `${r.id} = ${r.balance}` });

  const unbalanced = await db.all<{ txn_id: string; s: number }>(
    'SELECT txn_id, SUM(amount) AS s FROM ledger_entries GROUP BY txn_id HAVING SUM(amount) <> 0 LIMIT 20',
  );
  for (const r of unbalanced)
    violations.push({ rule: 'debits-equal-credits', detail: `txn ${r.txn_id} sums to ${r.s}` });

  const drift = await db.all<{ id: string; balance: number; s: number }>(
    `SELECT a.id, a.balance, COALESCE(e.s, 0) AS s FROM bank_accounts a
       LEFT JOIN (SELECT account_id, SUM(amount) AS s FROM ledger_entries GROUP BY account_id) e ON e.account_id = a.id
      WHERE a.balance <> COALESCE(e.s, 0) LIMIT 20`,
  );
  for (const r of drift)
    violations.push({ rule: 'balance-matches-entries', detail: `${r.id}: ${r.balance} vs ${r.s}` });

  const multi = await db.all<{ payment_id: string; n: number }>(
    "SELECT payment_id, COUNT(*) AS n FROM payment_transitions WHERE to_state = 'approved' GROUP BY payment_id HAVING COUNT(*) > 1 LIMIT 20",
  );
  for (const r of multi)
    violations.push({ rule: 'one-approval-per-payment', detail: `${r.payment_id} approved ${r.n} times` });

  const unbooked = await db.all<{ id: string }>(
    "SELECT p.id FROM payments p LEFT JOIN ledger_txns t ON t.id = 'pay:' || p.id WHERE p.state = 'approved' AND t.id IS NULL LIMIT 20",
  );
  for (const r of unbooked) violations.push({ rule: 'approved-payment-booked', detail: r.id });
  const orphan = await db.all<{ id: string }>(
    "SELECT t.id FROM ledger_txns t LEFT JOIN payments p ON 'pay:' || p.id = t.id WHERE t.kind = 'payment' AND (p.id IS NULL OR p.state <> 'approved') LIMIT 20",
  );
  for (const r of orphan) violations.push({ rule: 'booked-payment-approved', detail: r.id });

  const count = async (sql: string) => Number((await db.get<{ n: number }>(sql))?.n ?? 0);
  const stats = {
    accounts: await count('SELECT COUNT(*) AS n FROM bank_accounts'),
    ledgerTxns: await count('SELECT COUNT(*) AS n FROM ledger_txns'),
    payments: await count('SELECT COUNT(*) AS n FROM payments'),
    approved: await count("SELECT COUNT(*) AS n FROM payments WHERE state = 'approved'"),
    atmAuths: await count('SELECT COUNT(*) AS n FROM atm_auths'),
    parcels: await count('SELECT COUNT(*) AS n FROM parcels'),
  };
  return { ok: violations.length === 0, violations, stats };
}

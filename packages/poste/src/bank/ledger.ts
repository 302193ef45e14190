// Double-entry ledger. Every movement is one ledger_txns row (its id is the business key, so the same
// payment or ATM authorisation can never be booked twice) and two entries summing to zero.
import type { Sql } from '../store/db.ts';

export class InsufficientFunds extends Error {
  constructor() {
    super('insufficient funds');
  }
}

export class AlreadyBooked extends Error {
  constructor(txnId: string) {
    super(`ledger transaction ${txnId} already booked`);
  }
}

/** Move `amount` cents from → to inside the caller's transaction. Throws on double booking or lack of funds. */
export async function transfer(
  q: Sql,
  t: { txnId: string; kind: string; from: string; to: string; amount: number; at: number },
): Promise<void> {
  // The conditional UPDATE is the balance check: no read-then-write race, no negative balance. It runs
  // first so a refusal has written nothing and the caller may record a decline in the same transaction.
  const debit = await q.run(
    "UPDATE bank_accounts SET balance = balance - ? WHERE id = ? AND (balance >= ? OR kind = 'equity')",
    [t.amount, t.from, t.amount],
  );
  if (debit.changes !== 1) throw new InsufficientFunds();
  const booked = await q.run('INSERT INTO ledger_txns (id, kind, at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING', [
    t.txnId,
    t.kind,
    t.at,
  ]);
  if (booked.changes !== 1) throw new AlreadyBooked(t.txnId);
  const credit = await q.run('UPDATE bank_accounts SET balance = balance + ? WHERE id = ?', [t.amount, t.to]);
  if (credit.changes !== 1) throw new Error(`unknown account ${t.to}`);
  await q.run('INSERT INTO ledger_entries (txn_id, account_id, amount) VALUES (?, ?, ?)', [t.txnId, t.from, -t.amount]);
  await q.run('INSERT INTO ledger_entries (txn_id, account_id, amount) VALUES (?, ?, ?)', [t.txnId, t.to, t.amount]);
}

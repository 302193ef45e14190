// Card payment approvals. States: pending_push → (approved | declined) or pending_push → pending_sms →
// (approved | declined | expired). Every change is a conditional UPDATE on the expected state plus a
// row in payment_transitions, in one transaction, so concurrent or retried approvals approve once.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Db, Sql } from '../store/db.ts';
import { AlreadyBooked, InsufficientFunds, transfer } from './ledger.ts';
import type { PushHub } from './push-hub.ts';
import type { SmsProvider } from './sms-outbox.ts';

export type PaymentState = 'pending_push' | 'pending_sms' | 'approved' | 'declined' | 'expired';
export type Payment = {
  id: string;
  merchant_id: string;
  account_id: string;
  amount: number;
  state: PaymentState;
  approved_via: string | null;
  created_at: number;
  updated_at: number;
};

export type ApprovalParams = { pushTimeoutMs: number; otpTtlMs: number; otpMaxAttempts: number; sweepMs: number };
export const defaultApprovalParams: ApprovalParams = {
  pushTimeoutMs: 20_000,
  otpTtlMs: 5 * 60_000,
  otpMaxAttempts: 5,
  sweepMs: 500,
};

const COLUMNS = 'id, merchant_id, account_id, amount, state, approved_via, created_at, updated_at';

function otpHash(paymentId: string, code: string): string {
  return createHash('sha256').update(`${paymentId}:${code}`).digest('hex');
}

type Extra = ReadonlyArray<readonly [column: 'otp_hash' | 'otp_attempts' | 'approved_via', value: string | number]>;

async function move(
  q: Sql,
  id: string,
  from: PaymentState[],
  to: PaymentState,
  reason: string,
  now: number,
  extra: Extra = [],
): Promise<boolean> {
  let sets = '';
  const values: Array<string | number> = [];
  for (const [col, v] of extra) {
    sets += `, ${col} = ?`;
    values.push(v);
  }
  const marks = from.map(() => '?').join(', ');
  const r = await q.run(`UPDATE payments SET state = ?, updated_at = ?${sets} WHERE id = ? AND state IN (${marks})`, [
    to,
    now,
    ...values,
    id,
    ...from,
  ]);
  if (r.changes !== 1) return false;
  await q.run(
    'INSERT INTO payment_transitions (payment_id, from_state, to_state, reason, at) VALUES (?, NULL, ?, ?, ?)',
    [id, to, reason, now],
  );
  return true;
}

/** Thrown inside a transaction to roll it back when a concurrent approval won the race. */
class LostRace extends Error {}

export type ApproveResult = { outcome: 'approved' | 'declined' | 'already'; payment: Payment };

export class Approvals {
  private readonly db: Db;
  private readonly push: PushHub;
  private readonly sms: SmsProvider;
  private readonly params: ApprovalParams;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(deps: { db: Db; push: PushHub; sms: SmsProvider; params: ApprovalParams; now: () => number }) {
    this.db = deps.db;
    this.push = deps.push;
    this.sms = deps.sms;
    this.params = deps.params;
    this.now = deps.now;
  }

  /** Periodic sweep: push timeouts → SMS fallback, stale SMS codes → expired. Durable: survives restarts. */
  start(): void {
    this.timer = setInterval(() => void this.sweep().catch(() => {}), this.params.sweepMs);
    this.timer.unref();
  }
  stop(): void {
    clearInterval(this.timer);
  }

  get(id: string): Promise<Payment | undefined> {
    return this.db.get<Payment>(`SELECT ${COLUMNS} FROM payments WHERE id = ?`, [id]);
  }

  /** Inside the caller's (idempotent) transaction: record the new payment. */
  async create(q: Sql, p: { merchantId: string; accountId: string; amount: number }): Promise<Payment> {
    const now = this.now();
    const id = `pay_${randomBytes(9).toString('base64url')}`;
    await q.run(
      "INSERT INTO payments (id, merchant_id, account_id, amount, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending_push', ?, ?)",
      [id, p.merchantId, p.accountId, p.amount, now, now],
    );
    await q.run(
      "INSERT INTO payment_transitions (payment_id, from_state, to_state, reason, at) VALUES (?, NULL, 'pending_push', 'created', ?)",
      [id, now],
    );
    return {
      id,
      merchant_id: p.merchantId,
      account_id: p.accountId,
      amount: p.amount,
      state: 'pending_push',
      approved_via: null,
      created_at: now,
      updated_at: now,
    };
  }

  /** After the creating transaction committed: ask the device, or fall back to SMS at once. */
  async notify(payment: Payment): Promise<'push' | 'sms'> {
    const devices = await this.db.all<{ id: string }>(
      'SELECT d.id FROM devices d JOIN bank_accounts a ON a.user_id = d.user_id WHERE a.id = ?',
      [payment.account_id],
    );
    let delivered = false;
    for (const d of devices) {
      if (this.push.deliver(d.id, 'payment', { id: payment.id, merchant: payment.merchant_id, amount: payment.amount }))
        delivered = true;
    }
    if (delivered) return 'push';
    await this.fallbackToSms(payment.id, devices.length ? 'push-unavailable' : 'no-device');
    return 'sms';
  }

  async fallbackToSms(id: string, reason: string): Promise<boolean> {
    const now = this.now();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    return this.db.tx(async (q) => {
      const moved = await move(q, id, ['pending_push'], 'pending_sms', reason, now, [
        ['otp_hash', otpHash(id, code)],
        ['otp_attempts', 0],
      ]);
      if (!moved) return false;
      const who = await q.get<{ phone: string; amount: number; merchant_id: string }>(
        'SELECT u.phone, p.amount, p.merchant_id FROM payments p JOIN bank_accounts a ON a.id = p.account_id JOIN users u ON u.id = a.user_id WHERE p.id = ?',
        [id],
      );
      if (who) {
        const euros = (Number(who.amount) / 100).toFixed(2);
        await this.sms.send(q, {
          phone: who.phone,
          purpose: `payment:${id}`,
          body: `Code ${code} : paiement ${euros} EUR chez ${who.merchant_id}. / Code ${code}: payment of ${euros} EUR at ${who.merchant_id}.`,
          at: now,
        });
      }
      return true;
    });
  }

  private async settle(
    q: Sql,
    id: string,
    via: 'push' | 'sms',
    from: PaymentState[],
    now: number,
  ): Promise<ApproveResult> {
    const p = await q.get<Payment>(`SELECT ${COLUMNS} FROM payments WHERE id = ?`, [id]);
    if (!p) throw new Error('payment vanished');
    if (!from.includes(p.state)) return { outcome: 'already', payment: p };
    const merchant = await q.get<{ account_id: string }>('SELECT account_id FROM merchants WHERE id = ?', [
      p.merchant_id,
    ]);
    // Book first: the ledger transaction id "pay:<id>" is unique, so of two concurrent approvals exactly
    // one books; the other hits the constraint (or finds the state moved) and rolls back entirely.
    try {
      await transfer(q, {
        txnId: `pay:${id}`,
        kind: 'payment',
        from: p.account_id,
        to: String(merchant?.account_id),
        amount: Number(p.amount),
        at: now,
      });
    } catch (err) {
      if (err instanceof InsufficientFunds) {
        await move(q, id, from, 'declined', 'insufficient-funds', now);
        return { outcome: 'declined', payment: { ...p, state: 'declined' } };
      }
      if (err instanceof AlreadyBooked) throw new LostRace();
      throw err;
    }
    if (!(await move(q, id, from, 'approved', `approved-${via}`, now, [['approved_via', via]]))) throw new LostRace();
    return { outcome: 'approved', payment: { ...p, state: 'approved', approved_via: via, updated_at: now } };
  }

  private async raceSafe(id: string, fn: () => Promise<ApproveResult>): Promise<ApproveResult> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof LostRace) && !isUniqueViolation(err)) throw err;
      const p = await this.get(id);
      if (!p) throw err;
      return { outcome: 'already', payment: p };
    }
  }

  /** The app's signed answer (push path). Valid while the payment is still pending, even after SMS fallback. */
  decideFromApp(id: string, decision: 'approve' | 'decline'): Promise<ApproveResult> {
    const now = this.now();
    return this.raceSafe(id, () =>
      this.db.tx(async (q) => {
        if (decision === 'approve') return this.settle(q, id, 'push', ['pending_push', 'pending_sms'], now);
        if (await move(q, id, ['pending_push', 'pending_sms'], 'declined', 'declined-by-customer', now)) {
          return {
            outcome: 'declined',
            payment: (await q.get<Payment>(`SELECT ${COLUMNS} FROM payments WHERE id = ?`, [id])) as Payment,
          };
        }
        return {
          outcome: 'already',
          payment: (await q.get<Payment>(`SELECT ${COLUMNS} FROM payments WHERE id = ?`, [id])) as Payment,
        };
      }),
    );
  }

  /** The SMS path: the customer types the code on the merchant's page. */
  async confirmOtp(
    id: string,
    code: string,
  ): Promise<ApproveResult | { outcome: 'bad-code' | 'not-pending'; attemptsLeft: number }> {
    const now = this.now();
    try {
      return await this.confirmOtpTx(id, code, now);
    } catch (err) {
      if (!(err instanceof LostRace) && !isUniqueViolation(err)) throw err;
      const p = await this.get(id);
      if (!p) throw err;
      return { outcome: 'already', payment: p };
    }
  }

  private confirmOtpTx(
    id: string,
    code: string,
    now: number,
  ): Promise<ApproveResult | { outcome: 'bad-code' | 'not-pending'; attemptsLeft: number }> {
    return this.db.tx(async (q) => {
      const row = await q.get<{ state: string; otp_hash: string | null; otp_attempts: number }>(
        'SELECT state, otp_hash, otp_attempts FROM payments WHERE id = ?',
        [id],
      );
      if (!row) return { outcome: 'not-pending', attemptsLeft: 0 } as const;
      if (row.state === 'approved') return this.settle(q, id, 'sms', [], now);
      if (row.state !== 'pending_sms' || !row.otp_hash) return { outcome: 'not-pending', attemptsLeft: 0 } as const;
      const left = this.params.otpMaxAttempts - Number(row.otp_attempts) - 1;
      const want = Buffer.from(row.otp_hash, 'hex');
      const got = Buffer.from(otpHash(id, code), 'hex');
      if (!timingSafeEqual(want, got)) {
        await q.run('UPDATE payments SET otp_attempts = otp_attempts + 1 WHERE id = ?', [id]);
        if (left <= 0) await move(q, id, ['pending_sms'], 'declined', 'too-many-codes', now);
        return { outcome: 'bad-code', attemptsLeft: Math.max(0, left) } as const;
      }
      return this.settle(q, id, 'sms', ['pending_sms'], now);
    });
  }

  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = this.now();
      const late = await this.db.all<{ id: string }>(
        "SELECT id FROM payments WHERE state = 'pending_push' AND created_at <= ? ORDER BY created_at LIMIT 200",
        [now - this.params.pushTimeoutMs],
      );
      for (const p of late) await this.fallbackToSms(p.id, 'push-timeout');
      const stale = await this.db.all<{ id: string }>(
        "SELECT id FROM payments WHERE state = 'pending_sms' AND updated_at <= ? LIMIT 200",
        [now - this.params.otpTtlMs],
      );
      for (const p of stale) await this.db.tx((q) => move(q, p.id, ['pending_sms'], 'expired', 'code-expired', now));
    } finally {
      this.sweeping = false;
    }
  }
}

/** PostgreSQL 23505 / SQLite constraint: a concurrent writer got there first. */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errcode?: string; message?: string };
  return e?.code === '23505' || (typeof e?.message === 'string' && e.message.includes('UNIQUE constraint failed'));
}

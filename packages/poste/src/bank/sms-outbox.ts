// SMS provider interface. The shipped provider is a durable outbox table written in the caller's
// transaction: a code is "sent" exactly when the state change that needed it commits. A real SMS
// gateway would drain the outbox; the demo and tests read it through /api/demo/sms-outbox.
import type { Db, Sql } from '../store/db.ts';

export interface SmsProvider {
  send(q: Sql, msg: { phone: string; purpose: string; body: string; at: number }): Promise<void>;
}

export const outboxProvider: SmsProvider = {
  async send(q, msg) {
    await q.run('INSERT INTO sms_outbox (phone, purpose, body, created_at) VALUES (?, ?, ?, ?)', [
      msg.phone,
      msg.purpose,
      msg.body,
      msg.at,
    ]);
  },
};

export type OutboxRow = { id: number; phone: string; purpose: string; body: string; created_at: number };

export function readOutbox(db: Db, phone: string | null, limit = 50): Promise<OutboxRow[]> {
  return phone
    ? db.all<OutboxRow>(
        'SELECT id, phone, purpose, body, created_at FROM sms_outbox WHERE phone = ? ORDER BY id DESC LIMIT ?',
        [phone, limit],
      )
    : db.all<OutboxRow>('SELECT id, phone, purpose, body, created_at FROM sms_outbox ORDER BY id DESC LIMIT ?', [
        limit,
      ]);
}

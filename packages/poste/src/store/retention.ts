// Tables that would otherwise grow without bound under a flood of writes: idempotency records (kept
// long enough for any sane client retry) and expired sessions. The audit log, ledger and SMS outbox are
// records of what happened and are kept.
import type { Db } from './db.ts';

export const IDEMPOTENCY_KEEP_MS = 24 * 3600_000;

export async function pruneExpired(db: Db, now: number): Promise<{ idempotency: number; sessions: number }> {
  const idem = await db.run('DELETE FROM idempotency WHERE created_at < ?', [now - IDEMPOTENCY_KEEP_MS]);
  const sessions = await db.run('DELETE FROM sessions WHERE expires_at < ?', [now]);
  return { idempotency: idem.changes, sessions: sessions.changes };
}

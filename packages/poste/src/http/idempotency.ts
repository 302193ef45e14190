// Idempotency-Key on writes. Inside the write's own transaction we claim (scope, key): the first request
// stores its response; a retry with the same body gets that response back; a reuse with another body is
// a client error (422). Claim and write commit together, so a retry can never produce a duplicate.
import type { Db, Sql } from '../store/db.ts';
import { type Ctx, HttpError } from './reply.ts';

export type Stored = { status: number; body: unknown; replayed: boolean };

export function idempotencyKey(ctx: Ctx): string {
  const key = ctx.req.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length < 8 || key.length > 128) {
    throw new HttpError(
      400,
      'idempotency-key-required',
      'En-tête Idempotency-Key requis (8 à 128 caractères).',
      'Idempotency-Key header required (8 to 128 characters).',
    );
  }
  return key;
}

export async function once(
  db: Db,
  scope: string,
  key: string,
  bodyHash: string,
  now: number,
  write: (q: Sql) => Promise<{ status: number; body: unknown }>,
): Promise<Stored> {
  return db.tx(async (q) => {
    const claimed = await q.run(
      "INSERT INTO idempotency (scope, key, body_hash, status, response, created_at) VALUES (?, ?, ?, 0, '', ?) ON CONFLICT (scope, key) DO NOTHING",
      [scope, key, bodyHash, now],
    );
    if (claimed.changes !== 1) {
      const prior = await q.get<{ body_hash: string; status: number; response: string }>(
        'SELECT body_hash, status, response FROM idempotency WHERE scope = ? AND key = ?',
        [scope, key],
      );
      if (!prior || prior.body_hash !== bodyHash) {
        throw new HttpError(
          422,
          'idempotency-key-reused',
          "Cette clé d'idempotence a déjà servi pour une autre requête.",
          'This Idempotency-Key was already used with a different request body.',
        );
      }
      return { status: Number(prior.status), body: JSON.parse(prior.response), replayed: true };
    }
    const out = await write(q);
    await q.run('UPDATE idempotency SET status = ?, response = ? WHERE scope = ? AND key = ?', [
      out.status,
      JSON.stringify(out.body),
      scope,
      key,
    ]);
    return { ...out, replayed: false };
  });
}

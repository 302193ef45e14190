// The internal card-authorisation listener for shops and ATMs: its own port (never routed through the
// public gateway), its own connection cap, its own database pool where the backend has pools, and every
// request authenticated. Public floods queue on the public listener, not here.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { z } from 'zod';
import { InsufficientFunds, transfer } from '../bank/ledger.ts';
import { readRaw } from '../http/body.ts';
import { type Ctx, fail, HttpError, json } from '../http/reply.ts';
import type { Db } from '../store/db.ts';
import { demo } from '../store/seed.ts';
import { verifyAtm } from './atm-signature.ts';

const Authorise = z.strictObject({
  authId: z.string().min(8).max(64),
  accountId: z.string().min(1).max(64),
  amountCents: z.number().int().min(1).max(200_000),
  kind: z.enum(['withdrawal', 'purchase']),
});

export type AtmOptions = { db: Db; secrets: Record<string, string>; now: () => number; maxConnections: number };

async function authorise(o: AtmOptions, ctx: Ctx, terminal: string, raw: string): Promise<void> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'bad-json', 'Corps JSON invalide.', 'Invalid JSON body.');
  }
  const r = Authorise.safeParse(data);
  if (!r.success)
    throw new HttpError(400, 'invalid-field', 'Champ invalide.', `Invalid field: ${r.error.issues[0]?.path.join('.')}`);
  const a = r.data;
  const now = o.now();
  const result = await o.db.tx(async (q) => {
    const prior = await q.get<{ account_id: string; amount: number; result: string }>(
      'SELECT account_id, amount, result FROM atm_auths WHERE id = ?',
      [a.authId],
    );
    if (prior) {
      // A terminal retrying after a timeout gets the original answer, never a second debit.
      if (prior.account_id !== a.accountId || Number(prior.amount) !== a.amountCents) {
        throw new HttpError(
          422,
          'auth-id-reused',
          "Identifiant d'autorisation déjà utilisé.",
          'Authorisation id already used for another request.',
        );
      }
      return { result: prior.result, replayed: true };
    }
    let outcome = 'approved';
    const to = a.kind === 'withdrawal' ? demo.atmCashAccountId : demo.merchantAccountId;
    try {
      await transfer(q, {
        txnId: `atm:${a.authId}`,
        kind: `atm-${a.kind}`,
        from: a.accountId,
        to,
        amount: a.amountCents,
        at: now,
      });
    } catch (err) {
      if (!(err instanceof InsufficientFunds)) throw err;
      outcome = 'declined-insufficient-funds';
    }
    await q.run('INSERT INTO atm_auths (id, terminal_id, account_id, amount, result, at) VALUES (?, ?, ?, ?, ?, ?)', [
      a.authId,
      terminal,
      a.accountId,
      a.amountCents,
      outcome,
      now,
    ]);
    return { result: outcome, replayed: false };
  });
  json(ctx, 200, { authId: a.authId, ...result });
}

export function createAtmServer(o: AtmOptions): Server {
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, async (req, res) => {
    const ctx: Ctx = {
      req,
      res,
      params: {},
      query: new URLSearchParams(),
      requestId: randomUUID(),
      ip: req.socket.remoteAddress ?? '',
    };
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/atm/healthz') return json(ctx, 200, { status: 'ok' });
      if (req.method !== 'POST' || path !== '/atm/authorise')
        throw new HttpError(404, 'not-found', 'Introuvable.', 'Not found.');
      const terminal = req.headers['x-terminal-id'];
      const secret = typeof terminal === 'string' ? o.secrets[terminal] : undefined;
      const raw = await readRaw(ctx, 8 * 1024);
      const sig = req.headers['x-signature'];
      if (
        !secret ||
        typeof sig !== 'string' ||
        !verifyAtm(secret, Number(req.headers['x-timestamp']), 'POST', path, raw, sig, o.now())
      ) {
        throw new HttpError(401, 'terminal-auth', 'Terminal non authentifié.', 'Terminal not authenticated.');
      }
      await authorise(o, ctx, terminal as string, raw);
    } catch (err) {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) return fail(ctx, err);
      fail(ctx, new HttpError(500, 'internal', 'Erreur interne.', 'Internal error.'));
    }
  });
  server.maxConnections = o.maxConnections;
  return server;
}

// Bank: merchants create card payments; the customer's app approves over the push channel with a signed
// request, or, when push fails or times out, the customer types the SMS code.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { App } from '../app.ts';
import type { Payment } from '../bank/approvals.ts';
import { verifyDevice } from '../bank/device-signature.ts';
import { readOutbox } from '../bank/sms-outbox.ts';
import { readJson, readRaw } from '../http/body.ts';
import { idempotencyKey, once } from '../http/idempotency.ts';
import { type Ctx, HttpError, json } from '../http/reply.ts';

const CreatePayment = z.strictObject({
  accountId: z.string().min(1).max(64),
  amountCents: z.number().int().min(1).max(1_000_000),
});
const Otp = z.strictObject({ code: z.string().regex(/^\d{6}$/) });
const Decision = z.strictObject({ decision: z.enum(['approve', 'decline']) });

function view(p: Payment) {
  return {
    id: p.id,
    state: p.state,
    amountCents: Number(p.amount),
    merchant: p.merchant_id,
    approvedVia: p.approved_via,
  };
}

async function merchant(app: App, ctx: Ctx): Promise<string> {
  const id = ctx.req.headers['x-merchant-id'];
  const auth = ctx.req.headers.authorization ?? '';
  const denied = new HttpError(
    401,
    'merchant-auth',
    'Authentification marchand invalide.',
    'Invalid merchant credentials.',
  );
  if (typeof id !== 'string' || !auth.startsWith('Bearer ')) throw denied;
  const row = await app.db.get<{ api_key_hash: string }>('SELECT api_key_hash FROM merchants WHERE id = ?', [id]);
  if (!row) throw denied;
  const want = Buffer.from(row.api_key_hash, 'hex');
  const got = createHash('sha256').update(auth.slice(7)).digest();
  if (!timingSafeEqual(want, got)) throw denied;
  return id;
}

export async function createPayment(app: App, ctx: Ctx): Promise<void> {
  const merchantId = await merchant(app, ctx);
  const key = idempotencyKey(ctx);
  const body = await readJson(ctx, CreatePayment);
  let created: Payment | undefined;
  const out = await once(app.db, `payment:${merchantId}`, key, body.hash, app.now(), async (q) => {
    const acct = await q.get<{ id: string }>("SELECT id FROM bank_accounts WHERE id = ? AND kind = 'customer'", [
      body.value.accountId,
    ]);
    if (!acct) throw new HttpError(404, 'account-not-found', 'Compte client inconnu.', 'Unknown customer account.');
    created = await app.approvals.create(q, {
      merchantId,
      accountId: body.value.accountId,
      amount: body.value.amountCents,
    });
    return { status: 201, body: view(created) };
  });
  // Notify only for a fresh payment, after its commit: a retry must not send a second push or SMS.
  let channel: string | undefined;
  if (created) channel = await app.approvals.notify(created);
  const fresh = created ? await app.approvals.get(created.id) : undefined;
  json(
    ctx,
    out.status,
    fresh ? { ...view(fresh), channel } : out.body,
    out.replayed ? { 'idempotent-replayed': 'true' } : undefined,
  );
}

export async function getPayment(app: App, ctx: Ctx): Promise<void> {
  const merchantId = await merchant(app, ctx);
  const p = await app.approvals.get(ctx.params.id);
  if (!p || p.merchant_id !== merchantId)
    throw new HttpError(404, 'payment-not-found', 'Paiement inconnu.', 'Unknown payment.');
  json(ctx, 200, view(p));
}

export async function confirmOtp(app: App, ctx: Ctx): Promise<void> {
  const { value } = await readJson(ctx, Otp);
  const r = await app.approvals.confirmOtp(ctx.params.id, value.code);
  if (r.outcome === 'bad-code') {
    throw new HttpError(
      400,
      'bad-code',
      `Code incorrect (${r.attemptsLeft} essai(s) restant(s)).`,
      `Wrong code (${r.attemptsLeft} attempt(s) left).`,
    );
  }
  if (r.outcome === 'not-pending' || !('payment' in r))
    throw new HttpError(
      409,
      'not-pending',
      "Ce paiement n'attend pas de code.",
      'This payment is not waiting for a code.',
    );
  json(ctx, 200, { outcome: r.outcome, ...view(r.payment) });
}

type DeviceRow = { device_key: string };

async function device(app: App, ctx: Ctx, purpose: string, subject: string): Promise<string> {
  const id = ctx.req.headers['x-device-id'];
  const ts = Number(ctx.req.headers['x-timestamp']);
  const sig = ctx.req.headers['x-signature'];
  const denied = new HttpError(401, 'device-auth', "Signature de l'appareil invalide.", 'Invalid device signature.');
  if (typeof id !== 'string' || typeof sig !== 'string') throw denied;
  const row = await app.db.get<DeviceRow>('SELECT device_key FROM devices WHERE id = ?', [id]);
  if (!row || !verifyDevice(row.device_key, purpose, subject, ts, sig, app.now())) throw denied;
  return id;
}

/** GET /api/app/stream: the app's push channel (SSE), signed "stream.<deviceId>.<ts>". */
export async function appStream(app: App, ctx: Ctx): Promise<void> {
  const id = String(ctx.req.headers['x-device-id'] ?? '');
  await device(app, ctx, 'stream', id);
  if (!app.push.attach(id, ctx.res)) {
    throw new HttpError(503, 'push-full', 'Canal de notification saturé.', 'Push channel at capacity.', {
      'retry-after': '5',
    });
  }
}

/** POST /api/app/payments/:id/decision, signed "<decision>.<paymentId>.<ts>". */
export async function appDecision(app: App, ctx: Ctx): Promise<void> {
  const { value } = await readJson(ctx, Decision);
  const deviceId = await device(app, ctx, value.decision, ctx.params.id);
  const owns = await app.db.get<{ id: string }>(
    'SELECT p.id FROM payments p JOIN bank_accounts a ON a.id = p.account_id JOIN devices d ON d.user_id = a.user_id WHERE p.id = ? AND d.id = ?',
    [ctx.params.id, deviceId],
  );
  if (!owns) throw new HttpError(404, 'payment-not-found', 'Paiement inconnu.', 'Unknown payment.');
  const r = await app.approvals.decideFromApp(ctx.params.id, value.decision);
  json(ctx, 200, { outcome: r.outcome, ...view(r.payment) });
}

/** Demo/test only: what the SMS provider "sent". */
export async function smsOutbox(app: App, ctx: Ctx): Promise<void> {
  if (!app.demoEndpoints) throw new HttpError(404, 'not-found', 'Introuvable.', 'Not found.');
  await readRaw(ctx, 0);
  const rows = await readOutbox(app.db, ctx.query.get('phone'));
  json(ctx, 200, {
    messages: rows.map((r) => ({
      id: Number(r.id),
      phone: r.phone,
      purpose: r.purpose,
      body: r.body,
      at: new Date(Number(r.created_at)).toISOString(),
    })),
  });
}

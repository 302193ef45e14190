// Sending a parcel (label + price) and booking a pickup. Both are idempotent writes.
import { z } from 'zod';
import type { App } from '../app.ts';
import { readJson } from '../http/body.ts';
import { idempotencyKey, once } from '../http/idempotency.ts';
import { type Ctx, HttpError, json } from '../http/reply.ts';
import { priceFor } from '../store/seed.ts';
import { checkTrackingNumber, makeTrackingNumber } from '../tracking-number.ts';

const zipCode = z.string().regex(/^\d{5}$/, '5-digit postal code');
const SendBody = z.strictObject({
  fromZip: zipCode,
  toZip: zipCode,
  weightG: z.number().int().min(1).max(30_000),
  service: z.enum(['standard', 'express']).default('standard'),
});
const PickupBody = z.strictObject({
  day: z.iso.date(),
  address: z.string().trim().min(5).max(200),
});

// Labels created online use their own service letters and a database sequence: never a seeded number.
const ONLINE_SERVICE = 'XW';

export async function sendParcel(app: App, ctx: Ctx): Promise<void> {
  const key = idempotencyKey(ctx);
  const body = await readJson(ctx, SendBody);
  const out = await once(app.db, 'parcel-send', key, body.hash, app.now(), async (q) => {
    const now = app.now();
    await q.run("INSERT INTO seed_state (name, value) VALUES ('label_seq', 0) ON CONFLICT (name) DO NOTHING");
    const seq = await q.get<{ value: number }>(
      "UPDATE seed_state SET value = value + 1 WHERE name = 'label_seq' RETURNING value",
    );
    const id = makeTrackingNumber(ONLINE_SERVICE, Number(seq?.value));
    const b = body.value;
    const price = priceFor(b.weightG, b.service);
    await q.run(
      "INSERT INTO parcels (id, service, from_zip, to_zip, weight_g, price_cents, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'LABEL_CREE', ?)",
      [id, ONLINE_SERVICE, b.fromZip, b.toZip, b.weightG, price, now],
    );
    await q.run(
      "INSERT INTO parcel_events (parcel_id, seq, at, code, place) VALUES (?, 0, ?, 'LABEL_CREE', 'INTERNET')",
      [id, now],
    );
    return {
      status: 201,
      body: { trackingNumber: id, priceCents: price, service: b.service, createdAt: new Date(now).toISOString() },
    };
  });
  json(ctx, out.status, out.body, out.replayed ? { 'idempotent-replayed': 'true' } : undefined);
}

export async function bookPickup(app: App, ctx: Ctx): Promise<void> {
  const check = checkTrackingNumber(ctx.params.id);
  if (!check.ok)
    throw new HttpError(
      400,
      `tracking-number-${check.reason}`,
      'Numéro de suivi invalide.',
      'Invalid tracking number.',
    );
  const key = idempotencyKey(ctx);
  const body = await readJson(ctx, PickupBody);
  const out = await once(app.db, `pickup:${check.id}`, key, body.hash, app.now(), async (q) => {
    const parcel = await q.get<{ id: string }>('SELECT id FROM parcels WHERE id = ?', [check.id]);
    if (!parcel)
      throw new HttpError(404, 'parcel-not-found', 'Aucun colis avec ce numéro.', 'No parcel with this number.');
    const row = await q.get<{ id: number }>(
      'INSERT INTO pickups (parcel_id, day, address, created_at) VALUES (?, ?, ?, ?) RETURNING id',
      [check.id, body.value.day, body.value.address, app.now()],
    );
    return { status: 201, body: { pickupId: Number(row?.id), trackingNumber: check.id, day: body.value.day } };
  });
  json(ctx, out.status, out.body, out.replayed ? { 'idempotent-replayed': 'true' } : undefined);
}

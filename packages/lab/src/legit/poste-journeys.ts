import { signDevice } from '../../../poste/src/bank/device-signature.ts';
import { demo as DEMO, seedTrackingNumber } from '../../../poste/src/store/seed.ts';
import type { Rng } from '../vectors/request-shapes.ts';
import type { Journey, Step } from './journeys.ts';

// Legit journeys against the real poste: its seeded parcels and its demo customer, merchant and phone
// (poste's fixed demo identities, public by design), with the app's signed approval.

export function posteJourneys(seededParcels: number): Journey[] {
  const tn = (rng: Rng) => seedTrackingNumber(Math.floor(rng() * seededParcels));
  return [
    {
      name: 'tracking',
      weight: 40,
      steps: (rng) => {
        const id = tn(rng);
        return [
          { name: 'tracking-page', cls: 'critical', method: 'GET', path: `/suivi/${id}` },
          { name: 'tracking-events', cls: 'critical', method: 'GET', path: `/api/parcels/${id}/events` },
        ];
      },
    },
    {
      name: 'status',
      weight: 15,
      steps: () => [{ name: 'status-page', cls: 'static', method: 'GET', path: '/status' }],
    },
    {
      name: 'login-and-approve',
      weight: 20,
      steps: (rng): Step[] => [
        {
          name: 'login',
          cls: 'critical',
          method: 'POST',
          path: '/api/accounts/login',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: DEMO.email, password: DEMO.password }),
        },
        {
          // The shop asks for a payment; the customer's phone gets a push and approves it in the app.
          name: 'payment-create',
          cls: 'critical',
          method: 'POST',
          path: '/api/payments',
          headers: {
            'content-type': 'application/json',
            'x-merchant-id': DEMO.merchantId,
            authorization: `Bearer ${DEMO.merchantKey}`,
            'idempotency-key': `lab-pay-${Math.floor(rng() * 2 ** 48).toString(36)}`,
          },
          body: JSON.stringify({ accountId: DEMO.accountId, amountCents: 100 + Math.floor(rng() * 5000) }),
          capture: (body, ctx) => {
            try {
              const j = JSON.parse(body) as { id?: unknown; paymentId?: unknown };
              ctx.paymentId = String(j.paymentId ?? j.id ?? '');
            } catch {
              // no id: the approval step will fail and count as an error
            }
          },
        },
        {
          name: 'payment-approval',
          cls: 'critical',
          method: 'POST',
          path: '/api/app/payments/_/decision',
          headers: { 'content-type': 'application/json' },
          body: '{"decision":"approve"}',
          prepare: (ctx) => {
            const ts = Date.now();
            return {
              path: `/api/app/payments/${ctx.paymentId ?? '_'}/decision`,
              headers: {
                'content-type': 'application/json',
                'x-device-id': DEMO.deviceId,
                'x-timestamp': String(ts),
                'x-signature': signDevice(DEMO.deviceKey, 'approve', ctx.paymentId ?? '_', ts),
              },
            };
          },
        },
      ],
    },
    {
      name: 'send-parcel',
      weight: 15,
      steps: (rng) => {
        const h = {
          'content-type': 'application/json',
          'idempotency-key': `lab-${Math.floor(rng() * 2 ** 48).toString(36)}`,
        };
        const body = JSON.stringify({
          fromZip: '75001',
          toZip: '69002',
          weightG: 200 + Math.floor(rng() * 5000),
          service: 'standard',
        });
        // The retry with the same key is what a phone on a bad network does: it must not duplicate.
        return [
          { name: 'parcel-create', cls: 'normal', method: 'POST', path: '/api/parcels', headers: h, body },
          { name: 'parcel-retry', cls: 'normal', method: 'POST', path: '/api/parcels', headers: h, body },
        ];
      },
    },
    {
      name: 'search',
      weight: 10,
      steps: () => [{ name: 'search', cls: 'bulk', method: 'GET', path: '/boutique/recherche?q=timbre' }],
    },
  ];
}

import type { RouteClass } from '../measure/collector.ts';
import type { Rng } from '../vectors/request-shapes.ts';

// What real users do, as sequences of steps, against the lab's own origin (poste's paths, simplified).
// Against the real poste the lab uses poste-journeys.ts (real accounts, signed app approvals).

export interface Step {
  name: string;
  cls: RouteClass;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Right before sending: fill what depends on earlier answers (ids) or on the time (signatures). */
  prepare?: (ctx: JourneyCtx) => Partial<Pick<Step, 'path' | 'body' | 'headers'>>;
  /** After a successful answer: remember what later steps need. */
  capture?: (body: string, ctx: JourneyCtx) => void;
}

/** Per-journey scratch values (a payment id…), bounded by the journey's few steps. */
export type JourneyCtx = Record<string, string>;

export interface Journey {
  name: string;
  weight: number;
  steps: (rng: Rng, user: number) => Step[];
}

function trackingNumber(rng: Rng): string {
  return `LA${String(Math.floor(rng() * 1e9)).padStart(9, '0')}FR`;
}

export const journeys: Journey[] = [
  {
    name: 'tracking',
    weight: 40,
    steps: (rng) => {
      const tn = trackingNumber(rng);
      return [
        { name: 'tracking-page', cls: 'critical', method: 'GET', path: `/suivi/${tn}` },
        { name: 'tracking-events', cls: 'critical', method: 'GET', path: `/api/parcels/${tn}/events` },
      ];
    },
  },
  { name: 'status', weight: 15, steps: () => [{ name: 'status-page', cls: 'static', method: 'GET', path: '/status' }] },
  {
    name: 'login-and-approve',
    weight: 20,
    steps: (rng, user) => [
      {
        name: 'login',
        cls: 'critical',
        method: 'POST',
        path: '/api/accounts/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `client${user}@poste.test`, password: `motdepasse-${user}` }),
      },
      {
        name: 'payment-approval',
        cls: 'critical',
        method: 'POST',
        path: `/api/payments/${Math.floor(rng() * 1e6)}/approve`,
        headers: { 'content-type': 'application/json' },
        body: '{"via":"app-push"}',
      },
    ],
  },
  {
    name: 'send-parcel',
    weight: 15,
    steps: (rng) => {
      const key = `lab-${Math.floor(rng() * 2 ** 48).toString(36)}`;
      const body = JSON.stringify({ weight_g: 500 + Math.floor(rng() * 4000), to: '75001' });
      const h = { 'content-type': 'application/json', 'idempotency-key': key };
      // The retry with the same key is what a phone on a bad network does: must not duplicate.
      return [
        { name: 'parcel-create', cls: 'normal', method: 'POST', path: '/api/parcels', headers: h, body },
        { name: 'parcel-retry', cls: 'normal', method: 'POST', path: '/api/parcels', headers: h, body },
      ];
    },
  },
  {
    name: 'search',
    weight: 10,
    steps: () => [{ name: 'search', cls: 'bulk', method: 'GET', path: '/boutique/recherche?q=timbres' }],
  },
];

export function pickJourney(list: Journey[], rng: Rng): Journey {
  let x = rng() * list.reduce((a, j) => a + j.weight, 0);
  for (const j of list) {
    x -= j.weight;
    if (x < 0) return j;
  }
  return list[0];
}

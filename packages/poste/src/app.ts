// What every route handler can reach. Built once by startPoste(); nothing here is per request.
import type { LoginThrottle } from './accounts/login-throttle.ts';
import type { Approvals } from './bank/approvals.ts';
import type { PushHub } from './bank/push-hub.ts';
import type { SmsProvider } from './bank/sms-outbox.ts';
import type { Costs } from './costs.ts';
import type { LoadMeter } from './http/load-meter.ts';
import { HttpError } from './http/reply.ts';
import type { Db } from './store/db.ts';

export type App = {
  db: Db;
  costs: Costs;
  now: () => number;
  load: LoadMeter;
  throttle: LoginThrottle;
  push: PushHub;
  sms: SmsProvider;
  approvals: Approvals;
  dummyHash: string;
  demoEndpoints: boolean;
  startedAt: number;
  heavy: { inFlight: number };
};

/** Admit one expensive request (search, password hash) or refuse with 503 while the origin is full. */
export async function withHeavySlot<T>(app: App, fn: () => Promise<T>): Promise<T> {
  if (app.heavy.inFlight >= app.costs.maxHeavyInFlight) {
    throw new HttpError(
      503,
      'busy',
      'Service très sollicité, réessayez dans un instant.',
      'Service busy, please retry shortly.',
      {
        'retry-after': '2',
      },
    );
  }
  app.heavy.inFlight++;
  try {
    return await fn();
  } finally {
    app.heavy.inFlight--;
  }
}

// Shared by poste's tests: a small-seed service on port 0, a JSON client, the banking app's signed
// requests and its SSE push stream.
import { signDevice } from './bank/device-signature.ts';
import { type Poste, type PosteOptions, startPoste } from './server.ts';
import { demo } from './store/seed.ts';

export const testCosts = { scryptN: 1024, searchCpuMs: 1, trackingCpuMs: 0, catalogueSize: 2_000 };

export function startTestPoste(o: PosteOptions = {}): Promise<Poste> {
  return startPoste({ seedParcels: 2_000, ...o, costs: { ...testCosts, ...o.costs } });
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON replies field by field
export type Reply = { status: number; body: any; headers: Headers };

export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

export const merchantHeaders = { 'x-merchant-id': demo.merchantId, authorization: `Bearer ${demo.merchantKey}` };

export function createPayment(base: string, amountCents: number, key: string): Promise<Reply> {
  return call(
    base,
    'POST',
    '/api/payments',
    { accountId: demo.accountId, amountCents },
    { ...merchantHeaders, 'idempotency-key': key },
  );
}

export function appDecision(base: string, paymentId: string, decision: 'approve' | 'decline'): Promise<Reply> {
  const ts = Date.now();
  return call(
    base,
    'POST',
    `/api/app/payments/${paymentId}/decision`,
    { decision },
    {
      'x-device-id': demo.deviceId,
      'x-timestamp': String(ts),
      'x-signature': signDevice(demo.deviceKey, decision, paymentId, ts),
    },
  );
}

/** Open the demo device's push stream; `next()` resolves with the next event's data. */
export async function openAppStream(
  base: string,
): Promise<{ next(): Promise<Record<string, unknown>>; close(): void }> {
  const ctrl = new AbortController();
  const ts = Date.now();
  const res = await fetch(`${base}/api/app/stream`, {
    headers: {
      'x-device-id': demo.deviceId,
      'x-timestamp': String(ts),
      'x-signature': signDevice(demo.deviceKey, 'stream', demo.deviceId, ts),
    },
    signal: ctrl.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`stream refused: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  return {
    async next() {
      for (;;) {
        const end = buf.indexOf('\n\n');
        if (end >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data) return JSON.parse(data.slice(6));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream closed');
        buf += decoder.decode(value, { stream: true });
      }
    },
    close() {
      ctrl.abort();
    },
  };
}

/** Poll until fn returns a value (bounded). */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function lastSmsCode(base: string, phone: string, purpose: string): Promise<string | undefined> {
  const r = await call(base, 'GET', `/api/demo/sms-outbox?phone=${encodeURIComponent(phone)}`);
  const msg = (r.body.messages as Array<{ purpose: string; body: string }>).find((m) => m.purpose === purpose);
  return msg?.body.match(/\b(\d{6})\b/)?.[1];
}

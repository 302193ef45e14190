// Shop/ATM terminals sign every request with a shared secret:
// HMAC-SHA256(secret, "<ts>\n<METHOD>\n<path>\n<sha256(body) hex>"), accepted within ±60 s.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ATM_WINDOW_MS = 60_000;

export function signAtm(secret: string, ts: number, method: string, path: string, body: string): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', secret).update(`${ts}\n${method}\n${path}\n${bodyHash}`).digest('hex');
}

export function verifyAtm(
  secret: string,
  ts: number,
  method: string,
  path: string,
  body: string,
  signature: string,
  now: number,
): boolean {
  if (!Number.isFinite(ts) || Math.abs(now - ts) > ATM_WINDOW_MS) return false;
  const want = Buffer.from(signAtm(secret, ts, method, path, body), 'hex');
  const got = Buffer.from(signature, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

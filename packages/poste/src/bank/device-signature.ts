// Requests from the banking app are signed with the device key: HMAC-SHA256 over "purpose.subject.timestamp",
// accepted within ±60 s. A stolen session cookie cannot approve a payment; only the enrolled device can.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_WINDOW_MS = 60_000;

export function signDevice(key: string, purpose: string, subject: string, timestamp: number): string {
  return createHmac('sha256', key).update(`${purpose}.${subject}.${timestamp}`).digest('hex');
}

export function verifyDevice(
  key: string,
  purpose: string,
  subject: string,
  timestamp: number,
  signature: string,
  now: number,
): boolean {
  if (!Number.isFinite(timestamp) || Math.abs(now - timestamp) > SIGNATURE_WINDOW_MS) return false;
  const expected = Buffer.from(signDevice(key, purpose, subject, timestamp), 'hex');
  const got = Buffer.from(signature, 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

import { createHash, timingSafeEqual } from 'node:crypto';

// Bearer token check in constant time: both sides are hashed first, so neither the content nor the length of
// the expected token leaks through response timing.

export function bearerMatches(header: string | undefined, token: string): boolean {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return false;
  const given = createHash('sha256').update(header.slice(7).trim()).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected);
}

// Tracking numbers follow the UPU S10 shape: 2 service letters, 8 serial digits, 1 mod-11 check digit,
// 2-letter country ("FR"), e.g. LA123456785FR. The check digit catches typos and lets us reject junk with
// no database access.

const WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];

/** S10 check digit for an 8-digit serial. */
export function checkDigit(serial: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (serial.charCodeAt(i) - 48) * WEIGHTS[i];
  const c = 11 - (sum % 11);
  return c === 10 ? 0 : c === 11 ? 5 : c;
}

export function makeTrackingNumber(service: string, serialNumber: number, country = 'FR'): string {
  const serial = String(serialNumber).padStart(8, '0');
  return `${service}${serial}${checkDigit(serial)}${country}`;
}

function isUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}
function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export type TrackingCheck = { ok: true; id: string } | { ok: false; reason: 'shape' | 'check-digit' };

/** Validate without regex or allocation beyond the upper-casing. */
export function checkTrackingNumber(raw: string): TrackingCheck {
  if (raw.length !== 13) return { ok: false, reason: 'shape' };
  const id = raw.toUpperCase();
  for (let i = 0; i < 13; i++) {
    const c = id.charCodeAt(i);
    const letter = i < 2 || i > 10;
    if (letter ? !isUpper(c) : !isDigit(c)) return { ok: false, reason: 'shape' };
  }
  if (checkDigit(id.slice(2, 10)) !== id.charCodeAt(10) - 48) return { ok: false, reason: 'check-digit' };
  return { ok: true, id };
}

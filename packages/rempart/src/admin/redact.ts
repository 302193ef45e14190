// The running config as shown by GET /api/config: secrets replaced, everything else as loaded.

const SECRET_KEY = /token|secret|password|passphrase|credential|api_key/i;
export const REDACTED = '[redacted]';

export function redactConfig(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return REDACTED;
    return redactUrlPassword(value);
  }
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEY.test(k) && v !== undefined ? REDACTED : redactConfig(v, k);
    return out;
  }
  return value;
}

/** "redis://user:pw@host:6379" → "redis://user:[redacted]@host:6379". */
function redactUrlPassword(s: string): string {
  const at = s.indexOf('@');
  const scheme = s.indexOf('://');
  if (at < 0 || scheme < 0 || at < scheme) return s;
  const colon = s.indexOf(':', scheme + 3);
  if (colon < 0 || colon > at) return s;
  return `${s.slice(0, colon + 1)}${REDACTED}${s.slice(at)}`;
}

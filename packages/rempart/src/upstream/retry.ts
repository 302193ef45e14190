// When may a failed upstream attempt be tried again? Only when the origin cannot have acted on it:
// an idempotent method, no request body (a streamed body cannot be replayed), and a failure to connect or a
// reset before any response byte. Anything else is answered as it is.

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Error codes that mean "the request never reached a working origin connection". */
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export interface RetryFacts {
  method: string;
  /** The request carries a body (streamed from the client, so it cannot be sent twice). */
  hasBody: boolean;
  /** The origin already sent a status line for this attempt. */
  responseStarted: boolean;
  errorCode: string | undefined;
  /** Retries already made for this request. */
  retried: number;
}

export function shouldRetry(f: RetryFacts, maxRetries: number): boolean {
  if (f.retried >= maxRetries) return false;
  if (f.hasBody || f.responseStarted) return false;
  if (!IDEMPOTENT.has(f.method)) return false;
  return f.errorCode !== undefined && RETRYABLE_CODES.has(f.errorCode);
}

/** Error code of a pool or socket error (UND_ERR_SOCKET wraps socket errors; the cause carries the syscall code). */
export function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (e == null) return undefined;
  if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
  if (e.cause && typeof e.cause.code === 'string') return e.cause.code;
  return typeof e.code === 'string' ? e.code : undefined;
}

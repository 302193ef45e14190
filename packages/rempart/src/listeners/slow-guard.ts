import { performance } from 'node:perf_hooks';
import type { LimitsConfig } from '../config/schema.ts';
import { isH2Request } from './hygiene.ts';
import type { AnyRequest } from './types.ts';

// Slow-attack timers. Slow headers are Node's own headersTimeout (checked every connectionsCheckingInterval,
// answered 408 by the clientError handler). Slow bodies and oversized bodies are watched here without
// consuming the stream: the guard counts bytes as the parser pushes them, so whoever forwards the body
// (pipe, for-await, undici) reads it exactly as if the guard were not there.

export interface BodyLimits {
  /** Largest body accepted; 0 = no body allowed. */
  maxBytes: number;
  /** Minimum bytes per second over each window of graceMs; 0 disables the rate check. */
  minRateBps: number;
  graceMs: number;
}

export interface BodyGuard {
  readonly violation: 408 | 413 | undefined;
  /** Stops watching (response already decided elsewhere). */
  stop(): void;
}

/** The guard of a request without a body: nothing to watch. */
export const NO_BODY: BodyGuard = Object.freeze({ violation: undefined, stop() {} });
const TOO_LARGE: BodyGuard = Object.freeze({ violation: 413 as const, stop() {} });

/** Pure rule for one rate window: did the client send enough in `elapsedMs`, given what was left to send? */
export function decideBodyRate(
  receivedInWindow: number,
  elapsedMs: number,
  minRateBps: number,
  remaining: number | undefined,
): boolean {
  let need = (minRateBps * elapsedMs) / 1000;
  if (remaining !== undefined && remaining < need) need = remaining;
  return receivedInWindow >= need;
}

function declaredLength(req: AnyRequest): number | undefined {
  const cl = req.headers['content-length'];
  if (cl === undefined) return undefined;
  const n = Number(cl);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function hasBody(req: AnyRequest): boolean {
  if (isH2Request(req)) return !req.stream.endAfterHeaders;
  return req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Watches one request body. Calls onViolation at most once: 413 (synchronously, before anything is forwarded,
 * when Content-Length already exceeds maxBytes; or later when a chunked body grows past it) or 408 when the
 * body arrives slower than minRateBps. The caller answers (writeError with close) and stops forwarding.
 */
export function guardBody(
  req: AnyRequest,
  limits: BodyLimits,
  onViolation: (status: 408 | 413) => void,
  tickMs = 1_000,
): BodyGuard {
  if (!hasBody(req)) return NO_BODY;
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limits.maxBytes) {
    onViolation(413);
    return TOO_LARGE;
  }
  if (declared === 0) return NO_BODY;

  let received = 0;
  let markBytes = 0;
  let markAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const state: { violation: 408 | 413 | undefined; stop(): void } = { violation: undefined, stop };
  const push = req.push;

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = undefined;
    req.push = push;
  }
  function violate(status: 408 | 413): void {
    if (state.violation !== undefined) return;
    state.violation = status;
    stop();
    onViolation(status);
  }
  req.push = function countingPush(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) stop();
    else if (state.violation === undefined) {
      received += (chunk as Buffer).length;
      if (received > limits.maxBytes) {
        violate(413);
        return false;
      }
    }
    return push.call(req, chunk, encoding);
  };
  if (limits.minRateBps > 0 && limits.graceMs > 0) {
    timer = setInterval(
      () => {
        const now = performance.now();
        // Unread bytes piling up mean our consumer is slow, not the client: restart the window.
        if (req.readableLength >= req.readableHighWaterMark) {
          markBytes = received;
          markAt = now;
          return;
        }
        const elapsed = now - markAt;
        if (elapsed < limits.graceMs) return;
        const remaining = declared === undefined ? undefined : declared - received;
        if (!decideBodyRate(received - markBytes, elapsed, limits.minRateBps, remaining)) violate(408);
        else {
          markBytes = received;
          markAt = now;
        }
      },
      Math.min(tickMs, limits.graceMs),
    );
    timer.unref();
  }
  req.once('close', stop);
  return state;
}

/** Node's HTTP/1 server timeouts from the limits, clamped to what Node accepts. */
export function httpTimeouts(limits: LimitsConfig): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  const requestTimeout = limits.request_timeout_ms;
  // Node refuses headersTimeout > requestTimeout when the latter is set.
  const headersTimeout =
    requestTimeout > 0 ? Math.min(limits.header_timeout_ms, requestTimeout) : limits.header_timeout_ms;
  // Node checks these timeouts on an interval (default 30 s): tighten it so a 10 s limit means ~10 s.
  const connectionsCheckingInterval = Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 4) || 1_000));
  return { headersTimeout, requestTimeout, keepAliveTimeout: limits.keepalive_timeout_ms, connectionsCheckingInterval };
}

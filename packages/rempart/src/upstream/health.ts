// Health of one upstream, as pure transitions over a small record (tested with a hand-moved clock).
// Two views combine: active probes (unhealthy after N failed probes, healthy again after M good ones) and
// passive ejection (K consecutive failed requests → down for a back-off that doubles on each relapse; when it
// runs out one trial request is let through, half-open, and its result closes or re-opens the breaker).

export type HealthStatus = 'up' | 'down' | 'ejected' | 'half-open';

export interface HealthParams {
  /** Active checks configured; without them the upstream is up unless ejected. */
  active: boolean;
  unhealthyAfter: number;
  healthyAfter: number;
  ejectAfterFailures: number;
  ejectBaseMs: number;
  ejectMaxMs: number;
}

export interface HealthState {
  /** Active-check view. */
  probedUp: boolean;
  probeStreak: number; // >0 consecutive good probes, <0 consecutive bad ones
  failures: number; // consecutive failed requests
  ejectedUntil: number; // mono ms; 0 when not ejected
  ejections: number; // consecutive ejections, drives the back-off
  trialInFlight: boolean;
  since: number; // mono ms of the last status change
}

export function newHealthState(now: number): HealthState {
  return {
    probedUp: true,
    probeStreak: 0,
    failures: 0,
    ejectedUntil: 0,
    ejections: 0,
    trialInFlight: false,
    since: now,
  };
}

export function healthStatus(s: HealthState, now: number): HealthStatus {
  if (!s.probedUp) return 'down';
  if (s.ejectedUntil === 0) return 'up';
  return now < s.ejectedUntil ? 'ejected' : 'half-open';
}

export type Admit = 'go' | 'trial' | 'refuse';

/** May a request be sent now? In half-open, exactly one trial request at a time. Mutates trialInFlight. */
export function admit(s: HealthState, now: number): Admit {
  const st = healthStatus(s, now);
  if (st === 'up') return 'go';
  if (st === 'half-open' && !s.trialInFlight) {
    s.trialInFlight = true;
    return 'trial';
  }
  return 'refuse';
}

/** Seconds a refused client should wait before retrying. */
export function retryAfterS(s: HealthState, now: number, probeIntervalMs: number): number {
  const ms = s.probedUp && s.ejectedUntil > now ? s.ejectedUntil - now : probeIntervalMs;
  return Math.max(1, Math.ceil(ms / 1000));
}

export type HealthEvent = 'ejected' | 'restored' | 'down' | 'up' | undefined;

/** Result of one proxied request (passive view). `ok` = the origin answered with a non-5xx status. */
export function recordResult(s: HealthState, ok: boolean, trial: boolean, now: number, p: HealthParams): HealthEvent {
  if (trial) s.trialInFlight = false;
  if (ok) {
    s.failures = 0;
    if (s.ejectedUntil !== 0 && (trial || now >= s.ejectedUntil)) {
      s.ejectedUntil = 0;
      s.ejections = 0;
      s.since = now;
      return 'restored';
    }
    return undefined;
  }
  s.failures++;
  const relapse = trial && s.ejectedUntil !== 0;
  if (relapse || (s.ejectedUntil === 0 && s.failures >= p.ejectAfterFailures)) {
    s.ejections++;
    const backoff = Math.min(p.ejectMaxMs, p.ejectBaseMs * 2 ** (s.ejections - 1));
    s.ejectedUntil = now + backoff;
    s.since = now;
    return 'ejected';
  }
  return undefined;
}

/** Result of one active probe. A good probe past the ejection window also ends the ejection. */
export function recordProbe(s: HealthState, ok: boolean, now: number, p: HealthParams): HealthEvent {
  if (ok) s.probeStreak = s.probeStreak > 0 ? s.probeStreak + 1 : 1;
  else s.probeStreak = s.probeStreak < 0 ? s.probeStreak - 1 : -1;
  if (s.probedUp && !ok && -s.probeStreak >= p.unhealthyAfter) {
    s.probedUp = false;
    s.since = now;
    return 'down';
  }
  if (!s.probedUp && ok && s.probeStreak >= p.healthyAfter) {
    s.probedUp = true;
    s.failures = 0;
    s.since = now;
    return 'up';
  }
  if (ok && s.ejectedUntil !== 0 && now >= s.ejectedUntil && !s.trialInFlight) {
    s.ejectedUntil = 0;
    s.ejections = 0;
    s.failures = 0;
    s.since = now;
    return 'restored';
  }
  return undefined;
}

import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';
import type { LimitsConfig } from '../config/schema.ts';

// Per-session error budget for HTTP/2. Node/nghttp2 already enforce max concurrent streams, header list
// size and invalid-frame counts; what they do not bound is a client that opens and cancels streams as
// fast as it can (rapid reset): each cancelled stream still costs us a request dispatch. We count stream
// resets and session-level frame errors in a fixed 10-second window and close the session when over.

export const RESET_WINDOW_MS = 10_000;

export interface ResetBudgetState {
  windowStart: number;
  count: number;
}

/** Pure rule: records one reset at `now`; returns true when the session has exceeded its budget. */
export function decideReset(state: ResetBudgetState, now: number, maxPer10s: number): boolean {
  if (now - state.windowStart >= RESET_WINDOW_MS) {
    state.windowStart = now;
    state.count = 0;
  }
  state.count++;
  return state.count > maxPer10s;
}

export function newResetBudget(now: number): ResetBudgetState {
  return { windowStart: now, count: 0 };
}

/** HTTP/2 server options from the limits: what nghttp2 enforces by itself. */
export function h2ServerOptions(limits: LimitsConfig) {
  const perSecond = Math.max(1, Math.ceil(limits.h2.max_resets_per_10s / 10));
  return {
    settings: {
      maxConcurrentStreams: limits.h2.max_concurrent_streams,
      maxHeaderListSize: limits.h2.max_header_list_bytes,
    },
    maxHeaderListPairs: limits.max_headers + 8, // + pseudo-headers
    // nghttp2's own rapid-reset token bucket; our window count below is the operator-visible budget.
    streamResetRate: perSecond,
    streamResetBurst: limits.h2.max_resets_per_10s,
    maxSessionInvalidFrames: 100,
    maxSessionRejectedStreams: 100,
  };
}

const kBudget = Symbol('rempart.h2budget');
type WatchedSession = Http2Session & {
  [kBudget]?: { state: ResetBudgetState; max: () => number; onAbuse: (reason: string) => void; closed: boolean };
};

function spend(session: WatchedSession, reason: string): void {
  const b = session[kBudget];
  if (!b || b.closed) return;
  if (!decideReset(b.state, performance.now(), b.max())) return;
  b.closed = true;
  b.onAbuse(reason);
  // GOAWAY tells a well-behaved client why; destroy makes sure a hostile one stops costing us.
  if (!session.destroyed) {
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    session.destroy();
  }
}

// Shared listeners (no closure per stream). A closed stream has already let go of its session, so the
// session is remembered on the stream when it opens.
const kOwner = Symbol('rempart.h2owner');
type OwnedStream = ServerHttp2Stream & { [kOwner]?: WatchedSession };
function onStreamClose(this: OwnedStream): void {
  const owner = this[kOwner];
  this[kOwner] = undefined;
  if (owner && this.rstCode !== undefined && this.rstCode !== constants.NGHTTP2_NO_ERROR) spend(owner, 'stream-resets');
}
function onStream(this: WatchedSession, stream: OwnedStream): void {
  stream[kOwner] = this;
  stream.once('close', onStreamClose);
}
function onFrameError(this: WatchedSession): void {
  spend(this, 'frame-errors');
}
function onSessionError(this: WatchedSession): void {
  this.destroy();
}

/** Counts resets and frame errors for one session; closes it (GOAWAY + destroy) when over budget. */
export function watchSession(session: Http2Session, max: () => number, onAbuse: (reason: string) => void): void {
  const s = session as WatchedSession;
  s[kBudget] = { state: newResetBudget(performance.now()), max, onAbuse, closed: false };
  s.on('stream', onStream);
  s.on('frameError', onFrameError);
  s.on('error', onSessionError);
}

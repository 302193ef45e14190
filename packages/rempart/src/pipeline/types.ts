import type { IncomingHttpHeaders } from 'node:http';
import type { Policy } from '../config/compile.ts';
import type { Clock } from '../core/clock.ts';
import type { Store } from '../state/store.ts';
import type { ClientCert } from './access/decide.ts';

// The four verdict kinds of the request path. A stage returns one; respond.ts alone turns it into bytes.
export type Verdict =
  | { kind: 'pass' }
  | { kind: 'challenge'; rule: string; difficulty: number }
  | { kind: 'limit'; rule: string; status: 429 | 503; retryAfterS: number }
  | { kind: 'block'; rule: string; status: 403 };

export const PASS: Verdict = Object.freeze({ kind: 'pass' });

export type RouteClass = 'critical' | 'normal' | 'bulk' | 'static';
export const ROUTE_CLASSES: readonly RouteClass[] = ['critical', 'normal', 'bulk', 'static'];
/** Lower number = shed later. */
export const CLASS_PRIORITY: Readonly<Record<RouteClass, number>> = { critical: 0, normal: 1, static: 2, bulk: 3 };

export type Mode = 'normal' | 'elevated' | 'under-attack';

/**
 * What a request's trace keeps: lines only for rules that matched (the deciding verdict, dry-run marks,
 * allow-list and state-error notes). Stages that passed without a word are implied by ctx.stages and
 * ctx.stagesRun (run.ts fullTrace() spells them out), so a clean walk allocates no line at all.
 */
export interface TraceLine {
  stage: string;
  kind: Verdict['kind'];
  rule?: string;
  /** Rule matched but in dry-run: what it would have done. */
  dryRun?: Verdict['kind'];
  /** A fact for the explain API that is no metric label (e.g. the client certificate's cn=…). */
  detail?: string;
  /** Index in ctx.stages of the stage the line was written under (set by the walk); absent outside the walk. */
  at?: number;
}

/** One object per request, made at accept by newCtx(), dropped at the end. Each stage owns its fields. */
export interface RequestCtx {
  readonly id: string;
  readonly startedAt: number; // clock.now()
  readonly startedMono: number; // clock.mono()
  readonly method: string;
  /** Path without the query string, as received (not decoded). */
  readonly path: string;
  /** Raw query string without "?", or "" */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: '1.0' | '1.1' | '2.0';
  readonly tls: boolean;
  /** The TCP peer address (normalised). */
  readonly peerIp: string;
  /** Set by the listener when the connection's client certificate chains to the listener's tls.client_ca. */
  readonly clientCert?: ClientCert;
  /** Set by https listeners: the TLS handshake's facts hashed once per connection (detection's fingerprint). */
  readonly tlsPrint?: number;
  /** Written by identity/ only. */
  client?: { ip: string; prefix: string };
  /** Written by route matching before the pipeline runs. */
  route?: CompiledRouteRef;
  routeClass?: RouteClass;
  /** Written by access/ only: an allow-listed client skips limits, bans and challenges. */
  allowListed?: boolean;
  /** Written by challenge/ only: the clearance token's state, verified at most once per request. */
  clearance?: 'valid' | 'none' | 'invalid' | 'spent';
  /** Written by challenge/ only: a Set-Cookie the gateway adds to the answer it serves (the visitor pass). */
  setCookie?: string;
  /** Written by challenge/ only: the request carries a live visitor pass, checked (and spent) at most once. */
  pass?: boolean;
  /** 0..1 suspicion of this client (detection may write it); the challenge stage reads it, 0 when absent. */
  score?: number;
  /** Small urlencoded/JSON body fields, buffered by the server on routes whose rules read form:X (route.needsForm). */
  form?: Record<string, string>;
  trace: TraceLine[];
  /** The stage list the pipeline walked (set by runPipeline; replaced whole on reload, so it names the stages). */
  stages?: readonly Stage[];
  /** How many of ctx.stages ran; the last of them decided when the verdict is not pass. */
  stagesRun?: number;
  /** Admission ticket: called exactly once, in finally. */
  release?: (how: 'done' | 'cancel') => void;
  /** Set by the server when the client closed before its response: admission drops it from its queue. */
  clientGone?: boolean;
  /** How the micro-cache answered (hit, stale, miss, pass, error, bypass), for the access log. */
  cache?: string;
  /** Written by detect/ only (detect/facts.ts requestShape): computed at most once per request. */
  detect?: { fingerprint: string; template: string; shapeKey: string };
}

/** What the pipeline needs to know about the matched route; the full compiled route lives in config/compile. */
export interface CompiledRouteRef {
  readonly name: string;
  readonly routeClass: RouteClass;
  readonly upstream: string;
}

/** Published by detect/ about once a second; stages read it and never compute it (Envoy's overload snapshot). */
export interface DetectSnapshot {
  readonly mode: Mode;
  /** 0..1: how close the origin and the gateway are to saturation. */
  readonly pressure: number;
  /** Operator pinned the mode through the admin API. */
  readonly pinned: boolean;
  /**
   * Mode-wide measures (class challenges, bulk shedding) are on: the mode was pinned, or the origin's pressure
   * reached `detect.engage_pressure` since the mode left normal (latched until it returns). Until then the
   * per-shape actions alone meet the flood. Absent: a publisher that does not gate (engaged outside normal).
   */
  readonly engaged?: boolean;
  readonly since: number;
}

/**
 * What stages may use. One object for the process; `policy` and `snapshot` are replaced whole (never mutated)
 * on config reload and on each detection tick, so a request reads one consistent version.
 */
export interface Deps {
  readonly clock: Clock;
  readonly store: Store;
  /** Compiled configuration (config/compile.ts); replaced whole on reload. */
  policy: Policy;
  snapshot: DetectSnapshot;
}

export interface Stage<D extends Deps = Deps> {
  readonly name: string;
  /** Sync where possible (hot path); may return a promise when it must wait (state backend, admission queue). */
  run(ctx: RequestCtx, deps: D): Verdict | Promise<Verdict>;
}

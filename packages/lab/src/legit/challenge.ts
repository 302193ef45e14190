import type { Reply } from '../load/http-send.ts';

// The hook through which a legit client answers Rempart's JSON challenge (issue 6 protocol: a 401/429 JSON
// challenge with WWW-Authenticate-style parameters, answered by a proof in a header). A solver returns
// the headers to retry with, or undefined when it cannot solve (then the user counts as challenged).

export interface ChallengeSolver {
  solve(reply: Reply, client: SolverClient): Promise<Record<string, string> | undefined>;
}

/** Who is solving: the proof must come from the same address and User-Agent the clearance is bound to. */
export interface SolverClient {
  host: string;
  port: number;
  localAddress: string;
  userAgent: string;
  agent: import('node:http').Agent;
  /** Told of each proof solved: the solve's own time and how long it waited for a free lab thread first. */
  onSolved?(solveMs: number, queuedMs: number): void;
}

/** Is this reply a challenge (rather than a plain refusal)? */
export function isChallenge(reply: Reply): boolean {
  if (reply.status !== 401 && reply.status !== 403 && reply.status !== 429) return false;
  const auth = String(reply.headers['www-authenticate'] ?? '');
  if (/rempart|pow|challenge/i.test(auth)) return true;
  return reply.body.includes('"challenge"');
}

/** A user who cannot solve (tests, or a client without the gateway's code): reported as challenged. */
export const noSolver: ChallengeSolver = { solve: async () => undefined };

import type { DecisionRecord } from '../obs/decisions.ts';

// GET /api/decisions/:id — "why was I blocked?": the verdict, the rule that decided, and every stage's
// line with its rule and dry-run mark, plus one bilingual sentence a support person can paste back. Stages
// are not timed one by one (the walk reads no clock); `ms` is the whole request's, as in the access log.

const WHAT: Readonly<Record<DecisionRecord['verdict'], readonly [fr: string, en: string]>> = {
  pass: ['La requête a été transmise au service', 'The request was passed to the service'],
  challenge: ['Le navigateur a dû résoudre un défi', 'The browser was asked to solve a challenge'],
  limit: [
    'La requête a été limitée (trop de requêtes ou service surchargé)',
    'The request was limited (too many requests or service overloaded)',
  ],
  block: ['La requête a été refusée', 'The request was refused'],
};

export function explainDecision(r: DecisionRecord) {
  const [fr, en] = WHAT[r.verdict];
  const by = r.rule === null ? '' : ` (${r.rule})`;
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    client: { ip: r.ip, prefix: r.prefix },
    request: { method: r.method, path: r.path, route: r.route, class: r.routeClass },
    verdict: r.verdict,
    status: r.status,
    rule: r.rule,
    ms: r.ms,
    explanation_fr: `${fr}${by}.`,
    explanation_en: `${en}${by}.`,
    trace: r.trace.map((t) => ({
      stage: t.stage,
      verdict: t.kind,
      rule: t.rule ?? null,
      mode: t.dryRun === undefined ? 'enforce' : 'dry-run',
      would_have: t.dryRun ?? null,
      ...(t.detail === undefined ? {} : { detail: t.detail }),
    })),
  };
}

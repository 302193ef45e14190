import type { Counter } from 'prom-client';
import { ROUTE_CLASSES, type RouteClass, type Verdict } from '../pipeline/types.ts';
import type { CellHistogram } from './cell-histogram.ts';
import { CounterTally } from './counter-tally.ts';

// The per-request metric calls of the request path (metrics.ts declares the metrics): label sets become
// array indexes once, so a request costs a few increments in typed arrays and no label hashing.

const VERDICTS = ['pass', 'challenge', 'limit', 'block'] as const;
const CLASSES = [...ROUTE_CLASSES, 'none'] as const;
const VERDICT_INDEX: Readonly<Record<string, number>> = { pass: 0, challenge: 1, limit: 2, block: 3 };
const CLASS_INDEX: Readonly<Record<string, number>> = { critical: 0, normal: 1, bulk: 2, static: 3, none: 4 };
/** Statuses below this get a tally slot per verdict × class; others (none in practice) go to prom-client. */
const STATUS_SPAN = 1000;
const MAX_REQUEST_SETS = 1024;
/** Rules with a tally: configured rules are tens; detection mints a rule id per flagged shape and mode. */
const MAX_RULES = 1024;
/** Per rule: verdict kind × dry-run. */
const RULE_SETS = 8;

/** The latency histogram's label sets, in the order requestRecorder indexes them. */
export const LATENCY_CELLS = VERDICTS.flatMap((verdict) => CLASSES.map((cls) => ({ verdict, class: cls })));

export function newRequestTally(): CounterTally<'verdict' | 'class' | 'status'> {
  return new CounterTally(MAX_REQUEST_SETS);
}

export function newRuleTally(): CounterTally<'rule' | 'kind' | 'dry_run'> {
  return new CounterTally(MAX_RULES * RULE_SETS);
}

/** The per-request call: one histogram cell and one tally slot per verdict × class × status, found by index. */
export function requestRecorder(
  requests: Counter<'verdict' | 'class' | 'status'>,
  tally: CounterTally<'verdict' | 'class' | 'status'>,
  duration: CellHistogram<'verdict' | 'class'>,
): (verdict: Verdict['kind'], cls: RouteClass | 'none', status: number, seconds: number) => void {
  const slots = new Int32Array(VERDICTS.length * CLASSES.length * STATUS_SPAN).fill(-1);
  return (verdict, cls, status, seconds) => {
    const cell = VERDICT_INDEX[verdict] * CLASSES.length + CLASS_INDEX[cls];
    duration.observe(cell, seconds);
    const k = status >= 0 && status < STATUS_SPAN ? cell * STATUS_SPAN + status : -1;
    let slot = k < 0 ? -1 : slots[k];
    if (slot < 0 && k >= 0) slot = slots[k] = tally.slot({ verdict, class: cls, status: String(status) });
    if (slot >= 0) tally.add(slot);
    else requests.inc({ verdict, class: cls, status: String(status) });
  };
}

/** A rule that matched (rempart_decisions_total): slots per rule id made on first sight, bounded by MAX_RULES. */
export function ruleRecorder(
  decisions: Counter<'rule' | 'kind' | 'dry_run'>,
  tally: CounterTally<'rule' | 'kind' | 'dry_run'>,
): (rule: string, kind: Verdict['kind'], dryRun: boolean) => void {
  const byRule = new Map<string, Int32Array>();
  return (rule, kind, dryRun) => {
    let slots = byRule.get(rule);
    if (slots === undefined && byRule.size < MAX_RULES) {
      slots = new Int32Array(RULE_SETS).fill(-1);
      byRule.set(rule, slots);
    }
    const k = VERDICT_INDEX[kind] * 2 + (dryRun ? 1 : 0);
    let slot = slots === undefined ? -1 : slots[k];
    if (slot < 0 && slots !== undefined) slot = slots[k] = tally.slot({ rule, kind, dry_run: String(dryRun) });
    if (slot >= 0) tally.add(slot);
    else decisions.inc({ rule, kind, dry_run: String(dryRun) });
  };
}

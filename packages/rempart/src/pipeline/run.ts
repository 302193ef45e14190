import { type Deps, PASS, type RequestCtx, type Stage, type Verdict } from './types.ts';

// The pipeline walk: stages in order, one trace line each, stop at the first non-pass verdict. It stays
// synchronous while every stage answers synchronously (the common case: memory state) and switches to an
// async continuation at the first promise. A stage in dry-run records what it would have done with
// recordDryRun() and returns pass; the walk then goes on.

/** Called by a stage whose rule matched in dry-run: traced, never enforced. */
export function recordDryRun(ctx: RequestCtx, stage: string, rule: string, would: Verdict['kind']): void {
  ctx.trace.push({ stage, kind: 'pass', rule, dryRun: would, ms: 0 });
}

/** Appends the stage's trace line (unless it wrote its own dry-run lines on pass); true when the walk stops. */
function record(ctx: RequestCtx, name: string, v: Verdict, mark: number, ms: number): boolean {
  const trace = ctx.trace;
  if (v.kind === 'pass') {
    if (trace.length === mark) trace.push({ stage: name, kind: 'pass', ms });
    else for (let i = mark; i < trace.length; i++) trace[i].ms = ms;
    return false;
  }
  trace.push({ stage: name, kind: v.kind, rule: v.rule, ms });
  return true;
}

export function runPipeline(ctx: RequestCtx, deps: Deps, stages: readonly Stage[]): Verdict | Promise<Verdict> {
  const clock = deps.clock;
  let t = clock.mono();
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i];
    const mark = ctx.trace.length;
    const v = s.run(ctx, deps);
    if (v instanceof Promise) return finishAsync(ctx, deps, stages, i, mark, t, v);
    const end = clock.mono();
    if (record(ctx, s.name, v, mark, end - t)) return v;
    t = end;
  }
  return PASS;
}

async function finishAsync(
  ctx: RequestCtx,
  deps: Deps,
  stages: readonly Stage[],
  from: number,
  firstMark: number,
  firstStart: number,
  first: Promise<Verdict>,
): Promise<Verdict> {
  const clock = deps.clock;
  let mark = firstMark;
  let t = firstStart;
  let pending: Verdict | Promise<Verdict> = first;
  for (let i = from; i < stages.length; i++) {
    if (i > from) {
      mark = ctx.trace.length;
      pending = stages[i].run(ctx, deps);
    }
    const v = await pending;
    const end = clock.mono();
    if (record(ctx, stages[i].name, v, mark, end - t)) return v;
    t = end;
  }
  return PASS;
}

import { type Deps, PASS, type RequestCtx, type Stage, type TraceLine, type Verdict } from './types.ts';

// The pipeline walk: stages in order, stop at the first non-pass verdict. It stays synchronous while every
// stage answers synchronously (the common case: memory state) and switches to an async continuation at the
// first promise. A stage in dry-run records what it would have done with recordDryRun() and returns pass; the
// walk then goes on. The walk writes no line for a stage that passes silently and reads no clock: it keeps
// the stage list and how far it went (ctx.stages, ctx.stagesRun), and fullTrace() spells the passes out when
// someone asks (the explain API, tests).

/** Called by a stage whose rule matched in dry-run: traced, never enforced. */
export function recordDryRun(ctx: RequestCtx, stage: string, rule: string, would: Verdict['kind']): void {
  ctx.trace.push({ stage, kind: 'pass', rule, dryRun: would });
}

/** Notes stage i's outcome: lines it wrote stand for it; a refusal adds the deciding line. True when the walk stops. */
function settle(ctx: RequestCtx, i: number, name: string, v: Verdict, mark: number): boolean {
  const trace = ctx.trace;
  for (let j = mark; j < trace.length; j++) trace[j].at ??= i;
  ctx.stagesRun = i + 1;
  if (v.kind === 'pass') return false;
  trace.push({ stage: name, kind: v.kind, rule: v.rule, at: i });
  return true;
}

export function runPipeline(ctx: RequestCtx, deps: Deps, stages: readonly Stage[]): Verdict | Promise<Verdict> {
  ctx.stages = stages;
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i];
    const mark = ctx.trace.length;
    const v = s.run(ctx, deps);
    if (v instanceof Promise) return finishAsync(ctx, deps, stages, i, mark, v);
    if (settle(ctx, i, s.name, v, mark)) return v;
  }
  return PASS;
}

async function finishAsync(
  ctx: RequestCtx,
  deps: Deps,
  stages: readonly Stage[],
  from: number,
  firstMark: number,
  first: Promise<Verdict>,
): Promise<Verdict> {
  let mark = firstMark;
  let pending: Verdict | Promise<Verdict> = first;
  for (let i = from; i < stages.length; i++) {
    if (i > from) {
      mark = ctx.trace.length;
      pending = stages[i].run(ctx, deps);
    }
    const v = await pending;
    if (settle(ctx, i, stages[i].name, v, mark)) return v;
  }
  return PASS;
}

/**
 * The whole trace in walk order: a pass line for each stage that ran without writing one, the lines written
 * under each stage in its place, and lines written outside the walk (a body limit hit later) at the end.
 */
export function expandTrace(names: readonly string[], ran: number, lines: readonly TraceLine[]): TraceLine[] {
  const out: TraceLine[] = [];
  let next = 0;
  for (const line of lines) {
    const at = line.at === undefined || line.at >= ran ? ran : line.at;
    while (next < at) out.push({ stage: names[next++], kind: 'pass' });
    if (at < ran && at >= next) next = at + 1;
    out.push(line);
  }
  while (next < ran) out.push({ stage: names[next++], kind: 'pass' });
  return out;
}

/** The request's whole trace (see expandTrace). */
export function fullTrace(ctx: Pick<RequestCtx, 'trace' | 'stages' | 'stagesRun'>): TraceLine[] {
  return expandTrace(ctx.stages?.map((s) => s.name) ?? [], ctx.stagesRun ?? 0, ctx.trace);
}

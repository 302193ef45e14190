import { cpus, platform, release, totalmem } from 'node:os';
import type { ChallengeSolver } from '../legit/challenge.ts';
import { rateLabel, type Scenario } from '../scenario/schema.ts';
import { type TargetName, targetNames } from '../targets/target.ts';
import { targets } from '../targets/targets.ts';
import { REPORT_SCHEMA, type Report } from './report-types.ts';
import { type OriginKind, runTarget } from './run-target.ts';

// A scenario against one or several targets in turn (same scenario, same seed), into one report.

export interface ScenarioRunOptions {
  scenario: Scenario;
  quick: boolean;
  targets: TargetName[];
  solver?: ChallengeSolver;
  origin?: OriginKind;
  seed?: number;
  progress?: (line: string) => void;
  /** Where to say a target is skipped or failed (stderr in the CLI). */
  notice?: (line: string) => void;
  /** Injected for tests of the skip logic. */
  availability?: (t: TargetName) => string | undefined;
}

export function compareTargets(): TargetName[] {
  return [...targetNames];
}

export async function runScenario(o: ScenarioRunOptions): Promise<Report> {
  const started = new Date().toISOString();
  const report: Report = {
    schema: REPORT_SCHEMA,
    scenario: {
      name: o.scenario.name,
      description: o.scenario.description,
      quick: o.quick,
      origin: o.origin ?? 'lab',
      phases: o.scenario.phases.map((p) => ({
        name: p.name,
        duration_s: p.duration_s,
        attacks: p.attacks.map((a) => `${a.vector}@${rateLabel(a)}`),
      })),
    },
    started_at: started,
    finished_at: started,
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      mem_gb: Math.round(totalmem() / 2 ** 30),
      os: `${platform()} ${release()}`,
      node: process.version,
    },
    targets: {},
  };
  for (const name of o.targets) {
    const why = (o.availability ?? ((t: TargetName) => targets[t].unavailable()))(name);
    if (why) {
      report.targets[name] = { status: 'skipped', target: name, reason: why };
      o.notice?.(`${name}: skipped (${why})`);
      continue;
    }
    try {
      report.targets[name] = await runTarget({
        scenario: o.scenario,
        target: name,
        origin: o.origin,
        solver: o.solver,
        seed: o.seed,
        progress: o.progress,
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      report.targets[name] = { status: 'failed', target: name, reason: reason.slice(0, 2000) };
      o.notice?.(`${name}: failed (${reason.split('\n')[0]})`);
    }
  }
  report.finished_at = new Date().toISOString();
  return report;
}

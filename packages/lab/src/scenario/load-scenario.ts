import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type Scenario, scenarioSchema } from './schema.ts';

export const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export class ScenarioError extends Error {}

export function listScenarios(dir = SCENARIO_DIR): Scenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => loadScenarioFile(join(dir, f)));
}

/** By name (a file in the scenario folder) or by path to a YAML file. */
export function loadScenario(nameOrPath: string, dir = SCENARIO_DIR): Scenario {
  const file = nameOrPath.endsWith('.yaml') ? nameOrPath : join(dir, `${nameOrPath}.yaml`);
  return loadScenarioFile(file);
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ScenarioError(`scenario not found: ${file} (try \`rempart-lab list\`)`);
  }
  const parsed = scenarioSchema.safeParse(parse(text));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ScenarioError(`${file}: invalid scenario\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The --quick profile: same shape, shorter and lighter, ≤ 40 s. */
export function quickProfile(s: Scenario): Scenario {
  const total = s.phases.reduce((a, p) => a + p.duration_s, 0);
  const k = Math.min(1, s.quick.total_s / total);
  const f = s.quick.rate_factor;
  return {
    ...s,
    legit: { ...s.legit, users: Math.max(4, Math.round(s.legit.users * f)) },
    phases: s.phases.map((p) => ({
      ...p,
      duration_s: Math.max(1, Math.round(p.duration_s * k * 10) / 10),
      attacks: p.attacks.map((a) => ({
        ...a,
        rate: a.rate === undefined ? undefined : Math.max(1, Math.round(a.rate * f)),
        rate_x_capacity: a.rate_x_capacity === undefined ? undefined : Math.round(a.rate_x_capacity * f * 100) / 100,
        sources: Math.max(1, Math.round(a.sources * f)),
        max_connections: Math.max(1, Math.round(a.max_connections * f)),
        ramp_s: a.ramp_s * k,
      })),
    })),
  };
}

/** Override the total length (--duration S), keeping phase proportions. */
export function withDuration(s: Scenario, totalS: number): Scenario {
  const total = s.phases.reduce((a, p) => a + p.duration_s, 0);
  const k = totalS / total;
  return {
    ...s,
    phases: s.phases.map((p) => ({
      ...p,
      duration_s: Math.max(1, Math.round(p.duration_s * k * 10) / 10),
      attacks: p.attacks.map((a) => ({ ...a, ramp_s: a.ramp_s * k })),
    })),
  };
}

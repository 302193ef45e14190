import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderHtml } from './report/report-html.ts';
import { renderMarkdown } from './report/report-markdown.ts';
import type { Report } from './run/report-types.ts';
import { compareTargets, runScenario } from './run/run-scenario.ts';
import { listScenarios, loadScenario, quickProfile, ScenarioError, withDuration } from './scenario/load-scenario.ts';
import { killAllChildren } from './targets/spawn-ready.ts';
import { type TargetName, targetNames } from './targets/target.ts';
import { targets } from './targets/targets.ts';

// rempart-lab: run | list | targets. User errors print one line and no stack trace.

const USAGE = `usage:
  rempart-lab list                                   describe the shipped scenarios
  rempart-lab targets                                which targets can run on this machine
  rempart-lab summary DIR/report.json                a Markdown table of a report (for docs)
  rempart-lab run --scenario NAME|FILE.yaml [--target rempart|direct|nginx|haproxy] [--compare]
                  [--origin lab|poste] [--quick] [--duration S] [--out DIR] [--seed N]
`;

class UsageError extends Error {}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return v;
  }
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'list':
        for (const s of listScenarios()) {
          const total = s.phases.reduce((a, p) => a + p.duration_s, 0);
          const vectors = [...new Set(s.phases.flatMap((p) => p.attacks.map((a) => a.vector)))].join(', ');
          process.stdout.write(
            `${s.name.padEnd(16)} ${String(total).padStart(4)} s  [${vectors}]\n  ${s.description}\n`,
          );
        }
        return;
      case 'targets':
        for (const t of targetNames)
          process.stdout.write(`${t.padEnd(8)} ${targets[t].unavailable() ?? 'available'}\n`);
        return;
      case 'run':
        await run(rest);
        return;
      case 'summary': {
        const file = rest[0];
        if (!file) throw new UsageError('summary needs a report.json path');
        let report: Report;
        try {
          report = JSON.parse(readFileSync(file, 'utf8')) as Report;
        } catch (e) {
          throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
        }
        process.stdout.write(renderMarkdown(report));
        return;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        if (cmd === undefined) process.exitCode = 2;
        return;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`rempart-lab: ${e.message}\n${USAGE}`);
      process.exit(2);
    }
    if (e instanceof ScenarioError) {
      process.stderr.write(`rempart-lab: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

async function run(args: string[]): Promise<void> {
  const name = flag(args, '--scenario');
  if (!name) throw new UsageError('run needs --scenario NAME');
  const quick = args.includes('--quick');
  let scenario = loadScenario(name);
  if (quick) scenario = quickProfile(scenario);
  const duration = flag(args, '--duration');
  if (duration !== undefined) {
    const d = Number(duration);
    if (!(d > 0 && d <= 3600)) throw new UsageError('--duration must be 1..3600 seconds');
    scenario = withDuration(scenario, d);
  }
  const target = flag(args, '--target') ?? 'rempart';
  if (!targetNames.includes(target as TargetName))
    throw new UsageError(`--target must be one of ${targetNames.join(', ')}`);
  const list = args.includes('--compare') ? compareTargets() : [target as TargetName];
  const out = resolve(
    flag(args, '--out') ?? join('lab-results', `${scenario.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const seed = Number(flag(args, '--seed') ?? 1);
  const origin = flag(args, '--origin') ?? 'lab';
  if (origin !== 'lab' && origin !== 'poste') throw new UsageError('--origin must be lab or poste');
  mkdirSync(out, { recursive: true });
  const tty = process.stderr.isTTY;
  // Bounded whatever happens to a target or origin (killed from outside, wedged): the whole run gets its
  // phases plus two minutes of start-up and drain per target, then it ends, taking its children with it.
  const phasesS = scenario.phases.reduce((sum, p) => sum + p.duration_s, 0);
  const watchdogS = Math.ceil(list.length * (phasesS + 120));
  const watchdog = setTimeout(() => {
    const n = killAllChildren();
    process.stderr.write(
      `\nrempart-lab: the run passed its ${watchdogS} s bound; stopped it (${n} child processes killed)\n`,
    );
    process.exit(3);
  }, watchdogS * 1000);
  watchdog.unref();
  // Ctrl-C or a supervisor's SIGTERM: no gateway, origin or baseline proxy is left behind.
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      killAllChildren();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  const report = await runScenario({
    scenario,
    quick,
    targets: list,
    origin,
    seed,
    progress: (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
    notice: (line) => process.stderr.write(`${tty ? '\r\x1b[2K' : ''}${line}\n`),
  });
  clearTimeout(watchdog);
  if (tty) process.stderr.write('\n');
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, 'report.html'), renderHtml(report));
  for (const t of Object.values(report.targets)) {
    if (!t) continue;
    if (t.status !== 'ok') process.stdout.write(`${t.target.padEnd(8)} ${t.status}: ${t.reason.split('\n')[0]}\n`);
    else
      process.stdout.write(
        `${t.target.padEnd(8)} legit ok ${((t.legit.success_ratio ?? 0) * 100).toFixed(1)}%  p99 ${t.legit.p99_ms ?? '-'} ms  attack ${t.attack.requests} req, reached origin ${t.attack.reached_origin_ratio === null ? '-' : `${(t.attack.reached_origin_ratio * 100).toFixed(1)}%`}  ttm ${t.time_to_mitigate_s ?? '-'} s  gw cpu ${t.gateway.cpu_s ?? '-'} s rss ${t.gateway.max_rss_mb ?? '-'} MB\n`,
      );
  }
  process.stdout.write(`report: ${join(out, 'report.json')}\n        ${join(out, 'report.html')}\n`);
}

import type { Report } from '../run/report-types.ts';

// A Markdown summary of a report (for docs/results.md and closing notes): one row per target, same run.

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
const val = (x: number | null | undefined, unit = '') => (x === null || x === undefined ? '–' : `${x}${unit}`);

export function renderMarkdown(r: Report): string {
  const lines = [
    `### ${r.scenario.name}${r.scenario.quick ? ' (quick)' : ''} — origin: ${r.scenario.origin}`,
    '',
    `${r.started_at} · ${r.machine.cpus} × ${r.machine.cpu_model}, ${r.machine.mem_gb} GB, ${r.machine.os}, Node ${r.machine.node}`,
    '',
    `Phases: ${r.scenario.phases.map((p) => `${p.name} ${p.duration_s} s${p.attacks.length ? ` (${p.attacks.join(', ')})` : ''}`).join(' → ')}`,
    '',
    '| target | legit ok | legit p50 | legit p99 | critical ok | critical p99 | attack req | reached origin | time to mitigate | legit challenged / blocked | gateway CPU | gateway max RSS | generator dropped |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const t of Object.values(r.targets)) {
    if (!t) continue;
    if (t.status !== 'ok') {
      lines.push(
        `| ${t.target} | ${t.status}: ${t.reason.split('\n')[0].slice(0, 120).replace(/\|/g, '/')} |||||||||||||`,
      );
      continue;
    }
    lines.push(
      `| ${t.target} | ${pct(t.legit.success_ratio)} | ${val(t.legit.p50_ms, ' ms')} | ${val(t.legit.p99_ms, ' ms')} | ${pct(t.legit.per_class.critical.success_ratio)} | ${val(t.legit.per_class.critical.p99_ms, ' ms')} | ${t.attack.requests} | ${pct(t.attack.reached_origin_ratio)} | ${val(t.time_to_mitigate_s, ' s')} | ${t.collateral.legit_challenged} / ${t.collateral.legit_blocked} | ${val(t.gateway.cpu_s, ' s')} | ${val(t.gateway.max_rss_mb, ' MB')} | ${t.generator.dropped}${t.generator.saturated ? ' (saturated)' : ''} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

import type { Report, TargetRun } from '../run/report-types.ts';

// A Markdown summary of a report (for docs/results.md and closing notes): one row per target, same run.

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
const val = (x: number | string | null | undefined, unit = '') => (x === null || x === undefined ? '–' : `${x}${unit}`);
// Reports written before the field existed have no `solved`.
const solvedCell = (s: TargetRun['legit']['solved'] | undefined) =>
  s === undefined ? '–' : s.count === 0 ? '0' : `${s.count} (${val(s.p50_ms, ' ms')})`;

export function renderMarkdown(r: Report): string {
  const lines = [
    `### ${r.scenario.name}${r.scenario.quick ? ' (quick)' : ''} — origin: ${r.scenario.origin}`,
    '',
    `${r.started_at} · ${r.machine.cpus} × ${r.machine.cpu_model}, ${r.machine.mem_gb} GB, ${r.machine.os}, Node ${r.machine.node}`,
    '',
    `Phases: ${r.scenario.phases.map((p) => `${p.name} ${p.duration_s} s${p.attacks.length ? ` (${p.attacks.join(', ')})` : ''}`).join(' → ')}`,
    '',
    '| target | legit ok | legit p50 | legit p99 | critical ok | critical p99 | attack req | reached origin | time to mitigate | legit challenged / blocked | proofs solved (p50) | gateway CPU | gateway max RSS | generator dropped |',
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
      `| ${t.target} | ${pct(t.legit.success_ratio)} | ${val(t.legit.p50_ms, ' ms')} | ${val(t.legit.p99_ms, ' ms')} | ${pct(t.legit.per_class.critical.success_ratio)} | ${val(t.legit.per_class.critical.p99_ms, ' ms')} | ${t.attack.requests} | ${pct(t.attack.reached_origin_ratio)} | ${val(t.time_to_mitigate_s, ' s')} | ${t.collateral.legit_challenged} / ${t.collateral.legit_blocked} | ${solvedCell(t.legit.solved)} | ${val(t.gateway.cpu_s, ' s')} | ${val(t.gateway.max_rss_mb, ' MB')} | ${t.generator.dropped}${t.generator.saturated ? ' (saturated)' : ''} |`,
    );
  }
  const ran = Object.values(r.targets).filter((t) => t?.status === 'ok') as TargetRun[];
  const measured = ran.filter((t) => t.origin_capacity_rps !== null);
  if (measured.length > 0) {
    lines.push(
      '',
      '| target | origin capacity (measured) | attack req/s (busiest phase) | multiple of capacity | legit ok in that phase | legit p99 in that phase |',
      '|---|---|---|---|---|---|',
    );
    for (const t of measured) {
      const p = t.phases.find((x) => x.name === t.attack_peak_phase);
      lines.push(
        `| ${t.target} | ${t.origin_capacity_rps} req/s | ${val(p?.attack_rps)} (${val(t.attack_peak_phase)}) | ${val(t.attack_multiple, '×')} | ${pct(p?.legit.success_ratio)} | ${val(p?.legit.p99_ms, ' ms')} |`,
      );
    }
  }
  const h2 = ran.flatMap((t) => t.vectors.filter((v) => v.kind === 'h2').map((v) => ({ t: t.target, v })));
  if (h2.length > 0) {
    lines.push(
      '',
      '| target | h2 vector | phase | sessions | not h2 | streams opened / reset | CONTINUATION frames | closed by target | GOAWAY (calm) |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const { t, v } of h2) {
      const x = v.stats as Record<string, unknown>;
      if (typeof x.skipped === 'string') {
        lines.push(`| ${t} | ${v.vector} | ${v.phase} | skipped: ${x.skipped} ||||||`);
        continue;
      }
      lines.push(
        `| ${t} | ${v.vector} | ${v.phase} | ${x.sessions} | ${x.not_h2} | ${x.streams_opened} / ${x.streams_reset} | ${x.continuation_frames} | ${x.closed_by_target} | ${x.goaway_received} (${x.goaway_enhance_your_calm}) |`,
      );
    }
  }
  // Why legit steps were refused, by the gateway's own rule (reports before the field have none).
  const why = ran.filter((t) => (t.legit_refusals ?? []).length > 0);
  if (why.length > 0) lines.push('');
  for (const t of why) {
    const n = new Map<string, number>();
    for (const x of t.legit_refusals) {
      const k = `${x.step} ${x.status} ${x.rule ?? 'no rule'}`;
      n.set(k, (n.get(k) ?? 0) + 1);
    }
    lines.push(`- ${t.target} legit refusals: ${[...n].map(([k, c]) => `${k} ×${c}`).join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}

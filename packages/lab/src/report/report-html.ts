import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Report, TargetRun } from '../run/report-types.ts';

// A self-contained report.html: uPlot's JS and CSS inlined, the data inlined as JSON, no network needed.

const require = createRequire(import.meta.url);

function uplotAssets(): { js: string; css: string } {
  const dist = require.resolve('uplot/dist/uPlot.iife.min.js');
  return {
    js: readFileSync(dist, 'utf8'),
    css: readFileSync(dist.replace('uPlot.iife.min.js', 'uPlot.min.css'), 'utf8'),
  };
}

const esc = (s: unknown) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
const num = (x: number | null | undefined, unit = '') => (x === null || x === undefined ? '–' : `${x}${unit}`);

function summaryRows(r: Report): string {
  return Object.values(r.targets)
    .map((t) => {
      if (!t) return '';
      if (t.status !== 'ok')
        return `<tr><th>${esc(t.target)}</th><td colspan="9" class="muted">${esc(t.status)}: ${esc(t.reason)}</td></tr>`;
      return `<tr><th>${esc(t.target)}</th><td>${pct(t.legit.success_ratio)}</td><td>${num(t.legit.p50_ms, ' ms')}</td><td>${num(t.legit.p99_ms, ' ms')}</td>
<td>${pct(t.legit.per_class.critical.success_ratio)}</td><td>${t.attack.requests}</td><td>${pct(t.attack.reached_origin_ratio)}</td>
<td>${num(t.time_to_mitigate_s, ' s')}</td><td>${t.collateral.legit_challenged + t.collateral.legit_blocked}</td>
<td>${num(t.gateway.cpu_s, ' s')} / ${num(t.gateway.max_rss_mb, ' MB')}</td></tr>`;
    })
    .join('\n');
}

function phaseTable(t: TargetRun): string {
  const rows = t.phases
    .map(
      (
        p,
      ) => `<tr><td>${esc(p.name)}</td><td>${p.start_s}–${p.end_s} s</td><td>${p.legit.requests}</td><td>${pct(p.legit.success_ratio)}</td>
<td>${num(p.legit.p99_ms, ' ms')}</td><td>${p.attack.requests}</td><td>${p.attack_rps}</td><td>${num(p.attack_multiple, '×')}</td><td>${pct(p.attack.reached_origin_ratio)}</td></tr>`,
    )
    .join('\n');
  return `<table><tr><th>phase</th><th>time</th><th>legit req</th><th>legit ok</th><th>legit p99</th><th>attack req</th><th>attack req/s</th><th>× capacity</th><th>reached origin</th></tr>${rows}</table>`;
}

function capacityLine(t: TargetRun): string {
  const c = t.capacity;
  if (!c) return '';
  return `<p><b>origin capacity ${c.rps} req/s</b> (measured in this run before the phases: ${esc(c.vector)} mix, ${c.concurrency} closed-loop clients straight to the origin for ${c.duration_s} s, ${c.served} answers below 500, ${c.shed} shed, ${c.errors} errors, p50 ${num(c.p50_ms, ' ms')}); busiest attack phase <b>${esc(t.attack_peak_phase ?? '–')}: ${num(t.attack_multiple, '×')} capacity</b>.</p>`;
}

function vectorTable(t: TargetRun): string {
  const rows = t.vectors
    .filter((v) => v.kind !== 'request')
    .map((v) => {
      const stats = Object.entries(v.stats)
        .map(([k, x]) => `${esc(k)} ${esc(String(x))}`)
        .join(', ');
      return `<tr><td>${esc(v.vector)}</td><td>${esc(v.phase)}</td><td style="text-align:left">${stats}</td></tr>`;
    })
    .join('\n');
  return rows
    ? `<table><tr><th>connection / HTTP/2 vector</th><th>phase</th><th>what it did</th></tr>${rows}</table>`
    : '';
}

export function renderHtml(r: Report): string {
  const { js, css } = uplotAssets();
  const ran = Object.values(r.targets).filter((t): t is TargetRun => t?.status === 'ok');
  const data = ran.map((t) => ({
    target: t.target,
    timeline: t.timeline,
    phases: t.phases.map((p) => ({ name: p.name, start_s: p.start_s })),
  }));
  const sections = ran
    .map(
      (t) => `<section><h2>${esc(t.target)}</h2>${capacityLine(t)}${phaseTable(t)}${vectorTable(t)}
<p class="muted">generator: ${t.generator.cpu_s} CPU s, busiest second ${Math.round(t.generator.max_core_ratio * 100)} % of a core${t.generator.saturated ? ' — <b>saturated: figures understate the attack</b>' : ''}, ${t.generator.dropped} arrivals dropped.
origin: ${num(t.origin.cpu_s, ' CPU s')}, max ${t.origin.max_in_flight} in flight. fds max ${num(t.gateway.max_fds)}.</p>
<div class="charts" id="charts-${esc(t.target)}"></div></section>`,
    )
    .join('\n');
  // The data is JSON inside a script element: "<" is escaped so no string can close the element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rempart lab — ${esc(r.scenario.name)}</title>
<style>${css}
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1d2430}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ccd}table{border-collapse:collapse;margin:.5rem 0}
td,th{padding:.25rem .6rem;border-bottom:1px solid #e3e6ec;text-align:right}th:first-child,td:first-child{text-align:left}
.muted{color:#5a6372}.charts{display:flex;flex-wrap:wrap;gap:1rem}
</style></head><body>
<h1>Rempart lab — ${esc(r.scenario.name)}${r.scenario.quick ? ' (quick)' : ''}</h1>
<p>${esc(r.scenario.description)}</p>
<p class="muted">${esc(r.started_at)} → ${esc(r.finished_at)} · ${r.machine.cpus} × ${esc(r.machine.cpu_model)}, ${r.machine.mem_gb} GB, ${esc(r.machine.os)}, Node ${esc(r.machine.node)}</p>
<p class="muted">Phases: ${r.scenario.phases.map((p) => `${esc(p.name)} ${p.duration_s} s${p.attacks.length ? ` (${esc(p.attacks.join(', '))})` : ''}`).join(' → ')}</p>
<table><tr><th>target</th><th>legit ok</th><th>p50</th><th>p99</th><th>critical ok</th><th>attack req</th><th>reached origin</th><th>time to mitigate</th><th>legit challenged/blocked</th><th>gateway CPU / RSS</th></tr>
${summaryRows(r)}</table>
${sections}
<script>${js}</script>
<script id="data" type="application/json">${json}</script>
<script>
const runs = JSON.parse(document.getElementById('data').textContent);
const width = Math.min(520, document.body.clientWidth - 20);
for (const run of runs) {
  const el = document.getElementById('charts-' + run.target);
  const tl = run.timeline;
  const x = tl.map((s) => s.t);
  const chart = (title, series, ys) => new uPlot({ title, width, height: 220, series: [{}, ...series], axes: [{}, {}] }, [x, ...ys], el);
  chart('legit goodput (req/s)', [{ label: 'ok', stroke: '#1a7f37' }, { label: 'total', stroke: '#8c959f' }], [tl.map((s) => s.legit_ok), tl.map((s) => s.legit_total)]);
  chart('legit p99 (ms)', [{ label: 'p99', stroke: '#0969da' }], [tl.map((s) => s.legit_p99_ms)]);
  chart('attack (req/s)', [{ label: 'sent', stroke: '#cf222e' }, { label: 'reached origin', stroke: '#bf8700' }], [tl.map((s) => s.attack_sent), tl.map((s) => s.attack_reached_origin)]);
  chart('gateway CPU (cores) / RSS (MB ÷ 100)', [{ label: 'cpu', stroke: '#8250df' }, { label: 'rss/100', stroke: '#57606a' }], [tl.map((s) => s.gateway_cpu_ratio), tl.map((s) => s.gateway_rss_mb === null ? null : s.gateway_rss_mb / 100)]);
}
</script></body></html>
`;
}

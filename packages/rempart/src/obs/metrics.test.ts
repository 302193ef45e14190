import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from './metrics.ts';

test('recordRequest counts by verdict, class and status and observes latency', async () => {
  const m = createMetrics();
  m.recordRequest('limit', 'bulk', 503, 0.002);
  m.recordRequest('limit', 'bulk', 503, 0.004);
  m.recordRequest('pass', 'critical', 200, 0.2);
  const text = await m.expose();
  assert.match(text, /rempart_http_requests_total\{verdict="limit",class="bulk",status="503"\} 2/);
  assert.match(text, /rempart_http_requests_total\{verdict="pass",class="critical",status="200"\} 1/);
  assert.match(text, /rempart_http_request_duration_seconds_count\{verdict="limit",class="bulk"\} 2/);
  assert.match(text, /rempart_http_request_duration_seconds_bucket\{le="0.25",verdict="pass",class="critical"\} 1/);
});

test('recordRule counts matched rules by kind and dry-run; direct inc() calls still add up', async () => {
  const m = createMetrics();
  for (let i = 0; i < 3; i++) m.recordRule('ratelimit/per-ip', 'limit', false);
  m.recordRule('ratelimit/per-ip', 'limit', true);
  m.recordRule('access/allow-token:ops', 'pass', false);
  m.decisions.inc({ rule: 'ratelimit/per-ip', kind: 'limit', dry_run: 'false' });
  m.requests.inc({ verdict: 'block', class: 'critical', status: '403' });
  m.recordRequest('block', 'critical', 403, 0.001);
  let text = await m.expose();
  assert.match(text, /rempart_decisions_total\{rule="ratelimit\/per-ip",kind="limit",dry_run="false"\} 4/);
  assert.match(text, /rempart_decisions_total\{rule="ratelimit\/per-ip",kind="limit",dry_run="true"\} 1/);
  assert.match(text, /rempart_decisions_total\{rule="access\/allow-token:ops",kind="pass",dry_run="false"\} 1/);
  assert.match(text, /rempart_http_requests_total\{verdict="block",class="critical",status="403"\} 2/);
  m.recordRule('ratelimit/per-ip', 'limit', false);
  text = await m.expose();
  assert.match(
    text,
    /rempart_decisions_total\{rule="ratelimit\/per-ip",kind="limit",dry_run="false"\} 5/,
    'scrapes add only what is new',
  );
});

test('live gauges are read from the bound sources at scrape time', async () => {
  const m = createMetrics();
  let limit = 10;
  m.bindSources({
    admission: () => [
      {
        upstream: 'poste',
        limit,
        phase: 'run',
        inFlight: 3,
        queued: { critical: 1, normal: 0, static: 0, bulk: 7 },
        minRttMs: 20,
        sampleRttMs: 40,
        shed: { critical: 0, normal: 0, static: 0, bulk: 5 },
        abandoned: 0,
      },
    ],
    detect: () => ({ mode: 'elevated', pressure: 0.5, pinned: false, since: 0 }),
    connections: () => ({ public: 12 }),
  });
  let text = await m.expose();
  assert.match(text, /rempart_upstream_concurrency_limit_requests\{upstream="poste"\} 10/);
  assert.match(text, /rempart_upstream_queue_length_requests\{upstream="poste",class="bulk"\} 7/);
  assert.match(text, /rempart_admission_shed_total\{upstream="poste",class="bulk"\} 5/);
  assert.match(text, /rempart_upstream_min_rtt_seconds\{upstream="poste"\} 0.02/);
  assert.match(text, /rempart_detect_mode_info\{mode="elevated"\} 1/);
  assert.match(text, /rempart_listener_connections_open\{listener="public"\} 12/);
  limit = 42;
  text = await m.expose();
  assert.match(text, /rempart_upstream_concurrency_limit_requests\{upstream="poste"\} 42/);
});

test('every metric name follows rempart_<area>_<thing>_<unit>', async () => {
  const m = createMetrics();
  const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
  for (const n of names) assert.match(n, /^rempart_[a-z0-9]+_[a-z0-9_]+$/, n);
  assert.ok(names.includes('rempart_log_lines_dropped_total'));
});

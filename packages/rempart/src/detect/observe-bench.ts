import { createManualClock } from '../core/clock.ts';
import type { RequestCtx } from '../pipeline/types.ts';
import { defaultDetectConfig } from './config.ts';
import { createDetector } from './detector.ts';
import type { ObserveFacts } from './facts.ts';
import { ddosiaRequest, legitRequest, prng } from './synthetic-trace.ts';

// Detection overhead: ns per observe() and the detector's heap after 1,000,000 distinct sources.
// Run: node --expose-gc packages/rempart/src/detect/observe-bench.ts [--json]

const N = 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

// Memory first, with facts made in small batches so only the detector stays on the heap: 1,000,000
// distinct source IPs (5 % legit, 95 % DDoSia-like), ten ticks of 100,000.
const r = prng(3);
function batch(from: number, n: number): ObserveFacts[] {
  const out: ObserveFacts[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const f = (from + i) % 20 === 0 ? legitRequest(r) : ddosiaRequest(r);
    const v = 0x50000000 + from + i;
    f.ip = `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    f.prefix = `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.0/24`;
    out[i] = f;
  }
  return out;
}
const memBefore = heap();
const dm = createDetector(defaultDetectConfig(), createManualClock());
for (let b = 0; b < 100; b++) {
  for (const f of batch(b * 10_000, 10_000)) dm.observe(f);
  if (b % 10 === 9) dm.tick();
}
const memAfter = heap();
const detectorMb = (memAfter - memBefore) / 1048576;

const facts = batch(0, N);
const clock = createManualClock();
const d = createDetector(defaultDetectConfig(), clock);
// Warm the JIT and the baselines on a little legit traffic.
for (let t = 0; t < 40; t++) {
  for (let i = 0; i < 200; i++) d.observe(legitRequest(r));
  clock.advance(1000);
  d.tick();
}
const t0 = process.hrtime.bigint();
let tickNs = 0n;
for (let i = 0; i < N; i++) {
  d.observe(facts[i]);
  if (i % 100_000 === 99_999) {
    clock.advance(1000);
    const s = process.hrtime.bigint();
    d.tick();
    tickNs += process.hrtime.bigint() - s;
  }
}
const total = process.hrtime.bigint() - t0;
const observeNs = Number(total - tickNs) / N;

// The per-request shape computation a stage does (fingerprint + path template + shape key) from a ctx.
const headers = {
  host: 'poste.example',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8',
  'accept-encoding': 'gzip, deflate, br',
  cookie: 'sid=abc',
  referer: 'https://poste.example/',
};
const M = 200_000;
const ctxs: RequestCtx[] = Array.from({ length: M }, (_, i) => ({
  id: String(i),
  startedAt: 0,
  startedMono: 0,
  method: 'GET',
  path: '/recherche',
  query: `q=k${i.toString(36)}x`,
  headers,
  httpVersion: '1.1',
  tls: false,
  peerIp: '10.0.0.1',
  route: { name: 'recherche', routeClass: 'bulk', upstream: 'poste' },
  trace: [],
}));
const s0 = process.hrtime.bigint();
// As the server calls it: facts written into the detector's scratch object, none made per request.
for (const c of ctxs) d.observeRequest(c, 'pass', 200, 12);
const fromCtxNs = Number(process.hrtime.bigint() - s0) / M;

const result = {
  observe_ns_per_request: Math.round(observeNs),
  observe_from_ctx_ns_per_request: Math.round(fromCtxNs),
  tick_ms_at_100k_rps: Math.round((Number(tickNs) / 10 / 1e6) * 100) / 100,
  detector_heap_mb_after_1m_sources: Math.round(detectorMb * 10) / 10,
  detector_sources_estimate_last_tick: dm.explain().lastTick?.sources,
  gc_exposed: gc !== undefined,
  mode_after: d.snapshot.mode,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else console.table(result);

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pairedRatio } from './in-turns.ts';
import { haveWrk } from './wrk.ts';

// The benchmarks' quick profile: both scripts run end to end for about a second per target, so a change that
// breaks them (or makes them measure the wrong answer) fails here rather than on the day the figures are needed.
// Speed is never asserted; what each row measured is. wrk is a Debian package that .ci/run installs.

const here = import.meta.dirname;
const skip = haveWrk() ? false : process.env.CI === 'true' ? false : 'wrk is not installed (Debian package "wrk")';

function runJson(script: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [join(here, script), '--json', ...args], {
    encoding: 'utf8',
    timeout: 170_000,
  });
  assert.equal(r.status, 0, `${script} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
}

interface Row {
  name: string;
  target: string;
  rps: number;
  errors: number;
  non2xx: number;
  cpu_us_per_req?: number;
}

describe('ratios of targets measured in turn', () => {
  it('pairs each round with itself, so a slow round of one target is compared with the same round of the other', () => {
    // Round 2 ran on a machine half as fast, for both targets: each round's ratio is still 0.5.
    const r = pairedRatio([50, 25, 50], [100, 50, 100]);
    assert.deepEqual(r, { median: 0.5, range: [0.5, 0.5] });
    assert.deepEqual(pairedRatio([30, 60, 45], [100, 100, 100]), { median: 0.45, range: [0.3, 0.6] });
    // Per-round ratios 1, 0.25 and 0.6: their median is 0.6, where the ratio of the medians (50 ÷ 100) says 0.5.
    assert.deepEqual(pairedRatio([10, 50, 60], [10, 200, 100]), { median: 0.6, range: [0.25, 1] });
    assert.deepEqual(pairedRatio([10], [0]), { median: 0, range: [0, 0] });
  });
});

describe('benchmarks, quick profile', { skip }, () => {
  it('npm run bench: every target answered what its row says it measures', () => {
    const out = runJson('run.ts', ['--seconds', '1', '--rounds', '2', '--keys', '2000', '--spray-seconds', '2']);
    const rows = out.rows as Row[];
    const row = (name: string, target: string) => {
      const r = rows.find((x) => x.name === name && x.target === target);
      assert.ok(r, `no ${name} row for ${target}`);
      return r;
    };
    for (const target of ['direct', 'rempart', 'rempart-1w']) {
      const r = row('clean', target);
      assert.ok(r.rps > 0, `${target} served nothing`);
      assert.equal(r.errors, 0, `${target}: socket errors`);
      assert.equal(r.non2xx, 0, `${target}: the clean path must pass every request`);
    }
    for (const target of ['rempart', 'rempart-1w', 'rempart+redis']) {
      const r = row('reject-429', target);
      assert.ok(r.non2xx > 0 && r.errors === 0, `${target}: the reject path must refuse`);
      assert.ok(r.cpu_us_per_req !== undefined && r.cpu_us_per_req > 0);
    }
    const memory = out.memory as Record<string, { keys_sent: number; rss_after_mb: number }>;
    for (const m of Object.values(memory)) assert.ok(m.keys_sent >= 2000 && m.rss_after_mb > 0);
    const ratios = out.ratios as Record<string, number>;
    const ranges = out.ratio_range as Record<string, [number, number]>;
    assert.equal(typeof ratios.clean_rempart_vs_direct, 'number');
    // Rows measured in turn carry a per-round range around their median; the Redis row (another call) does not.
    const [lo, hi] = ranges.clean_rempart_vs_direct;
    assert.ok(lo <= ratios.clean_rempart_vs_direct && ratios.clean_rempart_vs_direct <= hi, JSON.stringify(ranges));
    assert.equal(ranges.reject_redis_vs_memory, undefined);
  });

  it('npm run bench:challenge: the 429, the page and the JSON challenge are the answers measured', () => {
    const out = runJson('challenge.ts', ['--seconds', '1', '--rounds', '1']);
    const rows = out.rows as { name: string; rps: number; statuses_ok: boolean }[];
    assert.deepEqual(
      rows.map((r) => r.name),
      ['reject-429', 'challenge-html', 'challenge-json'],
    );
    for (const r of rows) assert.ok(r.statuses_ok && r.rps > 0, `${r.name}: ${JSON.stringify(r)}`);
    const ranges = out.ratio_range as Record<string, [number, number]>;
    assert.deepEqual(Object.keys(ranges), ['page_vs_429', 'json_vs_429', 'page_cpu_vs_429', 'json_cpu_vs_429']);
  });

  it('npm run bench:floor: nginx, both Node floors and Rempart all pass the clean path', () => {
    const out = runJson('floor.ts', ['--seconds', '1', '--rounds', '1']);
    const rows = out.rows as Row[];
    const names = rows.map((r) => r.target);
    for (const t of ['node-pipe', 'node-proxy', 'rempart-1w']) assert.ok(names.includes(t), `no row for ${t}`);
    for (const r of rows) {
      assert.ok(r.rps > 0 && r.errors === 0, `${r.target}: ${JSON.stringify(r)}`);
      assert.equal(r.non2xx, 0, `${r.target}: every answer is the origin's 200`);
      assert.ok(r.cpu_us_per_req !== undefined && r.cpu_us_per_req > 0, `${r.target}: no CPU figure`);
    }
    const versus = out.rempart_1w_versus as Record<string, { rps: { median: number } }>;
    assert.equal(typeof versus['node-proxy'].rps.median, 'number');
  });
});

const noValgrind = spawnSync('valgrind', ['--version']).error !== undefined;
const skipInstructions =
  noValgrind && process.env.CI !== 'true' ? 'valgrind is not installed (Debian package "valgrind")' : false;

describe('instruction counts, quick profile', { skip: skipInstructions }, () => {
  it('npm run bench:instructions: counts the main thread over the counted requests of each path', () => {
    const out = runJson('instructions.ts', [
      '--warmup',
      '400',
      '--requests',
      '100',
      '--rounds',
      '2',
      '--connections',
      '4',
    ]);
    const results = out.results as {
      path: string;
      requests: number;
      statuses: Record<string, number>;
      instructions_per_request: number;
      rounds_per_request: number[];
    }[];
    assert.deepEqual(
      results.map((r) => r.path),
      ['clean', 'reject-429'],
    );
    const [clean, reject] = results;
    assert.deepEqual(clean.statuses, { 200: 200 }, 'the clean path proxies every counted request');
    // One request per second passes the limit (rate 1, burst 0): under valgrind the rounds last seconds.
    const refused = reject.statuses[429] ?? 0;
    assert.ok(refused > 100 && refused + (reject.statuses[200] ?? 0) === 200, JSON.stringify(reject.statuses));
    for (const r of results) {
      assert.equal(r.rounds_per_request.length, 2);
      // Zero would mean the counting never switched on (or a re-exec left valgrind behind).
      for (const n of r.rounds_per_request) assert.ok(n > 1_000, `${r.path}: ${r.rounds_per_request}`);
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.ts';
import { inTurns, median, pairedRatio } from './in-turns.ts';
import type { Proc } from './procs.ts';
import { rempartConfig, startRempart } from './rempart-proc.ts';
import { haveWrk, runWrkWithCpu } from './wrk.ts';

// `npm run bench:challenge [-- --json] [--seconds N] [--connections N] [--rounds N]`
// Is the challenge served at the reject path's speed? Through the whole gateway over loopback sockets, wrk asks for
// the HTML challenge page and the JSON challenge (every request without clearance is challenged), and, in the
// same run, a gateway whose rate limit answers every request with 429. The three alternate for several rounds and
// each figure is the median of its rounds, so a neighbour's burst on a shared machine does not pick the winner.
// Many short rounds rather than a few long ones: on a shared VM the machine's speed drifts by up to 2× over tens of
// seconds, and three 5 s rounds once put the 429 path both ahead and behind the page by 25 %.
// Ratios are page/429 and JSON/429, in requests per second and in gateway CPU per request.

const { json, seconds, rounds, connections } = benchArgs({ seconds: 2, rounds: 9 });
// The upstream is never reached (every request is refused or challenged); a closed port proves it.
const CLOSED_PORT = 9;
const dir = mkdtempSync(join(tmpdir(), 'rempart-bench-challenge-'));

interface Row {
  name: string;
  rps: number;
  p99_ms: number;
  cpu_us_per_req: number;
  statuses_ok: boolean;
}

interface Case {
  readonly name: string;
  readonly proc: Proc;
  readonly port: number;
  readonly accept: string;
  readonly want: number;
}

async function measure({ proc, port, name, accept, want }: Case): Promise<Row> {
  const url = `http://127.0.0.1:${port}/account`;
  // Requests first, to check the answer is the one meant (wrong config → wrong figure).
  // A rate limit lets the very first request through (to the closed upstream: 502), so the second one counts.
  let probe = await fetch(url, { headers: { accept } });
  await probe.arrayBuffer();
  if (probe.status !== want) {
    probe = await fetch(url, { headers: { accept } });
    await probe.arrayBuffer();
  }
  const r = await runWrkWithCpu(url, proc.child.pid, { seconds, connections, headers: [`Accept: ${accept}`] });
  const row = {
    name,
    rps: Math.round(r.rps),
    p99_ms: r.p99Ms,
    cpu_us_per_req: r.cpuUsPerReq ?? 0,
    // Every answer is a refusal or a challenge (non-2xx); errors would mean broken connections.
    statuses_ok: probe.status === want && r.errors === 0 && r.non2xx === r.requests,
  };
  if (!json) {
    process.stderr.write(
      `  ${name.padEnd(16)} ${String(row.rps).padStart(8)} req/s  p99 ${r.p99Ms.toFixed(2)} ms  ${row.cpu_us_per_req} µs CPU/req  (${probe.status})\n`,
    );
  }
  return row;
}

async function main() {
  if (!haveWrk()) {
    process.stderr.write('bench: wrk is not installed (Debian package "wrk"); nothing measured.\n');
    process.exit(2);
  }
  const procs: Proc[] = [];
  try {
    if (!json) process.stderr.write(`${connections} keep-alive connections, ${seconds}s each\n`);
    const limited = await startRempart(
      rempartConfig(dir, CLOSED_PORT, 'rate_limits:\n  - name: per-ip\n    key: [ip]\n    rate: 1\n    burst: 0\n', 1),
    );
    procs.push(limited.proc);
    const challenged = await startRempart(
      rempartConfig(
        dir,
        CLOSED_PORT,
        'challenge:\n  secret: bench-secret-0123456789abcdef0123456789\n  classes:\n    normal: [critical, normal, bulk, static]\n',
        1,
      ),
    );
    procs.push(challenged.proc);
    const cases: Case[] = [
      { name: 'reject-429', ...limited, accept: 'text/html', want: 429 },
      { name: 'challenge-html', ...challenged, accept: 'text/html', want: 403 },
      { name: 'challenge-json', ...challenged, accept: 'application/json', want: 401 },
    ];
    const runs = await inTurns(rounds, cases, (c, r) => {
      if (!json && c === cases[0]) process.stderr.write(`round ${r + 1}/${rounds}\n`);
      return measure(c);
    });
    const rows = cases.map((c, i): Row => {
      const rs = runs[i];
      return {
        name: c.name,
        rps: median(rs.map((x) => x.rps)),
        p99_ms: median(rs.map((x) => x.p99_ms)),
        cpu_us_per_req: median(rs.map((x) => x.cpu_us_per_req)),
        statuses_ok: rs.every((x) => x.statuses_ok),
      };
    });

    // Each ratio pairs the rounds measured in turn (pairedRatio): the median is reported, the range beside it.
    const [reject, page, api] = runs;
    const of = (rs: typeof reject, k: 'rps' | 'cpu_us_per_req') => rs.map((x) => x[k]);
    const pairs = {
      page_vs_429: pairedRatio(of(page, 'rps'), of(reject, 'rps')),
      json_vs_429: pairedRatio(of(api, 'rps'), of(reject, 'rps')),
      page_cpu_vs_429: pairedRatio(of(page, 'cpu_us_per_req'), of(reject, 'cpu_us_per_req')),
      json_cpu_vs_429: pairedRatio(of(api, 'cpu_us_per_req'), of(reject, 'cpu_us_per_req')),
    };
    const ratios: Record<string, number> = {};
    const ratio_range: Record<string, [number, number]> = {};
    for (const [k, v] of Object.entries(pairs)) {
      ratios[k] = v.median;
      ratio_range[k] = v.range;
    }
    const result = { seconds, connections, rounds, rows, ratios, ratio_range };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write('\nmedians    req/s   p99 ms   cpu µs/req\n');
      for (const x of rows) {
        process.stdout.write(
          `${x.name.padEnd(15)} ${String(x.rps).padStart(7)} ${x.p99_ms.toFixed(2).padStart(8)} ${String(x.cpu_us_per_req).padStart(12)}\n`,
        );
      }
      process.stdout.write(
        `ratios: ${JSON.stringify(result.ratios)}\nratio range over rounds: ${JSON.stringify(ratio_range)}\n`,
      );
    }
    if (result.rows.some((r) => !r.statuses_ok)) {
      process.stderr.write('bench: some answers were not the expected refusal or challenge\n');
      process.exitCode = 1;
    }
  } finally {
    for (const p of procs.reverse()) await p.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
});

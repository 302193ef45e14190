import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, opt } from './args.ts';
import { inTurns, median, pairedRatio } from './in-turns.ts';
import { haveNginx, startNginx } from './nginx.ts';
import { freePort, type Proc, rssMb, startProc } from './procs.ts';
import { rempartConfig, startRempart } from './rempart-proc.ts';
import { haveWrk, runWrk, runWrkWithCpu } from './wrk.ts';

// `npm run bench [-- --json] [--seconds N] [--rounds N] [--connections N] [--keys N] [--spray-seconds N]`
// Every comparison is a ratio measured in this run on this machine: origin direct, nginx (when installed), Rempart.
// nginx runs `worker_processes auto`, so Rempart's rows run `workers: auto` too; the `rempart-1w` rows show one
// worker thread for comparison. The targets of a section all run at once and are measured in turn, round after
// round; each row is the median of its rounds, each ratio the median of its per-round ratios (with their range).
// On a shared VM the machine's speed drifts by up to 2× over tens of seconds: one long run per target compared
// whichever phase each happened to fall in.

const { json, seconds, rounds, connections } = benchArgs({ seconds: 3, rounds: 5 });
const sprayKeys = opt('--keys', 1_000_000);
const sprayRound = opt('--spray-seconds', 15);

const here = import.meta.dirname;
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'rempart-bench-'));

interface Row {
  name: string;
  target: string;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  non2xx: number;
  cpu_us_per_req?: number;
  /** Req/s of each round, in round order (rows of one measureRounds call share their rounds' moments). */
  rounds_rps?: number[];
  /** Which measureRounds call made the row: only rows of the same call were measured in turn. */
  turn?: number;
}

const rows: Row[] = [];
let turns = 0;
const say = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

async function measureOne(name: string, target: string, url: string, proc?: Proc): Promise<Row> {
  const r = await runWrkWithCpu(url, proc?.child.pid, { seconds, connections });
  const row: Row = {
    name,
    target,
    rps: Math.round(r.rps),
    p50_ms: r.p50Ms,
    p99_ms: r.p99Ms,
    errors: r.errors,
    non2xx: r.non2xx,
  };
  if (r.cpuUsPerReq !== undefined) row.cpu_us_per_req = r.cpuUsPerReq;
  return row;
}

interface Target {
  readonly target: string;
  readonly url: string;
  readonly proc?: Proc;
}

/** Measures the targets in turn for `rounds` rounds; one row per target, each figure the median of its rounds. */
async function measureRounds(name: string, targets: readonly Target[]): Promise<void> {
  const runs = await inTurns(rounds, targets, (t) => measureOne(name, t.target, t.url, t.proc));
  const turn = ++turns;
  targets.forEach((t, i) => {
    const rs = runs[i];
    const cpu = rs.map((x) => x.cpu_us_per_req).filter((x) => x !== undefined);
    const row: Row = {
      name,
      target: t.target,
      rps: median(rs.map((x) => x.rps)),
      p50_ms: median(rs.map((x) => x.p50_ms)),
      p99_ms: median(rs.map((x) => x.p99_ms)),
      errors: rs.reduce((a, x) => a + x.errors, 0),
      non2xx: rs.reduce((a, x) => a + x.non2xx, 0),
      rounds_rps: rs.map((x) => x.rps),
      turn,
    };
    if (cpu.length > 0) row.cpu_us_per_req = median(cpu);
    rows.push(row);
    say(
      `  ${name.padEnd(12)} ${t.target.padEnd(14)} ${String(row.rps).padStart(8)} req/s  p99 ${row.p99_ms.toFixed(2)} ms`,
    );
  });
}

/**
 * a ÷ b: round by round for rows measured in turn (pairedRatio); rows from different calls (the Redis row) fall
 * back to the ratio of their medians.
 */
function compare(a?: Row, b?: Row): { median: number; range?: [number, number] } | null {
  if (a === undefined || b === undefined || b.rps <= 0) return null;
  const ra = a.rounds_rps;
  const rb = b.rounds_rps;
  if (a.turn !== b.turn || ra === undefined || rb === undefined || ra.length !== rb.length)
    return { median: Number((a.rps / b.rps).toFixed(2)) };
  return pairedRatio(ra, rb);
}

async function main() {
  if (!haveWrk()) {
    process.stderr.write('bench: wrk is not installed (Debian package "wrk"); nothing measured.\n');
    process.exit(2);
  }
  const origin = await startProc(node, [join(here, 'origin.ts')]);
  const originPort = origin.ready.port as number;
  const procs: Proc[] = [origin];
  try {
    say(`clean path (${connections} keep-alive connections, ${rounds} rounds of ${seconds} s per target)`);
    const clean: Target[] = [{ target: 'direct', url: `http://127.0.0.1:${originPort}/`, proc: origin }];
    const reject: Target[] = [];
    if (haveNginx()) {
      const nginx = await startNginx(join(dir, 'nginx'), originPort, await freePort(), await freePort());
      procs.push(nginx);
      clean.push({ target: 'nginx', url: `http://127.0.0.1:${nginx.ready.proxyPort}/`, proc: nginx });
      reject.push({ target: 'nginx', url: `http://127.0.0.1:${nginx.ready.limitPort}/`, proc: nginx });
    } else say('  nginx not installed: skipped');
    const perIp = 'rate_limits:\n  - name: per-ip\n    key: [ip]\n    rate: 1\n    burst: 0\n';
    for (const workers of ['auto', 1] as const) {
      const target = workers === 1 ? 'rempart-1w' : 'rempart';
      const plain = await startRempart(rempartConfig(dir, originPort, '', workers));
      const limited = await startRempart(rempartConfig(dir, originPort, perIp, workers));
      procs.push(plain.proc, limited.proc);
      clean.push({ target, url: `http://127.0.0.1:${plain.port}/`, proc: plain.proc });
      reject.push({ target, url: `http://127.0.0.1:${limited.port}/`, proc: limited.proc });
    }
    await measureRounds('clean', clean);
    say('reject path (429 on keep-alive, one client over its limit)');
    await measureRounds('reject-429', reject);
    for (const t of [...clean, ...reject]) if (t.proc !== origin && t.target !== 'nginx') await t.proc?.stop();

    // The same refusal with the cluster backend: one Redis round trip (Lua GCRA) per request.
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const shared = await startRempart(
      rempartConfig(
        dir,
        originPort,
        `${perIp}state:\n  backend: redis\n  redis_url: ${redisUrl}\n  key_prefix: "rempart-bench:${process.pid}:"\n`,
      ),
    );
    procs.push(shared.proc);
    const remote = await fetch(`${shared.admin}/metrics`, {
      headers: { authorization: 'Bearer bench-token-0123456789abcdef' },
    })
      .then((r) => r.text())
      .then((t) => /^rempart_state_remote_connected 1$/m.test(t));
    if (remote)
      await measureRounds('reject-429', [
        { target: 'rempart+redis', url: `http://127.0.0.1:${shared.port}/`, proc: shared.proc },
      ]);
    else say(`  Redis not reachable at ${redisUrl}: the redis row is skipped`);
    await shared.proc.stop();

    const script = join(dir, 'spray.lua');
    // Each request carries a new X-Forwarded-For from a trusted peer: one new rate-limit key per request. The
    // spray runs in rounds, each continuing the address sequence (SPRAY_FROM), until the count is reached:
    // wrk runs for a fixed time, and the spray's rate is not known in advance. Bounded at 240 s per gateway.
    writeFileSync(
      script,
      `local n = tonumber(os.getenv("SPRAY_FROM") or "0")
request = function()
  n = n + 1
  local ip = string.format("%d.%d.%d.%d", 10 + math.floor(n / 16777216) % 64, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format("GET", "/", { ["X-Forwarded-For"] = ip })
end
`,
    );
    // The default configuration (one worker) and the bench's `workers: auto` (shared-memory tables, one more
    // V8 isolate per extra worker).
    const memory: Record<
      string,
      { keys_sent: number; rss_before_mb: number; rss_after_mb: number; max_rss_mb: number }
    > = {};
    for (const workers of [1, 'auto'] as const) {
      say(`memory: ${sprayKeys} distinct client keys through the rate-limit tables (workers: ${workers})`);
      const spray = await startRempart(
        rempartConfig(
          dir,
          originPort,
          'rate_limits:\n  - name: per-ip\n    key: [ip]\n    rate: 100\n    burst: 100\n',
          workers,
        ),
      );
      procs.push(spray.proc);
      const pid = spray.proc.child.pid!;
      const before = rssMb(pid);
      let sent = 0;
      const sprayEnd = Date.now() + 240_000;
      while (sent < sprayKeys && Date.now() < sprayEnd) {
        process.env.SPRAY_FROM = String(sent);
        const round = await runWrk(`http://127.0.0.1:${spray.port}/`, { seconds: sprayRound, connections, script });
        sent += round.requests;
      }
      const after = rssMb(pid);
      const m = {
        keys_sent: sent,
        rss_before_mb: Math.round(before.rss),
        rss_after_mb: Math.round(after.rss),
        max_rss_mb: Math.round(after.hwm),
      };
      memory[workers === 1 ? 'workers_1' : 'workers_auto'] = m;
      say(`  keys sent ${m.keys_sent}, RSS ${m.rss_before_mb} → ${m.rss_after_mb} MB (peak ${m.max_rss_mb} MB)`);
      await spray.proc.stop();
    }

    const get = (name: string, target: string) => rows.find((x) => x.name === name && x.target === target);
    const pairs = {
      clean_rempart_vs_nginx: [get('clean', 'rempart'), get('clean', 'nginx')],
      clean_rempart_1w_vs_nginx: [get('clean', 'rempart-1w'), get('clean', 'nginx')],
      clean_rempart_vs_direct: [get('clean', 'rempart'), get('clean', 'direct')],
      reject_rempart_vs_nginx: [get('reject-429', 'rempart'), get('reject-429', 'nginx')],
      reject_rempart_1w_vs_nginx: [get('reject-429', 'rempart-1w'), get('reject-429', 'nginx')],
      reject_redis_vs_memory: [get('reject-429', 'rempart+redis'), get('reject-429', 'rempart')],
    } as const;
    const ratios: Record<string, number | null> = {};
    // The lowest and highest of the per-round ratios: how far the machine moved the comparison during the run.
    const ratio_range: Record<string, [number, number]> = {};
    for (const [key, [a, b]] of Object.entries(pairs)) {
      const r = compare(a, b);
      ratios[key] = r === null ? null : r.median;
      if (r?.range) ratio_range[key] = r.range;
    }
    const result = { seconds, rounds, connections, rows, ratios, ratio_range, memory };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write('\nname         target         req/s     p50 ms   p99 ms   cpu µs/req  non-2xx\n');
      for (const x of rows) {
        process.stdout.write(
          `${x.name.padEnd(12)} ${x.target.padEnd(13)} ${String(x.rps).padStart(8)} ${x.p50_ms.toFixed(2).padStart(9)} ${x.p99_ms
            .toFixed(2)
            .padStart(8)} ${String(x.cpu_us_per_req ?? '-').padStart(11)} ${String(x.non2xx).padStart(8)}\n`,
        );
      }
      process.stdout.write(
        `\nratios: ${JSON.stringify(ratios)}\nratio range over rounds: ${JSON.stringify(ratio_range)}\nmemory: ${JSON.stringify(memory)}\n`,
      );
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

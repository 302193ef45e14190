import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.ts';
import { inTurns, median, pairedRatio } from './in-turns.ts';
import { haveNginx, startNginx } from './nginx.ts';
import { freePort, type Proc, startProc } from './procs.ts';
import { rempartConfig, startRempart } from './rempart-proc.ts';
import { haveWrk, runWrk, runWrkWithCpu } from './wrk.ts';

// `npm run bench:floor [-- --json] [--seconds N] [--rounds N] [--connections N]`
// How far the clean path is from what Node itself costs: nginx (when installed), a bare pipe and a minimal HTTP
// proxy in Node (floor-proxies.ts), and Rempart with one worker thread, all running at once and measured in turn
// (in-turns.ts). CPU per request is the target's own, from /proc; the origin's and wrk's are not counted.

const { json, seconds, rounds, connections } = benchArgs({ seconds: 3, rounds: 7 });
const here = import.meta.dirname;

interface Target {
  readonly target: string;
  readonly url: string;
  readonly proc: Proc;
}

interface Round {
  rps: number;
  cpu_us_per_req: number;
  errors: number;
  non2xx: number;
}

async function main() {
  if (!haveWrk()) {
    process.stderr.write('bench:floor: wrk is not installed (Debian package "wrk"); nothing measured.\n');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rempart-floor-'));
  const procs: Proc[] = [];
  try {
    const origin = await startProc(process.execPath, [join(here, 'origin.ts')]);
    procs.push(origin);
    const originPort = origin.ready.port as number;
    const targets: Target[] = [];
    if (haveNginx()) {
      const port = await freePort();
      const nginx = await startNginx(join(dir, 'nginx'), originPort, port, await freePort());
      procs.push(nginx);
      targets.push({ target: 'nginx', url: `http://127.0.0.1:${port}/`, proc: nginx });
    }
    for (const kind of ['pipe', 'proxy']) {
      const p = await startProc(process.execPath, [join(here, 'floor-proxies.ts'), kind, String(originPort)]);
      procs.push(p);
      targets.push({ target: `node-${kind}`, url: `http://127.0.0.1:${p.ready.port}/`, proc: p });
    }
    const rempart = await startRempart(rempartConfig(dir, originPort, '', 1));
    procs.push(rempart.proc);
    targets.push({ target: 'rempart-1w', url: `http://127.0.0.1:${rempart.port}/`, proc: rempart.proc });

    for (const t of targets) await runWrk(t.url, { seconds: 1, connections }); // warm-up (JIT, pools)
    const runs = await inTurns(rounds, targets, async (t, r): Promise<Round> => {
      if (!json && t === targets[0]) process.stderr.write(`round ${r + 1}/${rounds}\n`);
      const w = await runWrkWithCpu(t.url, t.proc.child.pid, { seconds, connections });
      return {
        rps: Math.round(w.rps),
        cpu_us_per_req: w.cpuUsPerReq ?? 0,
        errors: w.errors,
        non2xx: w.non2xx,
      };
    });
    const rows = targets.map((t, i) => ({
      target: t.target,
      rps: median(runs[i].map((x) => x.rps)),
      cpu_us_per_req: median(runs[i].map((x) => x.cpu_us_per_req)),
      errors: runs[i].reduce((a, x) => a + x.errors, 0),
      non2xx: runs[i].reduce((a, x) => a + x.non2xx, 0),
    }));
    const at = (name: string) => runs[targets.findIndex((t) => t.target === name)];
    const rempartRuns = at('rempart-1w');
    const versus: Record<string, { rps: ReturnType<typeof pairedRatio>; cpu: ReturnType<typeof pairedRatio> }> = {};
    for (const t of targets) {
      if (t.target === 'rempart-1w') continue;
      const other = at(t.target);
      versus[t.target] = {
        rps: pairedRatio(
          rempartRuns.map((x) => x.rps),
          other.map((x) => x.rps),
        ),
        cpu: pairedRatio(
          rempartRuns.map((x) => x.cpu_us_per_req),
          other.map((x) => x.cpu_us_per_req),
        ),
      };
    }
    const result = { seconds, rounds, connections, rows, rempart_1w_versus: versus };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write('\ntarget        req/s   cpu µs/req  non-2xx\n');
      for (const x of rows)
        process.stdout.write(
          `${x.target.padEnd(12)} ${String(x.rps).padStart(7)} ${String(x.cpu_us_per_req).padStart(11)} ${String(x.non2xx).padStart(8)}\n`,
        );
      process.stdout.write('\nrempart-1w ÷ each (median of per-round ratios, range):\n');
      for (const [k, v] of Object.entries(versus))
        process.stdout.write(
          `  ${k.padEnd(11)} req/s ${v.rps.median} (${v.rps.range.join('–')})  cpu per request ${v.cpu.median} (${v.cpu.range.join('–')})\n`,
        );
    }
  } finally {
    for (const p of procs.reverse()) await p.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:floor: ${(e as Error).message}\n`);
  process.exit(1);
});

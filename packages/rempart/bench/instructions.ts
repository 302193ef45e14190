import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLAGS } from '../bin/v8-flags.js';
import { benchArgs, opt } from './args.ts';
import { median } from './in-turns.ts';
import { runKeepAlive } from './keepalive-client.ts';
import { type Proc, startProc } from './procs.ts';
import { rempartConfig } from './rempart-proc.ts';

// `npm run bench:instructions [-- --json] [--requests N] [--rounds N] [--warmup N] [--connections N] [--keep]`
// Instructions per request on the gateway's main thread, counted by valgrind's callgrind: unlike req/s or CPU
// time, which move by 10 % and more on a shared machine, the count repeats within a few percent whatever else
// the machine is doing. The gateway (one worker) runs under callgrind with instrumentation off; after a
// warm-up (so V8 has optimised the request path) counting is switched on for `requests` requests, and only
// inside the socket read callback (node::LibuvStreamWrap::OnUvRead, where each request is parsed, decided,
// forwarded and answered). Timers, the detector's tick and the start-up are left out, as are the kernel's
// share and other threads. Two paths: clean (proxied to the bench origin) and 429 (one client over its limit).
// Each path is counted in `rounds` rounds in the same process and reported as their median with the range: a
// young-generation GC falls inside one round and not another, which moves a 5,000-request round by a few %.
// `--keep` leaves the callgrind dumps for callgrind_annotate (the folder is printed).

const { json, connections, rounds } = benchArgs({ seconds: 0, rounds: 3 });
const requests = opt('--requests', 5_000);
const warmup = opt('--warmup', 25_000);
const keep = process.argv.includes('--keep');
const here = import.meta.dirname;

function have(cmd: string): boolean {
  return spawnSync(cmd, ['--version']).error === undefined;
}

/** Total of a callgrind dump: its `totals:` line, at the end (the `summary:` line in the header may say 0). */
function callgrindTotal(text: string): number {
  const m = /^totals:\s+(\d+)/m.exec(text);
  if (m === null) throw new Error('no totals in the callgrind dump');
  return Number(m[1]);
}

interface PathResult {
  path: string;
  /** Requests counted in each round. */
  requests: number;
  /** Answers per status over all the counted rounds. */
  statuses: Record<string, number>;
  /** Median over the rounds. */
  instructions_per_request: number;
  rounds_per_request: number[];
}

async function measure(path: string, config: string, dir: string): Promise<PathResult> {
  const out = join(dir, `cg-${path}`);
  const gw: Proc = await startProc(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      '--toggle-collect=node::LibuvStreamWrap::OnUvRead*',
      // V8 writes and rewrites its machine code at run time.
      '--smc-check=all-non-file',
      `--callgrind-out-file=${out}.%p`,
      process.execPath,
      ...FLAGS,
      join(here, '../bin/rempart.js'),
      'serve',
      '--config',
      config,
    ],
    {},
    180_000,
  );
  try {
    const pid = gw.ready.pid as number;
    const port = (gw.ready.listeners as { port: number }[])[0].port;
    const request = Buffer.from(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nuser-agent: bench\r\n\r\n`);
    await runKeepAlive(port, request, warmup, connections);
    const control = (arg: string) => {
      const r = spawnSync('callgrind_control', [arg, String(pid)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`callgrind_control ${arg} failed: ${r.stderr || r.stdout}`);
    };
    const statuses: Record<string, number> = {};
    const perRequest: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      control('--instr=on');
      const run = await runKeepAlive(port, request, requests, connections);
      control('--instr=off');
      control('--dump');
      for (const [k, v] of run.statuses) statuses[k] = (statuses[k] ?? 0) + v;
      // Dump n of thread t is <out>.<pid>.<n>-<t>; thread 1 is the main thread (the event loop).
      const file = join(dir, `cg-${path}.${pid}.${round}-01`);
      perRequest.push(Math.round(callgrindTotal(readFileSync(file, 'utf8')) / requests));
    }
    return {
      path,
      requests,
      statuses,
      instructions_per_request: median(perRequest),
      rounds_per_request: perRequest,
    };
  } finally {
    await gw.stop();
  }
}

async function main() {
  for (const cmd of ['valgrind', 'callgrind_control']) {
    if (!have(cmd)) {
      process.stderr.write(
        `bench:instructions: ${cmd} is not installed (Debian package "valgrind"); nothing measured.\n`,
      );
      process.exit(2);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'rempart-instr-'));
  const origin = await startProc(process.execPath, [join(here, 'origin.ts')]);
  try {
    const originPort = origin.ready.port as number;
    const perIp = 'rate_limits:\n  - name: per-ip\n    key: [ip]\n    rate: 1\n    burst: 0\n';
    const results: PathResult[] = [];
    for (const [path, extra] of [
      ['clean', ''],
      ['reject-429', perIp],
    ] as const) {
      if (!json)
        process.stderr.write(`${path}: ${warmup} warm-up requests, then ${rounds} rounds of ${requests} counted\n`);
      results.push(await measure(path, rempartConfig(dir, originPort, extra, 1), dir));
    }
    if (json) process.stdout.write(`${JSON.stringify({ requests, rounds, warmup, connections, results })}\n`);
    else {
      process.stdout.write('\npath         instructions/request (median)  rounds                 statuses\n');
      for (const r of results)
        process.stdout.write(
          `${r.path.padEnd(12)} ${String(r.instructions_per_request).padStart(29)}  ${r.rounds_per_request.join(' ').padEnd(22)} ${JSON.stringify(r.statuses)}\n`,
        );
    }
  } finally {
    await origin.stop();
    if (keep) process.stderr.write(`callgrind dumps kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:instructions: ${(e as Error).message}\n`);
  process.exit(1);
});

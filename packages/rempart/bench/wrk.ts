import { spawn, spawnSync } from 'node:child_process';
import { treeCpuSeconds } from './procs.ts';

// wrk (Debian package) is the load generator: C, event-driven, cheap enough on a 2-core machine that it does not
// starve the system under test as a Node generator would.

export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
}

export function haveWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const lat = (pct: string) => toMs(new RegExp(`^\\s+${pct}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? 'NaNms');
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: lat('50'),
    p99Ms: lat('99'),
    errors: errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
  };
}

export function runWrk(
  url: string,
  o: { seconds: number; connections: number; threads?: number; script?: string; headers?: readonly string[] },
): Promise<WrkResult> {
  const args = [
    '-t',
    String(o.threads ?? 1),
    '-c',
    String(o.connections),
    '-d',
    `${o.seconds}s`,
    '--latency',
    '--timeout',
    '5s',
  ];
  if (o.script) args.push('-s', o.script);
  for (const h of o.headers ?? []) args.push('-H', h);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(parseWrk(out)) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
}

/** runWrk, plus the CPU that process `pid` (with its children) spent meanwhile, in µs per request (rounded). */
export async function runWrkWithCpu(
  url: string,
  pid: number | undefined,
  o: Parameters<typeof runWrk>[1],
): Promise<WrkResult & { cpuUsPerReq: number | undefined }> {
  const cpu0 = pid === undefined ? 0 : treeCpuSeconds(pid);
  const r = await runWrk(url, o);
  const cpu = pid === undefined ? 0 : treeCpuSeconds(pid) - cpu0;
  const cpuUsPerReq = pid === undefined || r.requests === 0 ? undefined : Math.round((cpu * 1e6) / r.requests);
  return { ...r, cpuUsPerReq };
}

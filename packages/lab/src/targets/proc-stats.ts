import { readdirSync, readFileSync } from 'node:fs';

// CPU seconds, RSS and open fds of a process tree (nginx/HAProxy masters have workers), read from /proc.
// Linux only; elsewhere every figure is null rather than invented.

const TICKS_PER_S = 100; // USER_HZ on Linux

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0 && out.length < 256) {
    const p = stack.pop() as number;
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      const kids = read(`/proc/${p}/task/${t}/children`);
      if (kids) for (const k of kids.trim().split(/\s+/)) if (k) stack.push(Number(k));
    }
  }
  return out;
}

export interface ProcSample {
  cpu_s: number;
  rss_mb: number;
  fds: number;
}

export function sampleTree(pid: number): ProcSample | null {
  let cpu = 0;
  let rss = 0;
  let fds = 0;
  let seen = 0;
  for (const p of processTree(pid)) {
    const stat = read(`/proc/${p}/stat`);
    if (!stat) continue;
    seen++;
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpu += (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
    const rssKb = /VmRSS:\s+(\d+)/.exec(read(`/proc/${p}/status`) ?? '');
    if (rssKb) rss += Number(rssKb[1]) / 1024;
    try {
      fds += readdirSync(`/proc/${p}/fd`).length;
    } catch {
      // another user's process: fds unknown
    }
  }
  if (seen === 0) return null;
  return { cpu_s: Math.round(cpu * 100) / 100, rss_mb: Math.round(rss * 10) / 10, fds };
}

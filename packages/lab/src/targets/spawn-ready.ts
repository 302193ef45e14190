import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

// Start a server process and wait until it is usable: either a JSON line on stdout matching `ready`, or a
// TCP port accepting connections. Output is kept (bounded) for error messages; stop() is SIGTERM then SIGKILL.

export interface Spawned {
  child: ChildProcess;
  pid: number;
  readyLine?: Record<string, unknown>;
  output(): string;
  stop(): Promise<void>;
}

const KEEP = 8192;

/** Every child still running, so a run that must end (watchdog, signal) can take them down with it. */
const live = new Set<ChildProcess>();

/** SIGKILLs every child spawned here that is still running (the lab's last resort). */
export function killAllChildren(): number {
  let n = 0;
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      n++;
    }
  }
  live.clear();
  return n;
}

export async function spawnReady(
  cmd: string,
  args: string[],
  o: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    readyJson?: (j: Record<string, unknown>) => boolean;
    port?: number;
    timeoutMs?: number;
  },
): Promise<Spawned> {
  const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-KEEP);
  };
  child.stderr?.on('data', keep);
  let readyLine: Record<string, unknown> | undefined;
  let lineBuf = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (e?: Error) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        if (e) reject(e);
        else resolve();
      };
      child.once('error', (e) => finish(e));
      child.once('exit', (code) =>
        finish(new Error(`${cmd} exited (${code}) before it was ready: ${out.trim().slice(-800)}`)),
      );
      child.stdout?.on('data', (b: Buffer) => {
        keep(b);
        if (!o.readyJson || readyLine) return;
        lineBuf = (lineBuf + b.toString('utf8')).slice(-KEEP);
        let nl = lineBuf.indexOf('\n');
        while (nl >= 0) {
          const line = lineBuf.slice(0, nl);
          lineBuf = lineBuf.slice(nl + 1);
          try {
            const j = JSON.parse(line) as Record<string, unknown>;
            if (o.readyJson(j)) {
              readyLine = j;
              finish();
            }
          } catch {
            // not JSON: a log line
          }
          nl = lineBuf.indexOf('\n');
        }
      });
      const poll = setInterval(() => {
        if (Date.now() > deadline)
          finish(new Error(`${cmd} not ready after ${o.timeoutMs ?? 30_000} ms: ${out.trim().slice(-800)}`));
        if (o.port === undefined || o.readyJson) return;
        const s = net.connect({ host: '127.0.0.1', port: o.port });
        s.once('connect', () => {
          s.destroy();
          finish();
        });
        s.once('error', () => s.destroy());
      }, 100);
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { child, pid: child.pid as number, readyLine, output: () => out, stop };
}

/** A free loopback TCP port (for servers that cannot report the port they bound). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

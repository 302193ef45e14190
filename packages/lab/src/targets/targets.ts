import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBaseline } from './baseline-config.ts';
import { freePort, spawnReady } from './spawn-ready.ts';
import { findBinary, type RunningTarget, type TargetName, type TargetSpec } from './target.ts';

// The four targets, listed explicitly. Each knows how to tell it cannot run and how to start on loopback.

const REMPART_BIN = fileURLToPath(new URL('../../../rempart/bin/rempart.js', import.meta.url));

const direct: TargetSpec = {
  name: 'direct',
  unavailable: () => undefined,
  start: async (origin) => ({ name: 'direct', host: origin.host, port: origin.port, stop: async () => {} }),
};

interface ListenerInfo {
  name?: string;
  host?: string;
  port?: number;
}

// The gateway's ready line lists its listeners; accept an array or a name-keyed object, each entry with
// a port or a URL, so the lab does not break on a cosmetic change of that line.
function firstListener(v: unknown): ListenerInfo | undefined {
  const first = Array.isArray(v)
    ? v[0]
    : v && typeof v === 'object' && !('port' in v) && !('url' in v)
      ? Object.values(v)[0]
      : v;
  if (typeof first === 'string') return fromUrl(first);
  if (!first || typeof first !== 'object') return undefined;
  const o = first as ListenerInfo & { url?: unknown; address?: unknown };
  if (typeof o.port === 'number') return o;
  if (typeof o.url === 'string') return fromUrl(o.url);
  return undefined;
}

function fromUrl(u: string): ListenerInfo | undefined {
  try {
    const url = new URL(u);
    return { host: url.hostname, port: Number(url.port) };
  } catch {
    return undefined;
  }
}

const rempart: TargetSpec = {
  name: 'rempart',
  unavailable: () => (existsSync(REMPART_BIN) ? undefined : 'packages/rempart/bin/rempart.js not found'),
  start: async (origin, dir) => {
    const token = randomBytes(16).toString('hex');
    const file = join(dir, 'rempart.yaml');
    writeFileSync(file, renderBaseline('rempart.yaml', { ORIGIN: `${origin.host}:${origin.port}`, TOKEN: token }));
    const p = await spawnReady(process.execPath, [REMPART_BIN, 'serve', '--config', file], {
      readyJson: (j) => j.event === 'ready',
      timeoutMs: 30_000,
    });
    const ready = p.readyLine ?? {};
    const pub = firstListener(ready.listeners);
    const adm = firstListener(ready.admin);
    if (!pub?.port) {
      await p.stop();
      throw new Error(`rempart ready line has no public port: ${JSON.stringify(ready)}`);
    }
    return {
      name: 'rempart',
      host: '127.0.0.1',
      port: pub.port,
      pid: p.pid,
      admin: adm?.port ? { host: '127.0.0.1', port: adm.port, token } : undefined,
      stop: p.stop,
    };
  },
};

const nginx: TargetSpec = {
  name: 'nginx',
  unavailable: () => (findBinary('nginx') ? undefined : 'nginx binary not found (apt-get install nginx)'),
  start: async (origin, dir) => {
    const port = await freePort();
    const home = join(dir, 'nginx');
    mkdirSync(home, { recursive: true });
    const conf = join(home, 'nginx.conf');
    writeFileSync(
      conf,
      renderBaseline('nginx.conf', { DIR: home, PORT: port, ORIGIN: `${origin.host}:${origin.port}` }),
    );
    const p = await spawnReady(
      findBinary('nginx') as string,
      ['-p', home, '-c', conf, '-e', join(home, 'error.log'), '-g', 'daemon off;'],
      {
        port,
        timeoutMs: 15_000,
      },
    );
    return { name: 'nginx', host: '127.0.0.1', port, pid: p.pid, stop: p.stop };
  },
};

const haproxy: TargetSpec = {
  name: 'haproxy',
  unavailable: () => (findBinary('haproxy') ? undefined : 'haproxy binary not found (apt-get install haproxy)'),
  start: async (origin, dir) => {
    const port = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, renderBaseline('haproxy.cfg', { PORT: port, ORIGIN: `${origin.host}:${origin.port}` }));
    const p = await spawnReady(findBinary('haproxy') as string, ['-f', cfg, '-db'], { port, timeoutMs: 15_000 });
    return { name: 'haproxy', host: '127.0.0.1', port, pid: p.pid, stop: p.stop };
  },
};

export const targets: Record<TargetName, TargetSpec> = { rempart, direct, nginx, haproxy };

export type { RunningTarget };

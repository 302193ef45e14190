import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBaseline } from './baseline-config.ts';
import { freePort, spawnReady } from './spawn-ready.ts';
import { findBinary, type RunningTarget, type TargetName, type TargetSpec } from './target.ts';
import { writeThrowawayCert } from './throwaway-cert.ts';

// The four targets, listed explicitly. Each knows how to tell it cannot run and how to start on loopback.
// Gateways get two listeners: cleartext HTTP/1.1 (`port`, where legit users and request floods go) and
// HTTP/2 over TLS with ALPN h2 (`tlsPort`, where the HTTP/2 vectors go), with a certificate made per run.
// The origins speak cleartext HTTP/1.1 only, so `direct` has no TLS port.

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
  protocol?: string;
}

// The gateway's ready line lists its listeners; accept an array or a name-keyed object, each entry with
// a port or a URL, so the lab does not break on a cosmetic change of that line.
function listenerList(v: unknown): ListenerInfo[] {
  const all = Array.isArray(v)
    ? v
    : v && typeof v === 'object' && !('port' in v) && !('url' in v)
      ? Object.values(v)
      : [v];
  const out: ListenerInfo[] = [];
  for (const x of all) {
    if (typeof x === 'string') {
      const l = fromUrl(x);
      if (l) out.push(l);
      continue;
    }
    if (!x || typeof x !== 'object') continue;
    const o = x as ListenerInfo & { url?: unknown };
    const fromU = typeof o.url === 'string' ? fromUrl(o.url) : undefined;
    const port = typeof o.port === 'number' ? o.port : fromU?.port;
    if (port === undefined) continue;
    out.push({ name: o.name, host: o.host ?? fromU?.host, port, protocol: o.protocol ?? fromU?.protocol });
  }
  return out;
}

function fromUrl(u: string): ListenerInfo | undefined {
  try {
    const url = new URL(u);
    return { host: url.hostname, port: Number(url.port), protocol: url.protocol.replace(':', '') };
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
    const tls = writeThrowawayCert(dir);
    writeFileSync(
      file,
      renderBaseline('rempart.yaml', {
        ORIGIN: `${origin.host}:${origin.port}`,
        TOKEN: token,
        CERT: tls.cert,
        KEY: tls.key,
      }),
    );
    const p = await spawnReady(process.execPath, [REMPART_BIN, 'serve', '--config', file], {
      readyJson: (j) => j.event === 'ready',
      timeoutMs: 30_000,
    });
    const ready = p.readyLine ?? {};
    const all = listenerList(ready.listeners);
    const pub = all.find((l) => l.protocol !== 'https');
    const secure = all.find((l) => l.protocol === 'https');
    const adm = listenerList(ready.admin)[0];
    if (!pub?.port) {
      await p.stop();
      throw new Error(`rempart ready line has no public port: ${JSON.stringify(ready)}`);
    }
    return {
      name: 'rempart',
      host: '127.0.0.1',
      port: pub.port,
      tlsPort: secure?.port,
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
    const tlsPort = await freePort();
    const home = join(dir, 'nginx');
    mkdirSync(home, { recursive: true });
    const conf = join(home, 'nginx.conf');
    const tls = writeThrowawayCert(home);
    writeFileSync(
      conf,
      renderBaseline('nginx.conf', {
        DIR: home,
        PORT: port,
        TLSPORT: tlsPort,
        CERT: tls.cert,
        KEY: tls.key,
        ORIGIN: `${origin.host}:${origin.port}`,
      }),
    );
    const p = await spawnReady(
      findBinary('nginx') as string,
      ['-p', home, '-c', conf, '-e', join(home, 'error.log'), '-g', 'daemon off;'],
      {
        port,
        timeoutMs: 15_000,
      },
    );
    return { name: 'nginx', host: '127.0.0.1', port, tlsPort, pid: p.pid, stop: p.stop };
  },
};

const haproxy: TargetSpec = {
  name: 'haproxy',
  unavailable: () => (findBinary('haproxy') ? undefined : 'haproxy binary not found (apt-get install haproxy)'),
  start: async (origin, dir) => {
    const port = await freePort();
    const tlsPort = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    const tls = writeThrowawayCert(dir);
    writeFileSync(
      cfg,
      renderBaseline('haproxy.cfg', {
        PORT: port,
        TLSPORT: tlsPort,
        TLSPEM: tls.combined,
        ORIGIN: `${origin.host}:${origin.port}`,
      }),
    );
    const p = await spawnReady(findBinary('haproxy') as string, ['-f', cfg, '-db'], { port, timeoutMs: 15_000 });
    return { name: 'haproxy', host: '127.0.0.1', port, tlsPort, pid: p.pid, stop: p.stop };
  },
};

export const targets: Record<TargetName, TargetSpec> = { rempart, direct, nginx, haproxy };

export type { RunningTarget };

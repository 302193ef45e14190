import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type Proc, stopChild } from './procs.ts';

// nginx (Debian package) as the reference, configured the way its documentation recommends for a reverse proxy:
// upstream keep-alive, access log off for the benchmark, limit_req returning 429 for the reject path.

export function haveNginx(): boolean {
  return spawnSync('nginx', ['-v']).error === undefined;
}

export function nginxConfig(dir: string, originPort: number, proxyPort: number, limitPort: number): string {
  return `worker_processes auto;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream origin { server 127.0.0.1:${originPort}; keepalive 128; }
  limit_req_zone $binary_remote_addr zone=perip:10m rate=1r/s;
  limit_req_status 429;
  server {
    listen 127.0.0.1:${proxyPort} reuseport;
    keepalive_requests 100000;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:${limitPort} reuseport;
    keepalive_requests 100000;
    location / { limit_req zone=perip; proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
}

function waitPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`port ${port} not open after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startNginx(dir: string, originPort: number, proxyPort: number, limitPort: number): Promise<Proc> {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, originPort, proxyPort, limitPort));
  const child = spawn('nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
  await waitPort(proxyPort, 10_000);
  await waitPort(limitPort, 10_000);
  return { child, ready: { proxyPort, limitPort }, stop: () => stopChild(child) };
}

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exchange } from '../load/http-send.ts';
import { sourceAddress } from '../load/sources.ts';
import { type LabOrigin, startLabOrigin } from '../origin/lab-origin.ts';
import { startH2Attack } from '../vectors/h2-abuse.ts';
import type { RunningTarget, TargetName } from './target.ts';
import { targets } from './targets.ts';

// The lab's HTTP/2 vectors reach the gateways' HTTP/2 defences: each gateway target gets a TLS listener
// with ALPN h2 (throwaway certificate), a legit h2 request is served there, and against Rempart a rapid
// reset ends in sessions the gateway closes for abuse, counted by the vector (closed_by_target) and by
// Rempart's own metric (rempart_listener_connections_refused_total{reason="h2-abuse"}).

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function h2Get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, servername: 'localhost' });
    s.on('error', reject);
    const st = s.request({ ':path': path });
    st.on('response', (h) => {
      st.resume();
      st.on('end', () => {
        s.close();
        resolve(Number(h[':status']));
      });
    });
    st.on('error', reject);
    st.end();
  });
}

function metrics(a: NonNullable<RunningTarget['admin']>): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: a.host, port: a.port, path: '/metrics', headers: { authorization: `Bearer ${a.token}` }, agent: false },
        (res) => {
          let s = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            s += c;
          });
          res.on('end', () => resolve(s));
        },
      )
      .on('error', reject);
  });
}

describe('HTTP/2 over TLS against the gateway targets', () => {
  let origin: LabOrigin;
  const dirs: string[] = [];
  const running: RunningTarget[] = [];
  before(async () => {
    origin = await startLabOrigin({ cpuMs: 0 });
  });
  after(async () => {
    for (const t of running) await t.stop();
    await origin.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = async (name: TargetName) => {
    const dir = mkdtempSync(join(tmpdir(), `rempart-lab-h2-${name}-`));
    dirs.push(dir);
    const t = await targets[name].start({ host: '127.0.0.1', port: origin.port }, dir);
    running.push(t);
    return t;
  };

  test('rempart: rapid reset over TLS spends the h2 budget; sessions closed and counted; legit still served', {
    timeout: 60_000,
  }, async () => {
    const t = await start('rempart');
    assert.ok(t.tlsPort, 'rempart reports a TLS listener');
    assert.equal(await h2Get(t.tlsPort, '/status'), 200, 'a legit HTTP/2 request over TLS is served');
    // 400 streams/s on 3 sessions: each session passes the 200-resets-per-10 s budget in about 1.5 s.
    const a = startH2Attack({
      kind: 'h2-rapid-reset',
      host: t.host,
      port: t.tlsPort,
      rate: 400,
      maxConnections: 3,
      source: (k) => sourceAddress(9000 + k),
    });
    await wait(4000);
    const legit = await exchange({ host: t.host, port: t.port, method: 'GET', path: '/status', timeoutMs: 5000 });
    const s = a.stop();
    assert.equal(legit.status, 200, 'cleartext legit request during the attack');
    assert.equal(s.not_h2, 0);
    assert.ok(s.streams_reset >= 400, `streams reset ${s.streams_reset}`);
    assert.ok(s.closed_by_target >= 2, `sessions closed by the target ${s.closed_by_target}`);
    // The gateway sends GOAWAY(ENHANCE_YOUR_CALM) then destroys the session at once, so the frame does not
    // always reach the client: the gateway's own counter is the proof that its budget closed them.
    assert.ok(t.admin);
    const m = /rempart_listener_connections_refused_total\{listener="public-tls",reason="h2-abuse"\} (\d+)/.exec(
      await metrics(t.admin),
    );
    assert.ok(m && Number(m[1]) >= 2, `gateway's own count of sessions closed for abuse: ${m?.[1]}`);
    assert.equal(await h2Get(t.tlsPort, '/status'), 200, 'a fresh HTTP/2 session is served after the attack');
  });

  test('rempart: a CONTINUATION flood over TLS is ended by the gateway', { timeout: 30_000 }, async () => {
    const t = running.find((r) => r.name === 'rempart') ?? (await start('rempart'));
    assert.ok(t.tlsPort);
    const a = startH2Attack({
      kind: 'h2-continuation',
      host: t.host,
      port: t.tlsPort,
      rate: 400,
      maxConnections: 2,
      source: (k) => sourceAddress(9100 + k),
    });
    await wait(2500);
    const s = a.stop();
    assert.equal(s.not_h2, 0);
    assert.ok(s.continuation_frames >= 10, `frames ${s.continuation_frames}`);
    assert.ok(s.closed_by_target >= 1, `sessions closed by the target ${s.closed_by_target}`);
  });

  for (const name of ['nginx', 'haproxy'] as const) {
    const why = targets[name].unavailable();
    test(`${name}: the baseline has an equivalent TLS listener with ALPN h2`, {
      skip: why,
      timeout: 30_000,
    }, async () => {
      const t = await start(name);
      assert.ok(t.tlsPort);
      assert.equal(await h2Get(t.tlsPort, '/status'), 200);
    });
  }
});

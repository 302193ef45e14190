// Acknowledged writes survive kill -9: spawn the real CLI, write while killing it, restart, check every
// acknowledged write is there, and `poste verify` finds the ledger intact.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { signAtm } from './atm/atm-signature.ts';
import { call } from './poste-test-kit.ts';
import { defaultAtmSecrets } from './server.ts';
import { demo } from './store/seed.ts';

const BIN = new URL('../bin/poste.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'poste-crash-'));
const db = `sqlite:${join(dir, 'poste.sqlite')}`;
const args = [
  '--port',
  '0',
  '--atm-port',
  '0',
  '--db',
  db,
  '--seed',
  '2000',
  '--costs',
  'scryptN=1024,catalogueSize=500',
];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function exited(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', r));
}

async function serve(): Promise<{ child: ChildProcess; url: string; atmUrl: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<{ url: string; atmUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ready line')), 60_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(JSON.parse(l));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  return { child, ...ready };
}

test('kill -9 during writes loses no acknowledged write; verify passes', async () => {
  const first = await serve();
  const [terminal, secret] = Object.entries(defaultAtmSecrets)[0];
  const acked: string[] = [];
  const atmAcked: string[] = [];
  let stop = false;
  let lastError = '';
  const writer = async (w: number) => {
    for (let i = 0; i < 400 && !stop; i++) {
      try {
        const r = await call(
          first.url,
          'POST',
          '/api/parcels',
          { fromZip: '75001', toZip: '06000', weightG: 100 + i },
          { 'idempotency-key': `crash-${w}-${i}-key` },
        );
        if (r.status === 201) acked.push(r.body.trackingNumber);
        const raw = JSON.stringify({
          authId: `crash-atm-${w}-${i}`,
          accountId: demo.accountId,
          amountCents: 100,
          kind: 'withdrawal',
        });
        const ts = Date.now();
        const a = await call(first.atmUrl, 'POST', '/atm/authorise', raw, {
          'content-type': 'application/json',
          'x-terminal-id': terminal,
          'x-timestamp': String(ts),
          'x-signature': signAtm(secret, ts, 'POST', '/atm/authorise', raw),
        });
        if (a.status === 200 && a.body.result === 'approved') atmAcked.push(`crash-atm-${w}-${i}`);
      } catch (err) {
        lastError = String((err as Error)?.cause ?? err);
        return; // the process died under us: expected
      }
    }
  };
  let finished = 0;
  const writers = [writer(1), writer(2), writer(3)].map((w) => w.then(() => void finished++));
  const deadline = Date.now() + 60_000;
  while (acked.length < 40) {
    assert.ok(
      finished < 3 && Date.now() < deadline,
      `writers stopped early with ${acked.length} acknowledged (${lastError})`,
    );
    await new Promise((r) => setTimeout(r, 20));
  }
  first.child.kill('SIGKILL');
  stop = true;
  await Promise.all(writers);
  await exited(first.child);
  assert.ok(acked.length >= 40);

  const second = await serve();
  try {
    for (const id of acked) assert.equal((await call(second.url, 'GET', `/api/parcels/${id}/events`)).status, 200, id);
    for (const authId of atmAcked) {
      const raw = JSON.stringify({ authId, accountId: demo.accountId, amountCents: 100, kind: 'withdrawal' });
      const ts = Date.now();
      const replay = await call(second.atmUrl, 'POST', '/atm/authorise', raw, {
        'content-type': 'application/json',
        'x-terminal-id': terminal,
        'x-timestamp': String(ts),
        'x-signature': signAtm(secret, ts, 'POST', '/atm/authorise', raw),
      });
      assert.equal(replay.body.replayed, true, `${authId} was durable`);
    }
  } finally {
    second.child.kill('SIGTERM');
    await exited(second.child);
  }
  const verify = spawnSync(process.execPath, [BIN, 'verify', '--db', db], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  const report = JSON.parse(verify.stdout);
  assert.equal(report.ok, true);
  assert.ok(report.stats.atmAuths >= atmAcked.length);
});

test('verify exits non-zero when an invariant is broken', async () => {
  const { DatabaseSync } = await import('node:sqlite');
  const raw = new DatabaseSync(join(dir, 'poste.sqlite'));
  raw.exec(`UPDATE bank_accounts SET balance = balance + 1 WHERE id = '${demo.accountId}'`);
  raw.close();
  const verify = spawnSync(process.execPath, [BIN, 'verify', '--db', db], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(verify.status, 1);
  assert.match(verify.stdout, /balance-matches-entries/);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The lab CLI as an operator runs it: interrupted with Ctrl-C, it leaves no origin or gateway behind.

const BIN = fileURLToPath(new URL('../bin/rempart-lab.js', import.meta.url));

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Running (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('SIGINT during a run stops it and kills its origin and gateway processes', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rempart-lab-cli-'));
  try {
    const p = spawn(process.execPath, [BIN, 'run', '--scenario', 'cache-bust', '--quick', '--out', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    // Wait until the run is under way (a progress line) with its children started.
    const deadline = Date.now() + 60_000;
    while (!/\[rempart\]/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.match(err, /\[rempart\]/, 'the run started');
    const kids = childrenOf(p.pid as number);
    assert.ok(kids.length >= 2, `origin and gateway running (${kids.length} children)`);
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    p.kill('SIGINT');
    assert.equal(await exited, 130);
    // SIGKILLed children may take a moment to be reaped by init once their parent is gone.
    for (let i = 0; i < 50 && kids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    for (const k of kids) assert.equal(alive(k), false, `child ${k} gone`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

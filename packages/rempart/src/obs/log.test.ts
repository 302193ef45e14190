import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createManualClock } from '../core/clock.ts';
import { createLog } from './log.ts';

const dir = mkdtempSync(join(tmpdir(), 'rempart-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a flood of access lines is capped per second, the rest counted and summarised', async () => {
  const clock = createManualClock();
  const file = join(dir, 'access.log');
  let metric = 0;
  const log = createLog({
    level: 'info',
    destination: file,
    maxLinesPerS: 5,
    clock,
    onDropped: (n) => {
      metric += n;
    },
  });
  let kept = 0;
  for (let i = 0; i < 1_000; i++) if (log.line({ i, ip: '127.0.0.1' }, 'access')) kept++;
  assert.equal(kept, 5);
  clock.advance(1_000);
  assert.equal(log.line({ i: 1_000 }, 'access'), true, 'a new second has a fresh budget');
  log.logger.error({ code: 'X' }, 'operational lines are never sampled');
  await log.close();

  assert.equal(log.dropped, 995);
  assert.equal(metric, 995);
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l.msg === 'access').length, 6);
  const summary = lines.find((l) => l.msg === '995 lines dropped');
  assert.ok(summary, 'one summary line for the dropped second');
  assert.equal(summary.dropped, 995);
  assert.ok(lines.some((l) => l.msg === 'operational lines are never sampled'));
  assert.ok(lines.length <= 9, `bounded output: ${lines.length} lines`);
});

test('a level that hides access lines writes none and reports no drops', async () => {
  const clock = createManualClock();
  const file = join(dir, 'warn.log');
  const log = createLog({ level: 'warn', destination: file, maxLinesPerS: 5, clock });
  assert.equal(log.accessEnabled, false);
  for (let i = 0; i < 100; i++) assert.equal(log.line({ i }, 'access'), false);
  clock.advance(1_000);
  log.logger.warn('still written');
  await log.close();
  assert.equal(log.dropped, 0);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).msg),
    ['still written'],
  );
});

test('a reload changes the per-second cap and the level for access lines', async () => {
  const clock = createManualClock();
  const log = createLog({ level: 'warn', destination: join(dir, 'reload.log'), maxLinesPerS: 2, clock });
  assert.equal(log.line({}, 'access'), false);
  log.logger.level = 'info';
  log.setMaxLinesPerS(3);
  let kept = 0;
  for (let i = 0; i < 10; i++) if (log.line({ i }, 'access')) kept++;
  assert.equal(kept, 3);
  await log.close();
});

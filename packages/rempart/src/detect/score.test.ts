import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Policy } from '../config/compile.ts';
import { createManualClock } from '../core/clock.ts';
import type { Deps, RequestCtx } from '../pipeline/types.ts';
import { createMemoryStore } from '../state/memory-store.ts';
import { defaultDetectConfig } from './config.ts';
import { createDetector } from './detector.ts';
import { factsFromCtx } from './facts.ts';
import { type ScoreFacts, scoreOf } from './score.ts';
import { createScoreStage } from './score-stage.ts';

const W = defaultDetectConfig().score;
const calm: ScoreFacts = { mode: 'normal', flaggedShape: false, orphanPost: false, hasCookie: true, hasReferer: true };

describe('scoreOf', () => {
  const cases: [string, Partial<ScoreFacts>, number][] = [
    ['a returning visitor', {}, 0],
    ['no cookie', { hasCookie: false }, 0.1],
    ['orphan POST without cookie: still under the challenge threshold', { orphanPost: true, hasCookie: false }, 0.4],
    [
      'the same under attack, bare',
      { mode: 'under-attack', orphanPost: true, hasCookie: false, hasReferer: false },
      0.5,
    ],
    ['flagged shape', { flaggedShape: true }, 0.6],
    [
      'everything: capped below the block score',
      { mode: 'under-attack', flaggedShape: true, orphanPost: true, hasCookie: false, hasReferer: false },
      0.9,
    ],
  ];
  for (const [name, f, want] of cases) it(name, () => assert.equal(scoreOf({ ...calm, ...f }, W), want));
});

describe('score stage', () => {
  it('scores a POST to a form the client never loaded, not one it did', () => {
    const clock = createManualClock();
    const d = createDetector(defaultDetectConfig(), clock);
    const stage = createScoreStage(d, W);
    const deps: Deps = {
      clock,
      store: createMemoryStore({ maxEntries: 100 }),
      policy: {} as Policy,
      snapshot: d.snapshot,
    };
    const mk = (ip: string, method: string): RequestCtx => ({
      id: ip + method,
      startedAt: 0,
      startedMono: 0,
      method,
      path: '/compte/connexion',
      query: '',
      headers: { host: 'x', cookie: 'a=1' },
      httpVersion: '1.1',
      tls: false,
      peerIp: ip,
      client: { ip, prefix: '10.0.0.0/24' },
      trace: [],
    });
    d.observe(factsFromCtx(mk('10.0.0.1', 'GET'), 'pass', 200, 5));
    const person = mk('10.0.0.1', 'POST');
    const bot = mk('10.0.0.2', 'POST');
    assert.deepEqual(stage.run(person, deps), { kind: 'pass' });
    assert.deepEqual(stage.run(bot, deps), { kind: 'pass' });
    assert.equal(person.score ?? 0, 0);
    assert.equal(bot.score, 0.3);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ChallengeFacts, type ChallengeParams, decide } from './decide.ts';

const params: ChallengeParams = {
  classes: { normal: [], elevated: ['bulk'], 'under-attack': ['critical', 'normal', 'bulk'] },
  challengeScore: 0.5,
  blockScore: 0.95,
  baseBits: 14,
  maxBits: 20,
  deviceCapBits: 32,
};
const base: ChallengeFacts = {
  routeClass: 'critical',
  mode: 'normal',
  score: 0,
  allowListed: false,
  clearance: 'none',
  pressure: 0,
  classWide: true,
  known: false,
};

const cases: [string, Partial<ChallengeFacts>, Partial<ChallengeParams>, string, string?, number?][] = [
  ['normal mode, no suspicion: pass', {}, {}, 'pass'],
  [
    'under attack, critical, no clearance: challenge',
    { mode: 'under-attack' },
    {},
    'challenge',
    'challenge/under-attack-critical',
    16,
  ],
  [
    'under attack before the origin feels it: class-wide challenges wait (shape actions meet the flood)',
    { mode: 'under-attack', classWide: false },
    {},
    'pass',
  ],
  [
    'under attack, not engaged, but a suspicious client: still challenged',
    { mode: 'under-attack', classWide: false, score: 0.6 },
    {},
    'challenge',
    'challenge/score',
  ],
  [
    'under attack, a visitor known before it (pass or session): spared the class-wide challenge',
    { mode: 'under-attack', known: true },
    {},
    'pass',
  ],
  [
    'under attack, known visitor but suspicious: still challenged on its score',
    { mode: 'under-attack', known: true, score: 0.6 },
    {},
    'challenge',
    'challenge/score',
  ],
  [
    'under attack, known visitor whose clearance is spent: challenged',
    { mode: 'under-attack', known: true, clearance: 'spent' },
    {},
    'challenge',
    'challenge/clearance-spent',
  ],
  ['under attack with valid clearance: pass (no loop)', { mode: 'under-attack', clearance: 'valid' }, {}, 'pass'],
  ['under attack, static assets: pass', { mode: 'under-attack', routeClass: 'static' }, {}, 'pass'],
  [
    'elevated bulk: challenge',
    { mode: 'elevated', routeClass: 'bulk' },
    {},
    'challenge',
    'challenge/elevated-bulk',
    15,
  ],
  ['elevated critical: pass', { mode: 'elevated' }, {}, 'pass'],
  ['suspicious score in normal mode: challenge, harder', { score: 0.6 }, {}, 'challenge', 'challenge/score', 16],
  [
    'allow-listed under attack with a high score: pass',
    { mode: 'under-attack', score: 0.99, allowListed: true },
    {},
    'pass',
  ],
  [
    'score over block threshold: block even with clearance',
    { score: 0.97, clearance: 'valid' },
    {},
    'block',
    'challenge/block-score',
  ],
  ['spent clearance: challenge again', { clearance: 'spent' }, {}, 'challenge', 'challenge/clearance-spent', 14],
  [
    'invalid cookie counts as none',
    { clearance: 'invalid', mode: 'under-attack' },
    {},
    'challenge',
    'challenge/under-attack-critical',
    16,
  ],
  [
    'load raises difficulty',
    { mode: 'under-attack', pressure: 1 },
    {},
    'challenge',
    'challenge/under-attack-critical',
    18,
  ],
  [
    'difficulty capped by max',
    { mode: 'under-attack', pressure: 1, score: 0.9 },
    { maxBits: 19 },
    'challenge',
    undefined,
    19,
  ],
  [
    'difficulty capped for weak devices',
    { mode: 'under-attack', pressure: 1 },
    { deviceCapBits: 12 },
    'challenge',
    undefined,
    12,
  ],
];

for (const [name, f, p, kind, rule, bits] of cases) {
  test(name, () => {
    const v = decide({ ...base, ...f }, { ...params, ...p });
    assert.equal(v.kind, kind);
    if (rule !== undefined) assert.equal('rule' in v ? v.rule : undefined, rule);
    if (bits !== undefined) assert.equal(v.kind === 'challenge' ? v.difficulty : -1, bits);
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideMode, type Level, type ModeState } from './mode.ts';

const P = { calmTicks: 3, minDwellMs: { elevated: 10_000, 'under-attack': 30_000 } };
const at = (mode: ModeState['mode'], since = 0, calmTicks = 0, pinned = false): ModeState => ({
  mode,
  since,
  calmTicks,
  pinned,
});

describe('decideMode', () => {
  const cases: {
    name: string;
    s: ModeState;
    enter: Level;
    stay: Level;
    now: number;
    pin?: ModeState['mode'];
    want: ModeState;
  }[] = [
    { name: 'calm stays normal', s: at('normal'), enter: 0, stay: 0, now: 1000, want: at('normal') },
    {
      name: 'jumps straight to under-attack',
      s: at('normal'),
      enter: 2,
      stay: 2,
      now: 1000,
      want: at('under-attack', 1000),
    },
    {
      name: 'escalates elevated → under-attack',
      s: at('elevated', 0),
      enter: 2,
      stay: 2,
      now: 5000,
      want: at('under-attack', 5000),
    },
    {
      name: 'below exit threshold counts calm',
      s: at('elevated', 0),
      enter: 0,
      stay: 0,
      now: 20_000,
      want: at('elevated', 0, 1),
    },
    {
      name: 'between exit and entry: no calm',
      s: at('elevated', 0, 2),
      enter: 0,
      stay: 1,
      now: 20_000,
      want: at('elevated', 0, 0),
    },
    {
      name: 'enough calm + dwell: one step down',
      s: at('under-attack', 0, 2),
      enter: 0,
      stay: 0,
      now: 40_000,
      want: at('elevated', 40_000),
    },
    {
      name: 'calm but dwell not served',
      s: at('under-attack', 0, 2),
      enter: 0,
      stay: 0,
      now: 20_000,
      want: at('under-attack', 0, 3),
    },
    {
      name: 'operator pin wins',
      s: at('normal'),
      enter: 0,
      stay: 0,
      now: 7,
      pin: 'under-attack',
      want: at('under-attack', 7, 0, true),
    },
    {
      name: 'pin holds against calm',
      s: at('under-attack', 7, 0, true),
      enter: 0,
      stay: 0,
      now: 99_999,
      pin: 'under-attack',
      want: at('under-attack', 7, 0, true),
    },
    {
      name: 'unpin restarts dwell',
      s: at('under-attack', 7, 0, true),
      enter: 0,
      stay: 0,
      now: 50_000,
      want: at('under-attack', 50_000, 1),
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(decideMode(c.s, c.enter, c.stay, c.now, P, c.pin), c.want));
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KIND_CLEARANCE, type Token, type TokenLedger } from './token.ts';

// One table of cases for every TokenLedger: IdLedger (ledger.test.ts) and the shared one
// (state/shared/shared-ledger.test.ts). Tokens are issued in expiry order, as a gateway issues them (one TTL per
// kind): with that, both evict the same entry when full. Ids are letters; expiries are seconds after NOW.

const NOW = 1_700_000_000;

type Op =
  | { readonly op: 'useOnce'; readonly id: string; readonly exp: number; readonly at?: number; readonly want: boolean }
  | {
      readonly op: 'spend';
      readonly id: string;
      readonly exp: number;
      readonly budget: number;
      readonly at?: number;
      readonly want: boolean;
    }
  | { readonly op: 'revoke'; readonly id: string; readonly exp: number; readonly at?: number }
  | { readonly op: 'size'; readonly want: number };

export interface LedgerCase {
  readonly name: string;
  readonly capacity: number;
  readonly steps: readonly Op[];
}

const use = (id: string, exp: number, want: boolean, at?: number): Op => ({ op: 'useOnce', id, exp, want, at });
const spend = (id: string, exp: number, budget: number, want: boolean): Op => ({ op: 'spend', id, exp, budget, want });

export const LEDGER_CASES: readonly LedgerCase[] = [
  {
    name: 'an id is used once',
    capacity: 4,
    steps: [use('a', 60, true), use('a', 60, false), use('b', 60, true), use('a', 60, false), { op: 'size', want: 2 }],
  },
  {
    name: 'full: the oldest goes and stays refused (the floor)',
    capacity: 3,
    steps: [
      use('a', 10, true),
      use('b', 11, true),
      use('c', 12, true),
      use('d', 13, true),
      { op: 'size', want: 3 },
      use('a', 10, false),
      use('e', 10, false), // never seen, but expires no later than an evicted id
      use('f', 14, true),
      use('c', 12, false), // still held
    ],
  },
  {
    name: 'an expired entry makes room first; a live one goes only when none has expired',
    capacity: 2,
    steps: [
      use('a', 5, true),
      use('b', 50, true),
      use('c', 60, true, 10), // a has expired: its place is taken, nothing live is evicted
      { op: 'size', want: 2 },
      use('b', 50, false, 10),
      use('d', 55, true, 10), // evicts b: the floor rises to 50
      use('e', 45, false, 10),
      use('c', 60, false, 10),
    ],
  },
  {
    name: 'a clearance budget counts requests, then refuses',
    capacity: 8,
    steps: [spend('a', 60, 3, true), spend('a', 60, 3, true), spend('a', 60, 3, true), spend('a', 60, 3, false)],
  },
  {
    name: 'a budget of zero refuses the first request',
    capacity: 8,
    steps: [spend('a', 60, 0, false), spend('b', 60, 1, true), spend('b', 60, 1, false)],
  },
  {
    name: 'revoke stops a clearance, known or not',
    capacity: 8,
    steps: [
      spend('a', 60, 100, true),
      { op: 'revoke', id: 'a', exp: 60 },
      spend('a', 60, 100, false),
      { op: 'revoke', id: 'b', exp: 60 },
      spend('b', 60, 100, false),
    ],
  },
  {
    name: 'spend is refused at or below the floor',
    capacity: 2,
    steps: [spend('a', 10, 9, true), spend('b', 20, 9, true), spend('c', 30, 9, true), spend('a', 10, 9, false)],
  },
];

function token(id: string, exp: number): Token {
  return { kind: KIND_CLEARANCE, exp: NOW + exp, aux: 0, nbf: 0, id };
}

export function ledgerContract(name: string, make: (capacity: number) => TokenLedger): void {
  describe(`TokenLedger contract: ${name}`, () => {
    for (const c of LEDGER_CASES) {
      it(c.name, () => {
        const l = make(c.capacity);
        for (const [i, s] of c.steps.entries()) {
          const where = `step ${i} (${s.op}${'id' in s ? ` ${s.id}` : ''})`;
          if (s.op === 'size') assert.equal(l.size, s.want, where);
          else if (s.op === 'revoke') l.revoke(token(s.id, s.exp), NOW + (s.at ?? 0));
          else if (s.op === 'useOnce') assert.equal(l.useOnce(token(s.id, s.exp), NOW + (s.at ?? 0)), s.want, where);
          else assert.equal(l.spend(token(s.id, s.exp), s.budget, NOW + (s.at ?? 0)), s.want, where);
        }
      });
    }

    it('never holds more than its capacity, and no id used before passes again', () => {
      const l = make(50);
      for (let i = 0; i < 1_000; i++) assert.equal(l.useOnce(token(`id${i}`, 100 + i), NOW), true, `id${i}`);
      assert.ok(l.size <= l.capacity, `${l.size} > ${l.capacity}`);
      for (let i = 0; i < 1_000; i++) assert.equal(l.useOnce(token(`id${i}`, 100 + i), NOW), false, `replay id${i}`);
    });
  });
}

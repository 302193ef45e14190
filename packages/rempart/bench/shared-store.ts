import { createMemoryStore } from '../src/state/memory-store.ts';
import { newSharedStoreHandle } from '../src/state/shared/handle.ts';
import { createSharedStore } from '../src/state/shared/shared-store.ts';
import type { Store } from '../src/state/store.ts';
import { opt } from './args.ts';

// `node packages/rempart/bench/shared-store.ts [--calls N] [--keys N] [--entries N] [--rounds N] [--json]`
// Nanoseconds per call, in one thread, of the memory store (lru-cache) against the shared store
// (SharedArrayBuffer tables, one uncontended bucket lock per call): consumeRate on one hot key and over `keys`
// distinct keys (more than the `entries` capacity, so most calls insert and evict), and banned() for addresses
// that are not banned (with bans elsewhere in the table) and for one that is. The stores alternate for several
// rounds and each figure is the median. Not part of `npm test`.

const calls = opt('--calls', 2_000_000);
const keyCount = opt('--keys', 1_000_000);
const entries = opt('--entries', 200_000);
const rounds = opt('--rounds', 5);
const json = process.argv.includes('--json');

const T0 = 1_700_000_000_000;
const P = { emissionMs: 10, burst: 20 };
const sprayIps = Array.from({ length: keyCount }, (_, i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
const keys = sprayIps.map((ip) => `rl:per-ip:${ip}`);
const ips = Array.from({ length: 1_000 }, (_, i) => `203.0.${i >>> 8}.${i & 255}`);
const hot = ['192.0.2.7']; // read from an array so that the concatenation below is not folded

type Case = (s: Store) => void;
let sink = 0;

// "reused": the same string objects every time (a Map finds their hash cached in the string); "built": the key
// concatenated per call, as the ratelimit stage does, so both stores also pay for flattening and hashing it.
const cases: Record<string, Case> = {
  'consumeRate hot key, reused': (s) => {
    for (let i = 0; i < calls; i++) if (s.consumeRate(keys[0], T0 + i, 1, P)) sink++;
  },
  'consumeRate hot key, built': (s) => {
    for (let i = 0; i < calls; i++) if (s.consumeRate(`rl:per-ip:${hot[0]}`, T0 + i, 1, P)) sink++;
  },
  'consumeRate sprayed keys, reused': (s) => {
    for (let i = 0; i < calls; i++) if (s.consumeRate(keys[i % keyCount], T0 + i, 1, P)) sink++;
  },
  'consumeRate sprayed keys, built': (s) => {
    for (let i = 0; i < calls; i++) if (s.consumeRate(`rl:per-ip:${sprayIps[i % keyCount]}`, T0 + i, 1, P)) sink++;
  },
  'banned miss': (s) => {
    for (let i = 0; i < calls; i++) if (s.banned(ips[i % 1_000], T0) === undefined) sink++;
  },
  'banned hit': (s) => {
    for (let i = 0; i < calls; i++) if (s.banned('198.51.100.1', T0) !== undefined) sink++;
  },
};

function makeStores(): Record<string, Store> {
  const stores: Record<string, Store> = {
    memory: createMemoryStore({ maxEntries: entries }),
    shared: createSharedStore(newSharedStoreHandle({ maxEntries: entries })),
  };
  for (const s of Object.values(stores)) {
    // Some bans, so that banned() has to look (both stores skip the lookup while they hold none).
    for (let i = 0; i < 100; i++) {
      s.ban({ target: `198.51.100.${i + 1}`, reason: 'bench', rule: 'ban/auto', createdAt: T0, expiresAt: T0 + 1e9 });
    }
  }
  return stores;
}

const ns: Record<string, Record<string, number[]>> = {};
const stores = makeStores();
for (const run of Object.values(cases)) for (const s of Object.values(stores)) run(s); // warm the JIT and tables
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of Object.entries(cases)) {
    for (const [kind, store] of Object.entries(stores)) {
      const t = process.hrtime.bigint();
      run(store);
      const per = Number(process.hrtime.bigint() - t) / calls;
      ns[name] ??= {};
      ns[name][kind] ??= [];
      ns[name][kind].push(per);
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const table = Object.entries(ns).map(([name, by]) => ({
  case: name,
  memory_ns: Number(median(by.memory).toFixed(1)),
  shared_ns: Number(median(by.shared).toFixed(1)),
  shared_over_memory: Number((median(by.shared) / median(by.memory)).toFixed(2)),
}));
if (json) process.stdout.write(`${JSON.stringify({ calls, keys: keyCount, entries, rounds, table })}\n`);
else {
  process.stdout.write(`medians of ${rounds} rounds, ${calls} calls each, ${keyCount} keys, capacity ${entries}\n`);
  console.table(table);
}
if (sink === -1) process.stdout.write('unreachable\n');

import { LRUCache } from 'lru-cache';
import { gcra } from './gcra.ts';
import type { BanEntry, DistinctResult, GcraParams, RateResult, Store, TableSizes } from './store.ts';

// The in-process backend. Every table is an LRU with a fixed capacity: a spray of a million keys evicts the
// least recently used entries and memory stays flat. Evictions are counted (a rising count means the cap is
// too small for the traffic, or an attack is cycling keys). Single-threaded JS makes each call atomic.

export interface MemoryStoreOptions {
  /** Capacity of each table (distinct sets count their members, not their keys). */
  readonly maxEntries: number;
}

interface DistinctSet {
  readonly start: number;
  readonly members: Set<string>;
}

interface EventWindow {
  start: number;
  prev: number;
  curr: number;
}

interface Table<V extends {}> {
  readonly lru: LRUCache<string, V>;
  evictions: number;
}

function table<V extends {}>(opts: LRUCache.Options<string, V, unknown>): Table<V> {
  const t: Table<V> = {
    evictions: 0,
    lru: new LRUCache<string, V>({
      ...opts,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') t.evictions++;
      },
    }),
  };
  return t;
}

function sizeOf(t: { readonly lru: { readonly size: number }; readonly evictions: number }, capacity: number) {
  return { size: t.lru.size, capacity, evictions: t.evictions };
}

/** The memory backend answers synchronously; its type says so, so callers and tests need no await. */
export interface MemoryStore extends Store {
  readonly kind: 'memory';
  consumeRate(key: string, now: number, cost: number, p: GcraParams): RateResult;
  addDistinct(key: string, member: string, now: number, windowMs: number, limit: number): DistinctResult;
  countEvent(key: string, now: number, windowMs: number): number;
}

export function createMemoryStore(o: MemoryStoreOptions): MemoryStore {
  const cap = Math.max(1, Math.floor(o.maxEntries));
  const rate = table<number>({ max: cap });
  const events = table<EventWindow>({ max: cap });
  const bans = table<BanEntry>({ max: cap });
  // Sized in members (+1 per key) so many keys with big sets cannot exceed the capacity either.
  const distinct = table<DistinctSet>({
    max: cap,
    maxSize: cap,
    sizeCalculation: (d) => d.members.size + 1,
  });

  return {
    kind: 'memory',

    consumeRate(key: string, now: number, cost: number, p: GcraParams): RateResult {
      const out = gcra(now, cost, rate.lru.get(key), p);
      if (out.tat !== undefined) rate.lru.set(key, out.tat);
      return out;
    },

    addDistinct(key: string, member: string, now: number, windowMs: number, limit: number): DistinctResult {
      let d = distinct.lru.get(key);
      if (d === undefined || now - d.start >= windowMs) d = { start: now, members: new Set() };
      const size = d.members.size;
      if (d.members.has(member)) return { count: size, exceeded: false, retryAfterMs: 0 };
      if (size >= limit) return { count: size + 1, exceeded: true, retryAfterMs: d.start + windowMs - now };
      d.members.add(member);
      // A fresh wrapper makes the LRU recompute the entry's size (it skips sizing when the value is identical).
      distinct.lru.set(key, { start: d.start, members: d.members });
      return { count: size + 1, exceeded: false, retryAfterMs: 0 };
    },

    countEvent(key: string, now: number, windowMs: number): number {
      let w = events.lru.get(key);
      if (w === undefined) {
        w = { start: now, prev: 0, curr: 0 };
        events.lru.set(key, w);
      } else {
        const elapsed = now - w.start;
        if (elapsed >= windowMs) {
          const windows = Math.floor(elapsed / windowMs);
          w.prev = windows === 1 ? w.curr : 0;
          w.curr = 0;
          w.start += windows * windowMs;
        }
      }
      w.curr++;
      const overlap = 1 - (now - w.start) / windowMs;
      return w.prev * overlap + w.curr;
    },

    banned(target: string, now: number): BanEntry | undefined {
      if (bans.lru.size === 0) return undefined;
      const b = bans.lru.get(target);
      if (b === undefined) return undefined;
      if (b.expiresAt <= now) {
        bans.lru.delete(target);
        return undefined;
      }
      return b;
    },

    ban(entry: BanEntry): void {
      bans.lru.set(entry.target, entry);
    },

    unban(target: string): boolean {
      return bans.lru.delete(target);
    },

    listBans(now: number): BanEntry[] {
      const out: BanEntry[] = [];
      for (const b of bans.lru.values()) if (b.expiresAt > now) out.push(b);
      return out;
    },

    sizes(): TableSizes {
      return {
        rate: sizeOf(rate, cap),
        distinct: sizeOf(distinct, cap),
        events: sizeOf(events, cap),
        bans: sizeOf(bans, cap),
      };
    },

    async close(): Promise<void> {
      rate.lru.clear();
      distinct.lru.clear();
      events.lru.clear();
      bans.lru.clear();
    },
  };
}

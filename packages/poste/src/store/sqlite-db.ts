// SQLite backend (node:sqlite). WAL + synchronous=FULL: a commit is on disk before we acknowledge it.
// node:sqlite is synchronous, so transactions spanning awaits are serialised by a lock: while one is open,
// every other statement waits for it instead of slipping into it.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Db, Params, Sql } from './db.ts';

const MAX_STATEMENTS = 256;

export function openSqlite(path: string): Db {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode=WAL');
  db.exec('PRAGMA synchronous=FULL');
  db.exec('PRAGMA foreign_keys=ON');
  db.exec('PRAGMA busy_timeout=5000');
  const statements = new Map<string, StatementSync>();
  const prep = (sql: string): StatementSync => {
    let s = statements.get(sql);
    if (!s) {
      // Statement texts are static except batch inserts; the cap is a safety net, not an LRU.
      if (statements.size >= MAX_STATEMENTS) statements.clear();
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };

  let held = false;
  const waiters: Array<() => void> = [];
  const acquire = (): Promise<void> | undefined => {
    if (!held) {
      held = true;
      return undefined;
    }
    return new Promise<void>((resolve) => waiters.push(resolve));
  };
  const release = (): void => {
    const next = waiters.shift();
    if (next) next();
    else held = false;
  };

  const direct: Sql = {
    all: async <T>(sql: string, params: Params = []) => prep(sql).all(...params) as T[],
    get: async <T>(sql: string, params: Params = []) => prep(sql).get(...params) as T | undefined,
    run: async (sql: string, params: Params = []) => ({ changes: Number(prep(sql).run(...params).changes) }),
  };
  async function locked<T>(fn: () => T): Promise<T> {
    if (!held) return fn();
    await acquire();
    try {
      return fn();
    } finally {
      release();
    }
  }

  return {
    kind: 'sqlite',
    all: <T>(sql: string, params: Params = []) => locked(() => prep(sql).all(...params) as T[]),
    get: <T>(sql: string, params: Params = []) => locked(() => prep(sql).get(...params) as T | undefined),
    run: (sql: string, params: Params = []) => locked(() => ({ changes: Number(prep(sql).run(...params).changes) })),
    async tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
      const wait = acquire();
      if (wait) await wait;
      try {
        db.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn(direct);
          db.exec('COMMIT');
          return out;
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      } finally {
        release();
      }
    },
    async close() {
      statements.clear();
      if (db.isOpen) db.close();
    },
  };
}

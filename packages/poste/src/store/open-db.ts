// Pick the backend from the URL: sqlite:PATH (or a bare path) or postgres://...
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db } from './db.ts';
import { migrate } from './migrations.ts';
import { openPostgres } from './pg-db.ts';
import { openSqlite } from './sqlite-db.ts';

export async function openDb(url: string, opts: { poolSize?: number } = {}): Promise<Db> {
  let db: Db;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    db = await openPostgres(url, opts.poolSize);
  } else {
    const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = openSqlite(path);
  }
  await migrate(db);
  return db;
}

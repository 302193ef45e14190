// PostgreSQL backend (pg). A URL may carry `?schema=NAME`: the schema is created if missing and put first
// on the search_path, so tests can run in a throw-away schema. BIGINT/NUMERIC come back as JS numbers
// (amounts are integer cents, far below 2^53).
import pg from 'pg';
import type { Db, Params, Sql } from './db.ts';

const placeholderCache = new Map<string, string>();
function toPg(sql: string): string {
  let out = placeholderCache.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (placeholderCache.size > 512) placeholderCache.clear();
    placeholderCache.set(sql, out);
  }
  return out;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    // biome-ignore lint/suspicious/noExplicitAny: pg's own overloads
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

function wrap(c: pg.Pool | pg.PoolClient): Sql {
  return {
    async all<T>(sql: string, params: Params = []) {
      return (await c.query(toPg(sql), params as unknown[])).rows as T[];
    },
    async get<T>(sql: string, params: Params = []) {
      return (await c.query(toPg(sql), params as unknown[])).rows[0] as T | undefined;
    },
    async run(sql: string, params: Params = []) {
      return { changes: (await c.query(toPg(sql), params as unknown[])).rowCount ?? 0 };
    },
  };
}

export async function openPostgres(url: string, poolSize = 10): Promise<Db> {
  const u = new URL(url);
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`bad schema name "${schema}"`);
  if (schema) {
    const setup = new pg.Client({ connectionString: u.toString() });
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: u.toString(),
    max: poolSize,
    types,
    options: schema ? `-c search_path=${schema}` : undefined,
  });
  // An idle client error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const base = wrap(pool);
  return {
    kind: 'postgres',
    ...base,
    async tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(wrap(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

// The repository contract shared by the SQLite and PostgreSQL backends. SQL is written once, with `?`
// placeholders and the subset both engines accept (ON CONFLICT, RETURNING, integer cents, epoch-ms times).

export type Params = ReadonlyArray<string | number | null>;

export interface Sql {
  all<T>(sql: string, params?: Params): Promise<T[]>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  run(sql: string, params?: Params): Promise<{ changes: number }>;
}

export interface Db extends Sql {
  readonly kind: 'sqlite' | 'postgres';
  /** Run fn in one transaction; commit when it resolves, roll back when it throws. */
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

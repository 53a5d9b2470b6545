/** The metadata-database contract shared by PGlite (embedded) and Postgres (`DATABASE_URL`). */

/** Something that runs SQL: a database or an open transaction. */
export interface Queryable {
  /** Run one parameterized statement (`$1`, `$2`…) and return its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Run one or more statements without parameters (DDL, scripts). */
  exec(sql: string): Promise<void>;
}

/** A metadata database connection. */
export interface Db extends Queryable {
  /** Which engine backs it. */
  readonly kind: "pglite" | "postgres";
  /** Run `fn` in a transaction; commits on success, rolls back on throw. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Close the connection. */
  close(): Promise<void>;
}

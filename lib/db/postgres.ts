/** The server engine: Postgres via `postgres` (postgres.js), used when `DATABASE_URL` is set. */
import postgres from "postgres";
import { log } from "../log/mod.ts";
import type { Db, Queryable } from "./types.ts";
import { OID, parseBytea, parseInt8, serializeJson } from "./values.ts";

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /** `search_path` for every connection (e.g. an isolated test schema). */
  searchPath?: string;
  /** Pool size (default 4). */
  max?: number;
}

type Sql = postgres.Sql<Record<string, never>>;
type TxSql = postgres.TransactionSql<Record<string, never>>;

function queryable(sql: Sql | TxSql): Queryable {
  return {
    async query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return Array.from(rows) as T[];
    },
    async exec(text: string): Promise<void> {
      await sql.unsafe(text).simple();
    },
  };
}

let socketGuard = false;

/**
 * Under Deno's Node compatibility, postgres.js can write to a socket the server has just closed
 * (Postgres stopped or restarted); `socket.write` then THROWS from a `setImmediate` callback
 * instead of emitting `error`, which would kill the process. The failing query still rejects
 * through postgres.js's own close handling, so this uncaught copy is only swallowed (and
 * logged), never hidden from the caller.
 */
function guardClosedSocketWrites(): void {
  if (socketGuard) return;
  socketGuard = true;
  globalThis.addEventListener("error", (ev: ErrorEvent) => {
    const err: unknown = ev.error;
    if (
      err instanceof Error && /socket has been ended by the other party/.test(err.message) &&
      (err.stack ?? "").includes("postgres")
    ) {
      ev.preventDefault();
      log.warn(
        "postgres connection closed by the server mid-write; the query fails and is retried by its caller",
        {
          error: err.message,
        },
      );
    }
  });
}

/**
 * Connect to Postgres at `url` (a pool; connections open lazily). Values come back exactly as
 * from PGlite: int8 as `number`, bytea as `Uint8Array`, timestamptz as `Date`, jsonb parsed.
 */
export function openPostgres(url: string, opts: PostgresOptions = {}): Db {
  guardClosedSocketWrites();
  const sql = postgres(url, {
    max: opts.max ?? 4,
    connect_timeout: 10,
    onnotice: () => {}, // "already exists, skipping" notices are expected with IF NOT EXISTS
    connection: opts.searchPath ? { search_path: opts.searchPath } : {},
    types: {
      int8: { to: OID.int8, from: [OID.int8], serialize: String, parse: parseInt8 },
      bytea: {
        to: OID.bytea,
        from: [OID.bytea],
        serialize: (x: Uint8Array) =>
          "\\x" + Array.from(x, (b) => b.toString(16).padStart(2, "0")).join(""),
        parse: parseBytea,
      },
      // A string parameter is taken as JSON text (as PGlite does), anything else is stringified.
      json: { to: OID.json, from: [OID.json], serialize: serializeJson, parse: JSON.parse },
      jsonb: { to: OID.jsonb, from: [OID.jsonb], serialize: serializeJson, parse: JSON.parse },
    },
  }) as unknown as Sql;
  const q = queryable(sql);
  let closed = false;
  return {
    kind: "postgres",
    query: q.query,
    exec: q.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return (await sql.begin((tx) => fn(queryable(tx)))) as T;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await sql.end({ timeout: 5 });
    },
  };
}

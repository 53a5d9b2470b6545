/** The embedded engine: PGlite (Postgres in WebAssembly) on a directory or in memory. */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { hostname } from "node:os";
import type { Db, Queryable } from "./types.ts";
import { OID, parseInt8 } from "./values.ts";

/** Raised when another process (or another handle in this one) holds the PGlite directory. */
export class DbLockedError extends Error {
  override name = "DbLockedError";
}

/** Holder record written into the lock file. */
interface LockHolder {
  pid: number;
  hostname: string;
  since: string;
}

/**
 * Take an exclusive OS lock (flock) on `<dir>.lock`. PGlite is single-process: two processes on
 * one data directory fail with obscure errors or corrupt it, so the second opener gets a
 * {@link DbLockedError} naming the holder. The OS drops the lock when the holder dies.
 */
async function lockDir(dir: string): Promise<Deno.FsFile> {
  const path = `${dir.replace(/\/+$/, "")}.lock`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  if (!(await file.tryLock(true))) {
    let holder = "another process";
    try {
      const h = JSON.parse(await Deno.readTextFile(path)) as Partial<LockHolder>;
      if (typeof h.pid === "number") {
        holder = `process ${h.pid} on ${h.hostname ?? "?"} (since ${h.since ?? "?"})`;
      }
    } catch { /* holder still writing its record */ }
    file.close();
    throw new DbLockedError(
      `the PGlite database ${dir} is in use by ${holder}; PGlite allows one process at a time: ` +
        `stop that process, or set DATABASE_URL to a Postgres server for concurrent access`,
    );
  }
  const holder: LockHolder = {
    pid: Deno.pid,
    hostname: hostname(),
    since: new Date().toISOString(),
  };
  await file.truncate(0);
  await file.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
  return file;
}

/** Wrap a PGlite handle or transaction as a {@link Queryable}. */
function queryable(pg: PGlite | Transaction): Queryable {
  return {
    async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
      return (await pg.query<T>(sql, params)).rows;
    },
    async exec(sql: string): Promise<void> {
      await pg.exec(sql);
    },
  };
}

/** A PGlite-backed {@link Db} that can also snapshot its data directory. */
export interface PgliteDb extends Db {
  readonly kind: "pglite";
  /** Snapshot of the whole data directory (uncompressed tarball), loadable via `fromSnapshot`. */
  snapshot(): Promise<Blob>;
}

/** Options of {@link openPglite}. */
export interface PgliteOptions {
  /**
   * Start from a {@link PgliteDb.snapshot} instead of an empty cluster (skips initdb; only for
   * `memory://` databases, e.g. a migrated template shared by tests).
   */
  fromSnapshot?: Blob;
}

/**
 * Open PGlite at `dir` (created if missing) or `"memory://"` for a throwaway database.
 * On-disk databases are locked to this handle until {@link Db.close}. PGlite is one session:
 * inside `transaction(fn)` run every statement on `fn`'s `tx`, never on the outer handle (it
 * would wait for the transaction to finish).
 * @throws DbLockedError when the directory is already open elsewhere.
 */
export async function openPglite(dir: string, opts: PgliteOptions = {}): Promise<PgliteDb> {
  const memory = dir.startsWith("memory://");
  let lock: Deno.FsFile | undefined;
  if (opts.fromSnapshot && !memory) {
    throw new Error(`fromSnapshot needs a memory:// database, not ${dir}`);
  }
  if (!memory) {
    await Deno.mkdir(dir, { recursive: true });
    lock = await lockDir(dir);
  }
  let pg: PGlite;
  try {
    pg = await PGlite.create(dir, {
      parsers: { [OID.int8]: parseInt8 },
      loadDataDir: opts.fromSnapshot,
    });
  } catch (err) {
    lock?.close();
    throw new Error(
      `cannot open PGlite database at ${dir}: ${err instanceof Error ? err.message : String(err)}` +
        `; if the directory is damaged, move it away (it is under the state dir) and rerun`,
      { cause: err },
    );
  }
  const q = queryable(pg);
  let closed = false;
  return {
    kind: "pglite",
    query: q.query,
    exec: q.exec,
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pg.transaction((tx) => fn(queryable(tx)));
    },
    async snapshot(): Promise<Blob> {
      return await pg.dumpDataDir("none");
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        lock?.close(); // closing the descriptor releases the flock
      }
    },
  };
}

/**
 * The run context every pipeline, notebook and serve route uses: settings, the object store,
 * the metadata database and a logger, opened together and closed together.
 */
import { fileURLToPath } from "node:url";
import { ensureState, type Settings } from "../config/mod.ts";
import { openDb } from "../db/mod.ts";
import type { Db } from "../db/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";
import { FsObjectStore, openStore } from "../storage/mod.ts";
import type { ObjectStore } from "../storage/mod.ts";

/** The repository's committed `data/` directory (dataset manifests). */
export const REPO_MANIFEST_DIR: string = fileURLToPath(new URL("../../data/", import.meta.url));

/** An open run context. */
export interface Ctx {
  readonly settings: Settings;
  readonly store: ObjectStore;
  readonly db: Db;
  readonly log: Logger;
  /**
   * Directory of committed dataset manifests (`data/` of the repository by default; tests
   * pass a temp dir so they never touch the repository).
   */
  readonly manifestDir: string;
  /** Close the store and the database (idempotent). */
  close(): Promise<void>;
}

/** Options of {@link openContext}. */
export interface ContextOptions {
  /** Override the manifest directory (default {@link REPO_MANIFEST_DIR}). */
  manifestDir?: string;
  /** Use this logger instead of a new one at `settings.logLevel`. */
  log?: Logger;
}

/**
 * Create the state directory if needed, open the store and the database (migrated), and return
 * the context. Call `ctx.close()` when done (PGlite allows one process at a time).
 */
export async function openContext(settings: Settings, opts: ContextOptions = {}): Promise<Ctx> {
  await ensureState(settings.stateDir);
  const log = opts.log ?? createLogger({}, { level: settings.logLevel });
  const store = openStore(settings);
  let db: Db;
  try {
    db = await openDb(settings, log);
  } catch (err) {
    await store.close();
    throw err;
  }
  if (store instanceof FsObjectStore) {
    // Leftovers of writes that crashed mid-way (hidden from `list`, but they take disk space).
    const removed = await store.removeStaleTemps().catch(() => 0);
    if (removed > 0) log.info("removed stale temp files from the object store", { removed });
  }
  let closed = false;
  return {
    settings,
    store,
    db,
    log,
    manifestDir: opts.manifestDir ?? REPO_MANIFEST_DIR,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        await store.close();
      }
    },
  };
}

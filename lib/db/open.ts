/** Opening the workspace database from settings, migrated and ready. */
import { type Settings, statePaths } from "../config/mod.ts";
import { log } from "../log/mod.ts";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import type { Db } from "./types.ts";

/**
 * The workspace database: Postgres when `settings.databaseUrl` is set, else PGlite under the
 * state dir (`<stateDir>/pglite`, single-process). Pending migrations are applied first.
 * @throws DbLockedError when another process holds the PGlite directory; MigrationError.
 */
export async function openDb(settings: Settings): Promise<Db> {
  const db = settings.databaseUrl
    ? openPostgres(settings.databaseUrl)
    : await openPglite(statePaths(settings.stateDir).pglite);
  try {
    const { applied } = await migrate(db);
    if (applied.length > 0) log.info("database migrated", { engine: db.kind, applied });
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}

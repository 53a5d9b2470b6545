/** Opening the workspace database from settings, migrated and ready. */
import { type Settings, statePaths } from "../config/mod.ts";
import { log as defaultLog, type Logger } from "../log/mod.ts";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import type { Db } from "./types.ts";

/**
 * The workspace database: Postgres when `settings.databaseUrl` is set, else PGlite under the
 * state dir (`<stateDir>/pglite`, single-process). Pending migrations are applied first.
 * `log` gets the "database migrated" line (a workspace passes its own, so a command's log level
 * holds).
 * @throws DbLockedError when another process holds the PGlite directory; MigrationError.
 */
export async function openDb(settings: Settings, log: Logger = defaultLog): Promise<Db> {
  const db = settings.databaseUrl
    ? openPostgres(settings.databaseUrl)
    : await openPglite(statePaths(settings.stateDir).pglite);
  if (settings.databaseUrl) {
    try {
      await db.query("SELECT 1");
    } catch (err) {
      await db.close().catch(() => {});
      throw new Error(
        `cannot connect to Postgres at ${redactUrl(settings.databaseUrl)}: ${
          err instanceof Error ? err.message : String(err)
        }; check DATABASE_URL and that the server is running (unset it to use embedded PGlite)`,
        { cause: err },
      );
    }
  }
  try {
    const { applied } = await migrate(db);
    if (applied.length > 0) log.info("database migrated", { engine: db.kind, applied });
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}

/** `url` with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return "<unparseable url>";
  }
}

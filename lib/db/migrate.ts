/**
 * Ordered schema migrations from `lib/db/migrations/NNN_name.sql`, tracked in
 * `schema_migrations` with a checksum per file. Each migration runs in its own transaction under
 * an advisory lock, so concurrent migrators on one Postgres database apply each file once.
 */
import { createHash } from "node:crypto";
import { log } from "../log/mod.ts";
import type { Db, Queryable } from "./types.ts";

/** One migration file. */
export interface Migration {
  /** The `NNN` number; defines the order. */
  version: number;
  /** The file name without `NNN_` and `.sql`. */
  name: string;
  /** SQL script. */
  sql: string;
  /** SHA-256 hex of the script (line endings normalized to `\n`). */
  checksum: string;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[];
  /** Versions found already applied (with matching checksums). */
  alreadyApplied: number[];
}

/** Raised for a malformed migrations folder, a changed applied file, or a failing script. */
export class MigrationError extends Error {
  override name = "MigrationError";
}

const FILE_RE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Default folder of the workspace's migrations. */
export const MIGRATIONS_DIR: URL = new URL("./migrations/", import.meta.url);

/** Checksum of a migration script. */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/**
 * Read `NNN_name.sql` files from `dir`, sorted by number. Other files are ignored.
 * @throws MigrationError on duplicate numbers or `.sql` files not named `NNN_name.sql`.
 */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const out: Migration[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".sql")) continue;
    const m = FILE_RE.exec(e.name);
    if (!m) {
      throw new MigrationError(
        `migration file ${e.name} in ${dir.pathname} is misnamed: use NNN_snake_name.sql (e.g. 002_steps.sql)`,
      );
    }
    const sql = await Deno.readTextFile(new URL(e.name, dir));
    out.push({ version: Number(m[1]), name: m[2], sql, checksum: migrationChecksum(sql) });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i].version === out[i - 1].version) {
      throw new MigrationError(
        `two migrations share number ${String(out[i].version).padStart(3, "0")} (` +
          `${out[i - 1].name}, ${out[i].name}) in ${dir.pathname}: renumber one of them`,
      );
    }
  }
  return out;
}

const TRACKING_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Serialize migrators of one schema (transaction-scoped; released at commit/rollback). */
async function lock(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('fmnist.migrate:' || current_schema()))");
}

const label = (m: Pick<Migration, "version" | "name">) =>
  `${String(m.version).padStart(3, "0")}_${m.name}.sql`;

/**
 * Apply every migration not yet recorded, in order, each in its own transaction.
 * @throws MigrationError when an applied file changed since (checksum mismatch) or a script fails
 *   (that migration is rolled back; earlier ones stay applied).
 */
export async function migrate(db: Db, migrations?: Migration[]): Promise<MigrateResult> {
  const list = migrations ?? (await loadMigrations());
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.exec(TRACKING_DDL);
  });
  for (const m of list) {
    const t0 = performance.now();
    const applied = await db.transaction(async (tx) => {
      await lock(tx);
      const rows = await tx.query<{ checksum: string }>(
        "SELECT checksum FROM schema_migrations WHERE version = $1",
        [m.version],
      );
      if (rows.length > 0) {
        if (rows[0].checksum !== m.checksum) {
          throw new MigrationError(
            `migration ${label(m)} changed after it was applied (checksum ${
              rows[0].checksum.slice(0, 12)
            } recorded, ${m.checksum.slice(0, 12)} on disk): ` +
              `restore the original file and put the change in a new numbered migration`,
          );
        }
        return false;
      }
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new MigrationError(
          `migration ${label(m)} failed and was rolled back: ${
            err instanceof Error ? err.message : String(err)
          }`,
          { cause: err },
        );
      }
      await tx.query(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        [m.version, m.name, m.checksum],
      );
      return true;
    });
    if (applied) {
      result.applied.push(m.version);
      log.debug("migration applied", {
        migration: label(m),
        engine: db.kind,
        ms: Math.round(performance.now() - t0),
      });
    } else {
      result.alreadyApplied.push(m.version);
    }
  }
  const known = new Set(list.map((m) => m.version));
  const extra = await db.query<{ version: number; name: string }>(
    "SELECT version, name FROM schema_migrations ORDER BY version",
  );
  for (const r of extra.filter((r) => !known.has(r.version))) {
    log.warn("database has a migration this code does not know (newer code ran here?)", {
      migration: label(r),
    });
  }
  return result;
}

/** Public face of the db stage: the metadata database (PGlite / Postgres) and its migrations. */
export type { Db, Queryable } from "./types.ts";
export { openDb, redactUrl } from "./open.ts";
export { DbLockedError, openPglite } from "./pglite.ts";
export type { PgliteDb, PgliteOptions } from "./pglite.ts";
export { openPostgres } from "./postgres.ts";
export type { PostgresOptions } from "./postgres.ts";
export {
  loadMigrations,
  migrate,
  migrationChecksum,
  MigrationError,
  MIGRATIONS_DIR,
} from "./migrate.ts";
export type { MigrateResult, Migration } from "./migrate.ts";

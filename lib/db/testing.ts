/**
 * Test helpers for every stage's DB tests: run a test against each available engine.
 * PGlite (temp dir) always; Postgres too when `FMNIST_TEST_DATABASE_URL` is set (CI sets it),
 * each test in its own schema (dropped at close) so parallel test files never collide.
 */
import { test } from "node:test";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import type { Db } from "./types.ts";

/** One engine to test against. */
export interface DbTarget {
  /** `pglite` or `postgres`. */
  kind: Db["kind"];
  /** Open a fresh, empty, isolated database; `close()` also deletes it. */
  open(): Promise<Db>;
}

/** The Postgres URL tests may use, or undefined. */
export function testDatabaseUrl(): string | undefined {
  const v = Deno.env.get("FMNIST_TEST_DATABASE_URL")?.trim();
  return v ? v : undefined;
}

/** Open PGlite in a fresh temp directory, removed on close. */
async function freshPglite(): Promise<Db> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-pglite-test-" });
  const db = await openPglite(`${dir}/pglite`);
  return {
    ...db,
    close: async () => {
      await db.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Open Postgres at `url` in a new unique schema, dropped on close. */
async function freshPostgresSchema(url: string): Promise<Db> {
  const schema = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  const admin = openPostgres(url, { max: 1 });
  try {
    await admin.exec(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.close();
  }
  const db = openPostgres(url, { searchPath: schema });
  return {
    ...db,
    close: async () => {
      await db.close();
      const a = openPostgres(url, { max: 1 });
      try {
        await a.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await a.close();
      }
    },
  };
}

/** The engines to test: PGlite always, Postgres when `FMNIST_TEST_DATABASE_URL` is set. */
export function dbTargets(): DbTarget[] {
  const targets: DbTarget[] = [{ kind: "pglite", open: freshPglite }];
  const url = testDatabaseUrl();
  if (url) targets.push({ kind: "postgres", open: () => freshPostgresSchema(url) });
  return targets;
}

/** Options of {@link forEachDb}. */
export interface ForEachDbOptions {
  /** Apply the workspace migrations before `fn` (default true). */
  migrate?: boolean;
}

/**
 * Register one node:test test per engine, named `<name> [pglite]` / `<name> [postgres]`; each
 * gets a fresh, migrated (unless `migrate: false`), isolated database, closed afterwards.
 */
export function forEachDb(
  name: string,
  fn: (db: Db) => Promise<void>,
  opts: ForEachDbOptions = {},
): void {
  for (const target of dbTargets()) {
    test(`${name} [${target.kind}]`, async () => {
      const db = await target.open();
      try {
        if (opts.migrate ?? true) await migrate(db);
        await fn(db);
      } finally {
        await db.close();
      }
    });
  }
}

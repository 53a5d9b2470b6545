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
  /**
   * Open a fresh, isolated database, empty or with the workspace migrations applied;
   * `close()` also deletes it.
   */
  open(opts?: { migrated?: boolean }): Promise<Db>;
}

/** The Postgres URL tests may use, or undefined. */
export function testDatabaseUrl(): string | undefined {
  const v = Deno.env.get("FMNIST_TEST_DATABASE_URL")?.trim();
  return v ? v : undefined;
}

/**
 * Per-process snapshots of an empty and of a migrated PGlite cluster: restoring one (~0.3 s)
 * is several times faster than initdb + migrations for every test.
 */
const templates = new Map<"empty" | "migrated", Promise<Blob>>();

function pgliteTemplate(kind: "empty" | "migrated"): Promise<Blob> {
  let t = templates.get(kind);
  if (!t) {
    t = (async () => {
      const db = await openPglite("memory://");
      try {
        if (kind === "migrated") await migrate(db);
        return await db.snapshot();
      } finally {
        await db.close();
      }
    })();
    t.catch(() => templates.delete(kind));
    templates.set(kind, t);
  }
  return t;
}

/** Open a fresh in-memory PGlite restored from the empty or migrated template. */
async function freshPglite(migrated: boolean): Promise<Db> {
  return await openPglite("memory://", {
    fromSnapshot: await pgliteTemplate(migrated ? "migrated" : "empty"),
  });
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
  const targets: DbTarget[] = [
    { kind: "pglite", open: (o) => freshPglite(o?.migrated ?? false) },
  ];
  const url = testDatabaseUrl();
  if (url) {
    targets.push({
      kind: "postgres",
      open: async (o) => {
        const db = await freshPostgresSchema(url);
        if (o?.migrated) {
          await migrate(db).catch(async (err) => {
            await db.close();
            throw err;
          });
        }
        return db;
      },
    });
  }
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
      const db = await target.open({ migrated: opts.migrate ?? true });
      try {
        await fn(db);
      } finally {
        await db.close();
      }
    });
  }
}

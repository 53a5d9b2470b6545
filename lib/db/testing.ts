/**
 * Test helpers for every stage's DB tests: run a test against each available engine.
 * PGlite (temp dir) always; Postgres too when `FMNIST_TEST_DATABASE_URL` is set (CI sets it),
 * each test in its own schema (dropped at close) so parallel test files never collide.
 */
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { atomicWriteFile } from "../config/mod.ts";
import { loadMigrations, migrate } from "./migrate.ts";
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
 * Snapshots of an empty and of a migrated PGlite cluster: restoring one (`openPglite` with
 * `fromSnapshot`) skips initdb and migrations for every test (`deno task bench:storage` measures
 * the gain). Built once per process and cached as a file in the OS temp dir, keyed by the PGlite
 * build and the migrations' checksums, so parallel test processes share it.
 */
const templates = new Map<"empty" | "migrated", Promise<Blob>>();

async function templateCachePath(kind: "empty" | "migrated"): Promise<string> {
  const parts = [import.meta.resolve("@electric-sql/pglite"), kind];
  if (kind === "migrated") { for (const m of await loadMigrations()) parts.push(m.checksum); }
  const key = createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 24);
  return join(tmpdir(), "fmnist-test-cache", `pglite-${kind}-${key}.tar`);
}

async function buildTemplate(kind: "empty" | "migrated"): Promise<Blob> {
  const db = await openPglite("memory://");
  try {
    if (kind === "migrated") await migrate(db);
    return await db.snapshot();
  } finally {
    await db.close();
  }
}

/** Remove cached templates of `kind` built for other migrations/PGlite builds (40 MB each). */
async function pruneStaleTemplates(keep: string, kind: "empty" | "migrated"): Promise<void> {
  const dir = dirname(keep);
  try {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.name.startsWith(`pglite-${kind}-`) && e.name.endsWith(".tar") && path !== keep) {
        await Deno.remove(path).catch(() => {});
      }
    }
  } catch { /* cache dir unreadable: nothing to prune */ }
}

function pgliteTemplate(kind: "empty" | "migrated"): Promise<Blob> {
  let t = templates.get(kind);
  if (!t) {
    t = (async () => {
      const path = await templateCachePath(kind);
      try {
        return new Blob([await Deno.readFile(path)]);
      } catch { /* not cached yet */ }
      const blob = await buildTemplate(kind);
      await atomicWriteFile(path, new Uint8Array(await blob.arrayBuffer())).catch(() => {});
      await pruneStaleTemplates(path, kind);
      return blob;
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
function dbTargets(): DbTarget[] {
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

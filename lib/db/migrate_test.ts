/** Migrations: order, idempotence, checksums, rollback of a failing file, concurrency. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadMigrations, type Migration, migrationChecksum, MigrationError } from "./migrate.ts";
import { migrate } from "./migrate.ts";
import { openPostgres } from "./postgres.ts";
import { forEachDb, testDatabaseUrl } from "./testing.ts";

const mig = (version: number, name: string, sql: string): Migration => ({
  version,
  name,
  sql,
  checksum: migrationChecksum(sql),
});

test("loadMigrations reads NNN_name.sql files in numeric order", async () => {
  const list = await loadMigrations();
  assert.ok(list.length >= 1);
  assert.deepEqual(list[0].version, 1);
  assert.equal(list[0].name, "init");
  const versions = list.map((m) => m.version);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
  assert.equal(new Set(versions).size, versions.length);
  for (const m of list) assert.equal(m.checksum, migrationChecksum(m.sql));
});

test("loadMigrations rejects misnamed and duplicate files, ignores other files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = new URL(`file://${dir}/`);
    await Deno.writeTextFile(`${dir}/README.md`, "not a migration");
    await Deno.writeTextFile(`${dir}/010_b.sql`, "SELECT 1;");
    await Deno.writeTextFile(`${dir}/002_a.sql`, "SELECT 1;");
    assert.deepEqual((await loadMigrations(url)).map((m) => `${m.version}:${m.name}`), [
      "2:a",
      "10:b",
    ]);
    await Deno.writeTextFile(`${dir}/002_dup.sql`, "SELECT 2;");
    await assert.rejects(loadMigrations(url), /two migrations share number 002/);
    await Deno.remove(`${dir}/002_dup.sql`);
    await Deno.writeTextFile(`${dir}/2_bad.sql`, "SELECT 1;");
    await assert.rejects(loadMigrations(url), (e: unknown) => {
      assert.ok(e instanceof MigrationError);
      assert.match(
        e.message,
        /migration file 2_bad\.sql in .* is misnamed: use NNN_snake_name\.sql/,
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("checksums ignore CRLF vs LF only", () => {
  assert.equal(migrationChecksum("a;\r\nb;\r\n"), migrationChecksum("a;\nb;\n"));
  assert.notEqual(migrationChecksum("a;\nb;\n"), migrationChecksum("a;\nc;\n"));
});

forEachDb("workspace migrations apply once and are idempotent", async (db) => {
  const files = await loadMigrations();
  const first = await migrate(db);
  assert.deepEqual(first.applied, files.map((m) => m.version));
  const again = await migrate(db);
  assert.deepEqual(again, { applied: [], alreadyApplied: files.map((m) => m.version) });
  const rows = await db.query<{ version: number; name: string; checksum: string }>(
    "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
  );
  assert.deepEqual(
    rows,
    files.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
  );
  const info = await db.query<{ workspace_id: string; created_at: Date }>(
    "SELECT workspace_id, created_at FROM workspace_info",
  );
  assert.equal(info.length, 1);
  assert.match(info[0].workspace_id, /^[0-9a-f]{32}$/);
  assert.ok(info[0].created_at instanceof Date);
}, { migrate: false });

forEachDb("a changed applied migration is reported, not re-run", async (db) => {
  const v1 = [mig(1, "one", "CREATE TABLE m_one (v int);")];
  assert.deepEqual((await migrate(db, v1)).applied, [1]);
  const changed = [mig(1, "one", "CREATE TABLE m_one (v int, w int);")];
  await assert.rejects(migrate(db, changed), (e: unknown) => {
    assert.ok(e instanceof MigrationError);
    assert.match(e.message, /001_one\.sql changed after it was applied/);
    assert.match(e.message, /new numbered migration/);
    return true;
  });
  const cols = await db.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'm_one' " +
      "AND table_schema = current_schema() ORDER BY column_name",
  );
  assert.deepEqual(cols, [{ column_name: "v" }]);
}, { migrate: false });

forEachDb("a failing migration rolls back entirely; earlier ones stay", async (db) => {
  const list = [
    mig(1, "good", "CREATE TABLE m_good (v int); INSERT INTO m_good VALUES (1);"),
    mig(2, "bad", "CREATE TABLE m_bad (v int); INSERT INTO m_bad VALUES ('not an int');"),
    mig(3, "later", "CREATE TABLE m_later (v int);"),
  ];
  await assert.rejects(migrate(db, list), (e: unknown) => {
    assert.ok(e instanceof MigrationError);
    assert.match(e.message, /002_bad\.sql failed and was rolled back/);
    return true;
  });
  assert.deepEqual(await db.query("SELECT version FROM schema_migrations ORDER BY version"), [
    { version: 1 },
  ]);
  const tables = await db.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() " +
      "AND table_name LIKE 'm\\_%' ORDER BY table_name",
  );
  assert.deepEqual(tables, [{ table_name: "m_good" }]);
  // Fixing the file lets the next run continue where it stopped.
  list[1] = mig(2, "bad", "CREATE TABLE m_bad (v int); INSERT INTO m_bad VALUES (2);");
  assert.deepEqual(await migrate(db, list), { applied: [2, 3], alreadyApplied: [1] });
}, { migrate: false });

const pgUrl = testDatabaseUrl();
test("concurrent migrators on one Postgres schema apply each file exactly once", {
  skip: pgUrl ? false : "FMNIST_TEST_DATABASE_URL not set",
}, async () => {
  const url = pgUrl!;
  const schema = `t_conc_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = openPostgres(url, { max: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const dbs = Array.from({ length: 6 }, () => openPostgres(url, { searchPath: schema, max: 1 }));
  try {
    // A slow migration widens the race window.
    const list = [
      ...(await loadMigrations()),
      mig(900, "slow", "SELECT pg_sleep(0.2); CREATE TABLE m_slow (v int);"),
    ];
    const results = await Promise.all(dbs.map((db) => migrate(db, list)));
    const appliedCounts = new Map<number, number>();
    for (const r of results) {
      for (const v of r.applied) appliedCounts.set(v, (appliedCounts.get(v) ?? 0) + 1);
      assert.equal(r.applied.length + r.alreadyApplied.length, list.length);
    }
    assert.deepEqual(
      [...appliedCounts.entries()].sort((a, b) => a[0] - b[0]),
      list.map((m) => [m.version, 1]),
    );
    const [{ n }] = await dbs[0].query<{ n: number }>(
      "SELECT count(*) AS n FROM schema_migrations",
    );
    assert.equal(n, list.length);
  } finally {
    await Promise.all(dbs.map((db) => db.close()));
    await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  }
});

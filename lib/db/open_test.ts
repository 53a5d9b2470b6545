/** openDb: PGlite under the state dir (persistent, single-process lock) and Postgres. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSettings, statePaths } from "../config/mod.ts";
import { loadMigrations } from "./migrate.ts";
import { openDb } from "./open.ts";
import { DbLockedError } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import { testDatabaseUrl } from "./testing.ts";

test("openDb on PGlite: migrated, persistent, and locked to one process", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-state-" });
  try {
    const settings = parseSettings({ FMNIST_STATE_DIR: stateDir });
    const db = await openDb(settings);
    let id: string;
    try {
      assert.equal(db.kind, "pglite");
      const [{ n }] = await db.query<{ n: number }>("SELECT count(*) AS n FROM schema_migrations");
      assert.equal(n, (await loadMigrations()).length);
      [{ workspace_id: id }] = await db.query<{ workspace_id: string }>(
        "SELECT workspace_id FROM workspace_info",
      );
      assert.ok((await Deno.stat(statePaths(stateDir).pglite)).isDirectory);

      // A second handle in this process is refused.
      await assert.rejects(openDb(settings), (e: unknown) => {
        assert.ok(e instanceof DbLockedError);
        assert.match(e.message, new RegExp(`in use by process ${Deno.pid} `));
        assert.match(e.message, /DATABASE_URL/);
        return true;
      });

      // So is another process, with a message naming this one.
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `import { openDb } from ${JSON.stringify(new URL("./open.ts", import.meta.url).href)};
           import { parseSettings } from ${
            JSON.stringify(new URL("../config/mod.ts", import.meta.url).href)
          };
           try { await openDb(parseSettings({ FMNIST_STATE_DIR: ${JSON.stringify(stateDir)} }));
                 console.log("OPENED"); }
           catch (e) { console.log(e.name + ": " + e.message); Deno.exit(3); }`,
        ],
        stdout: "piped",
        stderr: "piped",
      });
      const out = await child.output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 3, text + new TextDecoder().decode(out.stderr));
      assert.match(text, new RegExp(`DbLockedError: .*in use by process ${Deno.pid} `));
    } finally {
      await db.close();
    }

    // Closing releases the lock; the data survives.
    const again = await openDb(settings);
    try {
      const [{ workspace_id }] = await again.query<{ workspace_id: string }>(
        "SELECT workspace_id FROM workspace_info",
      );
      assert.equal(workspace_id, id);
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

const pgUrl = testDatabaseUrl();
test("openDb with DATABASE_URL uses Postgres and migrates it", {
  skip: pgUrl ? false : "FMNIST_TEST_DATABASE_URL not set",
}, async () => {
  const url = new URL(pgUrl!);
  const name = `fmnist_t_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = openPostgres(url.href, { max: 1 });
  await admin.exec(`CREATE DATABASE ${name}`);
  try {
    url.pathname = `/${name}`;
    const stateDir = await Deno.makeTempDir({ prefix: "fmnist-state-" });
    const db = await openDb(parseSettings({ FMNIST_STATE_DIR: stateDir, DATABASE_URL: url.href }));
    try {
      assert.equal(db.kind, "postgres");
      const [{ n }] = await db.query<{ n: number }>("SELECT count(*) AS n FROM schema_migrations");
      assert.equal(n, (await loadMigrations()).length);
    } finally {
      await db.close();
      await Deno.remove(stateDir, { recursive: true });
    }
    // Nothing was written under the state dir for PGlite.
  } finally {
    await admin.exec(`DROP DATABASE IF EXISTS ${name}`);
    await admin.close();
  }
});

test("openDb with an unreachable DATABASE_URL fails naming it, password redacted", async () => {
  // Grab a free port, then close it so nothing listens there.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const url = `postgres://fmnist:s3cret@127.0.0.1:${port}/nowhere`;
  await assert.rejects(
    openDb(parseSettings({ FMNIST_STATE_DIR: "/nonexistent-state", DATABASE_URL: url })),
    (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(
        e.message,
        new RegExp(
          `cannot connect to Postgres at postgres://fmnist:\\*\\*\\*@127\\.0\\.0\\.1:${port}/nowhere`,
        ),
      );
      assert.match(e.message, /check DATABASE_URL/);
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    },
  );
});

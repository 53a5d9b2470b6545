import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { parseSettings } from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import { openContext, REPO_MANIFEST_DIR } from "./mod.ts";

test("openContext opens a migrated db and a store under the state dir; close is idempotent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-ctx-" });
  try {
    const ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: join(dir, "s") }), {
      manifestDir: join(dir, "m"),
    });
    assert.equal(ctx.manifestDir, join(dir, "m"));
    assert.ok(REPO_MANIFEST_DIR.endsWith("/data/"));
    assert.equal(ctx.store.kind, "fs");
    assert.ok(ctx.store.location.startsWith(join(dir, "s")));
    const rows = await ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM step_runs");
    assert.equal(rows[0].n, 0);
    await ctx.store.put("x/y", Uint8Array.of(1));
    assert.equal((await ctx.store.stat("x/y"))?.size, 1);
    await ctx.close();
    await ctx.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("openContext logs `database migrated` on its own logger, so a command's level holds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-ctx-" });
  try {
    const settings = parseSettings({ FMNIST_STATE_DIR: join(dir, "s") });
    const lines: string[] = [];
    const sink = (l: string) => lines.push(l);
    const info = await openContext(settings, {
      manifestDir: join(dir, "m"),
      log: createLogger({}, { level: "info", sink }),
    });
    await info.close();
    const migrated = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "database migrated");
    assert.equal(migrated.length, 1, lines.join("\n"));
    assert.ok(migrated[0].applied.length > 0);

    // A fresh state dir at warn level (what a command at a terminal uses): not a line.
    lines.length = 0;
    const quiet = await openContext(parseSettings({ FMNIST_STATE_DIR: join(dir, "t") }), {
      manifestDir: join(dir, "m"),
      log: createLogger({}, { level: "warn", sink }),
    });
    await quiet.close();
    assert.deepEqual(lines, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

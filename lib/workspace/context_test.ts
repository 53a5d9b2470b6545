import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { parseSettings } from "../config/mod.ts";
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

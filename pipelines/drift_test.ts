/**
 * `deno task drift` end to end on the real dataset with a seeded model: the profile is computed
 * and stored on first use, a clean split says `no drift`, a simulated inversion says `drift` and
 * records an event, an IDX directory is read, bad input exits 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parseSettings } from "../lib/config/mod.ts";
import { ingest } from "../lib/data/mod.ts";
import { listDriftEvents, loadProfile } from "../lib/drift/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { registerSeededModel } from "../lib/inference/testing.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { main } from "./drift.ts";

const SOURCE = "/usr/share/datasets/fashion-mnist";

async function capture(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await f(), out: lines.join("\n") };
  } finally {
    console.log = orig;
  }
}

test("drift: profile on first use, clean vs shifted verdicts, IDX input, events", async () => {
  await initEngine({ backend: "wasm" });
  const state = await Deno.makeTempDir({ prefix: "fmnist-drift-" });
  const env = { FMNIST_STATE_DIR: state, FMNIST_SOURCE: SOURCE, LOG_LEVEL: "error" };
  const open = () =>
    openContext(parseSettings(env), {
      manifestDir: join(state, "manifests"),
      log: createLogger({}, { level: "error", sink: () => {} }),
    });
  try {
    let ctx = await open();
    try {
      await ingest(ctx);
      await registerSeededModel(ctx, "fmnist", 5, "champion");
    } finally {
      await ctx.close();
    }
    const out = join(state, "r1");
    const clean = await capture(() =>
      main(["--input", "test", "--sample", "300", "--reference", "3000", "--out", out], env)
    );
    assert.equal(clean.code, 0, clean.out);
    assert.match(clean.out, /reference profile computed and stored/);
    assert.equal(clean.out.trim().split("\n").at(-1), "verdict: no drift");
    const html = await Deno.readTextFile(join(out, "drift.html"));
    assert.match(html, /Verdict: no drift/);
    assert.match(html, /<script[^>]*>[^<]{1000}/); // plotly inlined: no network needed
    const shifted = await capture(() =>
      main(["--input", SOURCE, "--limit", "300", "--shift", "inversion:3", "--json"], env)
    );
    assert.equal(shifted.code, 0);
    const report = JSON.parse(shifted.out);
    assert.equal(report.verdict, "drift");
    assert.match(report.source, /^IDX .*t10k-images-idx3-ubyte\.gz \(\+ labels\)/);
    assert.ok(report.eventId > 0);
    ctx = await open();
    try {
      const p = await loadProfile(ctx, "fmnist", 1);
      assert.ok(p && p.referenceCount === 3000, "profile stored with the version");
      const events = await listDriftEvents(ctx.db, "fmnist");
      assert.equal(events.length, 1);
      assert.equal(events[0].origin, "batch");
    } finally {
      await ctx.close();
    }
    const bad = await capture(() => main(["--input", join(state, "nope")], env));
    assert.equal(bad.code, 2);
    assert.equal(await main(["--input", "test", "--shift", "melt:9"], env), 2);
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});

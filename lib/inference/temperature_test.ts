/** Serving applies the temperature stored in a model's signature (temperature scaling). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parseSettings } from "../config/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { applyTemperature } from "../evaluate/mod.ts";
import { createLogger } from "../log/mod.ts";
import { openContext } from "../workspace/mod.ts";
import { IMAGE_PIXELS } from "./instances.ts";
import { createInference } from "./setup.ts";
import { registerSeededModel } from "./testing.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });

test("a version whose signature holds T = 2 serves softmax(log p / 2) of the same network", async () => {
  await initEngine({ backend: "wasm" });
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-temperature-" });
  const ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: stateDir }), {
    manifestDir: join(stateDir, "manifests"),
    log: silent,
  });
  const inf = createInference(ctx, { workers: 0, processMetrics: false }, { log: silent });
  try {
    assert.equal(await registerSeededModel(ctx, "t", 3), 1);
    assert.equal(await registerSeededModel(ctx, "t", 3, undefined, 2), 2);
    const pixels = new Float32Array(3 * IMAGE_PIXELS).map((_, i) => ((i * 37) % 255) / 255);
    const run = async (version: number) =>
      (await inf.service.predict({
        model: "t",
        ref: { kind: "version", version },
        batch: { count: 3, pixels },
        requestId: "t",
      })).predictions.map((q) => q.probabilities);
    const plain = await run(1);
    const scaled = await run(2);
    const want = applyTemperature(Float32Array.from(plain.flat()), 10, 2);
    const got = scaled.flat();
    let maxDiff = 0, moved = 0;
    got.forEach((v, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - want[i]));
      moved = Math.max(moved, Math.abs(v - plain.flat()[i]));
    });
    assert.ok(maxDiff < 1e-5, `max |Δp| ${maxDiff}`);
    assert.ok(moved > 1e-4, "the temperature changed the probabilities");
  } finally {
    await inf.close();
    await ctx.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});

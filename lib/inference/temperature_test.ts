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
import { predictBatch } from "./batch_predict.ts";
import { garmentCutoutPng } from "./photos_testing.ts";
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

test("predict:batch writes the same temperature-scaled probabilities as the service", async () => {
  await initEngine({ backend: "wasm" });
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-temperature-batch-" });
  const ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: stateDir }), {
    manifestDir: join(stateDir, "manifests"),
    log: silent,
  });
  try {
    await registerSeededModel(ctx, "t", 3);
    await registerSeededModel(ctx, "t", 3, undefined, 2);
    const dir = join(stateDir, "images");
    await Deno.mkdir(dir);
    for (let i = 0; i < 3; i++) {
      const img = new Uint8Array(784).map((_, k) => ((k * (i + 3)) % 7 === 0 ? 220 : 0));
      for (let k = 0; k < 100; k++) img[300 + k] = 255;
      await Deno.writeFile(join(dir, `g${i}.png`), garmentCutoutPng(img));
    }
    const probs = async (version: number) => {
      const out = join(stateDir, `out-v${version}`);
      await predictBatch(ctx, {
        model: "t",
        ref: version,
        input: { kind: "images", dir },
        outDir: out,
        format: "csv",
      });
      const rows = (await Deno.readTextFile(join(out, "chunk-00000.csv"))).trim().split("\n");
      const head = rows[0].split(",");
      const cols = Array.from({ length: 10 }, (_, k) => head.indexOf(`p${k}`));
      return Float32Array.from(
        rows.slice(1).flatMap((r) => {
          const f = r.split(",");
          return cols.map((c) => Number(f[c]));
        }),
      );
    };
    const plain = await probs(1);
    const scaled = await probs(2);
    assert.equal(plain.length, 30);
    const want = applyTemperature(plain, 10, 2);
    let maxDiff = 0, moved = 0;
    scaled.forEach((v, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - want[i]));
      moved = Math.max(moved, Math.abs(v - plain[i]));
    });
    assert.ok(maxDiff < 1e-5, `max |Δp| ${maxDiff}`);
    assert.ok(moved > 1e-4, "the temperature changed the probabilities");
  } finally {
    await ctx.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});

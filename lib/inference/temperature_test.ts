/** Serving applies the temperature stored in a model's signature (temperature scaling). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parseSettings } from "../config/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { applyTemperature } from "../evaluate/mod.ts";
import { createLogger } from "../log/mod.ts";
import { openContext } from "../workspace/mod.ts";
import * as tf from "@tensorflow/tfjs";
import { exportOnnx, loadModelArtifact, onnxTemperature } from "../models/mod.ts";
import { attachOnnx, getModelVersion, loadOnnxBytes } from "../registry/mod.ts";
import { putContent } from "../storage/mod.ts";
import { IMAGE_PIXELS } from "./instances.ts";
import { resolveRuntime } from "./runtime.ts";
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

test("under ONNX Runtime the graph applies T (no export, or one from before T was in the graph)", async () => {
  await initEngine({ backend: "wasm" });
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-temperature-onnx-" });
  const ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: stateDir }), {
    manifestDir: join(stateDir, "manifests"),
    log: silent,
  });
  const ort = await resolveRuntime("onnx", { tfjsVersion: tf.version.tfjs });
  const setups = [
    createInference(ctx, { workers: 0, processMetrics: false }, { log: silent }),
    createInference(ctx, { workers: 0, processMetrics: false }, { log: silent, runtime: ort }),
    createInference(ctx, { workers: 1, processMetrics: false }, { log: silent, runtime: ort }),
  ];
  try {
    await registerSeededModel(ctx, "t", 5);
    await registerSeededModel(ctx, "t", 5, undefined, 2);
    await registerSeededModel(ctx, "t", 5, undefined, 0.5);
    // v3 carries an export written without its temperature (as exports were before T was part
    // of the graph): it must not be served as is.
    const mv = await getModelVersion(ctx, "t", 3);
    const { model, manifest } = await loadModelArtifact(ctx.store, mv.sha256);
    try {
      const stale = exportOnnx(model, {
        modelName: "t",
        modelVersion: 3,
        labels: manifest.signature.labels,
        normalization: manifest.signature.normalization,
      });
      await attachOnnx(ctx, {
        name: "t",
        version: 3,
        file: await putContent(ctx.store, stale),
        opset: 13,
        equivalence: { images: 1, maxAbsDiff: 0, argmaxMismatches: 0, tolerance: 1e-5 },
      });
      assert.equal(onnxTemperature((await loadOnnxBytes(ctx, "t", 3)).bytes), 1);
    } finally {
      model.dispose();
    }
    const pixels = new Float32Array(4 * IMAGE_PIXELS).map((_, i) => ((i * 53) % 255) / 255);
    const run = async (inf: (typeof setups)[number], version: number) =>
      Float32Array.from(
        (await inf.service.predict({
          model: "t",
          ref: { kind: "version", version },
          batch: { count: 4, pixels },
          requestId: "t",
        })).predictions.flatMap((q) => q.probabilities),
      );
    const plain = await run(setups[0], 1);
    for (const [version, t] of [[2, 2], [3, 0.5]]) {
      const want = applyTemperature(plain, 10, t);
      for (const inf of setups) {
        const got = await run(inf, version);
        let maxDiff = 0;
        got.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - want[i]))));
        assert.ok(maxDiff < 1e-5, `v${version} on ${inf.runtime.kind}: max |Δp| ${maxDiff}`);
      }
    }
  } finally {
    for (const inf of setups) await inf.close();
    await ctx.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});

/** Offline prediction (evaluation) gives the same answers on ONNX Runtime and on tfjs. */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { gunzip, type ImageSet, readIdx } from "../data/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { classificationReport, fitTemperature } from "../evaluate/mod.ts";
import {
  applyTemperature,
  argmaxClasses,
  buildModel,
  gatherNormalized,
  predictProbabilities,
} from "../models/mod.ts";
import { openPredictor, predictImageSet } from "./predictor.ts";
import { resolveRuntime } from "./runtime.ts";

const SOURCE = "/usr/share/datasets/fashion-mnist";
const norm = { scale: 1 / 255, mean: 0.286, std: 0.353 };
let test2k: ImageSet;

before(async () => {
  await initEngine({ backend: "wasm" });
  const read = async (f: string) => readIdx(await gunzip(await Deno.readFile(`${SOURCE}/${f}`)));
  const [images, labels] = await Promise.all([
    read("t10k-images-idx3-ubyte.gz"),
    read("t10k-labels-idx1-ubyte.gz"),
  ]);
  const n = 2000;
  test2k = {
    count: n,
    rows: 28,
    cols: 28,
    images: images.data.subarray(0, n * 784),
    labels: labels.data.subarray(0, n),
  };
});

test("evaluation on ONNX Runtime and on tfjs: same arg-max, probabilities within 1e-5, same metrics", async () => {
  const ort = await resolveRuntime("onnx");
  for (const arch of ["m1", "bn_cnn"] as const) {
    const model = buildModel({ arch, seed: 3, filters: [8, 16], dense: 32 });
    try {
      const tfjs = await predictImageSet(model, test2k, { normalization: norm });
      const onnx = await predictImageSet(model, test2k, {
        normalization: norm,
        runtime: ort,
        threads: 1,
        batchSize: 300,
      });
      assert.equal(tfjs.runtime.kind, "tfjs");
      assert.equal(onnx.runtime.kind, "onnx");
      assert.equal(onnx.runtime.threads, 1);
      // The tfjs path is the one evaluation always took, unchanged.
      assert.deepEqual(
        tfjs.probs,
        predictProbabilities(model, test2k, { normalization: norm }).probs,
      );
      let maxDiff = 0;
      onnx.probs.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - tfjs.probs[i]))));
      assert.ok(maxDiff <= 1e-5, `${arch}: max |Δp| ${maxDiff}`);
      assert.deepEqual(argmaxClasses(onnx), argmaxClasses(tfjs));
      const a = classificationReport(argmaxClasses(tfjs), test2k.labels, 10, tfjs.probs);
      const b = classificationReport(argmaxClasses(onnx), test2k.labels, 10, onnx.probs);
      assert.equal(b.accuracy, a.accuracy);
      assert.equal(b.macroF1, a.macroF1);
      assert.ok(Math.abs((b.logLoss ?? NaN) - (a.logLoss ?? NaN)) < 1e-4);
      const ta = fitTemperature(tfjs.probs, 10, test2k.labels).temperature;
      const tb = fitTemperature(onnx.probs, 10, test2k.labels).temperature;
      assert.ok(Math.abs(ta - tb) < 1e-3, `temperature ${ta} vs ${tb}`);
    } finally {
      model.dispose();
    }
  }
});

test("a predictor with a temperature serves softmax(logits / T) on either runtime", async () => {
  const ort = await resolveRuntime("onnx");
  const model = buildModel({ arch: "m1", seed: 9, filters: [4, 8], dense: 16 });
  try {
    const t = 0.4;
    const idx = Array.from({ length: 64 }, (_, i) => i * 31);
    const x = gatherNormalized(test2k, idx, norm);
    const raw = predictProbabilities(model, test2k, { normalization: norm, indices: idx }).probs;
    const want = applyTemperature(raw, 10, t);
    for (const runtime of [undefined, ort]) {
      const p = await openPredictor(model, { runtime, temperature: t, threads: 1 });
      try {
        const got = await p.run(x, idx.length);
        let maxDiff = 0, moved = 0;
        got.forEach((v, i) => {
          maxDiff = Math.max(maxDiff, Math.abs(v - want[i]));
          moved = Math.max(moved, Math.abs(v - raw[i]));
        });
        assert.ok(maxDiff <= 1e-5, `${p.runtime.kind}: max |Δp| ${maxDiff}`);
        assert.ok(moved > 1e-3, "the temperature changed the probabilities");
      } finally {
        await p.close();
      }
    }
  } finally {
    model.dispose();
  }
});

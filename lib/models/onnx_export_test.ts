import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { before, test } from "node:test";
import onnxProto from "onnx-proto";
import type { ImageSet } from "../data/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { buildModel, type ModelConfigInput } from "./architectures.ts";
import { defaultSignature } from "./artifact.ts";
import { checkOnnxEquivalence, ONNX_MAX_ABS_DIFF } from "./onnx_check.ts";
import {
  exportOnnx,
  ONNX_OPSET,
  OnnxExportError,
  onnxGraphBytes,
  onnxMetadata,
  onnxTemperature,
} from "./onnx_export.ts";
import { OnnxSession } from "./onnx_runtime.ts";
import { gatherNormalized } from "./input.ts";
import { predictProbabilities } from "./predict.ts";
import { applyTemperature } from "./temperature.ts";

before(async () => {
  await initEngine({ backend: "wasm" });
});

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Images with structure (blobs of varying brightness), so activations are not all zero. */
function images(count: number, seed: number): ImageSet {
  const r = rng(seed);
  const px = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) {
    const cx = 6 + r() * 16, cy = 6 + r() * 16, s = 3 + r() * 8, b = 80 + r() * 175;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const d = ((x - cx) ** 2 + (y - cy) ** 2) / (s * s);
        px[i * 784 + y * 28 + x] = Math.min(255, Math.round(b * Math.exp(-d) + r() * 30));
      }
    }
  }
  return { count, rows: 28, cols: 28, images: px, labels: new Uint8Array(count) };
}

/**
 * Give every weight random values, BatchNorm statistics included (positive variances), so that
 * BN folding and channel order are actually exercised (fresh BN layers are the identity).
 */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const r = rng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const names = layer.weights.map((w) => w.originalName.split("/").pop());
    layer.setWeights(ws.map((w, i) => {
      const n = w.size;
      const v = new Float32Array(n);
      const fanIn = w.shape.length > 1 ? w.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
      for (let j = 0; j < n; j++) {
        const u = r() * 2 - 1;
        v[j] = names[i] === "moving_variance"
          ? 0.2 + r() * 2
          : names[i] === "gamma"
          ? 0.5 + r()
          : names[i] === "kernel"
          ? u * Math.sqrt(6 / fanIn)
          : u * 0.3;
      }
      return tf.tensor(v, w.shape);
    }));
  }
}

const norm = { scale: 1 / 255, mean: 0.2860, std: 0.3530 };
const meta = {
  modelName: "fmnist",
  modelVersion: 3,
  datasetVersion: "ds-1",
  codeCommit: "abc123",
  labels: defaultSignature([28, 28, 1], "cnn").labels,
  normalization: norm,
  sourceArtifact: "f".repeat(64),
};

const cases: [string, ModelConfigInput][] = [
  ["m1", { arch: "m1", filters: [8, 16], dense: 32 }],
  ["bn_cnn", { arch: "bn_cnn", filters: [8, 12], dense: 24 }],
  ["resnet", { arch: "resnet", widths: [8, 16, 24], blocksPerStage: 2 }],
  ["mlp", { arch: "mlp", hidden: [64, 32, 16] }],
  ["logreg", { arch: "logreg" }],
  // Tuning-space corners: no dropout, one stage, odd widths, 1-filter convs.
  ["m1 (tuned: filters [1, 3], no dropout)", { arch: "m1", filters: [1, 3], dense: 5, dropout: 0 }],
  ["resnet (tuned: one stage)", { arch: "resnet", widths: [5], blocksPerStage: 1, dropout: 0 }],
  ["mlp (tuned: one layer)", { arch: "mlp", hidden: [7], dropout: 0 }],
];

for (const [label, config] of cases) {
  test(`ONNX export of ${label} matches tfjs (≤ 1e-5, same arg-max)`, async () => {
    const model = buildModel({ ...config, seed: 7 });
    try {
      randomizeWeights(model, 11);
      const bytes = exportOnnx(model, { ...meta, arch: config.arch });
      const set = images(160, 5);
      const r = await checkOnnxEquivalence(model, bytes, set, {
        normalization: norm,
        batchSize: 64,
      });
      assert.equal(r.images, 160);
      assert.ok(r.ok, `${label}: ${JSON.stringify(r)}`);
      assert.ok(r.maxAbsDiff <= ONNX_MAX_ABS_DIFF);
      // The check is not vacuous: predictions vary across images.
      const s = await OnnxSession.create(bytes, { threads: 1 });
      try {
        const p = await s.run(new Float32Array(784 * 2).map((_, i) => (i % 97) / 97), 2);
        assert.equal(p.length, 20);
        assert.ok(Math.abs(p.slice(0, 10).reduce((a, b) => a + b) - 1) < 1e-5);
      } finally {
        await s.release();
      }
    } finally {
      model.dispose();
    }
  });
}

test("the export declares opset 13, a dynamic batch, NHWC input and the metadata", async () => {
  const model = buildModel({ arch: "bn_cnn", filters: [4, 4], dense: 8, seed: 1 });
  try {
    const bytes = exportOnnx(model, { ...meta, arch: "bn_cnn" });
    const m = onnxProto.onnx.ModelProto.decode(bytes);
    assert.equal(Number(m.opsetImport[0].version), ONNX_OPSET);
    assert.ok(ONNX_OPSET >= 13);
    const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!;
    assert.equal(dims[0].dimParam, "batch");
    assert.deepEqual(dims.slice(1).map((d) => Number(d.dimValue)), [28, 28, 1]);
    assert.equal(m.graph!.node!.at(-1)!.opType, "Softmax");
    const md = onnxMetadata(bytes);
    assert.equal(md.model_name, "fmnist");
    assert.equal(md.model_version, "3");
    assert.equal(md.dataset_version, "ds-1");
    assert.equal(md.code_commit, "abc123");
    assert.deepEqual(JSON.parse(md.labels), [...meta.labels]);
    assert.deepEqual(JSON.parse(md.normalization), norm);
    // Deterministic, and metadata does not change the computation.
    assert.deepEqual(exportOnnx(model, { ...meta, arch: "bn_cnn" }), bytes);
    const other = exportOnnx(model, { ...meta, modelVersion: 4 });
    assert.notDeepEqual(other, bytes);
    assert.deepEqual(onnxGraphBytes(other), onnxGraphBytes(bytes));
    // One session answers any batch size.
    const s = await OnnxSession.create(bytes);
    try {
      for (const n of [1, 3, 33]) {
        assert.equal((await s.run(new Float32Array(n * 784), n)).length, n * 10);
      }
    } finally {
      await s.release();
    }
  } finally {
    model.dispose();
  }
});

test("BatchNorm after a linear conv is folded into it; after a ReLU it stays", () => {
  const resnet = buildModel({ arch: "resnet", widths: [4], seed: 1 });
  const bn = buildModel({ arch: "bn_cnn", filters: [4, 4], dense: 8, seed: 1 });
  try {
    const ops = (m: tf.LayersModel) =>
      onnxProto.onnx.ModelProto.decode(exportOnnx(m, meta)).graph!.node!.map((n) => n.opType);
    assert.ok(!ops(resnet).includes("BatchNormalization"));
    assert.equal(ops(bn).filter((o) => o === "BatchNormalization").length, 2);
  } finally {
    resnet.dispose();
    bn.dispose();
  }
});

test("a layer without an ONNX export is refused with its name", () => {
  const m = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
      tf.layers.gaussianNoise({ stddev: 0.1, name: "noisy" }),
    ],
  });
  try {
    assert.throws(
      () => exportOnnx(m, meta),
      (e: unknown) => e instanceof OnnxExportError && /noisy \(GaussianNoise\)/.test(e.message),
    );
  } finally {
    m.dispose();
  }
});

test("the equivalence check fails an export that computes something else", async () => {
  const model = buildModel({ arch: "m1", filters: [4, 4], dense: 8, seed: 3 });
  try {
    randomizeWeights(model, 2);
    const bytes = exportOnnx(model, meta);
    // Change one conv weight in tfjs after the export: the two no longer agree.
    const conv = model.getLayer("conv1");
    const [k, b] = conv.getWeights();
    const data = (k.dataSync() as Float32Array).slice();
    data[0] += 0.5;
    conv.setWeights([tf.tensor(data, k.shape), b]);
    const r = await checkOnnxEquivalence(model, bytes, images(64, 9), { normalization: norm });
    assert.equal(r.ok, false);
    assert.ok(r.maxAbsDiff > ONNX_MAX_ABS_DIFF);
  } finally {
    model.dispose();
  }
});

test("with a temperature the graph serves softmax(logits / T): Div before Softmax, T in metadata", async () => {
  const model = buildModel({ arch: "bn_cnn", filters: [8, 12], dense: 24, seed: 4 });
  try {
    randomizeWeights(model, 13);
    const t = 2.5;
    const bytes = exportOnnx(model, { ...meta, temperature: t });
    const plain = exportOnnx(model, meta);
    const ops = onnxProto.onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType);
    assert.deepEqual(ops.slice(-2), ["Div", "Softmax"]);
    assert.equal(onnxMetadata(bytes).temperature, "2.5");
    assert.equal(onnxTemperature(bytes), t);
    assert.equal(onnxTemperature(plain), 1);
    // T = 1 writes the plain graph.
    assert.deepEqual(
      onnxGraphBytes(exportOnnx(model, { ...meta, temperature: 1 })),
      onnxGraphBytes(plain),
    );

    // ORT's probabilities equal tfjs's scaled as the service scales them.
    const set = images(96, 8);
    const ref = predictProbabilities(model, set, { normalization: norm });
    const want = applyTemperature(ref.probs, 10, t);
    const s = await OnnxSession.create(bytes, { threads: 1 });
    let got: Float32Array;
    try {
      const x = gatherNormalized(set, Array.from({ length: 96 }, (_, i) => i), norm);
      got = await s.run(x, 96);
    } finally {
      await s.release();
    }
    let maxDiff = 0, moved = 0;
    got.forEach((v, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - want[i]));
      moved = Math.max(moved, Math.abs(v - ref.probs[i]));
    });
    assert.ok(maxDiff <= ONNX_MAX_ABS_DIFF, `max |Δp| ${maxDiff}`);
    assert.ok(moved > 1e-3, "the temperature changed the probabilities");

    // The equivalence check compares at the same temperature: it passes with T, fails without.
    const withT = await checkOnnxEquivalence(model, bytes, set, {
      normalization: norm,
      temperature: t,
    });
    assert.ok(withT.ok, JSON.stringify(withT));
    const withoutT = await checkOnnxEquivalence(model, bytes, set, { normalization: norm });
    assert.equal(withoutT.ok, false);
    assert.throws(
      () => exportOnnx(model, { ...meta, temperature: 0 }),
      (e: unknown) => e instanceof OnnxExportError && /positive finite/.test(e.message),
    );
  } finally {
    model.dispose();
  }
});

test("a temperature needs a softmax output layer", () => {
  const m = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 10, activation: "sigmoid" }),
    ],
  });
  try {
    assert.doesNotThrow(() => exportOnnx(m, meta));
    assert.throws(
      () => exportOnnx(m, { ...meta, temperature: 1.5 }),
      (e: unknown) => e instanceof OnnxExportError && /softmax/.test(e.message),
    );
  } finally {
    m.dispose();
  }
});

import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initEngine } from "../engine/mod.ts";
import { buildModel, parseModelConfig } from "./architectures.ts";

before(async () => {
  await initEngine({ backend: "wasm" });
});

test("m1 has the issue's layers and parameter count", () => {
  const m = buildModel({ arch: "m1" });
  assert.deepEqual(
    m.layers.map((l) => l.getClassName()),
    [
      "Conv2D",
      "MaxPooling2D",
      "Conv2D",
      "MaxPooling2D",
      "Flatten",
      "Dense",
      "SeededDropout",
      "Dense",
    ],
  );
  // conv 3·3·1·32+32, conv 3·3·32·64+64, dense 1600·128+128, dense 128·10+10
  assert.equal(m.countParams(), 320 + 18496 + 204928 + 1290);
  assert.deepEqual(m.outputs[0].shape, [null, 10]);
  m.dispose();
});

test("bn_cnn puts BatchNorm between ReLU convs and pooling", () => {
  const m = buildModel({ arch: "bn_cnn", dropout: 0 });
  assert.deepEqual(
    m.layers.map((l) => l.getClassName()),
    [
      "Conv2D",
      "BatchNormalization",
      "MaxPooling2D",
      "Conv2D",
      "BatchNormalization",
      "MaxPooling2D",
      "Flatten",
      "Dense",
      "Dense",
    ],
  );
  const out = m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
  const sums = tf.sum(out, 1).arraySync() as number[];
  sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5, "softmax rows sum to 1"));
  out.dispose();
  m.dispose();
});

test("same seed gives the same initial weights", () => {
  const a = buildModel({ arch: "m1", seed: 5 }), b = buildModel({ arch: "m1", seed: 5 });
  const wa = a.getWeights()[0].dataSync(), wb = b.getWeights()[0].dataSync();
  assert.deepEqual(Array.from(wa), Array.from(wb));
  a.dispose();
  b.dispose();
});

test("bad configs fail naming the field", () => {
  assert.throws(() => parseModelConfig({ arch: "vgg" }), /arch/);
  assert.throws(() => parseModelConfig({ arch: "mlp", hidden: [] }), /hidden/);
  assert.throws(() => parseModelConfig({ arch: "m1", dropout: 2 }), /dropout/);
  assert.throws(() => parseModelConfig({ arch: "m1", filtrs: [1, 2] }), /filtrs/);
  assert.equal(parseModelConfig({ arch: "bn_cnn" }).learningRate, 1e-3);
});

test("categorical labels compile with categorical cross-entropy", () => {
  const m = buildModel({ arch: "m1", labels: "categorical" });
  assert.equal(m.loss, "categoricalCrossentropy");
  m.dispose();
});

test("logreg and mlp baselines have the expected parameter counts", () => {
  const lr = buildModel({ arch: "logreg" });
  assert.equal(lr.countParams(), 784 * 10 + 10);
  const mlp = buildModel({ arch: "mlp", hidden: [256, 128] });
  assert.equal(mlp.countParams(), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  lr.dispose();
  mlp.dispose();
});

test("resnet has residual adds, downsamples, and fits a batch on wasm", async () => {
  const m = buildModel({ arch: "resnet", widths: [8, 16], seed: 3, learningRate: 1e-2 });
  const names = m.layers.map((l) => l.getClassName());
  assert.equal(names.filter((n) => n === "Add").length, 2);
  assert.ok(names.includes("GlobalAveragePooling2D"));
  const x = tf.randomUniform([16, 28, 28, 1], 0, 1, "float32", 1);
  const y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 10), "float32");
  const h = await m.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
  const loss = h.history.loss as number[];
  assert.ok(loss.at(-1)! < loss[0], `loss ${loss}`);
  x.dispose();
  y.dispose();
  m.dispose();
});

test("dropout draws a new mask at every step, reproducibly from the seed", () => {
  const masks = (arch: "m1" | "mlp" | "resnet", seed: number) => {
    const m = buildModel({ arch, seed, dropout: 0.5 });
    const layer = m.layers.find((l) => l.getClassName() === "SeededDropout");
    assert.ok(layer, `${arch} has a dropout layer`);
    const x = tf.ones([4, 64]);
    const out = [0, 1].map((_) =>
      Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync())
    );
    const infer = Array.from((layer.apply(x) as tf.Tensor).dataSync());
    x.dispose();
    m.dispose();
    return { out, infer };
  };
  for (const arch of ["m1", "mlp", "resnet"] as const) {
    const a = masks(arch, 1);
    assert.notDeepEqual(a.out[0], a.out[1], `${arch}: a new mask per step`);
    assert.deepEqual(masks(arch, 1).out, a.out, `${arch}: same seed, same masks`);
    assert.ok(a.infer.every((v) => v === 1), `${arch}: identity at inference`);
  }
});

test("models with seeded dropout survive serialization", async () => {
  const { serializeModel, deserializeModel } = await import("./artifact.ts");
  const m = buildModel({ arch: "m1", seed: 3 });
  const s = await serializeModel(m);
  const back = await deserializeModel(s.modelTopology, s.weightSpecs, s.weights);
  const x = tf.randomUniform([2, 28, 28, 1], 0, 1, "float32", 9);
  const d =
    tf.max(tf.abs(tf.sub(m.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor))).dataSync()[0];
  assert.ok(d < 1e-6, `max |Δ| ${d}`);
  assert.ok(back.layers.some((l) => l.getClassName() === "SeededDropout"));
  x.dispose();
  m.dispose();
  back.dispose();
});

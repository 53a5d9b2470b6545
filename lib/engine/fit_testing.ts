/**
 * Model-level tests shared by the engine paths (`wasm`, `native`): `model.fit` of M1 and the
 * BatchNorm CNN (small synthetic subset): loss decreases and `tf.memory().numTensors` stays flat
 * across epochs; whole-model gradients match the `cpu` backend with the same weights; a training
 * run is bit-identical when repeated. `fit_test.ts` / `native_fit_test.ts` run them.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { type EnginePath, skipReason } from "./grad_testing.ts";
import { buildModel } from "../models/architectures.ts";
import { engineInfo, initEngine } from "./mod.ts";

/** A learnable toy task: class k images have a bright k-th horizontal band plus noise. */
function toyData(n: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const xs = new Float32Array(n * 28 * 28);
  const ys = new Float32Array(n);
  let s = 99;
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    ys[i] = k;
    for (let p = 0; p < 784; p++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const row = Math.floor(p / 28);
      xs[i * 784 + p] = (Math.floor(row / 2.8) === k ? 0.8 : 0) + 0.3 * (s / 4294967296);
    }
  }
  return { x: tf.tensor4d(xs, [n, 28, 28, 1]), y: tf.tensor1d(ys) };
}

/** Define the model-level tests for one engine path (call at a test module's top level). */
export function fitTests(path: EnginePath): void {
  const skip = skipReason(path);
  const t = (name: string, fn: () => Promise<void>) => test(`${path} ${name}`, { skip }, fn);
  before(async () => {
    if (skip) return;
    await initEngine({ backend: path });
  });

  for (const arch of ["m1", "bn_cnn"] as const) {
    t(`model.fit ${arch} on ${path}: loss decreases, tensors flat across epochs`, async () => {
      assert.equal(engineInfo().backend, path);
      assert.equal(tf.getBackend(), "wasm");
      const { x, y } = toyData(160);
      const model = buildModel({ arch, seed: 1, filters: [8, 16], dense: 32, learningRate: 3e-3 });
      const counts: number[] = [];
      const hist = await model.fit(x, y, {
        epochs: 4,
        batchSize: 32,
        shuffle: false,
        verbose: 0,
        callbacks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
      });
      const loss = hist.history.loss as number[];
      console.log(
        `${arch}: loss per epoch ${loss.map((l) => l.toFixed(3)).join(" → ")}; ` +
          `numTensors per epoch ${counts.join(", ")}`,
      );
      assert.ok(loss.every(Number.isFinite), "loss is finite");
      assert.ok(loss[loss.length - 1] < loss[0] * 0.8, `loss did not decrease: ${loss}`);
      assert.ok(counts.slice(1).every((c) => c === counts[1]), `numTensors not flat: ${counts}`);
      model.dispose();
      x.dispose();
      y.dispose();
    });
  }

  for (const arch of ["m1", "bn_cnn"] as const) {
    t(`whole-model gradients of ${arch} on ${path} match cpu`, async () => {
      const { x, y } = toyData(16);
      const xv = x.dataSync(), yv = y.dataSync();
      x.dispose();
      y.dispose();
      const run = async (backend: string, weights?: tf.Tensor[]) => {
        await tf.setBackend(backend);
        const m = buildModel({ arch, seed: 3, filters: [4, 8], dense: 16, dropout: 0 });
        if (weights) {
          m.setWeights(weights);
        }
        const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads } = tf.variableGrads(() =>
          tf.tidy(() => {
            const p = m.apply(tf.tensor4d(xv, [16, 28, 28, 1]), { training: true }) as tf.Tensor2D;
            const onehot = tf.oneHot(tf.tensor1d(yv, "int32"), 10) as tf.Tensor2D;
            return tf.mean(tf.metrics.categoricalCrossentropy(onehot, p)) as tf.Scalar;
          }), vars);
        const out = vars.map((v) => grads[v.name].dataSync().slice() as Float32Array);
        const w = m.getWeights().map((t) => tf.tensor(t.dataSync().slice(), t.shape));
        tf.dispose(Object.values(grads));
        m.dispose();
        return { grads: out, w };
      };
      const ref = await run("cpu");
      const got = await run("wasm", ref.w.map((t) => tf.tensor(t.dataSync(), t.shape)));
      let worst = 0;
      for (let i = 0; i < ref.grads.length; i++) {
        const a = got.grads[i], b = ref.grads[i];
        let num = 0, den = 1e-6;
        for (let j = 0; j < a.length; j++) {
          num = Math.max(num, Math.abs(a[j] - b[j]));
          den = Math.max(den, Math.abs(b[j]));
        }
        worst = Math.max(worst, num / den);
      }
      console.log(`${arch} whole-model gradients: max rel err ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-3, `whole-model gradient mismatch ${worst}`);
      await tf.setBackend("wasm");
    });
  }

  for (const arch of ["m1", "bn_cnn"] as const) {
    t(
      `training ${arch} on ${path} is bit-identical when repeated (same seed and threads)`,
      async () => {
        const { x, y } = toyData(64);
        const train = async () => {
          const model = buildModel({ arch, seed: 5, filters: [8, 16], dense: 32, dropout: 0 });
          await model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
          // Every weight, BatchNorm's moving statistics included.
          const w = model.getWeights().map((t) => new Uint8Array(t.dataSync().slice().buffer));
          model.dispose();
          return w;
        };
        const a = await train(), b = await train();
        x.dispose();
        y.dispose();
        assert.equal(a.length, b.length);
        for (let i = 0; i < a.length; i++) assert.deepEqual(a[i], b[i], `weight ${i} differs`);
      },
    );
  }

  t(`bn_cnn trained on ${path} saves the same artifact and predicts alike on cpu`, async () => {
    const { x, y } = toyData(48);
    const model = buildModel({ arch: "bn_cnn", seed: 7, filters: [8, 16], dense: 32 });
    await model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler((a) => {
      saved = a;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
      });
    }));
    const artifacts = saved as tf.io.ModelArtifacts | null;
    assert.ok(artifacts, "model.save gave no artifacts");
    const layers = (artifacts.modelTopology as { config: { layers: { class_name: string }[] } })
      .config.layers.map((l) => l.class_name);
    assert.deepEqual(layers.filter((c) => c === "BatchNormalization").length, 2, `${layers}`);
    const xv = x.dataSync().slice();
    const expected = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync().slice());
    model.dispose();
    x.dispose();
    y.dispose();
    await tf.setBackend("cpu");
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const got = tf.tidy(() =>
      (loaded.predict(tf.tensor4d(xv, [48, 28, 28, 1])) as tf.Tensor).dataSync().slice()
    );
    loaded.dispose();
    await tf.setBackend("wasm");
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    console.log(`bn_cnn trained on ${path}, predicted on cpu: max |Δp| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4, `predictions differ on cpu by ${worst}`);
  });
}

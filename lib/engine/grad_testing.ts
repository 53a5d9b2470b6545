/**
 * Gradient checks shared by the engine paths (`wasm` kernels, `native` oneDNN kernels): every op
 * our models train through, differentiated on the path under test and on the reference `cpu`
 * backend from the same random inputs; the max relative error (max |Δ| / max |cpu|) is asserted
 * and reported. `grad_test.ts` / `native_grad_test.ts` run them.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  BATCH_NORM_KERNEL_NAMES,
  batchNormTraining,
  initEngine,
  loadOneDnn,
  ONEDNN_INSTALL_HINT,
} from "./mod.ts";

type Arrays = Float32Array[];
/** f maps input tensors to a scalar loss. */
type LossFn = (...xs: tf.Tensor[]) => tf.Scalar;

let seed = 1;
function rand(shape: number[], kind: "normal" | "negative" | "ties" = "normal"): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const u = seed / 4294967296;
    out[i] = kind === "normal" ? 2 * u - 1 : kind === "negative" ? -1 - u : Math.floor(u * 3) - 1;
  }
  return out;
}

/** Fixed pseudo-random weights for a shape (independent of the shared `seed`). */
function fixedWeights(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = 12345 + n;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = 2 * (s / 4294967296) - 1;
  }
  return out;
}

async function gradsOn(backend: string, f: LossFn, shapes: number[][], data: Arrays) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = data.map((d, i) => tf.tensor(d, shapes[i]));
    const { value, grads } = tf.valueAndGrads(f)(xs);
    return { value: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 1e-6;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

const report: string[] = [];

async function check(name: string, f: LossFn, shapes: number[][], data: Arrays, tol = 1e-4) {
  const ref = await gradsOn("cpu", f, shapes, data);
  const got = await gradsOn("wasm", f, shapes, data);
  const errs = ref.grads.map((g, i) => relErr(got.grads[i], g));
  const valueErr = Math.abs(got.value - ref.value) / Math.max(Math.abs(ref.value), 1e-6);
  const worst = Math.max(valueErr, ...errs);
  report.push(`${name.padEnd(34)} max rel err ${worst.toExponential(2)}`);
  for (const g of ref.grads) {
    assert.ok(g.some((v) => v !== 0), `${name}: reference gradient is all zero`);
  }
  assert.ok(worst < tol, `${name}: max relative error ${worst} ≥ ${tol} (per input: ${errs})`);
}

/** A loss that weights every output element differently, so dy is random. */
function weighted(y: tf.Tensor): tf.Scalar {
  const w = tf.tensor(fixedWeights(y.shape), y.shape);
  return tf.sum(tf.mul(y, w));
}

/** The engine paths the shared tests run on. */
export type EnginePath = "wasm" | "native";

/**
 * Why tests of `path` must be skipped (oneDNN absent for `native`), or false. Printed once, so a
 * skipped run says what to install.
 */
export function skipReason(path: EnginePath): string | false {
  if (path !== "native" || loadOneDnn()) return false;
  const msg = `SKIPPED: oneDNN (libdnnl.so.2) not found — ${ONEDNN_INSTALL_HINT}`;
  console.warn(msg);
  return msg;
}

/** Define the gradient tests for one engine path (call at a test module's top level). */
export function gradTests(path: EnginePath): void {
  const skip = skipReason(path);
  const t = (name: string, fn: () => Promise<void>) => test(`${path} ${name}`, { skip }, fn);
  before(async () => {
    if (skip) return;
    await initEngine({ backend: path });
  });
  after(async () => {
    if (skip) return;
    await tf.setBackend("wasm");
    console.log(`gradient checks, ${path} vs cpu:\n  ${report.join("\n  ")}`);
  });

  const convCases: [string, number[], number[], number, "valid" | "same"][] = [
    ["conv2d valid s1", [2, 7, 7, 3], [3, 3, 3, 4], 1, "valid"],
    ["conv2d same s1", [2, 6, 6, 3], [3, 3, 3, 5], 1, "same"],
    ["conv2d valid s2 (odd crop)", [2, 8, 8, 2], [3, 3, 2, 3], 2, "valid"],
    ["conv2d same s2", [2, 7, 7, 2], [3, 3, 2, 4], 2, "same"],
    ["conv2d valid s3 5x5", [1, 12, 11, 2], [5, 5, 2, 3], 3, "valid"],
    ["conv2d same 1x1 c1", [3, 5, 5, 1], [1, 1, 1, 6], 1, "same"],
  ];
  for (const [name, xs, ws, s, pad] of convCases) {
    t(`grad: ${name}`, async () => {
      seed = 7;
      await check(
        name,
        (x, w) => weighted(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad)),
        [xs, ws],
        [rand(xs), rand(ws)],
      );
    });
  }

  const dwCases: [string, number[], number[], number, "valid" | "same"][] = [
    ["depthwise valid s1 mult2", [2, 6, 6, 3], [3, 3, 3, 2], 1, "valid"],
    ["depthwise same s2 mult1", [2, 7, 7, 4], [3, 3, 4, 1], 2, "same"],
  ];
  for (const [name, xs, ws, s, pad] of dwCases) {
    t(`grad: ${name}`, async () => {
      seed = 11;
      await check(
        name,
        (x, w) => weighted(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad)),
        [xs, ws],
        [rand(xs), rand(ws)],
      );
    });
  }

  const poolCases: [string, "normal" | "negative" | "ties", number, number, "valid" | "same"][] = [
    ["maxpool 2x2 s2 valid", "normal", 2, 2, "valid"],
    ["maxpool all-negative windows", "negative", 2, 2, "valid"],
    ["maxpool tie windows", "ties", 2, 2, "valid"],
    ["maxpool 3x3 s2 same, ties", "ties", 3, 2, "same"],
  ];
  for (const [name, kind, size, s, pad] of poolCases) {
    t(`grad: ${name}`, async () => {
      seed = 3;
      await check(
        name,
        (x) => weighted(tf.maxPool(x as tf.Tensor4D, size, s, pad)),
        [[2, 7, 7, 3]],
        [rand([2, 7, 7, 3], kind)],
      );
    });
  }

  t("grad: avgpool valid and same", async () => {
    seed = 5;
    await check(
      "avgpool 2x2 s2 valid",
      (x) => weighted(tf.avgPool(x as tf.Tensor4D, 2, 2, "valid")),
      [[2, 6, 6, 3]],
      [rand([2, 6, 6, 3])],
    );
    await check(
      "avgpool 3x3 s2 same",
      (x) => weighted(tf.avgPool(x as tf.Tensor4D, 3, 2, "same")),
      [[2, 7, 7, 3]],
      [rand([2, 7, 7, 3])],
    );
  });

  t("grad: batch norm with batch statistics (relu → BN → maxpool)", async () => {
    seed = 9;
    const shape = [4, 6, 6, 5];
    await check(
      "relu→batchnorm→maxpool",
      (x, g, b) => {
        const r = tf.relu(x) as tf.Tensor4D;
        const { mean, variance } = tf.moments(r, [0, 1, 2]);
        const y = tf.batchNorm(r, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3);
        return weighted(tf.maxPool(y as tf.Tensor4D, 2, 2, "valid"));
      },
      [shape, [5], [5]],
      [rand(shape), rand([5]), rand([5])],
      1e-3,
    );
  });

  // The training-mode op the BatchNormalization layer trains through (oneDNN on `native`, tfjs's
  // composed moments + batchNorm elsewhere and on cpu): channel counts 1/8/32/64, batch 1, odd
  // sizes, NHWC and [N, C].
  const bnCases: [string, number[]][] = [
    ["NHWC C=1", [3, 5, 5, 1]],
    ["NHWC C=8 odd", [3, 7, 5, 8]],
    ["NHWC C=32 batch 1", [1, 6, 6, 32]],
    ["NHWC C=64", [5, 3, 3, 64]],
    ["[N, C] C=8 odd batch", [7, 8]],
    ["[N, C] C=32", [4, 32]],
  ];
  for (const [name, shape] of bnCases) {
    t(`grad: batch norm training op, ${name}`, async () => {
      seed = 43;
      const c = shape[shape.length - 1];
      await check(
        `batchNormTraining ${name}`,
        (x, g, b) => weighted(batchNormTraining(x, g, b, 1e-3).y),
        [shape, [c], [c]],
        [rand(shape), rand([c]), rand([c])],
        2e-5,
      );
    });
  }

  t("grad: batch norm training op, loss on the batch statistics too", async () => {
    seed = 45;
    const shape = [4, 5, 3, 8];
    await check(
      "batchNormTraining y + mean + var",
      (x, g, b) => {
        const { y, mean, variance } = batchNormTraining(x, g, b, 1e-3);
        return tf.addN([weighted(y), weighted(mean), weighted(variance)]) as tf.Scalar;
      },
      [shape, [8], [8]],
      [rand(shape), rand([8]), rand([8])],
      2e-5,
    );
  });

  t(
    "batch norm layer: outputs and moving statistics match cpu (training, then inference)",
    async () => {
      seed = 47;
      const shape = [6, 5, 7, 8];
      const batches = [rand(shape), rand(shape), rand(shape)];
      const probe = rand(shape);
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const layer = tf.layers.batchNormalization({
          momentum: 0.9,
          epsilon: 1e-3,
          gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 2 }),
          betaInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 3 }),
        });
        const outs: Float32Array[] = [];
        const prof = await tf.profile(() => {
          for (const d of batches) {
            tf.tidy(() => {
              const y = layer.apply(tf.tensor(d, shape), { training: true }) as tf.Tensor;
              outs.push(y.dataSync().slice() as Float32Array);
            });
          }
          tf.tidy(() => {
            const y = layer.apply(tf.tensor(probe, shape), { training: false }) as tf.Tensor;
            outs.push(y.dataSync().slice() as Float32Array);
          });
          return [];
        });
        const [, , movingMean, movingVariance] = layer.getWeights().map((w) =>
          w.dataSync().slice() as Float32Array
        );
        layer.dispose();
        return {
          outs,
          movingMean,
          movingVariance,
          kernels: new Set(prof.kernels.map((k) => k.name)),
        };
      };
      const ref = await run("cpu");
      const got = await run("wasm");
      const errs = [
        ...got.outs.map((o, i) => relErr(o, ref.outs[i])),
        relErr(got.movingMean, ref.movingMean),
        relErr(got.movingVariance, ref.movingVariance),
      ];
      report.push(
        `${"BN layer outputs + moving stats".padEnd(34)} max rel err ${
          Math.max(...errs).toExponential(2)
        }`,
      );
      assert.ok(errs.every((e) => e < 1e-5), `BN layer mismatch: ${errs}`);
      assert.ok(ref.movingMean.some((v) => v !== 0), "moving mean was not updated");
      if (path === "native") {
        for (const k of BATCH_NORM_KERNEL_NAMES.filter((k) => !k.endsWith("Grad"))) {
          assert.ok(got.kernels.has(k), `kernel ${k} did not run (ran: ${[...got.kernels]})`);
        }
      } else assert.ok(!got.kernels.has(BATCH_NORM_KERNEL_NAMES[0]), "oneDNN BN ran on wasm");
    },
  );

  t("grad: dense (matmul + bias) with activations", async () => {
    seed = 13;
    const acts: [string, (t: tf.Tensor) => tf.Tensor][] = [
      ["relu", tf.relu],
      ["sigmoid", tf.sigmoid],
      ["tanh", tf.tanh],
      ["elu", tf.elu],
      ["leakyRelu", (t) => tf.leakyRelu(t, 0.2)],
      ["softmax", (t) => tf.softmax(t)],
    ];
    for (const [name, act] of acts) {
      await check(
        `dense + ${name}`,
        (x, w, b) => weighted(act(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b))),
        [[8, 12], [12, 7], [7]],
        [rand([8, 12]), rand([12, 7]), rand([7])],
      );
    }
  });

  t("grad: losses (softmax cross-entropy, sparse and one-hot)", async () => {
    seed = 17;
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 3, 9, 1, 4, 4], "int32"), 10));
    const oneHot = labels.dataSync() as Float32Array;
    labels.dispose();
    await check(
      "softmax cross-entropy",
      (logits, y) => tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar,
      [[6, 10], [6, 10]],
      [rand([6, 10]), oneHot],
    );
    await check(
      "categorical CE on softmax (layers)",
      (logits, y) =>
        tf.mean(
          tf.metrics.categoricalCrossentropy(y as tf.Tensor2D, tf.softmax(logits) as tf.Tensor2D),
        ) as tf.Scalar,
      [[6, 10], [6, 10]],
      [rand([6, 10]), oneHot],
    );
    await check(
      "mean squared error",
      (p, y) => tf.losses.meanSquaredError(y, p) as tf.Scalar,
      [[6, 10], [6, 10]],
      [rand([6, 10]), oneHot],
    );
  });

  t("sum and mean over leading axes match cpu (keepDims both ways)", async () => {
    seed = 19;
    const d = rand([3, 4, 5, 6]);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(d, [3, 4, 5, 6]);
        return [
          tf.sum(x, [0, 1, 2]),
          tf.mean(x, [0, 1, 2], true),
          tf.sum(x, 0),
          tf.mean(x, [1, 0]),
          tf.sum(x, [1, 2]),
        ].map((t) => ({ shape: t.shape, v: t.dataSync() as Float32Array }));
      });
    };
    const ref = await run("cpu"), got = await run("wasm");
    for (let i = 0; i < ref.length; i++) {
      assert.deepEqual(got[i].shape, ref[i].shape);
      assert.ok(relErr(got[i].v, ref[i].v) < 1e-5, `reduction ${i}`);
    }
  });

  t("tile matches cpu exactly (broadcasts, inner repeats, mixed, stock fallback)", async () => {
    seed = 23;
    const cases: [number[], number[]][] = [
      [[1, 1, 1, 6], [4, 5, 3, 1]], // BatchNorm statistics up to the activation shape
      [[2, 3], [1, 4]],
      [[2, 3, 2], [3, 1, 2]],
      [[3, 1, 4], [2, 5, 1]],
      [[5], [1]],
      [[4000, 1], [1, 3]], // 12,000 row copies: served by the stock kernel
    ];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return cases.map(([shape, reps]) =>
        tf.tidy(() => {
          const t = tf.tile(tf.tensor(rand(shape), shape), reps);
          return { shape: t.shape, v: t.dataSync() as Float32Array };
        })
      );
    };
    const s0 = seed;
    const ref = await run("cpu");
    seed = s0;
    const got = await run("wasm");
    for (let i = 0; i < ref.length; i++) {
      assert.deepEqual(got[i].shape, ref[i].shape);
      assert.deepEqual(got[i].v, ref[i].v, `tile case ${i}`);
    }
  });

  const fusedCases: [string, number[], number[], number, "valid" | "same"][] = [
    ["fused conv+bias+relu same s1", [2, 9, 9, 3], [3, 3, 3, 8], 1, "same"],
    ["fused conv+bias+relu valid s2 odd", [2, 9, 9, 4], [3, 3, 4, 6], 2, "valid"],
    ["fused conv+bias+relu 1x1", [2, 5, 5, 8], [1, 1, 8, 4], 1, "valid"],
    ["fused conv+bias+relu 5x5 same", [2, 11, 11, 16], [5, 5, 16, 32], 1, "same"],
    ["fused conv+bias+relu 5x5 valid s3", [1, 14, 13, 3], [5, 5, 3, 5], 3, "valid"],
  ];
  for (const [name, xs, ws, s, pad] of fusedCases) {
    t(`grad: ${name}`, async () => {
      seed = 29;
      await check(
        name,
        (x, w, b) =>
          weighted(
            tf.fused.conv2d({
              x: x as tf.Tensor4D,
              filter: w as tf.Tensor4D,
              bias: b,
              strides: s,
              pad,
              activation: "relu",
            }),
          ),
        [xs, ws, [ws[3]]],
        [rand(xs), rand(ws), rand([ws[3]])],
      );
    });
  }

  t("grad: matmul with transposes, batched and broadcast", async () => {
    seed = 31;
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = ta ? [7, 5] : [5, 7], b = tb ? [3, 7] : [7, 3];
      await check(
        `matmul ta=${ta} tb=${tb}`,
        (x, y) => weighted(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb)),
        [a, b],
        [rand(a), rand(b)],
      );
      const a3 = [4, ...a], b3 = [4, ...b];
      await check(
        `batch matmul ta=${ta} tb=${tb}`,
        (x, y) => weighted(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, ta, tb)),
        [a3, b3],
        [rand(a3), rand(b3)],
      );
    }
    // Broadcast batches: values only (tfjs 4.22's BatchMatMul gradient does not reduce them).
    const av = rand([3, 4, 6]), bv = rand([1, 6, 5]);
    const product = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() =>
        tf.matMul(tf.tensor3d(av, [3, 4, 6]), tf.tensor3d(bv, [1, 6, 5])).dataSync() as Float32Array
      );
    };
    const err = relErr(await product("wasm"), await product("cpu"));
    report.push(
      `${"batch matmul, broadcast b (value)".padEnd(34)} max rel err ${err.toExponential(2)}`,
    );
    assert.ok(err < 1e-5, `broadcast batch matmul: ${err}`);
  });

  t("grad: fused matmul + bias + relu (dense layer)", async () => {
    seed = 37;
    await check(
      "fused matmul+bias+relu",
      (x, w, b) =>
        weighted(
          tf.fused.matMul({
            a: x as tf.Tensor2D,
            b: w as tf.Tensor2D,
            bias: b,
            activation: "relu",
          }),
        ),
      [[16, 40], [40, 24], [24]],
      [rand([16, 40]), rand([40, 24]), rand([24])],
    );
  });

  t("grad: pooling, odd sizes and 3x3 windows", async () => {
    seed = 41;
    const shape = [2, 9, 9, 5];
    await check(
      "maxpool 3x3 s1 same",
      (x) => weighted(tf.maxPool(x as tf.Tensor4D, 3, 1, "same")),
      [shape],
      [rand(shape)],
    );
    await check(
      "maxpool 3x3 s2 valid, all-negative",
      (x) => weighted(tf.maxPool(x as tf.Tensor4D, 3, 2, "valid")),
      [shape],
      [rand(shape, "negative")],
    );
    await check(
      "avgpool 3x3 s1 same (odd)",
      (x) => weighted(tf.avgPool(x as tf.Tensor4D, 3, 1, "same")),
      [shape],
      [rand(shape)],
    );
  });

  if (path === "native") {
    t("oneDNN primitives served the checks above", () => {
      const kinds = loadOneDnn()?.cachedKinds() ?? new Set();
      const all = [
        "conv",
        "convBwdData",
        "convBwdWeights",
        "mm",
        "pool",
        "poolBwd",
        "bnorm",
        "bnormBwd",
      ];
      for (const k of all) {
        assert.ok(kinds.has(k), `no ${k} primitive was created (got ${[...kinds]})`);
      }
      return Promise.resolve();
    });
  }
}

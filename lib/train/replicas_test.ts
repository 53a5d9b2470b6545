import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { debianTrainSubset } from "../data/testing.ts";
import { FusedAdam, initEngine } from "../engine/mod.ts";
import { buildModel } from "../models/architectures.ts";
import { FsObjectStore } from "../storage/mod.ts";
import { trainModel } from "./loop.ts";
import { ReplicaPool, resolveReplicas } from "./replicas.ts";
import { flattenTensors, shardGradients, unflattenTensors } from "./step.ts";
import { childLogRecords } from "../log/testing.ts";
import { shardRanges } from "./batch.ts";

const NORM = { scale: 1 / 255, mean: 0, std: 1 };

const data = await debianTrainSubset(3500);
const trainIdx = Int32Array.from({ length: 3000 }, (_, i) => i);
const valIdx = Int32Array.from({ length: 500 }, (_, i) => 3000 + i);
await initEngine({ backend: "wasm" });

test("resolveReplicas: auto is min(cores, 2) on wasm for long runs, 1 otherwise", () => {
  const cores = Math.min(navigator.hardwareConcurrency, 2);
  assert.equal(resolveReplicas("auto", "wasm", 100_000), cores);
  assert.equal(resolveReplicas(undefined, "wasm", 100_000), cores);
  assert.equal(resolveReplicas("auto", "wasm", 1_000), 1);
  assert.equal(resolveReplicas("auto", "tensorflow", 100_000), 1);
  assert.equal(resolveReplicas(3, "cpu", 10), 3);
  assert.throws(() => resolveReplicas(0, "wasm", 10), /workers must be an integer/);
  assert.deepEqual(shardRanges(5, 2), [[0, 3], [3, 5]]);
  assert.deepEqual(shardRanges(1, 2), [[0, 1], [1, 1]]);
});

test("a worker replica stays bit-identical to replica 0 over steps (weights and BN stats apart)", async () => {
  const model = buildModel({ arch: "bn_cnn", filters: [8, 16], dense: 32, seed: 7 });
  // The workers run FusedAdam (like trainModel): replica 0 must run the same update.
  const optimizer = new FusedAdam(2e-3) as tf.AdamOptimizer & { learningRate: number };
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const spec = { classes: 10, labelSmoothing: 0.1 };
  const pool = await ReplicaPool.start({
    model,
    optimizer,
    learningRate: 2e-3,
    workers: 1,
    backend: "wasm",
    loss: spec,
    classWeights: null,
  });
  try {
    const before = flattenTensors(vars);
    const tensors0 = tf.memory().numTensors;
    const n = 64, size = 784;
    for (let s = 0; s < 4; s++) {
      const xs = new Float32Array(n * size);
      const ys = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const src = ((s * n + i) % 3000) * size;
        for (let j = 0; j < size; j++) xs[i * size + j] = data.images[src + j] / 255;
        ys[i] = data.labels[(s * n + i) % 3000];
      }
      const remote = pool.shardGradients(0, xs.slice(32 * size), [28, 28, 1], ys.slice(32), n, s);
      const x = tf.tensor(xs.subarray(0, 32 * size), [32, 28, 28, 1]);
      const y = tf.tensor1d(ys.subarray(0, 32), "int32");
      const own = shardGradients(model, vars, x, y, spec, null, n);
      tf.dispose([x, y]);
      const sum = flattenTensors(own.grads);
      own.grads.forEach((g) => g.dispose());
      const part = await remote;
      for (let i = 0; i < sum.length; i++) sum[i] += part.grads[i];
      const grads = unflattenTensors(sum, vars.map((v) => v.shape));
      optimizer.learningRate = 1e-3 * (s + 1);
      pool.applyGradients(sum, optimizer.learningRate);
      optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
      grads.forEach((g) => g.dispose());
    }
    const mine = flattenTensors(vars);
    const theirs = await pool.replicaWeights(0);
    assert.notDeepEqual(mine, before, "the weights moved");
    assert.equal(theirs.trainable.length, mine.length);
    let diff = 0;
    for (let i = 0; i < mine.length; i++) {
      diff = Math.max(diff, Math.abs(mine[i] - theirs.trainable[i]));
    }
    assert.equal(diff, 0, `replicas differ by ${diff}`);
    // BatchNorm moving statistics are per replica (each saw its own shard).
    const all = flattenTensors(model.getWeights());
    assert.equal(theirs.all.length, all.length);
    assert.notDeepEqual(theirs.all, all);
    assert.ok(tf.memory().numTensors - tensors0 <= 2 * vars.length, "Adam moments only");
  } finally {
    pool.terminate();
    optimizer.dispose();
    model.dispose();
  }
});

test("2-replica training reaches the accuracy of 1 replica, stays in sync, flat tensors", async () => {
  const results = [];
  for (const workers of [1, 2]) {
    const model = buildModel({ arch: "m1", seed: 1, dropout: 0.25 });
    const counts: number[] = [];
    const res = await trainModel({
      model,
      data,
      trainIndices: trainIdx,
      validation: { data, indices: valIdx },
      normalization: NORM,
      config: { epochs: 3, batchSize: 64, seed: 3, augment: { shift: 1, hflip: 0.5 } },
      workers,
      onEpochEnd: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    assert.equal(res.replicas, workers);
    assert.equal(res.replicaDivergence, 0);
    assert.equal(new Set(counts).size, 1, `tensor counts per epoch: ${counts}`);
    results.push(res.history[2].val_accuracy);
    model.dispose();
  }
  const [one, two] = results;
  assert.ok(two > 0.7, `2 replicas: val acc ${two}`);
  assert.ok(Math.abs(one - two) < 0.04, `1 replica ${one} vs 2 replicas ${two}`);
});

test("resume with 2 replicas restores every replica (weights and Adam state)", async () => {
  const dir = await Deno.makeTempDir();
  const store = new FsObjectStore(dir);
  const cfg = { epochs: 2, batchSize: 128, schedule: { kind: "cosine" as const } };
  const common = {
    data,
    trainIndices: trainIdx.subarray(0, 1000),
    normalization: NORM,
    checkpoint: { store, id: "run-dp" },
    workers: 2,
  };
  const a = buildModel({ arch: "bn_cnn", filters: [8, 16], dense: 32, seed: 2 });
  const first = await trainModel({ ...common, model: a, config: { ...cfg, epochs: 1 } });
  const b = buildModel({ arch: "bn_cnn", filters: [8, 16], dense: 32, seed: 99 });
  const second = await trainModel({ ...common, model: b, config: cfg });
  assert.equal(second.resumedFrom, 0);
  assert.deepEqual(second.history[0], first.history[0]);
  // A worker that missed the restored weights or Adam moments would drift from replica 0.
  assert.equal(second.replicaDivergence, 0);
  a.dispose();
  b.dispose();
  await Deno.remove(dir, { recursive: true });
});

test("a replica that cannot start or fails mid-run surfaces as a clear error", async () => {
  const model = buildModel({ arch: "m1", seed: 3 });
  const optimizer = tf.train.adam(1e-3);
  await assert.rejects(
    ReplicaPool.start({
      model,
      optimizer,
      learningRate: 1e-3,
      workers: 1,
      backend: "tpu",
      loss: { classes: 10, labelSmoothing: 0 },
      classWeights: null,
    }),
    /training replica 1 \(worker\) failed: unknown backend "tpu"/,
  );
  const pool = await ReplicaPool.start({
    model,
    optimizer,
    learningRate: 1e-3,
    workers: 1,
    backend: "wasm",
    loss: { classes: 10, labelSmoothing: 0 },
    classWeights: null,
  });
  try {
    // 10 pixels cannot make one 28×28 image: the worker's tensor creation throws.
    await assert.rejects(
      pool.shardGradients(0, new Float32Array(10), [28, 28, 1], new Int32Array(1), 1, 0),
      /training replica 1 \(worker\) failed: .*/,
    );
    await assert.rejects(pool.replicaWeights(0), /training replica 1/);
  } finally {
    pool.terminate();
    optimizer.dispose();
    model.dispose();
  }
});

test("a replica worker logs at the training loop's level: quiet at warn, 'engine ready' at info", async () => {
  const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  const script = (level: string) => `
import { FusedAdam, initEngine } from ${mod("../engine/mod.ts")};
import { buildModel } from ${mod("../models/architectures.ts")};
import { createLogger } from ${mod("../log/mod.ts")};
import { ReplicaPool } from ${mod("./replicas.ts")};
await initEngine({ backend: "wasm" }, createLogger({}, { level: "error" }));
const pool = await ReplicaPool.start({
  model: buildModel({ arch: "m1", seed: 1 }),
  optimizer: new FusedAdam(1e-3),
  learningRate: 1e-3,
  workers: 1,
  backend: "wasm",
  logLevel: ${JSON.stringify(level)},
  loss: { classes: 10, labelSmoothing: 0 },
  classWeights: null,
});
pool.terminate();
`;
  const quiet = await childLogRecords(script("warn"));
  assert.deepEqual(quiet.map((r) => r.msg), [], "nothing below warn from the worker");
  const chatty = await childLogRecords(script("info"));
  const ready = chatty.filter((r) => r.msg === "engine ready");
  assert.equal(ready.length, 1, JSON.stringify(chatty));
  assert.equal(ready[0].worker, "replica");
});

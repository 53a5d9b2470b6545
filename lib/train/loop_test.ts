import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { debianTrainSubset } from "../data/testing.ts";
import { initEngine } from "../engine/mod.ts";
import { buildModel } from "../models/architectures.ts";
import { FsObjectStore } from "../storage/mod.ts";
import { trainModel } from "./loop.ts";

const NORM = { scale: 1 / 255, mean: 0, std: 1 };

const data = await debianTrainSubset(3000);
const trainIdx = Int32Array.from({ length: 2400 }, (_, i) => i);
const valIdx = Int32Array.from({ length: 600 }, (_, i) => 2400 + i);
await initEngine({ backend: "wasm" });

test("M1 learns a real subset, with flat tensor count across epochs", async () => {
  const model = buildModel({ arch: "m1", seed: 1, dropout: 0.25 });
  const counts: number[] = [];
  const res = await trainModel({
    model,
    data,
    trainIndices: trainIdx,
    validation: { data, indices: valIdx },
    normalization: NORM,
    config: { epochs: 3, batchSize: 64, seed: 3, augment: { shift: 1, hflip: 0.5 } },
    onEpochEnd: () => {
      counts.push(tf.memory().numTensors);
    },
  });
  assert.equal(res.epochs, 3);
  assert.equal(res.stopReason, "completed");
  assert.ok(res.history[2].loss < res.history[0].loss, JSON.stringify(res.history));
  assert.ok(res.history[2].val_accuracy > 0.7, `val acc ${res.history[2].val_accuracy}`);
  assert.equal(new Set(counts).size, 1, `tensor counts per epoch: ${counts}`);
  model.dispose();
});

test("checkpointed run resumes after the last completed epoch", async () => {
  const dir = await Deno.makeTempDir();
  const store = new FsObjectStore(dir);
  const cfg = { epochs: 2, batchSize: 128, schedule: { kind: "cosine" as const } };
  const a = buildModel({ arch: "m1", seed: 2 });
  const first = await trainModel({
    model: a,
    data,
    trainIndices: trainIdx.subarray(0, 1000),
    normalization: NORM,
    config: { ...cfg, epochs: 1 },
    checkpoint: { store, id: "run-x" },
  });
  assert.equal(first.resumedFrom, null);
  const before = tf.memory().numTensors;
  const b = buildModel({ arch: "m1", seed: 99 }); // different init: the checkpoint must override it
  const second = await trainModel({
    model: b,
    data,
    trainIndices: trainIdx.subarray(0, 1000),
    normalization: NORM,
    config: cfg,
    checkpoint: { store, id: "run-x" },
  });
  assert.equal(second.resumedFrom, 0);
  assert.equal(second.history.length, 2);
  assert.deepEqual(second.history[0], first.history[0]);
  assert.ok(tf.memory().numTensors - before <= b.getWeights().length + 2);
  a.dispose();
  b.dispose();
  await Deno.remove(dir, { recursive: true });
});

test("early stopping ends the run and restores the best weights; bad configs are rejected", async () => {
  const model = buildModel({ arch: "m1", seed: 5 });
  const res = await trainModel({
    model,
    data,
    trainIndices: trainIdx.subarray(0, 600),
    validation: { data, indices: valIdx },
    normalization: NORM,
    // A huge learning rate makes validation loss blow up after the first epoch.
    config: {
      epochs: 8,
      learningRate: 0.2,
      earlyStopping: { monitor: "val_accuracy", patience: 1 },
    },
  });
  assert.equal(res.stopReason, "early_stopping");
  assert.ok(res.epochs < 8);
  const bestAcc = Math.max(...res.history.map((h) => h.val_accuracy));
  assert.equal(res.history[res.bestEpoch!].val_accuracy, bestAcc);
  model.dispose();
  await assert.rejects(
    trainModel({
      model: buildModel({ arch: "m1" }),
      data,
      normalization: NORM,
      config: { epochs: 0 },
    }),
    /epochs/,
  );
});

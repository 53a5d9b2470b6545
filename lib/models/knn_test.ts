import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import { fitKnn } from "./knn.ts";
import { argmaxClasses } from "./predict.ts";

const NORM = { scale: 1 / 255, mean: 0, std: 1 };

/** Two well separated classes: dark and bright 2×2 images, plus a confusable middle one. */
function set(pixels: number[][], labels: number[]): ImageSet {
  return {
    count: pixels.length,
    rows: 2,
    cols: 2,
    images: Uint8Array.from(pixels.flat()),
    labels: Uint8Array.from(labels),
  };
}

test("k-NN classifies by nearest neighbours and matches brute force", async () => {
  await tf.setBackend("cpu");
  const train = set(
    [[0, 0, 0, 10], [5, 0, 0, 0], [0, 8, 0, 0], [250, 250, 240, 255], [255, 230, 255, 255], [
      240,
      255,
      255,
      250,
    ]],
    [0, 0, 0, 1, 1, 1],
  );
  const test = set([[2, 2, 2, 2], [245, 245, 245, 245], [140, 140, 140, 140]], [0, 1, 1]);
  const before = tf.memory().numTensors;
  const knn = fitKnn(train, undefined, NORM, { k: 3, weights: "uniform", chunk: 2 });
  const p = knn.predict(test);
  assert.deepEqual(Array.from(argmaxClasses(p)), [0, 1, 1]);
  assert.deepEqual(Array.from(p.probs.subarray(0, 2)), [1, 0]);
  // k=1 on the training set itself reproduces its labels
  const one = fitKnn(train, undefined, NORM, { k: 1 });
  assert.deepEqual(Array.from(argmaxClasses(one.predict(train))), Array.from(train.labels));
  knn.dispose();
  one.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => fitKnn(train, [0, 1], NORM, { k: 3 }), /at least k=3/);
});

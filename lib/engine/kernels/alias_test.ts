/**
 * The copy-free wasm `Identity` and same-dtype `Cast`: outputs share the input's buffer (no new
 * bytes), stay valid after the input is disposed, and dtype-changing casts still convert.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initEngine } from "../mod.ts";

before(async () => {
  await initEngine({ backend: "wasm" });
});

test("Identity (tf.clone) shares the buffer and outlives its input", () => {
  const x = tf.tensor([1.5, -2, 3, 4], [2, 2]);
  const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const y = tf.clone(x);
  assert.equal((tf.backend() as unknown as { numDataIds(): number }).numDataIds(), ids);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1.5, -2, 3, 4]);
  assert.deepEqual(y.shape, [2, 2]);
  y.dispose();
});

test("Cast shares the buffer for the same dtype and converts otherwise", () => {
  const x = tf.tensor([1.7, -2.2, 3.9]);
  const same = tf.cast(x, "float32");
  assert.deepEqual(Array.from(same.dataSync()), Array.from(x.dataSync()));
  const asInt = tf.cast(x, "int32");
  assert.equal(asInt.dtype, "int32");
  assert.deepEqual(Array.from(asInt.dataSync()), [1, -2, 3]);
  const start = tf.memory().numTensors;
  tf.tidy(() => {
    tf.cast(tf.clone(x), "float32");
  });
  assert.equal(tf.memory().numTensors, start);
  tf.dispose([x, same, asInt]);
});

test("gradients through clones and casts are unchanged", () => {
  const x = tf.tensor([1, -2, 3]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.clone(t), tf.cast(tf.relu(t), "float32"))))(
    x,
  );
  // d/dx x·relu(x) = relu(x) + x·step(x)
  assert.deepEqual(Array.from(g.dataSync()), [2, 0, 6]);
  tf.dispose([x, g]);
});

/**
 * FusedAdam matches `tf.train.adam` (values, moments, state layout) on wasm, keeps
 * `tf.memory()` flat, and restores from `tf.train.adam`'s weights.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { FusedAdam, initEngine } from "./mod.ts";

before(async () => {
  await initEngine({ backend: "wasm" });
});

function setup(seed: number, tag: string) {
  const shapes = [[3, 3, 1, 4], [4], [37, 5]];
  let s = seed;
  const rnd = (n: number) =>
    Float32Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return 2 * (s / 4294967296) - 1;
    });
  const vars = shapes.map((sh, i) =>
    tf.variable(tf.tensor(rnd(sh.reduce((a, b) => a * b, 1)), sh), true, `${tag}${seed}_${i}`)
  );
  const grads = (step: number) =>
    shapes.map((sh) => tf.tensor(rnd(sh.reduce((a, b) => a * b, 1)).map((x) => x * step), sh));
  return { vars, grads };
}

async function run(opt: tf.AdamOptimizer, seed: number, steps: number, tag: string) {
  const { vars, grads } = setup(seed, tag);
  for (let k = 1; k <= steps; k++) {
    const g = grads(k);
    opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: g[i] })));
    tf.dispose(g);
  }
  const values = vars.map((v) => v.dataSync().slice() as Float32Array);
  const state = (await opt.getWeights()).map((w) => w.tensor.dataSync().slice() as Float32Array);
  return { values, state, vars };
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 1e-12;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

test("FusedAdam matches tf.train.adam on wasm; memory flat", async () => {
  const ref = await run(tf.train.adam(0.01), 1, 4, "ref");
  const before = tf.memory().numTensors;
  const fused = new FusedAdam(0.01);
  const got = await run(fused, 1, 4, "fused");
  assert.equal(got.state.length, ref.state.length, "same state layout");
  let worst = 0;
  got.values.forEach((v, i) => (worst = Math.max(worst, maxRel(v, ref.values[i]))));
  got.state.forEach((v, i) => (worst = Math.max(worst, maxRel(v, ref.state[i]))));
  console.log(`FusedAdam vs tf.train.adam, 4 steps: max rel err ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-5, `FusedAdam differs: ${worst}`);
  // 3 variables + their 6 moments + accBeta1/2 were created; one more step adds nothing.
  const mid = tf.memory().numTensors;
  const g = got.vars.map((v) => tf.onesLike(v));
  fused.applyGradients(got.vars.map((v, i) => ({ name: v.name, tensor: g[i] })));
  tf.dispose(g);
  assert.equal(tf.memory().numTensors, mid, "a step leaves no tensors behind");
  assert.ok(mid > before);
  fused.dispose();
  tf.dispose([...got.vars, ...ref.vars]);
});

test("FusedAdam resumes from tf.train.adam's weights", async () => {
  const stock = tf.train.adam(0.01);
  const a = await run(stock, 2, 2, "stock");
  const fused = new FusedAdam(0.01);
  await fused.setWeights(await stock.getWeights());
  const state = (await fused.getWeights()).map((w) => w.tensor.dataSync().slice());
  assert.deepEqual(state, a.state);
  fused.dispose();
  stock.dispose();
  tf.dispose(a.vars);
});

test("FusedAdam never writes into a buffer a clone may share (wasm Identity aliases)", async () => {
  const opt = new FusedAdam(0.01);
  const { vars, grads } = setup(5, "alias");
  const step = (k: number) => {
    const g = grads(k);
    opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: g[i] })));
    tf.dispose(g);
  };
  step(1);
  const held = (await opt.getWeights()).slice(1).map((w) => tf.clone(w.tensor));
  const heldValues = vars.map((v) => tf.clone(v));
  const before = held.map((t) => t.dataSync().slice());
  const valuesBefore = heldValues.map((t) => t.dataSync().slice());
  step(2);
  held.forEach((t, i) => assert.deepEqual(t.dataSync(), before[i], `moment ${i} changed`));
  heldValues.forEach((t, i) => assert.deepEqual(t.dataSync(), valuesBefore[i], `value ${i}`));
  // …and the optimiser did move on.
  const after = (await opt.getWeights()).slice(1).map((w) => w.tensor.dataSync());
  assert.notDeepEqual(after[0], before[0]);
  tf.dispose([...held, ...heldValues, ...vars]);
  opt.dispose();
});

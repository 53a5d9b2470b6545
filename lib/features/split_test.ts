import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizationStats, SplitOptionsError, stratifiedSplit } from "./mod.ts";

function labels(perClass: number[]): Uint8Array {
  const out: number[] = [];
  // Interleave classes so indices of a class are not contiguous.
  for (let i = 0; out.length < perClass.reduce((a, b) => a + b, 0); i++) {
    perClass.forEach((n, k) => {
      if (i < n) out.push(k);
    });
  }
  return Uint8Array.from(out);
}

test("stratifiedSplit holds out round(n_c · f) of each class, disjoint and complete", () => {
  const y = labels([100, 50, 33]);
  const s = stratifiedSplit(y, { valFraction: 0.1, seed: 7 });
  const perClass = [0, 0, 0];
  for (const i of s.val) perClass[y[i]]++;
  assert.deepEqual(perClass, [10, 5, 3]);
  assert.equal(s.train.length + s.val.length, y.length);
  const all = new Set([...s.train, ...s.val]);
  assert.equal(all.size, y.length);
  for (const arr of [s.train, s.val]) {
    for (let k = 1; k < arr.length; k++) assert.ok(arr[k - 1] < arr[k], "ascending");
  }
});

test("stratifiedSplit is deterministic per seed and varies across seeds", () => {
  const y = labels([200, 200]);
  const a = stratifiedSplit(y, { valFraction: 0.25, seed: 1 });
  const b = stratifiedSplit(y, { valFraction: 0.25, seed: 1 });
  const c = stratifiedSplit(y, { valFraction: 0.25, seed: 2 });
  assert.deepEqual(a.val, b.val);
  assert.notDeepEqual(a.val, c.val);
  assert.throws(() => stratifiedSplit(y, { valFraction: 1, seed: 1 }), SplitOptionsError);
  assert.throws(() => stratifiedSplit(y, { valFraction: 0.1, seed: -1 }), /seed/);
});

test("normalizationStats is the exact mean/std of pixels in [0, 1]", () => {
  const set = {
    count: 2,
    rows: 1,
    cols: 4,
    images: Uint8Array.from([0, 255, 255, 0, 51, 51, 51, 51]),
    labels: new Uint8Array(2),
  };
  const all = normalizationStats(set);
  // values / 255: 0, 1, 1, 0, .2, .2, .2, .2 → mean .35, E[x²] = (2 + 4·.04)/8 = .27
  assert.ok(Math.abs(all.mean - 0.35) < 1e-12);
  assert.ok(Math.abs(all.std - Math.sqrt(0.27 - 0.35 ** 2)) < 1e-12);
  assert.equal(all.pixels, 8);
  const second = normalizationStats(set, [1]);
  assert.ok(Math.abs(second.mean - 0.2) < 1e-12);
  assert.equal(second.std, 0);
  assert.deepEqual(normalizationStats(set, []), { mean: 0, std: 0, pixels: 0 });
});

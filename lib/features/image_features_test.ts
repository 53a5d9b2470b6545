import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageSet } from "../data/mod.ts";
import { computeImageFeatures, FEATURE_COLUMNS, FeatureOptionsError } from "./mod.ts";

function set(images: number[][]): ImageSet {
  return {
    count: images.length,
    rows: 4,
    cols: 4,
    images: Uint8Array.from(images.flat()),
    labels: new Uint8Array(images.length),
  };
}

const corner = [
  [0, 0, 0, 0],
  [0, 255, 255, 0],
  [0, 255, 0, 0],
  [0, 0, 0, 0],
].flat();
const blank = new Array(16).fill(0);
const faint = blank.map((_, j) => (j === 3 ? 20 : 0)); // one pixel below the ink threshold

test("features of a hand-checked image", () => {
  const f = computeImageFeatures(set([corner]));
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);
  close(f.mean_intensity[0], 3 / 16);
  close(f.std_intensity[0], Math.sqrt(3 / 16 - (3 / 16) ** 2));
  close(f.ink_ratio[0], 3 / 16);
  assert.deepEqual(
    [f.bbox_top[0], f.bbox_left[0], f.bbox_bottom[0], f.bbox_right[0]],
    [1, 1, 2, 2],
  );
  assert.deepEqual([f.bbox_height[0], f.bbox_width[0]], [2, 2]);
  // Mirrored pairs: row 1 matches, row 2 has 255 vs 0 → 1 − 255 / 765.
  close(f.symmetry_h[0], 2 / 3);
  close(f.centre_y[0], 4 / 3);
  close(f.centre_x[0], 4 / 3);
});

test("blank and sub-threshold images get documented sentinel values", () => {
  const f = computeImageFeatures(set([blank, faint]));
  assert.equal(f.mean_intensity[0], 0);
  assert.equal(f.std_intensity[0], 0);
  assert.deepEqual([f.bbox_top[0], f.bbox_height[0], f.bbox_width[0]], [-1, 0, 0]);
  assert.equal(f.symmetry_h[0], 1);
  assert.deepEqual([f.centre_y[0], f.centre_x[0]], [1.5, 1.5]);
  // Below the default threshold 25: no ink, but intensity and centre still count it.
  assert.equal(f.ink_ratio[1], 0);
  assert.equal(f.bbox_top[1], -1);
  assert.deepEqual([f.centre_y[1], f.centre_x[1]], [0, 3]);
  assert.equal(f.symmetry_h[1], 0);
  // A lower threshold makes it ink.
  const g = computeImageFeatures(set([faint]), { inkThreshold: 10 });
  assert.equal(g.ink_ratio[0], 1 / 16);
  assert.deepEqual([g.bbox_top[0], g.bbox_left[0], g.bbox_height[0], g.bbox_width[0]], [
    0,
    3,
    1,
    1,
  ]);
});

test("a left–right mirrored image has the same features except mirrored x", () => {
  const mirrored = [0, 1, 2, 3].flatMap((r) => [3, 2, 1, 0].map((c) => corner[r * 4 + c]));
  const f = computeImageFeatures(set([corner, mirrored]));
  for (
    const c of ["mean_intensity", "std_intensity", "ink_ratio", "symmetry_h", "centre_y"] as const
  ) {
    assert.equal(f[c][0], f[c][1], c);
  }
  assert.equal(f.centre_x[1], 3 - f.centre_x[0]);
  assert.deepEqual([f.bbox_left[1], f.bbox_right[1]], [1, 2]);
  assert.equal(FEATURE_COLUMNS.length, 12);
});

test("bad options and truncated image data are rejected", () => {
  assert.throws(
    () => computeImageFeatures(set([corner]), { inkThreshold: 255 }),
    FeatureOptionsError,
  );
  assert.throws(() => computeImageFeatures(set([corner]), { inkThreshold: 2.5 }), /0\.\.254/);
  const truncated = { ...set([corner, corner]), images: Uint8Array.from(corner) };
  assert.throws(() => computeImageFeatures(truncated), /fewer than 2 images/);
});

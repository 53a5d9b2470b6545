/** Test-time augmentation helpers of validate:real: the shift set and the image shift. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { shiftImages, ttaShifts } from "./validate.ts";

test("ttaShifts: the identity first, then ±d along x and y; bad radii throw", () => {
  assert.deepEqual(ttaShifts(0), [[0, 0]]);
  assert.deepEqual(ttaShifts(1), [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]]);
  assert.equal(ttaShifts(2).length, 9);
  assert.throws(() => ttaShifts(-1), RangeError);
  assert.throws(() => ttaShifts(1.5), RangeError);
});

test("shiftImages: moves every image by (dx, dy), zeros come in, the input is kept", () => {
  const px = new Float32Array(2 * 784);
  px[0 * 784 + 5 * 28 + 7] = 1; // image 0: (x 7, y 5)
  px[1 * 784 + 27 * 28 + 27] = 0.5; // image 1: the corner
  const moved = shiftImages(px, 2, 2, -1);
  assert.equal(moved[0 * 784 + 4 * 28 + 9], 1);
  assert.equal(moved.reduce((a, b) => a + b, 0), 1, "the corner pixel left image 1");
  assert.equal(px[0 * 784 + 5 * 28 + 7], 1);
  assert.deepEqual(shiftImages(px, 2, 0, 0), px);
});

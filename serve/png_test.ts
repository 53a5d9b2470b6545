import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeGrayPng, encodeGrayPng, upscaleNearest } from "./png.ts";

function ramp(rows: number, cols: number): Uint8Array {
  const px = new Uint8Array(rows * cols);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + 11) % 256;
  return px;
}

test("encodeGrayPng round-trips exact pixels as an 8-bit grayscale PNG", () => {
  const px = ramp(28, 28);
  const bytes = encodeGrayPng(px, 28, 28);
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  // IHDR: bit depth at offset 24, colour type at offset 25.
  assert.equal(bytes[24], 8);
  assert.equal(bytes[25], 0);
  const img = decodeGrayPng(bytes);
  assert.equal(img.width, 28);
  assert.equal(img.height, 28);
  assert.deepEqual(img.pixels, px);
});

test("non-square images keep rows as height and cols as width", () => {
  const px = ramp(2, 3);
  const img = decodeGrayPng(encodeGrayPng(px, 2, 3));
  assert.equal(img.width, 3);
  assert.equal(img.height, 2);
  assert.deepEqual(img.pixels, px);
});

test("upscaleNearest turns each pixel into a scale×scale block", () => {
  const up = upscaleNearest(Uint8Array.of(1, 2, 3, 4), 2, 2, 3);
  assert.deepEqual(
    [...up],
    [
      1,
      1,
      1,
      2,
      2,
      2,
      1,
      1,
      1,
      2,
      2,
      2,
      1,
      1,
      1,
      2,
      2,
      2,
      3,
      3,
      3,
      4,
      4,
      4,
      3,
      3,
      3,
      4,
      4,
      4,
      3,
      3,
      3,
      4,
      4,
      4,
    ],
  );
  const px = ramp(28, 28);
  const img = decodeGrayPng(encodeGrayPng(px, 28, 28, 16));
  assert.equal(img.width, 448);
  for (const [r, c] of [[0, 0], [5, 17], [27, 27], [13, 2]]) {
    for (const [dr, dc] of [[0, 0], [15, 15], [7, 3]]) {
      assert.equal(img.pixels[(r * 16 + dr) * 448 + c * 16 + dc], px[r * 28 + c]);
    }
  }
});

test("bad sizes and scales are rejected with RangeError", () => {
  assert.throws(() => encodeGrayPng(new Uint8Array(10), 28, 28), /expected 784 pixels/);
  assert.throws(() => upscaleNearest(new Uint8Array(4), 2, 2, 0), /scale must be/);
  assert.throws(() => upscaleNearest(new Uint8Array(4), 2, 2, 17), /scale must be/);
  assert.throws(() => upscaleNearest(new Uint8Array(4), 2, 2, 1.5), /scale must be/);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { augmentBatch, augmentSchema } from "./augment.ts";

function ramp(rows: number, cols: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => (i % cols) + 1);
}

test("identity config leaves the batch untouched", () => {
  const b = ramp(4, 4);
  const before = b.slice();
  augmentBatch(b, 1, 4, 4, augmentSchema.parse({}), Math.random);
  assert.deepEqual(b, before);
});

test("horizontal flip mirrors each row", () => {
  const b = ramp(3, 4);
  augmentBatch(b, 1, 3, 4, augmentSchema.parse({ hflip: 1 }), () => 0);
  assert.deepEqual(Array.from(b.subarray(0, 4)), [4, 3, 2, 1]);
});

test("shift moves content and zero-fills the vacated border", () => {
  const b = new Float32Array(9);
  b[4] = 1; // centre of 3x3
  // rand()=0 → dy = dx = -shift = -1: content moves up-left
  augmentBatch(b, 1, 3, 3, augmentSchema.parse({ shift: 1 }), () => 0);
  assert.equal(b[0], 1);
  assert.equal(b.reduce((s, v) => s + v, 0), 1);
});

test("random erasing zeroes a rectangle within the configured area", () => {
  const b = new Float32Array(28 * 28).fill(1);
  let i = 0;
  const seq = [0.0, 0.5, 0.5, 0.3, 0.3];
  augmentBatch(
    b,
    1,
    28,
    28,
    augmentSchema.parse({ erase: { p: 1, minArea: 0.1, maxArea: 0.1 } }),
    () => seq[i++ % seq.length],
  );
  const zeros = b.filter((v) => v === 0).length;
  assert.ok(zeros > 0.05 * 784 && zeros < 0.15 * 784, `erased ${zeros}`);
  assert.throws(() => augmentSchema.parse({ erase: { minArea: 0.5, maxArea: 0.1 } }));
});

test("same seed gives the same augmented batch", () => {
  const mk = (seed: number) => {
    let s = seed;
    return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  };
  const a = ramp(28, 28), b = ramp(28, 28);
  const cfg = augmentSchema.parse({ shift: 2, hflip: 0.5, erase: {} });
  augmentBatch(a, 1, 28, 28, cfg, mk(7));
  augmentBatch(b, 1, 28, 28, cfg, mk(7));
  assert.deepEqual(a, b);
});

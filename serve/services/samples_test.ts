import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageSet } from "../../lib/data/types.ts";
import { imagePixels, pageSamples } from "./samples.ts";

const set: ImageSet = {
  count: 6,
  rows: 1,
  cols: 2,
  images: Uint8Array.of(0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51),
  labels: Uint8Array.of(3, 1, 3, 3, 0, 3),
};

test("pageSamples pages all images when no label is given", () => {
  assert.deepEqual(pageSamples(set, { offset: 1, limit: 3 }), { total: 6, indices: [1, 2, 3] });
  assert.deepEqual(pageSamples(set, { offset: 5, limit: 3 }), { total: 6, indices: [5] });
  assert.deepEqual(pageSamples(set, { offset: 9, limit: 3 }), { total: 6, indices: [] });
});

test("pageSamples filters by label before paging", () => {
  assert.deepEqual(pageSamples(set, { label: 3, offset: 0, limit: 10 }), {
    total: 4,
    indices: [0, 2, 3, 5],
  });
  assert.deepEqual(pageSamples(set, { label: 3, offset: 1, limit: 2 }), {
    total: 4,
    indices: [2, 3],
  });
  assert.deepEqual(pageSamples(set, { label: 7, offset: 0, limit: 2 }), { total: 0, indices: [] });
});

test("imagePixels returns the image's bytes", () => {
  assert.deepEqual([...imagePixels(set, 4)], [40, 41]);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Dataset } from "../data/mod.ts";
import { classStats, featureFrame, stratifiedSplit, TABLE_COLUMNS } from "./mod.ts";

/** Class k's images are uniform with pixel value 51·(k+1) on 2×2 images. */
function uniformDataset(): Dataset {
  const mk = (labels: number[]) => ({
    count: labels.length,
    rows: 2,
    cols: 2,
    images: Uint8Array.from(labels.flatMap((l) => [51 * (l + 1), 51 * (l + 1), 51 * (l + 1), 0])),
    labels: Uint8Array.from(labels),
  });
  return { version: "u", train: mk([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]), test: mk([1, 0, 1]) };
}

test("featureFrame has one row per image with identity columns and val subset", () => {
  const ds = uniformDataset();
  const split = stratifiedSplit(ds.train.labels, { valFraction: 0.2, seed: 3 });
  const f = featureFrame(ds, split);
  assert.deepEqual(f.columns, [...TABLE_COLUMNS]);
  assert.equal(f.height, 13);
  assert.deepEqual(f.getColumn("split").toArray().slice(9), ["train", "test", "test", "test"]);
  assert.deepEqual(f.getColumn("image_index").toArray().slice(8), [8, 9, 0, 1, 2]);
  const subset = f.getColumn("subset").toArray();
  const val = [...split.val];
  assert.deepEqual(subset.flatMap((s, i) => (s === "val" ? [i] : [])), val);
  assert.equal(subset.filter((s) => s === "test").length, 3);
});

test("classStats groups by split and label with counts and means", () => {
  const ds = uniformDataset();
  const f = featureFrame(ds, stratifiedSplit(ds.train.labels, { valFraction: 0.2, seed: 3 }));
  const s = classStats(f);
  assert.deepEqual(s.getColumn("split").toArray(), ["test", "test", "train", "train"]);
  assert.deepEqual(s.getColumn("label").toArray(), [0, 1, 0, 1]);
  assert.deepEqual(s.getColumn("count").toArray(), [1, 2, 5, 5]);
  // 3 of 4 pixels at 51(k+1): mean = 0.75 · 0.2(k+1)
  const means = s.getColumn("mean_intensity").toArray() as number[];
  [0.15, 0.3, 0.15, 0.3].forEach((m, i) => assert.ok(Math.abs(means[i] - m) < 1e-12));
  assert.deepEqual(s.getColumn("bbox_height").toArray(), [2, 2, 2, 2]);
});

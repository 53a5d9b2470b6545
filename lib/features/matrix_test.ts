import assert from "node:assert/strict";
import { test } from "node:test";
import { craftDataset } from "../validate/fixtures.ts";
import {
  computeImageFeatures,
  FEATURE_COLUMNS,
  FeatureColumnError,
  featureFrame,
  stratifiedSplit,
  toFeatureMatrix,
} from "./mod.ts";

test("toFeatureMatrix selects split/subset rows as a dense row-major matrix", () => {
  const ds = craftDataset({ trainPerClass: 10, testPerClass: 3 });
  const split = stratifiedSplit(ds.train.labels, { valFraction: 0.2, seed: 9 });
  const frame = featureFrame(ds, split);
  const val = toFeatureMatrix(frame, { split: "train", subsets: ["val"] });
  assert.equal(val.rows, 6);
  assert.deepEqual(val.imageIndex, split.val);
  assert.deepEqual(Array.from(val.labels), Array.from(split.val, (i) => ds.train.labels[i]));
  assert.equal(val.data.length, 6 * FEATURE_COLUMNS.length);
  const direct = computeImageFeatures(ds.train);
  const k = FEATURE_COLUMNS.indexOf("bbox_width");
  val.imageIndex.forEach((img, r) => {
    assert.equal(val.data[r * FEATURE_COLUMNS.length + k], direct.bbox_width[img]);
  });
  const test2 = toFeatureMatrix(frame, { split: "test", columns: ["ink_ratio", "centre_y"] });
  assert.equal(test2.rows, 9);
  const t = computeImageFeatures(ds.test);
  assert.deepEqual(
    Array.from(test2.data),
    Array.from({ length: 9 }).flatMap((_, i) => [t.ink_ratio[i], t.centre_y[i]]),
  );
  assert.throws(
    () => toFeatureMatrix(frame, { split: "test", columns: ["nope"] }),
    FeatureColumnError,
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { classStatRows } from "./class_stats.ts";

test("classStatRows converts bigints and non-finite numbers and names the class", () => {
  const rows = classStatRows({
    toRecords: () => [
      { split: "train", label: 9, count: 6000n, mean: 0.25, std: NaN },
      { split: "test", label: 0, count: 1000, mean: Infinity, note: "x" },
    ],
  });
  assert.deepEqual(rows, [
    { split: "train", label: 9, label_name: "Ankle boot", count: 6000, mean: 0.25, std: null },
    { split: "test", label: 0, label_name: "T-shirt/top", count: 1000, mean: null, note: "x" },
  ]);
  assert.doesNotThrow(() => JSON.stringify(rows));
});

test("classStatRows rejects rows without split or label", () => {
  assert.throws(() => classStatRows({ toRecords: () => [{ label: 1 }] }), /row 0 has no split/);
  assert.throws(
    () => classStatRows({ toRecords: () => [{ split: "train", label: "x" }] }),
    /row 0 has no split/,
  );
});

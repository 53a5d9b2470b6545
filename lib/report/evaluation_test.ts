import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageSet } from "../data/mod.ts";
import {
  accuracyComparisonChart,
  misclassifiedGrid,
  perClassTable,
  SKLEARN_REFERENCE_ACCURACY,
} from "./evaluation.ts";

type Bar = { name: string; x: string[]; y: number[] };

test("accuracyComparisonChart: ours and reference as separate series over the union", () => {
  const fig = accuracyComparisonChart([
    { name: "logistic regression", accuracy: 0.83 },
    { name: "k-NN", accuracy: 0.85 },
  ]);
  const [ours, ref] = fig.data as unknown as Bar[];
  assert.deepEqual(ours.x, ["logistic regression", "k-NN"]);
  assert.deepEqual(ours.y, [0.83, 0.85]);
  assert.match(ref.name, /reference, not this run/);
  assert.deepEqual(ref.x, ["logistic regression", "MLP", "random forest"]);
  assert.deepEqual(ref.y, ref.x.map((n) => SKLEARN_REFERENCE_ACCURACY[n]));
  assert.deepEqual((fig.layout.xaxis as { categoryarray: string[] }).categoryarray, [
    "logistic regression",
    "k-NN",
    "MLP",
    "random forest",
  ]);
  assert.throws(() => accuracyComparisonChart([]), /no results/);
  assert.throws(() => accuracyComparisonChart([{ name: "x", accuracy: 1.5 }]), /0\.\.1/);
});

test("perClassTable: one row per class with names and rounded metrics", () => {
  const t = perClassTable([
    { classId: 1, precision: 0.123456, recall: 1, f1: 0.2, support: 7 },
  ], ["a", "b"]);
  assert.deepEqual(t.columns, ["class", "precision", "recall", "F1", "support"]);
  assert.deepEqual(t.rows, [["b", 0.1235, 1, 0.2, 7]]);
});

test("misclassifiedGrid: rows for the classes with most errors, padded, with predictions", () => {
  // 6 images of 2×2 pixels; pixel value = image index, so tiles can be traced.
  const labels = Uint8Array.from([0, 0, 1, 1, 1, 2]);
  const set: ImageSet = {
    count: 6,
    rows: 2,
    cols: 2,
    labels,
    images: Uint8Array.from({ length: 24 }, (_, i) => Math.floor(i / 4) * 10),
  };
  const pred = [0, 2, 0, 2, 1, 2]; // errors: #1 (true 0), #2 and #3 (true 1)
  const g = misclassifiedGrid(set, pred, ["a", "b", "c"], { perRow: 3 });
  assert.deepEqual(g.rows, [
    { trueClass: 1, images: [{ index: 2, predicted: 0 }, { index: 3, predicted: 2 }] },
    { trueClass: 0, images: [{ index: 1, predicted: 2 }] },
  ]);
  const z = (g.figure.data[0] as unknown as { z: (number | null)[][] }).z;
  assert.equal(z[0][0], 20, "first tile is image #2");
  assert.equal(z[0][4], 30, "second tile (2 pixels + a 2-pixel gap further) is image #3");
  const yaxis = g.figure.layout.yaxis as { ticktext: string[] };
  assert.deepEqual(yaxis.ticktext, ["b: 2 misclassified", "a: 1 misclassified"]);
  assert.throws(() => misclassifiedGrid(set, labels, ["a", "b", "c"]), /no misclassified/);
  assert.throws(() => misclassifiedGrid(set, [0], ["a"]), /1 predictions for 6/);
});

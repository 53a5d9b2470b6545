import assert from "node:assert/strict";
import { test } from "node:test";
import { accuracy, classificationReport, logLoss } from "./metrics.ts";

test("classification report on a hand-checked example", () => {
  const labels = [0, 0, 1, 1, 2, 2];
  const pred = [0, 1, 1, 1, 2, 0];
  const r = classificationReport(pred, labels, 3);
  assert.equal(r.accuracy, 4 / 6);
  assert.deepEqual(r.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 1]]);
  assert.equal(r.perClass[1].precision, 2 / 3);
  assert.equal(r.perClass[1].recall, 1);
  assert.equal(r.perClass[2].precision, 1);
  assert.equal(r.perClass[2].recall, 0.5);
  assert.ok(Math.abs(r.perClass[2].f1 - 2 / 3) < 1e-12);
});

test("log loss and input checks", () => {
  const probs = new Float32Array([0.5, 0.5, 0.25, 0.75]);
  assert.ok(Math.abs(logLoss(probs, 2, [0, 1]) - (-(Math.log(0.5) + Math.log(0.75)) / 2)) < 1e-6);
  assert.throws(() => accuracy([1], [1, 2]), /equal non-empty/);
  assert.throws(() => classificationReport([5], [0], 3), /out of range/);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { bestSoFar, correlationRatio, equalFrequencyBins, paramImportance } from "./importance.ts";
import { createRng } from "./rng.ts";
import type { FrozenTrial } from "./types.ts";

function trial(
  number: number,
  params: Record<string, number | string>,
  value: number | null,
  state: FrozenTrial["state"] = "complete",
): FrozenTrial {
  return {
    number,
    state,
    params,
    distributions: {
      x: { type: "float", low: 0, high: 1, log: false },
      noise: { type: "float", low: 0, high: 1, log: false },
      act: { type: "categorical", choices: ["relu", "tanh", "sigmoid"] },
      units: { type: "categorical", choices: [64, 128, 256] },
    },
    value,
    intermediate: [],
  };
}

test("equalFrequencyBins: equal-size bins in value order; ties share a bin", () => {
  assert.deepEqual(equalFrequencyBins([5, 1, 4, 2, 3, 6], 3), [2, 0, 1, 0, 1, 2]);
  assert.deepEqual(equalFrequencyBins([1, 1, 1, 2], 2), [0, 0, 0, 1]);
  assert.throws(() => equalFrequencyBins([1], 0), /positive integer/);
});

test("correlationRatio: 1 when groups determine the value, 0 without between-group spread", () => {
  assert.equal(correlationRatio([1, 1, 3, 3], ["a", "a", "b", "b"]), 1);
  assert.equal(correlationRatio([1, 3, 1, 3], ["a", "a", "b", "b"]), 0);
  assert.equal(correlationRatio([2, 2, 2], ["a", "b", "c"]), 0);
  // Group means 1.5 and 3.5 around 2.5: between-group sum of squares 2·1² + 2·1² = 4.
  const y = [1, 2, 3, 4];
  const mean = 2.5;
  const total = y.reduce((a, v) => a + (v - mean) ** 2, 0);
  assert.ok(Math.abs(correlationRatio(y, [0, 0, 1, 1]) - 4 / total) < 1e-12);
  assert.throws(() => correlationRatio([1, 2], [0]), /group labels/);
});

test("paramImportance ranks the parameter that drives the objective first", () => {
  const rng = createRng(7, "importance");
  const trials: FrozenTrial[] = [];
  for (let i = 0; i < 60; i++) {
    const x = rng.next();
    const noise = rng.next();
    const act = ["relu", "tanh", "sigmoid"][i % 3];
    trials.push(trial(i, { x, noise, act }, 10 * x * x + 3 * (act === "relu" ? 0 : 1)));
  }
  trials.push(trial(60, { x: 0.5, noise: 0.5, act: "relu" }, null, "pruned"));
  const imp = paramImportance(trials);
  assert.deepEqual(imp.map((r) => r.param), ["x", "act", "noise"]);
  assert.ok(imp[0].explained > 0.6, `x explains ${imp[0].explained}`);
  assert.ok(imp[2].explained < 0.15, `noise explains ${imp[2].explained}`);
  assert.ok(Math.abs(imp.reduce((a, r) => a + r.importance, 0) - 1) < 1e-12);
  assert.equal(imp[0].trials, 60, "the pruned trial is left out");
  assert.equal(imp[0].groups, 5);
  assert.equal(imp.find((r) => r.param === "act")!.groups, 3);
});

test("paramImportance groups numeric categorical choices by value", () => {
  const trials = [64, 128, 256, 64, 128, 256].map((units, i) =>
    trial(i, { units, x: i / 10 }, units === 128 ? 1 : 0)
  );
  const imp = paramImportance(trials, { bins: 3 });
  const units = imp.find((r) => r.param === "units")!;
  assert.equal(units.explained, 1);
  assert.equal(units.groups, 3);
  assert.equal(imp[0].param, "units");
});

test("paramImportance: constant objective gives zeros; too few trials throw", () => {
  const flat = [0, 1, 2].map((i) => trial(i, { x: i / 3 }, 0.5));
  assert.deepEqual(paramImportance(flat).map((r) => r.importance), [0]);
  assert.throws(() => paramImportance([trial(0, { x: 0 }, 1)]), /at least two complete/);
});

test("bestSoFar follows the direction and skips missing values", () => {
  assert.deepEqual(bestSoFar([3, null, 1, 2, 0.5], "minimize"), [3, 3, 1, 1, 0.5]);
  assert.deepEqual(bestSoFar([null, 0.2, 0.1, 0.4], "maximize"), [NaN, 0.2, 0.2, 0.4]);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { createPruner, percentile, promotable, prunerConfigSchema } from "./pruners.ts";
import type { FrozenTrial } from "./types.ts";

const curve = (values: number[]) => values.map((value, step) => ({ step, value }));
const done = (number: number, values: number[], state: FrozenTrial["state"] = "complete") => ({
  number,
  state,
  params: {},
  distributions: {},
  value: values.at(-1) ?? null,
  intermediate: curve(values),
});

test("median pruner: prunes a trial worse than the median at the same step", () => {
  const p = createPruner(prunerConfigSchema.parse({ type: "median", nStartupTrials: 3 }));
  const others = [done(0, [10, 8, 6]), done(1, [9, 7, 5]), done(2, [11, 9, 7])];
  const judge = (values: number[], o = others) =>
    p.prune({
      trial: { number: 9, intermediate: curve(values) },
      others: o,
      direction: "minimize",
      lastJudgedStep: -1,
    });
  assert.equal(judge([12, 10]), true, "8 at step 1 is the median; best 10 > 8");
  assert.equal(judge([12, 7.5]), false, "best 7.5 beats the median 8");
  assert.equal(judge([12, 10], others.slice(0, 2)), false, "fewer completed than nStartupTrials");
  const running = [...others.slice(0, 2), done(2, [1, 1, 1], "running")];
  assert.equal(
    judge([12, 10], [...running, done(3, [11, 9], "pruned")]),
    false,
    "only complete trials count",
  );
  const warm = createPruner(
    prunerConfigSchema.parse({ type: "median", nStartupTrials: 1, nWarmupSteps: 2 }),
  );
  assert.equal(
    warm.prune({
      trial: { number: 9, intermediate: curve([99, 99]) },
      others,
      direction: "minimize",
      lastJudgedStep: -1,
    }),
    false,
    "inside warm-up",
  );
  assert.equal(
    warm.prune({
      trial: { number: 9, intermediate: curve([99, 99, 99]) },
      others,
      direction: "minimize",
      lastJudgedStep: -1,
    }),
    true,
    "after warm-up",
  );
  const maxi = p.prune({
    trial: { number: 9, intermediate: curve([1, 2]) },
    others,
    direction: "maximize",
    lastJudgedStep: -1,
  });
  assert.equal(maxi, true, "maximize: best 2 < median 8");
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
});

test("ASHA: promotes the top 1/eta at each rung and prunes the rest", () => {
  const p = createPruner(
    prunerConfigSchema.parse({ type: "asha", minResource: 1, reductionFactor: 2 }),
  );
  // Rungs at steps 1, 2, 4, 8. Six competitors with values at step 1: 1..6 (lower is better).
  const others = [1, 2, 3, 4, 5, 6].map((v, i) => done(i, [v + 10, v, v, v, v]));
  const judge = (values: number[], last = -1) =>
    p.prune({
      trial: { number: 99, intermediate: curve(values) },
      others,
      direction: "minimize",
      lastJudgedStep: last,
    });
  assert.equal(judge([0]), false, "before the first rung");
  // 7 competitors incl. itself: promotable index floor(7/2)-1 = 2 → must be <= 3rd best.
  assert.equal(judge([20, 2.5]), false, "2.5 is within the top half at rung 1");
  assert.equal(judge([20, 4.5]), true, "4.5 is not within the top half at rung 1");
  assert.equal(judge([20, 4.5], 1), false, "rung 1 already judged");
  assert.equal(judge([20, 2.5, 9]), true, "rung 2 value 9 is worse than the top half there");
  assert.equal(promotable(5, [5], 3, "minimize"), true, "a lone trial is promoted");
  assert.equal(
    promotable(5, [5, 4], 3, "minimize"),
    false,
    "with < eta competitors only the best goes on",
  );
  assert.equal(promotable(5, [5, 4], 3, "maximize"), true);
  assert.equal(judge([20, Number.NaN]), true, "NaN is pruned");
});

test("the none pruner never prunes", () => {
  const p = createPruner({ type: "none" });
  assert.equal(
    p.prune({
      trial: { number: 1, intermediate: curve([1e9]) },
      others: [done(0, [0])],
      direction: "minimize",
      lastJudgedStep: -1,
    }),
    false,
  );
});

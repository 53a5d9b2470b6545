import assert from "node:assert/strict";
import { test } from "node:test";
import { learningRateAt, scheduleSchema } from "./schedule.ts";

const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("cosine decays from base to minFactor*base after warmup", () => {
  const s = scheduleSchema.parse({ kind: "cosine", warmup: 0.1, minFactor: 0.01 });
  close(learningRateAt(s, 1, 0, 101, 10), 0);
  close(learningRateAt(s, 1, 10, 101, 10), 1);
  close(learningRateAt(s, 1, 100, 101, 10), 0.01);
  const mid = learningRateAt(s, 1, 55, 101, 10);
  assert.ok(mid > 0.01 && mid < 1);
});

test("one-cycle rises to the peak then anneals below the start", () => {
  const s = scheduleSchema.parse({ kind: "one_cycle", pctStart: 0.25, divFactor: 10 });
  close(learningRateAt(s, 1, 0, 101, 10), 0.1);
  close(learningRateAt(s, 1, 25, 101, 10), 1);
  assert.ok(learningRateAt(s, 1, 100, 101, 10) < 0.1 / 100);
  // monotone up then down
  const lrs = Array.from({ length: 101 }, (_, i) => learningRateAt(s, 1, i, 101, 10));
  for (let i = 1; i <= 25; i++) assert.ok(lrs[i] >= lrs[i - 1]);
  for (let i = 26; i <= 100; i++) assert.ok(lrs[i] <= lrs[i - 1]);
});

test("step schedule multiplies by gamma per period and bad configs are rejected", () => {
  const s = scheduleSchema.parse({ kind: "step", everyEpochs: 2, gamma: 0.5 });
  close(learningRateAt(s, 1, 0, 100, 10), 1);
  close(learningRateAt(s, 1, 25, 100, 10), 0.5);
  close(learningRateAt(s, 1, 45, 100, 10), 0.25);
  assert.throws(() => scheduleSchema.parse({ kind: "cosine", warmup: 0.9 }));
  assert.throws(() => scheduleSchema.parse({ kind: "exp" }));
});

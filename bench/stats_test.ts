import { test } from "node:test";
import assert from "node:assert/strict";
import { fmtStat, median, spreadPct, summarize } from "./stats.ts";

test("summarize: median of odd and even lists, min and max, input left in order", () => {
  const v = [5, 1, 3];
  assert.deepEqual(summarize(v), { median: 3, min: 1, max: 5 });
  assert.deepEqual(v, [5, 1, 3]);
  assert.deepEqual(summarize([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
  assert.equal(median([7]), 7);
  assert.throws(() => summarize([]), RangeError);
});

test("fmtStat and spreadPct print median [min–max] and ± half the range", () => {
  assert.equal(fmtStat([10.04, 9.5, 11]), "10 [10–11]");
  assert.equal(fmtStat([10.04, 9.5, 11], 1), "10.0 [9.5–11.0]");
  assert.equal(spreadPct([90, 100, 110]), "±10.0%");
});

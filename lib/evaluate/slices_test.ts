import assert from "node:assert/strict";
import { test } from "node:test";
import { loadReference } from "./fixtures/reference.ts";
import {
  binomialCdf,
  holmAdjust,
  quantileBuckets,
  sliceAnalysis,
  wilsonInterval,
} from "./slices.ts";

test("slice p-values and Holm correction match scipy's binomtest", async () => {
  const ref = await loadReference();
  const r = sliceAnalysis(ref.sliceCorrect, [{ name: "g", values: ref.sliceOf }], {
    threshold: ref.sliceThreshold,
  });
  assert.equal(r.slices.length, ref.slices.length);
  for (const want of ref.slices) {
    const got = r.slices.find((s) => s.slice === String(want.slice))!;
    assert.equal(got.n, want.n);
    assert.equal(got.correct, want.correct);
    assert.ok(Math.abs(got.pValue - want.pValue) <= 1e-9 * Math.max(1e-300, want.pValue) + 1e-15);
    assert.ok(Math.abs(got.pAdjusted - want.pHolm) < 1e-9, `${got.pAdjusted} vs ${want.pHolm}`);
  }
  // Only the damaged slice 0 is flagged.
  assert.deepEqual(r.slices.filter((s) => s.flagged).map((s) => s.slice), ["0"]);
});

test("hand-computed: a 0/3 slice with and without the minimum size, Wilson and Holm by hand", () => {
  // 100 examples, 90% right overall; slice "s" has 3 examples, all wrong.
  const correct = Array.from({ length: 100 }, (_, i) => (i < 3 || i >= 93 ? 0 : 1));
  const group = correct.map((_, i) => (i < 3 ? "s" : i < 50 ? "a" : "b"));
  const r = sliceAnalysis(correct, [{ name: "g", values: group }], { minSize: 1 });
  const s = r.slices.find((x) => x.slice === "s")!;
  assert.equal(s.accuracy, 0);
  // p = P(X <= 0 | n=3, p=0.85) = 0.15^3; Holm multiplies the smallest of 3 by 3.
  assert.ok(Math.abs(s.pValue - 0.15 ** 3) < 1e-12);
  assert.ok(Math.abs(s.pAdjusted - 3 * 0.15 ** 3) < 1e-12);
  assert.equal(s.flagged, true, "0/3 against 85% is strong evidence");
  // With minSize 10 it is not tested at all.
  const r2 = sliceAnalysis(correct, [{ name: "g", values: group }]);
  assert.equal(r2.slices.find((x) => x.slice === "s")!.flagged, false);
  // Wilson: 0 of 10 at 95%: [0, z²/(n+z²)].
  const z = 1.959963984540054;
  const [lo, hi] = wilsonInterval(0, 10);
  assert.equal(lo, 0);
  assert.ok(Math.abs(hi - (z * z) / (10 + z * z)) < 1e-9);
  assert.deepEqual(holmAdjust([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06]);
  assert.equal(binomialCdf(5, 5, 0.3), 1);
  assert.ok(Math.abs(binomialCdf(1, 4, 0.5) - 5 / 16) < 1e-12);
  assert.throws(() => sliceAnalysis([1, 0], [{ name: "g", values: [1] }]), /1 values for 2/);
});

test("quantile buckets split evenly and label ranges", () => {
  const v = Array.from({ length: 100 }, (_, i) => i / 100);
  const g = quantileBuckets("x", v, 4);
  const counts = new Map<string, number>();
  for (const l of Array.from(g.values)) counts.set(String(l), (counts.get(String(l)) ?? 0) + 1);
  assert.deepEqual([...counts.values()], [25, 25, 25, 25]);
  assert.ok(counts.has("Q1 [0, 0.240]"));
  assert.throws(() => quantileBuckets("x", v, 1), /buckets/);
});

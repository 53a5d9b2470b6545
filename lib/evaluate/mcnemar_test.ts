import assert from "node:assert/strict";
import { test } from "node:test";
import {
  binomialCdfHalf,
  chiSquare1Sf,
  compareClassifiers,
  mcnemarTest,
  pairedCounts,
} from "./mcnemar.ts";

/** Relative closeness (reference values from scipy 1.10 / statsmodels' mcnemar). */
function close(actual: number, expected: number, rel = 1e-9): void {
  const tol = Math.max(Math.abs(expected) * rel, 1e-300);
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `expected ${expected}, got ${actual} (diff ${Math.abs(actual - expected)})`,
  );
}

// [b, c, exact p, corrected chi2 statistic, chi2 p] computed with scipy:
// exact = min(1, 2*binom.cdf(min(b,c), b+c, .5)); stat = (|b-c|-1)^2/(b+c); p = chi2.sf(stat, 1)
const REFERENCE: [number, number, number, number, number][] = [
  [1, 0, 1.0, 0.0, 1.0],
  [3, 12, 0.03515625, 4.266666666666667, 0.03886710381241731],
  [5, 5, 1.0, 0.1, 0.7518296340458492],
  [2, 10, 0.03857421875, 4.083333333333333, 0.04330814281079206],
  [0, 10, 0.001953125, 8.1, 0.004426525857919834],
  [24, 0, 1.1920928955078125e-07, 22.041666666666668, 2.6679545936247906e-06],
  [30, 50, 0.03299261842647619, 4.5125, 0.03364802587476163],
  [100, 130, 0.05561357778139239, 3.6565217391304348, 0.055850113675743426],
  [60, 40, 0.05688793364098088, 3.61, 0.05743311963200335],
  [200, 260, 0.0058839224731039984, 7.567391304347826, 0.005943374521940561],
  [1000, 1100, 0.030720707864242486, 4.667142857142857, 0.030745034758993192],
  [10, 14, 0.5412561893463135, 0.375, 0.5402913746074198],
];

test("exact and chi-square p-values match scipy/statsmodels", () => {
  for (const [b, c, exactP, stat, chiP] of REFERENCE) {
    const ex = mcnemarTest(b, c, { method: "exact" });
    assert.equal(ex.method, "exact");
    assert.equal(ex.statistic, Math.min(b, c));
    close(ex.pValue, exactP);
    const ch = mcnemarTest(b, c, { method: "chi2" });
    assert.equal(ch.method, "chi2");
    close(ch.statistic, stat, 1e-12);
    close(ch.pValue, chiP);
  }
});

test("auto uses exact below 25 discordant pairs and chi-square from 25", () => {
  assert.equal(mcnemarTest(10, 14).method, "exact");
  close(mcnemarTest(10, 14).pValue, 0.5412561893463135);
  assert.equal(mcnemarTest(24, 1).method, "chi2");
  assert.equal(mcnemarTest(3, 12, { exactBelow: 10 }).method, "chi2");
  const none = mcnemarTest(0, 0);
  assert.equal(none.pValue, 1);
  assert.equal(none.statistic, 0);
});

test("distribution helpers hit known tail values", () => {
  close(chiSquare1Sf(1e-3), 0.9747728793699604);
  close(chiSquare1Sf(50), 1.537459794428033e-12, 1e-8);
  close(chiSquare1Sf(200), 2.0884875837625688e-45, 1e-8);
  assert.equal(chiSquare1Sf(0), 1);
  close(binomialCdfHalf(480, 1000), 0.10872414660207046, 1e-9);
  assert.ok(binomialCdfHalf(3, 5000) < 1e-300);
  assert.equal(binomialCdfHalf(5, 5), 1);
});

test("bad counts are rejected with a message", () => {
  assert.throws(() => mcnemarTest(-1, 2), /non-negative integer/);
  assert.throws(() => mcnemarTest(1.5, 2), /non-negative integer/);
});

test("paired counts and accuracies from predictions", () => {
  const labels = [0, 1, 2, 3, 4, 5, 6, 7];
  const ref = [0, 1, 2, 3, 9, 9, 9, 7]; // right on 0,1,2,3,7
  const cand = [0, 9, 2, 3, 4, 5, 9, 9]; // right on 0,2,3,4,5
  const counts = pairedCounts(labels, ref, cand);
  assert.deepEqual(counts, {
    n: 8,
    bothRight: 3,
    referenceOnly: 2,
    candidateOnly: 2,
    bothWrong: 1,
  });
  const cmp = compareClassifiers(Uint8Array.from(labels), ref, cand);
  assert.equal(cmp.referenceAccuracy, 5 / 8);
  assert.equal(cmp.candidateAccuracy, 5 / 8);
  assert.equal(cmp.test.b, 2);
  assert.equal(cmp.test.c, 2);
  assert.equal(cmp.test.pValue, 1);
  assert.throws(() => pairedCounts([0, 1], [0], [0, 1]), /2 labels, 1 reference/);
  assert.throws(() => pairedCounts([], [], []), /at least one/);
});

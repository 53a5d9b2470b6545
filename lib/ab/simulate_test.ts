/**
 * Simulation: with no true difference the mSPRT, looked at after every observation, rejects in
 * at most α of 2,000 experiments, while peeking at the z-test does not; with a true difference
 * both tests gain power with the sample size.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { simulateExperiments } from "./simulate.ts";

test("sequential test: false-positive rate ≤ α under continuous monitoring (2,000 runs)", () => {
  const r = simulateExperiments({
    experiments: 2000,
    baseline: 0.9,
    effect: 0,
    checkpoints: [250, 1000],
    seed: 7,
  });
  const last = r.table.at(-1)!;
  assert.ok(last.sequential <= r.alpha, `sequential FPR ${last.sequential}`);
  // The simulation can tell a broken test: peeking at the fixed z-test inflates the error.
  assert.ok(last.peeking > 2 * r.alpha, `peeking FPR ${last.peeking}`);
  // The fixed-horizon test read once holds α up to Monte Carlo error (3 standard errors).
  const se = Math.sqrt(r.alpha * (1 - r.alpha) / r.experiments);
  assert.ok(Math.abs(last.fixed - r.alpha) < 3 * se + 0.005, `fixed ${last.fixed}`);
  // Seeded: the same options give the same numbers.
  assert.deepEqual(
    simulateExperiments({ experiments: 50, checkpoints: [300], seed: 7 }),
    simulateExperiments({ experiments: 50, checkpoints: [300], seed: 7 }),
  );
});

test("sequential test: power grows with the sample size under a true difference", () => {
  const r = simulateExperiments({
    experiments: 300,
    baseline: 0.85,
    effect: 0.05,
    checkpoints: [200, 800, 2000],
    seed: 3,
  });
  const seq = r.table.map((t) => t.sequential);
  const fixed = r.table.map((t) => t.fixed);
  assert.ok(seq[0] < seq[1] && seq[1] < seq[2], `sequential ${seq}`);
  assert.ok(fixed[0] < fixed[2], `fixed ${fixed}`);
  assert.ok(seq[2] > 0.9, `sequential power at 2000 ${seq[2]}`);
  assert.equal(r.wrongSign, 0);
  assert.ok(r.medianStop !== null && r.medianStop < 2000);
  assert.throws(() => simulateExperiments({ baseline: 0.99, effect: 0.02 }));
});

/**
 * lib/ab against reference values computed offline by `fixtures/ab_reference.py` (statsmodels
 * NormalIndPower / proportion_effectsize, scipy chisquare and chi2.sf, the mSPRT closed form).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chiSquareSf } from "../evaluate/mod.ts";
import { cohenH, powerTwoProportions, sampleSize } from "./power.ts";
import { msprtLook } from "./sequential.ts";
import { sampleRatioMismatch } from "./srm.ts";

interface Reference {
  sample_size: {
    baseline: number;
    mde: number;
    alpha: number;
    power: number;
    ratio: number;
    effect_size: number;
    n1: number;
  }[];
  power: {
    baseline: number;
    treatment: number;
    n1: number;
    ratio: number;
    alpha: number;
    power: number;
  }[];
  chi2_sf: { x: number; df: number; sf: number }[];
  srm: { observed: number[]; weights: number[]; chi2: number; p: number }[];
  msprt: {
    x1: number;
    n1: number;
    x2: number;
    n2: number;
    alpha: number;
    tau: number;
    lr: number;
    p: number;
    ci: [number, number];
  }[];
}

const REF: Reference = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/ab_reference.json", import.meta.url)),
);

const rel = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-300), `${what}: ${a} vs ${b}`);

test("sampleSize and powerTwoProportions match statsmodels NormalIndPower", () => {
  for (const r of REF.sample_size) {
    const plan = sampleSize({
      baseline: r.baseline,
      mde: r.mde,
      alpha: r.alpha,
      power: r.power,
      ratio: r.ratio,
    });
    rel(plan.effectSize, r.effect_size, 1e-12, `h ${r.baseline}+${r.mde}`);
    // statsmodels' solver stops at ~1e-6 relative; ours bisects to 1e-10.
    rel(plan.n1Exact, r.n1, 1e-6, `n1 ${r.baseline}+${r.mde}`);
    assert.equal(plan.n1, Math.ceil(r.n1));
    assert.equal(plan.n2, Math.ceil(r.n1 * r.ratio));
  }
  for (const r of REF.power) {
    const { power: expected, ...input } = r;
    const p = powerTwoProportions(input);
    rel(p, expected, 1e-7, `power ${JSON.stringify(r)}`);
  }
  assert.equal(cohenH(0.5, 0.5), 0);
  assert.throws(() => sampleSize({ baseline: 0.9, mde: 0 }));
  assert.throws(() => sampleSize({ baseline: 0.95, mde: 0.06 }));
  assert.throws(() => cohenH(1.2, 0.5), RangeError);
});

test("chiSquareSf matches scipy.stats.chi2.sf for several df", () => {
  for (const r of REF.chi2_sf) rel(chiSquareSf(r.x, r.df), r.sf, 1e-9, `chi2 ${r.x} df ${r.df}`);
  assert.equal(chiSquareSf(0, 3), 1);
  assert.throws(() => chiSquareSf(1, 0), RangeError);
});

test("sampleRatioMismatch matches scipy.stats.chisquare; p < 0.001 flags a mismatch", () => {
  for (const r of REF.srm) {
    const s = sampleRatioMismatch(
      r.observed.map((o, i) => ({ arm: `a${i}`, observed: o, weight: r.weights[i] })),
    );
    rel(s.chi2, r.chi2, 1e-9, `chi2 ${r.observed}`);
    rel(s.pValue, r.p, 1e-8, `p ${r.observed}`);
    assert.equal(s.mismatch, r.p < 0.001, `mismatch ${r.observed}`);
    assert.equal(s.df, r.observed.length - 1);
  }
  // Traffic on an arm with weight 0 is a mismatch; malformed input is refused.
  const z = sampleRatioMismatch([
    { arm: "a", observed: 10, weight: 1 },
    { arm: "b", observed: 1, weight: 0 },
  ]);
  assert.equal(z.mismatch, true);
  assert.equal(z.pValue, 0);
  assert.throws(() => sampleRatioMismatch([{ arm: "a", observed: 1, weight: 1 }]));
  assert.throws(() =>
    sampleRatioMismatch([
      { arm: "a", observed: -1, weight: 1 },
      { arm: "b", observed: 1, weight: 1 },
    ])
  );
});

test("msprtLook matches the closed form computed independently in Python", () => {
  for (const r of REF.msprt) {
    const l = msprtLook(r.x1, r.n1, r.x2, r.n2, { alpha: r.alpha, tau: r.tau, minSamples: 1 });
    rel(l.likelihoodRatio, r.lr, 1e-9, `lr ${r.x1}/${r.n1}`);
    rel(l.pValue, r.p, 1e-9, `p ${r.x1}/${r.n1}`);
    rel(l.ci[0], r.ci[0], 1e-9, `ci lo ${r.x1}/${r.n1}`);
    rel(l.ci[1], r.ci[1], 1e-9, `ci hi ${r.x1}/${r.n1}`);
  }
});

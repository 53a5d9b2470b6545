import assert from "node:assert/strict";
import { aucTest, classifierTest } from "./classifier.ts";
import { mmdTest, type Rows } from "./mmd.ts";
import { fitPca, projectPca } from "./pca.ts";
import {
  adjustPValues,
  chiSquareTwoSample,
  histogram,
  jensenShannon,
  ksTwoSample,
  StatsInputError,
  wasserstein1,
} from "./stats.ts";
import { mulberry32 } from "../features/mod.ts";

/** Values from SciPy/scikit-learn: testdata/make_fixtures.py. */
const fx = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/fixtures.json", import.meta.url)),
);

/** |a − b| ≤ atol + rtol·|b|. */
function close(a: number, b: number, rtol: number, atol = 1e-12, what = ""): void {
  assert(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${what}: ${a} vs scipy ${b}`);
}

Deno.test("ksTwoSample matches scipy ks_2samp (exact and asymptotic p-values)", () => {
  for (const c of fx.ks) {
    const r = ksTwoSample(c.x, c.y, c.method);
    close(r.statistic, c.statistic, 1e-12, 1e-12, `D n=${c.x.length},${c.y.length}`);
    const what = `p ${c.method} n=${c.x.length},${c.y.length}`;
    if (c.method === "exact") close(r.pValue, c.pvalue, 1e-6, 1e-12, what);
    else {
      // Ours: the limiting Kolmogorov distribution (kstwobign); SciPy's kstwo at the rounded
      // effective n differs from it by a few percent.
      close(r.pValue, c.limit, 1e-6, 1e-12, what);
      close(r.pValue, c.pvalue, 0.15, 1e-6, `${what} vs kstwo`);
    }
  }
});

Deno.test("ksTwoSample auto picks exact for small samples, asymptotic for large", () => {
  const small = fx.ks.find((c: { method: string }) => c.method === "exact");
  close(ksTwoSample(small.x, small.y).pValue, small.pvalue, 1e-6);
  const big = fx.ks.find((c: { x: number[] }) => c.x.length === 1000);
  close(ksTwoSample(big.x, big.y).pValue, big.limit, 1e-6);
  assert.throws(() => ksTwoSample([], [1]), /empty/);
  assert.throws(() => ksTwoSample([NaN], [1]), /non-finite/);
});

Deno.test("chiSquareTwoSample matches scipy chi2_contingency (no correction)", () => {
  for (const c of fx.chi2) {
    const r = chiSquareTwoSample(c.a, c.b);
    close(r.statistic, c.statistic, 1e-10, 1e-12, "chi2");
    close(r.pValue, c.pvalue, 1e-7, 1e-12, "chi2 p");
    assert.deepEqual(r.dof, c.dof);
  }
  assert.throws(() => chiSquareTwoSample([1, 2], [1]), StatsInputError);
});

Deno.test("wasserstein1 and jensenShannon match scipy", () => {
  for (const c of fx.wasserstein) close(wasserstein1(c.x, c.y), c.value, 1e-10, 1e-12, "W1");
  for (const c of fx.js) close(jensenShannon(c.p, c.q), c.value, 1e-10, 1e-12, "JS");
});

Deno.test("adjustPValues matches Bonferroni and Benjamini–Hochberg", () => {
  for (const c of fx.adjust) {
    adjustPValues(c.p, "bonferroni").forEach((v, i) => close(v, c.bonferroni[i], 1e-12));
    adjustPValues(c.p, "fdr_bh").forEach((v, i) => close(v, c.fdr_bh[i], 1e-12));
  }
});

Deno.test("aucTest matches roc_auc_score and scipy mannwhitneyu (asymptotic, ties)", () => {
  for (const c of fx.mannwhitney) {
    const r = aucTest(c.scores, c.y);
    close(r.statistic, c.auc, 1e-12, 1e-12, "AUC");
    close(r.pValue, c.pvalue, 1e-6, 1e-12, "MW p");
  }
});

function rows(data: number[], dim: number): Rows {
  return { count: data.length / dim, dim, data: Float64Array.from(data) };
}

Deno.test("mmdTest: unbiased MMD² and median bandwidth match numpy; permutation p", () => {
  for (const c of fx.mmd) {
    const r = mmdTest(rows(c.x, c.dim), rows(c.y, c.dim), {
      permutations: 200,
      random: mulberry32(1),
    });
    close(r.sigma, c.sigma, 1e-10, 1e-12, "sigma");
    close(r.statistic, c.mmd2, 1e-9, 1e-12, "MMD²");
    assert(r.pValue > 0 && r.pValue <= 1);
  }
  // The shifted case is detected, and p is bounded below by 1/(1+permutations).
  const shifted = fx.mmd[1];
  const r = mmdTest(rows(shifted.x, shifted.dim), rows(shifted.y, shifted.dim), {
    permutations: 99,
    random: mulberry32(2),
  });
  assert.deepEqual(r.pValue, 0.01);
});

Deno.test("fitPca matches scikit-learn (variances; projections up to sign)", () => {
  const c = fx.pca;
  const x = rows(c.x, c.dim);
  const pca = fitPca(x, c.k);
  pca.explainedVariance.forEach((v, i) => close(v, c.explained_variance[i], 1e-9));
  const p = projectPca(pca, x);
  p.data.forEach((v, i) => close(Math.abs(v), c.projected_abs[i], 1e-8, 1e-9, "projection"));
});

Deno.test("classifierTest: p ~ uniform under the null, tiny under a mean shift", () => {
  const rand = mulberry32(7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const sample = (n: number, shift: number): Rows => ({
    count: n,
    dim: 4,
    data: Float64Array.from({ length: n * 4 }, (_, i) => gauss() + (i % 4 === 0 ? shift : 0)),
  });
  let rejections = 0;
  const trials = 60;
  for (let t = 0; t < trials; t++) {
    if (classifierTest(sample(80, 0), sample(80, 0), { random: rand }).pValue < 0.05) rejections++;
  }
  // Binomial(60, 0.05): P(X ≥ 9) ≈ 0.008.
  assert(rejections <= 8, `${rejections}/${trials} null rejections`);
  const shifted = classifierTest(sample(200, 0), sample(200, 1), { random: rand });
  assert(shifted.statistic > 0.7 && shifted.pValue < 1e-6, JSON.stringify(shifted));
});

Deno.test("histogram keeps out-of-range mass in the edge bins", () => {
  assert.deepEqual(Array.from(histogram([-1, 0, 0.5, 1, 2], [0, 0.5, 1])), [2, 3]);
});

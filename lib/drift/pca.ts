/** Principal component analysis (covariance eigen-decomposition with ml-matrix). */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import type { Rows } from "./mmd.ts";
import { StatsInputError } from "./stats.ts";

/** A fitted PCA: `project(x) = (x − mean) · components`. */
export interface Pca {
  /** Input dimension. */
  dim: number;
  /** Number of components kept. */
  k: number;
  mean: number[];
  /** `dim × k`, column c = c-th principal axis (unit length, sign: largest |entry| positive). */
  components: number[][];
  /** Variance along each kept axis (sample variance, n − 1). */
  explainedVariance: number[];
}

/** Fit a PCA with `k` components on `x` (needs ≥ 2 rows). */
export function fitPca(x: Rows, k: number): Pca {
  if (x.count < 2) throw new StatsInputError("PCA needs ≥ 2 rows");
  if (!(k >= 1 && k <= x.dim)) throw new StatsInputError(`PCA k must be in 1..${x.dim}, got ${k}`);
  const { count: n, dim: d, data } = x;
  const mean = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = Matrix.zeros(d, d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov.set(a, b, cov.get(a, b) + ra * row[b]);
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov.get(a, b) / (n - 1);
      cov.set(a, b, v);
      cov.set(b, a, v);
    }
  }
  const eig = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0]).slice(0, k);
  const components: number[][] = Array.from({ length: d }, () => new Array<number>(k).fill(0));
  order.forEach(([, idx], c) => {
    let big = 0;
    for (let j = 0; j < d; j++) {
      if (Math.abs(vectors.get(j, idx)) > Math.abs(big)) big = vectors.get(j, idx);
    }
    const sign = big < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[j][c] = sign * vectors.get(j, idx);
  });
  return { dim: d, k, mean, components, explainedVariance: order.map(([v]) => Math.max(0, v)) };
}

/** Project rows onto a fitted PCA. */
export function projectPca(pca: Pca, x: Rows): Rows {
  if (x.dim !== pca.dim) throw new StatsInputError(`PCA expects dim ${pca.dim}, got ${x.dim}`);
  const { k, dim: d, mean, components } = pca;
  const out = new Float64Array(x.count * k);
  for (let i = 0; i < x.count; i++) {
    for (let j = 0; j < d; j++) {
      const v = x.data[i * d + j] - mean[j];
      if (v === 0) continue;
      const comp = components[j];
      for (let c = 0; c < k; c++) out[i * k + c] += v * comp[c];
    }
  }
  return { count: x.count, dim: k, data: out };
}

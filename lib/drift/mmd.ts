/**
 * Maximum mean discrepancy with a Gaussian (RBF) kernel and a permutation test (the alibi-detect
 * `MMDDrift` role): unbiased MMD², bandwidth by the median heuristic on the pooled sample.
 */
import type { TestResult } from "./stats.ts";
import { StatsInputError } from "./stats.ts";

/** Rows of a dense matrix: `count` rows of `dim` values, row-major. */
export interface Rows {
  count: number;
  dim: number;
  data: Float64Array;
}

/** Options of {@link mmdTest}. */
export interface MmdOptions {
  /** Permutations of the test (default 100); p = (1 + #{perm ≥ observed}) / (1 + permutations). */
  permutations?: number;
  /** Kernel bandwidth σ in k(x,y) = exp(−‖x−y‖²/(2σ²)); default: median pairwise distance. */
  sigma?: number;
  /** Random source for the permutations (default Math.random). */
  random?: () => number;
}

/** Result of {@link mmdTest}: statistic = unbiased MMD². */
export interface MmdResult extends TestResult {
  sigma: number;
  permutations: number;
}

function pairwiseSq(x: Rows, y: Rows): { n: number; d2: Float64Array } {
  if (x.dim !== y.dim) throw new StatsInputError(`dimensions differ (${x.dim} vs ${y.dim})`);
  const n = x.count + y.count, dim = x.dim;
  const pooled = new Float64Array(n * dim);
  pooled.set(x.data.subarray(0, x.count * dim));
  pooled.set(y.data.subarray(0, y.count * dim), x.count * dim);
  const d2 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const t = pooled[i * dim + k] - pooled[j * dim + k];
        s += t * t;
      }
      d2[i * n + j] = s;
      d2[j * n + i] = s;
    }
  }
  return { n, d2 };
}

/** Median of the pairwise Euclidean distances i < j of the pooled sample. */
function medianDistance(n: number, d2: Float64Array): number {
  const v = new Float64Array(n * (n - 1) / 2);
  let t = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) v[t++] = d2[i * n + j];
  v.sort();
  const h = v.length >> 1;
  const med = v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
  return Math.sqrt(med);
}

/** Unbiased MMD² of the split `isX` (1 = first sample) over kernel matrix `k`. */
function mmd2(n: number, k: Float64Array, isX: Uint8Array, nx: number): number {
  const ny = n - nx;
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    const xi = isX[i];
    const row = i * n;
    for (let j = i + 1; j < n; j++) {
      const v = k[row + j];
      if (xi & isX[j]) sxx += v;
      else if (xi | isX[j]) sxy += v;
      else syy += v;
    }
  }
  return 2 * sxx / (nx * (nx - 1)) + 2 * syy / (ny * (ny - 1)) - 2 * sxy / (nx * ny);
}

/**
 * MMD two-sample test: unbiased MMD² between `x` and `y` with an RBF kernel, p-value by
 * permuting the pooled sample. Each sample needs ≥ 2 rows. O((n+m)²·(dim + permutations)).
 */
export function mmdTest(x: Rows, y: Rows, opts: MmdOptions = {}): MmdResult {
  if (x.count < 2 || y.count < 2) throw new StatsInputError("MMD needs ≥ 2 rows per sample");
  const perms = opts.permutations ?? 100;
  const rand = opts.random ?? Math.random;
  const { n, d2 } = pairwiseSq(x, y);
  let sigma = opts.sigma ?? medianDistance(n, d2);
  if (!(sigma > 0)) sigma = 1;
  const k = new Float64Array(n * n);
  const g = 1 / (2 * sigma * sigma);
  for (let i = 0; i < k.length; i++) k[i] = Math.exp(-d2[i] * g);
  const isX = new Uint8Array(n);
  isX.fill(1, 0, x.count);
  const observed = mmd2(n, k, isX, x.count);
  let atLeast = 0;
  const perm = Uint8Array.from(isX);
  for (let p = 0; p < perms; p++) {
    // Fisher–Yates shuffle of the membership labels.
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    if (mmd2(n, k, perm, x.count) >= observed) atLeast++;
  }
  return { statistic: observed, pValue: (1 + atLeast) / (1 + perms), sigma, permutations: perms };
}

/**
 * Two-sample statistics used by the drift detectors, checked against SciPy (see
 * `testdata/make_fixtures.py`): Kolmogorov–Smirnov (exact and asymptotic p-values), chi-square
 * homogeneity of two count vectors, Wasserstein-1, Jensen–Shannon distance, and multiple-comparison
 * corrections (Bonferroni, Benjamini–Hochberg).
 */
// @ts-types="./jstat_types.d.ts"
import jStat from "jstat";

/** A two-sample test's outcome. */
export interface TestResult {
  /** The test statistic (KS: D; chi-square: χ²). */
  statistic: number;
  /** Its p-value under "both samples come from one distribution". */
  pValue: number;
}

/** Raised for inputs a statistic is not defined on (empty samples, NaN, mismatched lengths). */
export class StatsInputError extends Error {
  override name = "StatsInputError";
}

function sortedCopy(x: ArrayLike<number>, what: string): Float64Array {
  if (x.length === 0) throw new StatsInputError(`${what} is empty`);
  const s = Float64Array.from(x);
  for (const v of s) {
    if (!Number.isFinite(v)) throw new StatsInputError(`${what} holds a non-finite value (${v})`);
  }
  return s.sort();
}

/** Greatest common divisor of two positive integers. */
function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Survival function of the limiting Kolmogorov distribution (SciPy's `kstwobign.sf`):
 * P(K > z) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²z²}; for small z the complementary theta series
 * 1 − √(2π)/z Σ e^{−(2k−1)²π²/(8z²)} converges faster.
 */
function kolmogorovSf(z: number): number {
  if (!(z > 0)) return 1;
  if (z < 1.18) {
    const w = Math.PI * Math.PI / (8 * z * z);
    let s = 0;
    for (let k = 1; k <= 20; k += 2) s += Math.exp(-k * k * w);
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / z) * s));
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const t = Math.exp(-2 * k * k * z * z);
    s += (k % 2 === 1 ? 1 : -1) * t;
    if (t < 1e-300) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/**
 * Exact two-sided p-value P(D ≥ d) of the two-sample KS statistic for sizes n, m (no ties): the
 * probability that a uniformly random monotone lattice path from (0,0) to (n,m) leaves the band
 * |i/n − j/m| < d. Computed by propagating path probabilities (never counts, so nothing overflows)
 * and summing the mass that leaves the band; O(n·m).
 */
function ksExactPValue(d: number, n: number, m: number): number {
  const l = n / gcd(n, m) * m; // lcm
  const a = l / n, b = l / m;
  const h = Math.round(d * l);
  if (h <= 0) return 1;
  // prob[j] = probability of being at (i, j) having stayed inside so far.
  let prob = new Float64Array(m + 1);
  let next = new Float64Array(m + 1);
  let out = 0;
  prob[0] = 1;
  for (let i = 0; i <= n; i++) {
    next.fill(0);
    for (let j = 0; j <= m; j++) {
      const p = prob[j];
      if (p === 0) continue;
      const left = n - i + m - j;
      if (left === 0) continue;
      // Step in i with probability (n−i)/left, in j with (m−j)/left.
      if (i < n) {
        const q = p * (n - i) / left;
        if (Math.abs((i + 1) * a - j * b) >= h) out += q;
        else next[j] += q;
      }
      if (j < m) {
        const q = p * (m - j) / left;
        if (Math.abs(i * a - (j + 1) * b) >= h) out += q;
        else prob[j + 1] += q;
      }
    }
    [prob, next] = [next, prob];
  }
  return Math.min(1, Math.max(0, out));
}

/** How {@link ksTwoSample} computes its p-value. */
export type KsMethod = "auto" | "exact" | "asymp";

/**
 * Two-sample two-sided Kolmogorov–Smirnov test (SciPy `ks_2samp`). `auto` uses the exact
 * distribution when n·m ≤ 10,000 and the limiting one (`kstwobign.sf(√(nm/(n+m))·D)`)
 * otherwise (SciPy's `asymp` uses `kstwo` at the rounded effective n instead: a few percent
 * apart). With ties (discrete features) both are conservative.
 */
export function ksTwoSample(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  method: KsMethod = "auto",
): TestResult {
  const a = sortedCopy(x, "first sample");
  const b = sortedCopy(y, "second sample");
  const d = ksStatisticSorted(a, b);
  const n = a.length, m = b.length;
  const exact = method === "exact" || (method === "auto" && n * m <= 10_000);
  const pValue = exact ? ksExactPValue(d, n, m) : kolmogorovSf(Math.sqrt(n * m / (n + m)) * d);
  return { statistic: d, pValue };
}

/** KS statistic sup |F_a − F_b| of two sorted samples. */
function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n = a.length, m = b.length;
  let i = 0, j = 0, d = 0;
  while (i < n && j < m) {
    const v = Math.min(a[i], b[j]);
    while (i < n && a[i] <= v) i++;
    while (j < m && b[j] <= v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return d;
}

/** Upper tail P(χ²_dof > x). */
export function chiSquareSf(x: number, dof: number): number {
  if (!(x > 0)) return 1;
  return Math.min(1, Math.max(0, 1 - jStat.chisquare.cdf(x, dof)));
}

/**
 * Chi-square test of homogeneity of two count vectors over the same categories (SciPy
 * `chi2_contingency` on the 2×K table, no continuity correction). Categories empty in both
 * samples are dropped; dof = (kept − 1).
 */
export function chiSquareTwoSample(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): TestResult & { dof: number } {
  if (a.length !== b.length) {
    throw new StatsInputError(`count vectors differ in length (${a.length} vs ${b.length})`);
  }
  let na = 0, nb = 0;
  for (let k = 0; k < a.length; k++) {
    if (!(a[k] >= 0) || !(b[k] >= 0)) throw new StatsInputError("counts must be ≥ 0");
    na += a[k];
    nb += b[k];
  }
  if (na === 0 || nb === 0) throw new StatsInputError("a count vector sums to 0");
  const total = na + nb;
  let chi = 0, kept = 0;
  for (let k = 0; k < a.length; k++) {
    const col = a[k] + b[k];
    if (col === 0) continue;
    kept++;
    const ea = na * col / total, eb = nb * col / total;
    chi += (a[k] - ea) ** 2 / ea + (b[k] - eb) ** 2 / eb;
  }
  const dof = kept - 1;
  return { statistic: chi, pValue: dof > 0 ? chiSquareSf(chi, dof) : 1, dof };
}

/** Wasserstein-1 (earth mover's) distance between two 1-D samples (SciPy `wasserstein_distance`). */
export function wasserstein1(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const a = sortedCopy(x, "first sample");
  const b = sortedCopy(y, "second sample");
  const n = a.length, m = b.length;
  // ∫ |F_a(t) − F_b(t)| dt over the merged breakpoints.
  let i = 0, j = 0, w = 0;
  let prev = Math.min(a[0], b[0]);
  while (i < n || j < m) {
    const v = j >= m || (i < n && a[i] <= b[j]) ? a[i] : b[j];
    w += Math.abs(i / n - j / m) * (v - prev);
    prev = v;
    while (i < n && a[i] <= v) i++;
    while (j < m && b[j] <= v) j++;
  }
  return w;
}

/**
 * Jensen–Shannon distance (base 2, in [0, 1]) between two non-negative weight vectors, each
 * normalised to sum 1 (SciPy `jensenshannon(p, q, base=2)`).
 */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) {
    throw new StatsInputError(`distributions differ in length (${p.length} vs ${q.length})`);
  }
  let sp = 0, sq = 0;
  for (let k = 0; k < p.length; k++) {
    if (!(p[k] >= 0) || !(q[k] >= 0)) throw new StatsInputError("weights must be ≥ 0");
    sp += p[k];
    sq += q[k];
  }
  if (sp === 0 || sq === 0) throw new StatsInputError("a distribution sums to 0");
  let js = 0;
  for (let k = 0; k < p.length; k++) {
    const a = p[k] / sp, b = q[k] / sq, mid = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log2(a / mid);
    if (b > 0) js += 0.5 * b * Math.log2(b / mid);
  }
  return Math.sqrt(Math.max(0, js));
}

/**
 * Histogram counts of `x` over `edges` (k+1 increasing edges → k bins; the last bin is closed,
 * values outside go to the first/last bin so no mass is lost).
 */
export function histogram(x: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const k = edges.length - 1;
  if (k < 1) throw new StatsInputError("histogram needs at least 2 edges");
  const out = new Float64Array(k);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    let lo = 0, hi = k; // first edge index with edges[idx] > v, binary search
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid + 1] <= v) lo = mid + 1;
      else hi = mid;
    }
    out[Math.min(k - 1, lo)]++;
  }
  return out;
}

/** Multiple-comparison correction methods. */
export type Correction = "bonferroni" | "fdr_bh";

/**
 * Adjusted p-values (statsmodels `multipletests`): Bonferroni min(1, p·m), or
 * Benjamini–Hochberg step-up q-values. Reject hypothesis i when adjusted[i] ≤ α.
 */
export function adjustPValues(p: readonly number[], method: Correction): number[] {
  const m = p.length;
  if (method === "bonferroni") return p.map((v) => Math.min(1, v * m));
  const order = p.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [v, i] = order[r];
    running = Math.min(running, v * m / (r + 1));
    out[i] = Math.min(1, running);
  }
  return out;
}

/** Mean and population standard deviation of a sample. */
export function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / x.length) };
}

/** Standard normal upper tail P(Z > z). */
export function normalSf(z: number): number {
  return jStat.normal.cdf(-z, 0, 1);
}

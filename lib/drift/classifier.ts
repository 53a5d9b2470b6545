/**
 * Classifier two-sample test (domain classifier): an L2-regularised logistic regression learns to
 * tell reference rows from current rows on one half of the pooled data; its ROC AUC on the other
 * (held-out) half is the statistic. Under no drift the held-out scores of the two groups are
 * exchangeable, so the Mann–Whitney U test (AUC = U / (n₁n₀), one-sided "AUC > 0.5") gives the
 * p-value.
 */
import { Matrix, solve } from "ml-matrix";
import type { Rows } from "./mmd.ts";
import { normalSf, StatsInputError, type TestResult } from "./stats.ts";

/** Options of {@link classifierTest}. */
export interface ClassifierTestOptions {
  /** L2 penalty λ on the (standardised) weights (default 1). */
  l2?: number;
  /** Random source for the train/held-out split (default Math.random). */
  random?: () => number;
}

/** Result of {@link classifierTest}: statistic = held-out ROC AUC. */
export interface ClassifierTestResult extends TestResult {
  /** Held-out rows of each group. */
  heldOut: { reference: number; current: number };
}

/** A fitted logistic regression on standardised inputs. */
export interface LogisticModel {
  mean: Float64Array;
  scale: Float64Array;
  /** Weights of the standardised inputs, then the intercept. */
  weights: Float64Array;
}

/**
 * Fit P(y=1|x) = σ(w·z + b) on standardised z by Newton's method (IRLS) with an L2 penalty λ‖w‖²/2
 * (the intercept is not penalised). `y` holds 0/1.
 */
function fitLogistic(x: Rows, y: Uint8Array, l2 = 1, iterations = 25): LogisticModel {
  const { count: n, dim: d, data } = x;
  const mean = new Float64Array(d), scale = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) scale[j] += (data[i * d + j] - mean[j]) ** 2;
  }
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j] / n) || 1;
  const p = d + 1;
  const z = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) z[i * p + j] = (data[i * d + j] - mean[j]) / scale[j];
    z[i * p + d] = 1;
  }
  const w = new Float64Array(p);
  for (let it = 0; it < iterations; it++) {
    const grad = new Float64Array(p);
    const hess = Matrix.zeros(p, p);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += z[i * p + j] * w[j];
      const mu = 1 / (1 + Math.exp(-s));
      const r = mu - y[i];
      const v = Math.max(mu * (1 - mu), 1e-10);
      for (let a = 0; a < p; a++) {
        const za = z[i * p + a];
        grad[a] += r * za;
        for (let b = a; b < p; b++) hess.set(a, b, hess.get(a, b) + v * za * z[i * p + b]);
      }
    }
    for (let a = 0; a < p; a++) {
      if (a < d) {
        grad[a] += l2 * w[a];
        hess.set(a, a, hess.get(a, a) + l2);
      } else hess.set(a, a, hess.get(a, a) + 1e-8);
      for (let b = 0; b < a; b++) hess.set(a, b, hess.get(b, a));
    }
    const step = solve(hess, Matrix.columnVector(Array.from(grad)));
    let change = 0;
    for (let a = 0; a < p; a++) {
      const s = step.get(a, 0);
      w[a] -= s;
      change = Math.max(change, Math.abs(s));
    }
    if (change < 1e-8) break;
  }
  return { mean, scale, weights: w };
}

/** Decision scores w·z + b of rows under a fitted model. */
function logisticScores(m: LogisticModel, x: Rows): Float64Array {
  const d = x.dim;
  const out = new Float64Array(x.count);
  for (let i = 0; i < x.count; i++) {
    let s = m.weights[d];
    for (let j = 0; j < d; j++) s += m.weights[j] * (x.data[i * d + j] - m.mean[j]) / m.scale[j];
    out[i] = s;
  }
  return out;
}

/**
 * ROC AUC of `scores` for positives `y = 1` with the one-sided Mann–Whitney p-value
 * (normal approximation with tie correction, no continuity correction: SciPy
 * `mannwhitneyu(pos, neg, alternative="greater", use_continuity=False, method="asymptotic")`).
 */
export function aucTest(scores: ArrayLike<number>, y: ArrayLike<number>): TestResult {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let n1 = 0, rankSum = 0, tieTerm = 0;
  for (let s = 0; s < n;) {
    let e = s;
    while (e + 1 < n && scores[idx[e + 1]] === scores[idx[s]]) e++;
    const rank = (s + e) / 2 + 1;
    const t = e - s + 1;
    tieTerm += t * t * t - t;
    for (let k = s; k <= e; k++) if (y[idx[k]] === 1) rankSum += rank;
    s = e + 1;
  }
  for (let i = 0; i < n; i++) if (y[i] === 1) n1++;
  const n0 = n - n1;
  if (n1 === 0 || n0 === 0) throw new StatsInputError("AUC needs both classes");
  const u = rankSum - n1 * (n1 + 1) / 2;
  const sd = Math.sqrt(n1 * n0 / 12 * ((n + 1) - tieTerm / (n * (n - 1))));
  const z = sd > 0 ? (u - n1 * n0 / 2) / sd : 0;
  return { statistic: u / (n1 * n0), pValue: normalSf(z) };
}

/**
 * Domain-classifier two-sample test of `reference` vs `current` (see the module doc). Each group is
 * split in half at random; the model is fitted on the first halves and scored on the second.
 * Needs ≥ 4 rows per group.
 */
export function classifierTest(
  reference: Rows,
  current: Rows,
  opts: ClassifierTestOptions = {},
): ClassifierTestResult {
  if (reference.count < 4 || current.count < 4) {
    throw new StatsInputError("the classifier test needs ≥ 4 rows per sample");
  }
  if (reference.dim !== current.dim) {
    throw new StatsInputError(`dimensions differ (${reference.dim} vs ${current.dim})`);
  }
  const rand = opts.random ?? Math.random;
  const d = reference.dim;
  const halves = (r: Rows) => {
    const idx = Array.from({ length: r.count }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const h = idx.length >> 1;
    return [idx.slice(0, h), idx.slice(h)];
  };
  const [rFit, rHeld] = halves(reference);
  const [cFit, cHeld] = halves(current);
  const gather = (parts: [Rows, number[]][]): { rows: Rows; y: Uint8Array } => {
    const count = parts.reduce((s, [, ix]) => s + ix.length, 0);
    const data = new Float64Array(count * d);
    const y = new Uint8Array(count);
    let t = 0;
    parts.forEach(([r, ix], label) => {
      for (const i of ix) {
        data.set(r.data.subarray(i * d, (i + 1) * d), t * d);
        y[t++] = label;
      }
    });
    return { rows: { count, dim: d, data }, y };
  };
  const fit = gather([[reference, rFit], [current, cFit]]);
  const held = gather([[reference, rHeld], [current, cHeld]]);
  const model = fitLogistic(fit.rows, fit.y, opts.l2 ?? 1);
  const r = aucTest(logisticScores(model, held.rows), held.y);
  return { ...r, heldOut: { reference: rHeld.length, current: cHeld.length } };
}

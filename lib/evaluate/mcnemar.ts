/**
 * McNemar's test for two classifiers scored on the same examples.
 *
 * Convention: `b` counts examples the reference (e.g. the champion) gets right and the candidate
 * gets wrong; `c` counts the opposite. Small discordant totals use the exact two-sided binomial
 * test; larger ones use the chi-square statistic with continuity correction
 * `(|b - c| - 1)² / (b + c)` on one degree of freedom — the same numbers as
 * `statsmodels.stats.contingency_tables.mcnemar(exact=…, correction=True)`.
 */
import { chiSquareSf } from "./chisquare.ts";

/** How the p-value is computed: forced exact, forced chi-square, or chosen by `b + c`. */
export type McnemarMethod = "exact" | "chi2" | "auto";

/** Options of {@link mcnemarTest}. */
export interface McnemarOptions {
  /** `auto` (default) picks `exact` when `b + c < exactBelow`, else `chi2`. */
  method?: McnemarMethod;
  /** Discordant total under which `auto` uses the exact test (default 25). */
  exactBelow?: number;
}

/** Result of McNemar's test. */
export interface McnemarResult {
  /** Reference right, candidate wrong. */
  b: number;
  /** Reference wrong, candidate right. */
  c: number;
  /** Method actually used. */
  method: "exact" | "chi2";
  /** `min(b, c)` for the exact test, the corrected chi-square statistic otherwise. */
  statistic: number;
  /** Two-sided p-value in [0, 1]. */
  pValue: number;
}

/** Default discordant total below which `auto` uses the exact binomial test. */
const EXACT_BELOW_DEFAULT = 25;

function assertCount(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(`McNemar count ${name} must be a non-negative integer, got ${v}`);
  }
}

/**
 * McNemar's test on the discordant counts `b` and `c`.
 * @throws RangeError when a count is not a non-negative integer.
 */
export function mcnemarTest(b: number, c: number, opts: McnemarOptions = {}): McnemarResult {
  assertCount("b", b);
  assertCount("c", c);
  const n = b + c;
  const exactBelow = opts.exactBelow ?? EXACT_BELOW_DEFAULT;
  const method = (opts.method ?? "auto") === "auto"
    ? (n < exactBelow ? "exact" : "chi2")
    : opts.method as "exact" | "chi2";
  if (n === 0) return { b, c, method, statistic: 0, pValue: 1 };
  if (method === "exact") {
    const k = Math.min(b, c);
    return { b, c, method, statistic: k, pValue: Math.min(1, 2 * binomialCdfHalf(k, n)) };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, method, statistic, pValue: chiSquare1Sf(statistic) };
}

/** `P(X <= k)` for `X ~ Binomial(n, 1/2)`, summed in log space (stable for large `n`). */
export function binomialCdfHalf(k: number, n: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  // log C(n, j) - n log 2 for j = 0..k, accumulated incrementally.
  const logs: number[] = [];
  let logC = 0;
  for (let j = 0; j <= k; j++) {
    if (j > 0) logC += Math.log(n - j + 1) - Math.log(j);
    logs.push(logC - n * Math.LN2);
  }
  let max = -Infinity;
  for (const l of logs) if (l > max) max = l;
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - max);
  return Math.min(1, Math.exp(max + Math.log(sum)));
}

/** Survival function of the chi-square distribution with one degree of freedom. */
export function chiSquare1Sf(x: number): number {
  return chiSquareSf(x, 1);
}

/** Agreement counts of two classifiers against the true labels. */
export interface PairedCounts {
  /** Number of examples. */
  n: number;
  /** Both right. */
  bothRight: number;
  /** Reference right, candidate wrong (McNemar's `b`). */
  referenceOnly: number;
  /** Reference wrong, candidate right (McNemar's `c`). */
  candidateOnly: number;
  /** Both wrong. */
  bothWrong: number;
}

/**
 * Count agreements of `reference` and `candidate` predictions with `labels`.
 * @throws RangeError when the three arrays differ in length or are empty.
 */
export function pairedCounts(
  labels: ArrayLike<number>,
  reference: ArrayLike<number>,
  candidate: ArrayLike<number>,
): PairedCounts {
  const n = labels.length;
  if (n === 0) throw new RangeError("McNemar needs at least one labelled example, got 0");
  if (reference.length !== n || candidate.length !== n) {
    throw new RangeError(
      `McNemar needs predictions for every label: ${n} labels, ${reference.length} reference and ${candidate.length} candidate predictions`,
    );
  }
  let bothRight = 0, referenceOnly = 0, candidateOnly = 0, bothWrong = 0;
  for (let i = 0; i < n; i++) {
    const r = reference[i] === labels[i];
    const k = candidate[i] === labels[i];
    if (r && k) bothRight++;
    else if (r) referenceOnly++;
    else if (k) candidateOnly++;
    else bothWrong++;
  }
  return { n, bothRight, referenceOnly, candidateOnly, bothWrong };
}

/** Paired comparison of two classifiers: counts, accuracies and McNemar's test. */
export interface PairedComparison {
  counts: PairedCounts;
  referenceAccuracy: number;
  candidateAccuracy: number;
  test: McnemarResult;
}

/** Compare `candidate` to `reference` predictions on the same labelled examples. */
export function compareClassifiers(
  labels: ArrayLike<number>,
  reference: ArrayLike<number>,
  candidate: ArrayLike<number>,
  opts: McnemarOptions = {},
): PairedComparison {
  const counts = pairedCounts(labels, reference, candidate);
  return {
    counts,
    referenceAccuracy: (counts.bothRight + counts.referenceOnly) / counts.n,
    candidateAccuracy: (counts.bothRight + counts.candidateOnly) / counts.n,
    test: mcnemarTest(counts.referenceOnly, counts.candidateOnly, opts),
  };
}

/**
 * Two-proportion z-test: do two groups (e.g. A/B arms) have the same success rate (e.g.
 * accuracy on the predictions clients sent feedback for)? Pooled standard error for the test
 * statistic, unpooled (Wald) for the confidence interval of the difference — the same numbers as
 * `statsmodels.stats.proportion.proportions_ztest` (two-sided) and `confint_proportions_2indep`
 * (method `wald`).
 */

/** Result of {@link twoProportionTest}; group 1 minus group 2. */
export interface TwoProportionResult {
  /** Successes and trials of each group. */
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  /** Observed rates `x / n`. */
  p1: number;
  p2: number;
  /** `p1 - p2`. */
  diff: number;
  /** z statistic with the pooled standard error (0 when undefined: no variance). */
  z: number;
  /** Two-sided p-value in [0, 1] (1 when the test is undefined). */
  pValue: number;
  /** Confidence interval of `diff` at `level` (Wald, unpooled), clipped to [-1, 1]. */
  ci: [number, number];
  /** Confidence level of `ci`. */
  level: number;
}

function assertCounts(name: string, x: number, n: number): void {
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(`${name}: trials must be a positive integer, got ${n}`);
  }
  if (!Number.isInteger(x) || x < 0 || x > n) {
    throw new RangeError(`${name}: successes must be an integer in 0..${n}, got ${x}`);
  }
}

/** Complementary error function (Numerical Recipes `erfcc`; relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
                  t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal upper tail `P(Z > z)`. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Standard normal quantile (Acklam's rational approximation; relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile needs p in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376,
    220.9460984245205,
    -275.9285104469687,
    138.357751867269,
    -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406,
    161.5858368580409,
    -155.6989798598866,
    66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293,
    -0.3223964580411365,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  return x;
}

/**
 * Two-sided two-proportion z-test of `x1/n1` against `x2/n2`.
 * @param level confidence level of the interval (default 0.95).
 * @throws RangeError when a count is not an integer with `0 ≤ x ≤ n`, `n ≥ 1`.
 */
export function twoProportionTest(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  level = 0.95,
): TwoProportionResult {
  assertCounts("group 1", x1, n1);
  assertCounts("group 2", x2, n2);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const p1 = x1 / n1, p2 = x2 / n2, diff = p1 - p2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const z = se0 > 0 ? diff / se0 : 0;
  const pValue = se0 > 0 ? Math.min(1, 2 * normalSf(Math.abs(z))) : 1;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const q = normalQuantile(1 - (1 - level) / 2);
  const ci: [number, number] = [Math.max(-1, diff - q * se), Math.min(1, diff + q * se)];
  return { x1, n1, x2, n2, p1, p2, diff, z, pValue, ci, level };
}

/**
 * Chi-square and gamma-function helpers: `logGamma` (Lanczos), the upper regularized incomplete
 * gamma function `Q(a, x)` (series below `a + 1`, continued fraction above — Numerical Recipes
 * `gammq`), and the chi-square survival function `P(X > x)` on `df` degrees of freedom — the same
 * numbers as `scipy.stats.chi2.sf`.
 */

const LANCZOS = [
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** `log Γ(x)` for `x > 0` (Lanczos, g = 7; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = 0.99999999999980993;
  for (let i = 0; i < LANCZOS.length; i++) s += LANCZOS[i] / (z + i + 1);
  const t = z + LANCZOS.length - 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Upper regularized incomplete gamma `Q(a, x) = Γ(a, x) / Γ(a)` for `a > 0`, `x ≥ 0`. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedGammaQ needs a > 0, got ${a}`);
  if (!(x > 0)) return 1;
  const EPS = 1e-16;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let i = 0; i < 10_000; i++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    return Math.min(1, Math.max(0, 1 - sum * front));
  }
  // Modified Lentz continued fraction.
  const TINY = 1e-300;
  let bb = x + 1 - a;
  let cc = 1 / TINY;
  let d = 1 / bb;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    bb += 2;
    d = an * d + bb;
    if (Math.abs(d) < TINY) d = TINY;
    cc = bb + an / cc;
    if (Math.abs(cc) < TINY) cc = TINY;
    d = 1 / d;
    const del = d * cc;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.min(1, Math.max(0, front * h));
}

/**
 * Survival function of the chi-square distribution: `P(X > x)` with `df` degrees of freedom.
 * @throws RangeError when `df` is not positive.
 */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`chi-square needs df > 0, got ${df}`);
  if (!(x > 0)) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}

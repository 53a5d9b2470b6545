/** Normal-distribution helpers for the Parzen estimators: erfc, log-CDF differences. */

/** Complementary error function (Numerical Recipes erfcc; relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 +
      t * (1.00002368 +
          t * (0.37409196 +
              t * (0.09678418 +
                  t * (-0.18628806 +
                      t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 +
                                      t * 0.17087277)))))))),
  );
  return x >= 0 ? r : 2 - r;
}

/** P(a <= Z <= b) for a standard normal Z, accurate in both tails. */
export function normalMass(a: number, b: number): number {
  if (b <= a) return 0;
  if (a >= 0) return 0.5 * (erfc(a / Math.SQRT2) - erfc(b / Math.SQRT2));
  if (b <= 0) return 0.5 * (erfc(-b / Math.SQRT2) - erfc(-a / Math.SQRT2));
  return 1 - 0.5 * erfc(-a / Math.SQRT2) - 0.5 * erfc(b / Math.SQRT2);
}

/** Log of the standard normal density. */
export function logNormalPdf(z: number): number {
  return -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);
}

/** log(sum(exp(xs))) computed stably. */
export function logSumExp(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/**
 * Fixed-horizon power and sample-size planning for comparing two proportions (e.g. two model
 * versions' accuracy from feedback), the way `statsmodels` does it: the effect is Cohen's
 * `h = 2·asin(√p1) − 2·asin(√p2)` (`proportion_effectsize`), and the power of the two-sided
 * z-test with `n1` and `n2 = ratio·n1` observations is (`NormalIndPower.power`)
 *
 *     power = Φ(−z₁₋α/₂ + |h|·√ñ) + Φ(−z₁₋α/₂ − |h|·√ñ),   ñ = 1 / (1/n1 + 1/n2);
 *
 * `sampleSize` solves that for `n1` (`NormalIndPower.solve_power`). Values are checked against
 * statsmodels in `power_test.ts` (fixtures from `fixtures/ab_reference.py`).
 */
import { z } from "zod";
import { normalQuantile, normalSf } from "../evaluate/mod.ts";

/** Cohen's h between two proportions (statsmodels `proportion_effectsize(p1, p2)`). */
export function cohenH(p1: number, p2: number): number {
  for (const p of [p1, p2]) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`a proportion must be in [0, 1], got ${p}`);
  }
  return 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));
}

/** Inputs of {@link powerTwoProportions}. */
export const powerInputSchema = z.strictObject({
  /** Rate of the control arm. */
  baseline: z.number().min(0).max(1),
  /** Rate of the treatment arm. */
  treatment: z.number().min(0).max(1),
  /** Observations in the control arm. */
  n1: z.number().positive(),
  /** `n2 / n1` (default 1). */
  ratio: z.number().positive().default(1),
  /** Two-sided significance level (default 0.05). */
  alpha: z.number().gt(0).lt(1).default(0.05),
});

/** Power of the two-sided two-proportion z-test (see the module doc). */
export function powerTwoProportions(input: z.input<typeof powerInputSchema>): number {
  const o = powerInputSchema.parse(input);
  const h = Math.abs(cohenH(o.treatment, o.baseline));
  return normalPower(h, o.n1, o.ratio, o.alpha);
}

function normalPower(h: number, n1: number, ratio: number, alpha: number): number {
  const nEff = 1 / (1 / n1 + 1 / (n1 * ratio));
  const crit = normalQuantile(1 - alpha / 2);
  const shift = h * Math.sqrt(nEff);
  return normalSf(crit - shift) + normalSf(crit + shift);
}

/** Inputs of {@link sampleSize}. */
export const sampleSizeInputSchema = z.strictObject({
  /** Rate of the control arm (e.g. the champion's accuracy). */
  baseline: z.number().gt(0).lt(1),
  /** Minimum detectable effect: the absolute difference to detect (may be negative). */
  mde: z.number().refine((v) => v !== 0, "the minimum detectable effect must not be 0"),
  /** Two-sided significance level (default 0.05). */
  alpha: z.number().gt(0).lt(1).default(0.05),
  /** Wanted power (default 0.8). */
  power: z.number().gt(0).lt(1).default(0.8),
  /** `n2 / n1` (default 1). */
  ratio: z.number().positive().default(1),
}).refine((o) => o.baseline + o.mde > 0 && o.baseline + o.mde < 1, {
  message: "baseline + mde must be inside (0, 1)",
});
/** Sample-size inputs as callers write them. */
export type SampleSizeInput = z.input<typeof sampleSizeInputSchema>;

/** Result of {@link sampleSize}. */
export interface SampleSizePlan {
  baseline: number;
  treatment: number;
  mde: number;
  alpha: number;
  power: number;
  ratio: number;
  /** Cohen's h of the effect. */
  effectSize: number;
  /** Control-arm observations solving the power equation (statsmodels' unrounded answer). */
  n1Exact: number;
  /** Rounded up: control and treatment observations, and both together. */
  n1: number;
  n2: number;
  total: number;
}

/**
 * Observations per arm for the fixed-horizon two-sided z-test to detect `mde` at `alpha` with
 * `power` (bisection on the power function, to 1e-10 relative).
 * @throws ZodError for invalid input.
 */
export function sampleSize(input: SampleSizeInput): SampleSizePlan {
  const o = sampleSizeInputSchema.parse(input);
  const treatment = o.baseline + o.mde;
  const h = Math.abs(cohenH(treatment, o.baseline));
  if (normalPower(h, 2, o.ratio, o.alpha) >= o.power) {
    throw new RangeError("the effect is so large that any sample has that power");
  }
  let lo = 2, hi = 4;
  while (normalPower(h, hi, o.ratio, o.alpha) < o.power) {
    lo = hi;
    hi *= 2;
    if (hi > 1e15) throw new RangeError("the effect is too small to plan for");
  }
  for (let i = 0; i < 200 && (hi - lo) > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (normalPower(h, mid, o.ratio, o.alpha) < o.power) lo = mid;
    else hi = mid;
  }
  const n1Exact = (lo + hi) / 2;
  const n1 = Math.ceil(n1Exact - 1e-9);
  const n2 = Math.ceil(n1Exact * o.ratio - 1e-9);
  return {
    baseline: o.baseline,
    treatment,
    mde: o.mde,
    alpha: o.alpha,
    power: o.power,
    ratio: o.ratio,
    effectSize: h,
    n1Exact,
    n1,
    n2,
    total: n1 + n2,
  };
}

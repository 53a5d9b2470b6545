/**
 * Sample-ratio mismatch (SRM) check: do the arms' observed unit counts match the configured
 * split? Pearson's chi-square goodness-of-fit test on `k − 1` degrees of freedom; as GrowthBook
 * does, a p-value below 0.001 flags a broken split (a bug in assignment, logging or filtering),
 * which makes every comparison of the arms untrustworthy and blocks a decision.
 */
import { z } from "zod";
import { chiSquareSf } from "../evaluate/mod.ts";

/** Default threshold: p below it flags a mismatch. */
export const SRM_THRESHOLD_DEFAULT = 0.001;

/** Input of {@link sampleRatioMismatch}: observed units and configured weight per arm. */
export const srmInputSchema = z.array(z.strictObject({
  arm: z.string().min(1),
  observed: z.number().int().min(0),
  weight: z.number().finite().min(0),
})).min(2, "an SRM check needs at least two arms");

/** One arm of the check. */
export interface SrmArm {
  arm: string;
  observed: number;
  /** Units expected from the weights and the total. */
  expected: number;
  /** Configured share of traffic. */
  share: number;
}

/** Result of the SRM check. */
export interface SrmResult {
  arms: SrmArm[];
  total: number;
  chi2: number;
  df: number;
  pValue: number;
  threshold: number;
  /** `pValue < threshold`: the split is broken and a decision is blocked. */
  mismatch: boolean;
}

/**
 * Chi-square test of observed units per arm against the weights. Arms with weight 0 must have no
 * units (any unit there is a mismatch, p = 0).
 * @throws ZodError for malformed input; RangeError when all weights are 0.
 */
export function sampleRatioMismatch(
  input: z.input<typeof srmInputSchema>,
  threshold = SRM_THRESHOLD_DEFAULT,
): SrmResult {
  const arms = srmInputSchema.parse(input);
  if (!(threshold > 0 && threshold < 1)) {
    throw new RangeError(`SRM threshold must be in (0, 1), got ${threshold}`);
  }
  const totalWeight = arms.reduce((s, a) => s + a.weight, 0);
  if (!(totalWeight > 0)) throw new RangeError("SRM check: the weights must not all be 0");
  const total = arms.reduce((s, a) => s + a.observed, 0);
  let chi2 = 0;
  let impossible = false;
  const out = arms.map((a) => {
    const share = a.weight / totalWeight;
    const expected = total * share;
    if (expected > 0) chi2 += (a.observed - expected) ** 2 / expected;
    else if (a.observed > 0) impossible = true;
    return { arm: a.arm, observed: a.observed, expected, share };
  });
  const df = arms.filter((a) => a.weight > 0).length - 1;
  const pValue = impossible ? 0 : total === 0 || df < 1 ? 1 : chiSquareSf(chi2, df);
  return {
    arms: out,
    total,
    chi2: impossible ? Infinity : chi2,
    df,
    pValue,
    threshold,
    mismatch: pValue < threshold,
  };
}

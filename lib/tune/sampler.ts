/** The sampler contract and the zod-checked sampler configurations stored with a study. */
import { z } from "zod";
import type { Rng } from "./rng.ts";
import { choiceSchema, type Distribution, type Params, type ParamValue } from "./space.ts";
import type { Direction, FrozenTrial } from "./types.ts";

/** Random sampler: independent uniform draws (log-uniform for `log` distributions). */
const randomSamplerSchema = z.object({ type: z.literal("random") });

/** Grid sampler: every combination of the declared space, each handed out exactly once. */
export const gridSamplerSchema = z.object({
  type: z.literal("grid"),
  /** Points per continuous float dimension (evenly spaced, log-spaced for `log`). */
  pointsPerFloat: z.number().int().min(2).max(1000).default(5),
  /** Explicit values per parameter, overriding the ones derived from the space. */
  grid: z.record(z.string(), z.array(choiceSchema).min(1)).optional(),
  /** Visit the grid in a seeded random order (true) or in lexicographic order (false). */
  shuffle: z.boolean().default(true),
});

/** TPE sampler (Bergstra et al. 2011; defaults as in Optuna 3.1's independent TPE). */
export const tpeSamplerSchema = z.object({
  type: z.literal("tpe"),
  /** Random trials before TPE starts modelling. */
  nStartupTrials: z.number().int().min(0).default(10),
  /** Candidates drawn from l(x) per suggestion; the one maximising l(x)/g(x) wins. */
  nEiCandidates: z.number().int().min(1).default(24),
  /** Fraction of trials in the "good" group: n_below = min(ceil(gamma·n), gammaCap). */
  gamma: z.number().gt(0).lt(1).default(0.1),
  /** Upper bound on the size of the "good" group. */
  gammaCap: z.number().int().min(1).default(25),
  /** Weight of the prior (uniform-ish) component in each estimator. */
  priorWeight: z.number().positive().default(1),
  /** Clip kernel bandwidths from below by range / min(100, 1 + n). */
  considerMagicClip: z.boolean().default(true),
  /** Let the outermost kernels' bandwidths use the distance to the bounds. */
  considerEndpoints: z.boolean().default(false),
});

/** Any sampler configuration. */
export const samplerConfigSchema = z.discriminatedUnion("type", [
  randomSamplerSchema,
  gridSamplerSchema,
  tpeSamplerSchema,
]);
/** Any sampler configuration (defaults applied). */
export type SamplerConfig = z.infer<typeof samplerConfigSchema>;
/** A sampler configuration as written by a caller. */
export type SamplerConfigInput = z.input<typeof samplerConfigSchema>;

/** What a sampler sees when asked for one parameter value. */
export interface SampleContext {
  /** Every trial of the study at the time the current trial started (any state). */
  history: readonly FrozenTrial[];
  /** Number of the trial being sampled. */
  trialNumber: number;
  direction: Direction;
  /** Generator seeded from the study seed, the trial number and the parameter name. */
  rng: Rng;
}

/** A sampler: proposes values for parameters, one at a time. */
export interface Sampler {
  readonly config: SamplerConfig;
  /** Propose a value for `name` drawn from `dist`. */
  sample(name: string, dist: Distribution, ctx: SampleContext): ParamValue;
}

/** A sampler whose points are fixed when a trial is created (the grid). */
export interface FixedPointSampler extends Sampler {
  /** Number of distinct points. */
  readonly size: number;
  /** The point handed out `k`-th (0 ≤ k < size); every k gives a distinct point. */
  point(k: number): Params;
}

/** Whether a sampler fixes its points at trial creation. */
export function isFixedPointSampler(s: Sampler): s is FixedPointSampler {
  return "point" in s && typeof (s as FixedPointSampler).point === "function";
}

/**
 * Sequential test of two proportions that may be looked at after every observation without
 * inflating false positives: the mixture sequential probability ratio test (mSPRT) of Johari,
 * Pekelis & Walsh, "Always valid inference: continuous monitoring of A/B tests" (2017, Operations
 * Research 2022), as in Optimizely's Stats Engine.
 *
 * For the difference `θ = p1 − p2` (treatment minus control), with estimate `θ̂ = p̂1 − p̂2` and
 * its variance `V = p̃1(1−p̃1)/n1 + p̃2(1−p̃2)/n2`, the mixture likelihood ratio against `θ = θ0`
 * with a normal mixing distribution `θ ~ N(θ0, τ²)` is
 *
 *     Λ = sqrt(V / (V + τ²)) · exp( τ² (θ̂ − θ0)² / (2 V (V + τ²)) ).
 *
 * Under `θ = θ0`, Λ is (asymptotically) a non-negative martingale with mean 1, so by Ville's
 * inequality `P(sup Λ ≥ 1/α) ≤ α`: rejecting the first time `Λ ≥ 1/α` keeps the type-I error at
 * `α` however often one looks. The always-valid p-value is the running minimum of `min(1, 1/Λ)`
 * and the always-valid confidence interval is the running intersection of
 * `θ̂ ± sqrt( V (V + τ²) / τ² · (2 log(1/α) + log((V + τ²) / V)) )`.
 *
 * **Mixing parameter τ** (the standard deviation of the mixing distribution, in the units of the
 * difference): the test has most power for effects of about τ; smaller τ detects small effects
 * later but large ones sooner. The default τ = 0.05 (five accuracy points) suits model-version
 * experiments, whose accuracy differences are a few points; set it to the minimum detectable
 * effect you plan for (`tau` of {@link sequentialOptionsSchema}).
 *
 * The variance uses Laplace-smoothed rates `p̃ = (x + 1) / (n + 2)` so that it is never zero, and
 * no look may reject before each arm has `minSamples` observations (the normal approximation
 * behind the plug-in variance needs some data; default 100).
 */
import { z } from "zod";

/** Options of the sequential test. */
export const sequentialOptionsSchema = z.strictObject({
  /** Type-I error bound under continuous monitoring. */
  alpha: z.number().gt(0).lt(1).default(0.05),
  /** Standard deviation of the normal mixing distribution over the difference (see the module doc). */
  tau: z.number().gt(0).max(1).default(0.05),
  /** Observations each arm needs before a look may reject. */
  minSamples: z.number().int().min(1).max(1_000_000_000).default(100),
});
/** Sequential-test options as written by callers. */
export type SequentialOptionsInput = z.input<typeof sequentialOptionsSchema>;
/** Sequential-test options with defaults. */
export type SequentialOptions = z.output<typeof sequentialOptionsSchema>;

/** One look of the mSPRT at the counts so far (group 1 = treatment, group 2 = control). */
export interface SequentialLook {
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  /** `x1/n1 − x2/n2` (0 while an arm has no data). */
  diff: number;
  /** Plug-in variance of `diff` (smoothed rates). */
  variance: number;
  /** `diff / sqrt(variance)`. */
  z: number;
  /** `|z|` at which this look rejects (the mSPRT boundary on the z scale); Infinity before `minSamples`. */
  boundary: number;
  /** Mixture likelihood ratio Λ against no difference (1 before `minSamples`). */
  likelihoodRatio: number;
  /** `min(1, 1/Λ)` at this look alone (the always-valid p-value is the running minimum). */
  pValue: number;
  /** This look's `1 − α` interval for the difference (the always-valid one is the running intersection). */
  ci: [number, number];
}

function checkCounts(name: string, x: number, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`${name}: trials must be a non-negative integer, got ${n}`);
  }
  if (!Number.isInteger(x) || x < 0 || x > n) {
    throw new RangeError(`${name}: successes must be an integer in 0..${n}, got ${x}`);
  }
}

/**
 * The mSPRT at counts `x1/n1` (treatment) and `x2/n2` (control); see the module doc.
 * @throws RangeError for counts that are not integers with `0 ≤ x ≤ n`.
 */
export function msprtLook(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  opts: SequentialOptions,
): SequentialLook {
  checkCounts("group 1", x1, n1);
  checkCounts("group 2", x2, n2);
  const { alpha, tau, minSamples } = opts;
  const diff = n1 > 0 && n2 > 0 ? x1 / n1 - x2 / n2 : 0;
  const s1 = (x1 + 1) / (n1 + 2), s2 = (x2 + 1) / (n2 + 2);
  const variance = s1 * (1 - s1) / Math.max(n1, 1) + s2 * (1 - s2) / Math.max(n2, 1);
  const z = diff / Math.sqrt(variance);
  const tau2 = tau * tau;
  const logBound = 2 * Math.log(1 / alpha) + Math.log((variance + tau2) / variance);
  const halfWidth = Math.sqrt(variance * (variance + tau2) / tau2 * logBound);
  if (n1 < minSamples || n2 < minSamples) {
    return {
      x1,
      n1,
      x2,
      n2,
      diff,
      variance,
      z,
      boundary: Infinity,
      likelihoodRatio: 1,
      pValue: 1,
      ci: [-1, 1],
    };
  }
  const logLr = 0.5 * Math.log(variance / (variance + tau2)) +
    tau2 * diff * diff / (2 * variance * (variance + tau2));
  const likelihoodRatio = Math.exp(logLr);
  return {
    x1,
    n1,
    x2,
    n2,
    diff,
    variance,
    z,
    boundary: Math.sqrt((variance + tau2) / tau2 * logBound),
    likelihoodRatio,
    pValue: Math.min(1, Math.exp(-logLr)),
    ci: [Math.max(-1, diff - halfWidth), Math.min(1, diff + halfWidth)],
  };
}

/** The always-valid state after a sequence of looks. */
export interface SequentialState {
  /** The latest look. */
  look: SequentialLook;
  /** Always-valid p-value: the minimum of every look's `1/Λ`. */
  pValue: number;
  /** Always-valid confidence interval: the intersection of every look's interval. */
  ci: [number, number];
  /** Whether some look so far crossed the boundary (`Λ ≥ 1/α`). */
  rejected: boolean;
  /** Counts at the first look that crossed, null while none has. */
  stoppedAt: { n1: number; n2: number; x1: number; x2: number } | null;
  /** Looks taken. */
  looks: number;
}

/** Continuous monitoring: feed it the cumulative counts after each observation (or batch). */
export class SequentialMonitor {
  readonly options: SequentialOptions;
  #state: SequentialState | null = null;

  /** @throws ZodError for invalid options. */
  constructor(opts: SequentialOptionsInput = {}) {
    this.options = sequentialOptionsSchema.parse(opts);
  }

  /** Take one look at the cumulative counts and return the always-valid state. */
  update(x1: number, n1: number, x2: number, n2: number): SequentialState {
    const look = msprtLook(x1, n1, x2, n2, this.options);
    const prev = this.#state;
    const lo = Math.max(prev?.ci[0] ?? -1, look.ci[0]);
    const hi = Math.min(prev?.ci[1] ?? 1, look.ci[1]);
    // An empty intersection (possible only when the truth lies outside some interval, an
    // event of probability ≤ α) keeps the last non-empty one.
    const ci: [number, number] = lo <= hi ? [lo, hi] : (prev?.ci ?? look.ci);
    const crossed = look.likelihoodRatio >= 1 / this.options.alpha;
    const rejected = (prev?.rejected ?? false) || crossed;
    this.#state = {
      look,
      pValue: Math.min(prev?.pValue ?? 1, look.pValue),
      ci,
      rejected,
      stoppedAt: prev?.stoppedAt ?? (crossed ? { n1, n2, x1, x2 } : null),
      looks: (prev?.looks ?? 0) + 1,
    };
    return this.#state;
  }

  /** The state after the last look (null before any). */
  get state(): SequentialState | null {
    return this.#state;
  }
}

/** One observation of the primary metric: which group, and whether it succeeded. */
export interface SequentialObservation {
  /** 1 = treatment, 2 = control. */
  group: 1 | 2;
  success: boolean;
  /** When it was observed (ISO-8601), carried into the path. */
  at?: string;
}

/** One point of {@link sequentialPath}. */
export interface SequentialPathPoint {
  n1: number;
  n2: number;
  at: string | null;
  diff: number;
  z: number;
  boundary: number;
  pValue: number;
  ci: [number, number];
}

/**
 * Monitor `observations` in order, looking after every one; returns the final state and up to
 * `maxPoints` evenly spaced points of the path (for the boundary plot), always including the last
 * and the stopping look.
 */
export function sequentialPath(
  observations: readonly SequentialObservation[],
  opts: SequentialOptionsInput = {},
  maxPoints = 400,
): { state: SequentialState | null; path: SequentialPathPoint[] } {
  const m = new SequentialMonitor(opts);
  let x1 = 0, n1 = 0, x2 = 0, n2 = 0;
  const every = Math.max(1, Math.ceil(observations.length / maxPoints));
  const path: SequentialPathPoint[] = [];
  let wasRejected = false;
  observations.forEach((o, i) => {
    if (o.group === 1) {
      n1++;
      if (o.success) x1++;
    } else {
      n2++;
      if (o.success) x2++;
    }
    const s = m.update(x1, n1, x2, n2);
    const stopping = s.rejected && !wasRejected;
    wasRejected = s.rejected;
    if (i % every === every - 1 || i === observations.length - 1 || stopping) {
      path.push({
        n1,
        n2,
        at: o.at ?? null,
        diff: s.look.diff,
        z: s.look.z,
        boundary: s.look.boundary,
        pValue: s.pValue,
        ci: s.ci,
      });
    }
  });
  return { state: m.state, path };
}

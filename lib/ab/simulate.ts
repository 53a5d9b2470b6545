/**
 * Monte Carlo check of the sequential test: simulated two-arm experiments with Bernoulli
 * outcomes, one observation per arm per step, the mSPRT looked at after every step (continuous
 * monitoring), against the fixed-horizon z-test read once at each planned sample size, and the
 * same z-test read at every step ("peeking", which inflates false positives). Seeded, so a run is
 * reproducible.
 */
import { z } from "zod";
import { normalQuantile, twoProportionTest } from "../evaluate/mod.ts";
import { createRng } from "../tune/mod.ts";
import { msprtLook, sequentialOptionsSchema } from "./sequential.ts";

/** Options of {@link simulateExperiments}. */
export const simulationOptionsSchema = z.strictObject({
  /** Simulated experiments. */
  experiments: z.number().int().min(1).max(1_000_000).default(2000),
  /** Success rate of the control arm. */
  baseline: z.number().gt(0).lt(1).default(0.9),
  /** True difference treatment − control (0: no difference, for the false-positive rate). */
  effect: z.number().gt(-1).lt(1).default(0),
  /** Observations per arm at which the power table is read (the largest is the horizon). */
  checkpoints: z.array(z.number().int().min(2).max(10_000_000)).min(1).default([
    250,
    500,
    1000,
    2000,
  ]),
  /** Observations per arm between looks of the sequential test (1: after every one). */
  lookEvery: z.number().int().min(1).default(1),
  seed: z.number().int().default(1),
  alpha: sequentialOptionsSchema.shape.alpha,
  tau: sequentialOptionsSchema.shape.tau,
  minSamples: sequentialOptionsSchema.shape.minSamples,
}).refine((o) => o.baseline + o.effect > 0 && o.baseline + o.effect < 1, {
  message: "baseline + effect must be inside (0, 1)",
});
/** Simulation options as callers write them. */
export type SimulationOptionsInput = z.input<typeof simulationOptionsSchema>;

/** One row of the power table. */
export interface PowerRow {
  /** Observations per arm. */
  n: number;
  /** Share of experiments the sequential test had stopped (rejected) by `n`, looking continuously. */
  sequential: number;
  /** Share the fixed-horizon z-test rejects when read once at `n`. */
  fixed: number;
  /** Share the z-test rejected at some look up to `n` (peeking: not a valid test). */
  peeking: number;
}

/** Result of {@link simulateExperiments}. */
export interface SimulationResult {
  experiments: number;
  baseline: number;
  treatment: number;
  alpha: number;
  tau: number;
  minSamples: number;
  seed: number;
  /** Per checkpoint; the last row is the horizon. */
  table: PowerRow[];
  /** Median observations per arm at which the sequential test stopped, among those that did. */
  medianStop: number | null;
  /** Stopped with the wrong sign (effect ≠ 0 only). */
  wrongSign: number;
}

/**
 * Run the simulation; see the module doc.
 * @throws ZodError for invalid options.
 */
export function simulateExperiments(input: SimulationOptionsInput = {}): SimulationResult {
  const o = simulationOptionsSchema.parse(input);
  const checkpoints = [...new Set(o.checkpoints)].sort((a, b) => a - b);
  const horizon = checkpoints.at(-1)!;
  const treatment = o.baseline + o.effect;
  const seqOpts = { alpha: o.alpha, tau: o.tau, minSamples: o.minSamples };
  const crit = normalQuantile(1 - o.alpha / 2);
  const seqStops: number[] = [];
  const peekStops: number[] = [];
  const fixedRejects = new Array<number>(checkpoints.length).fill(0);
  let wrongSign = 0;
  for (let e = 0; e < o.experiments; e++) {
    const rng = createRng(o.seed, "ab-simulation", e);
    let x1 = 0, x2 = 0;
    let seqStop = 0, peekStop = 0, cp = 0;
    for (let n = 1; n <= horizon; n++) {
      if (rng.next() < treatment) x1++;
      if (rng.next() < o.baseline) x2++;
      if (n % o.lookEvery === 0 || n === horizon) {
        if (seqStop === 0 && n >= o.minSamples) {
          const look = msprtLook(x1, n, x2, n, seqOpts);
          if (look.likelihoodRatio >= 1 / o.alpha) {
            seqStop = n;
            if (o.effect !== 0 && Math.sign(look.diff) !== Math.sign(o.effect)) wrongSign++;
          }
        }
        if (peekStop === 0 && n >= o.minSamples && Math.abs(pooledZ(x1, x2, n)) > crit) {
          peekStop = n;
        }
      }
      if (n === checkpoints[cp]) {
        if (twoProportionTest(x1, n, x2, n).pValue < o.alpha) fixedRejects[cp]++;
        cp++;
      }
    }
    if (seqStop > 0) seqStops.push(seqStop);
    if (peekStop > 0) peekStops.push(peekStop);
  }
  const share = (k: number) => k / o.experiments;
  const table = checkpoints.map((n, i) => ({
    n,
    sequential: share(seqStops.filter((s) => s <= n).length),
    fixed: share(fixedRejects[i]),
    peeking: share(peekStops.filter((s) => s <= n).length),
  }));
  seqStops.sort((a, b) => a - b);
  return {
    experiments: o.experiments,
    baseline: o.baseline,
    treatment,
    alpha: o.alpha,
    tau: o.tau,
    minSamples: o.minSamples,
    seed: o.seed,
    table,
    medianStop: seqStops.length ? seqStops[Math.floor((seqStops.length - 1) / 2)] : null,
    wrongSign,
  };
}

/** Pooled two-proportion z statistic with equal arms (the fixed-horizon test's statistic). */
function pooledZ(x1: number, x2: number, n: number): number {
  const p = (x1 + x2) / (2 * n);
  const se = Math.sqrt(p * (1 - p) * (2 / n));
  return se > 0 ? (x1 - x2) / n / se : 0;
}

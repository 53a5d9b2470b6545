/**
 * Pruners decide, from intermediate values, whether a running trial should stop early:
 * median (Optuna's MedianPruner semantics) and asynchronous successive halving (ASHA).
 */
import { z } from "zod";
import { type Direction, type FrozenTrial, type Intermediate, oriented } from "./types.ts";

/** No pruning. */
const nopPrunerSchema = z.object({ type: z.literal("none") });

/** Median pruner: stop when the best value so far is worse than the median of finished trials. */
const medianPrunerSchema = z.object({
  type: z.literal("median"),
  /** Never prune until this many trials completed. */
  nStartupTrials: z.number().int().min(0).default(5),
  /** Never prune before this step. */
  nWarmupSteps: z.number().int().min(0).default(0),
  /** Only check once per interval of steps after the warm-up. */
  intervalSteps: z.number().int().min(1).default(1),
  /** Need at least this many completed trials reporting the same step. */
  nMinTrials: z.number().int().min(1).default(1),
});

/** Asynchronous successive halving: promote the best 1/η at each rung, prune the rest. */
const ashaPrunerSchema = z.object({
  type: z.literal("asha"),
  /** Steps a trial runs before its first rung (r). */
  minResource: z.number().int().min(1).default(1),
  /** Reduction factor η: rung k sits at step r·η^(s+k). */
  reductionFactor: z.number().int().min(2).default(3),
  /** Minimum early-stopping rate s. */
  minEarlyStoppingRate: z.number().int().min(0).default(0),
});

/** Any pruner configuration. */
export const prunerConfigSchema = z.discriminatedUnion("type", [
  nopPrunerSchema,
  medianPrunerSchema,
  ashaPrunerSchema,
]);
/** Any pruner configuration (defaults applied). */
export type PrunerConfig = z.infer<typeof prunerConfigSchema>;
/** A pruner configuration as written by a caller. */
export type PrunerConfigInput = z.input<typeof prunerConfigSchema>;

/** What a pruner sees. */
export interface PruneContext {
  /** The trial being judged (its intermediate values sorted by step). */
  trial: { number: number; intermediate: readonly Intermediate[] };
  /** Every other trial of the study (any state), with their intermediate values. */
  others: readonly FrozenTrial[];
  direction: Direction;
  /** Last step already judged for this trial (ASHA judges each rung once), or -1. */
  lastJudgedStep: number;
}

/** A pruner. */
export interface Pruner {
  readonly config: PrunerConfig;
  /** Whether the trial should stop now. */
  prune(ctx: PruneContext): boolean;
}

/** Linear-interpolated percentile (numpy's default), `q` in [0, 100]. */
export function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** A median pruner. */
function medianPruner(cfg: z.infer<typeof medianPrunerSchema>): Pruner {
  return {
    config: cfg,
    prune({ trial, others, direction }) {
      const completed = others.filter((t) => t.state === "complete");
      if (completed.length === 0 || completed.length < cfg.nStartupTrials) return false;
      const last = trial.intermediate.at(-1);
      if (!last) return false;
      const step = last.step;
      if (step < cfg.nWarmupSteps) return false;
      // Only the first report inside each interval after the warm-up is judged.
      const nearestLower = Math.floor((step - cfg.nWarmupSteps) / cfg.intervalSteps) *
          cfg.intervalSteps + cfg.nWarmupSteps;
      const previous = trial.intermediate.filter((iv) => iv.step !== step).map((iv) => iv.step);
      const secondLast = previous.length ? Math.max(...previous) : -1;
      if (secondLast >= nearestLower) return false;
      const finite = trial.intermediate.map((iv) => iv.value).filter((v) => !Number.isNaN(v));
      if (finite.length === 0) return true;
      const best = direction === "minimize" ? Math.min(...finite) : Math.max(...finite);
      const atStep = completed
        .map((t) => t.intermediate.find((iv) => iv.step === step)?.value)
        .filter((v): v is number => v !== undefined && !Number.isNaN(v));
      if (atStep.length < cfg.nMinTrials) return false;
      const p = percentile(atStep, 50);
      return direction === "minimize" ? best > p : best < p;
    },
  };
}

/** Value of a trial at rung step `rungStep`: the first report at or after that step. */
function rungValue(intermediate: readonly Intermediate[], rungStep: number): number | undefined {
  return intermediate.find((iv) => iv.step >= rungStep)?.value;
}

/**
 * Whether `value` is among the best 1/η of `competing` (which includes it); with fewer than
 * η competitors only the best one is promoted (as Optuna does).
 */
export function promotable(
  value: number,
  competing: readonly number[],
  eta: number,
  direction: Direction,
): boolean {
  let idx = Math.floor(competing.length / eta) - 1;
  if (idx < 0) idx = 0;
  const sorted = competing.map((v) => oriented(direction, v)).sort((a, b) => a - b);
  return oriented(direction, value) <= sorted[idx];
}

/** An ASHA (asynchronous successive halving) pruner. */
function ashaPruner(cfg: z.infer<typeof ashaPrunerSchema>): Pruner {
  const rungStep = (k: number) =>
    cfg.minResource * cfg.reductionFactor ** (cfg.minEarlyStoppingRate + k);
  return {
    config: cfg,
    prune({ trial, others, direction, lastJudgedStep }) {
      const last = trial.intermediate.at(-1);
      if (!last) return false;
      if (Number.isNaN(last.value)) return true;
      for (let k = 0; rungStep(k) <= last.step; k++) {
        const rs = rungStep(k);
        if (rs <= lastJudgedStep) continue; // decided at an earlier check
        const own = rungValue(trial.intermediate, rs) ?? last.value;
        const competing = [own];
        for (const t of others) {
          const v = rungValue(t.intermediate, rs);
          if (v !== undefined && !Number.isNaN(v)) competing.push(v);
        }
        if (!promotable(own, competing, cfg.reductionFactor, direction)) return true;
      }
      return false;
    },
  };
}

/** The pruner for a configuration. */
export function createPruner(cfg: PrunerConfig): Pruner {
  switch (cfg.type) {
    case "none":
      return { config: cfg, prune: () => false };
    case "median":
      return medianPruner(cfg);
    case "asha":
      return ashaPruner(cfg);
  }
}

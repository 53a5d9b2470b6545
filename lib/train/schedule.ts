/** Learning-rate schedules (per optimisation step), declared with a zod-checked config. */
import { z } from "zod";

/** A learning-rate schedule config. */
export const scheduleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("constant") }).strict(),
  z.object({
    kind: z.literal("cosine"),
    /** Fraction of steps spent warming up linearly from 0. */
    warmup: z.number().min(0).max(0.5).default(0),
    /** Final LR as a fraction of the base LR. */
    minFactor: z.number().min(0).max(1).default(0.01),
  }).strict(),
  z.object({
    kind: z.literal("one_cycle"),
    /** Fraction of steps spent rising to the peak. */
    pctStart: z.number().gt(0).lt(1).default(0.25),
    /** Initial LR = peak / divFactor. */
    divFactor: z.number().min(1).default(25),
    /** Final LR = initial / finalDivFactor. */
    finalDivFactor: z.number().min(1).default(1e3),
  }).strict(),
  z.object({
    kind: z.literal("step"),
    /** Multiply the LR by `gamma` every `everyEpochs` epochs. */
    everyEpochs: z.number().int().min(1),
    gamma: z.number().gt(0).max(1).default(0.1),
  }).strict(),
]);
/** Schedule config as written by callers. */
export type ScheduleInput = z.input<typeof scheduleSchema>;
/** Schedule config with defaults filled. */
export type Schedule = z.output<typeof scheduleSchema>;

/**
 * Learning rate at `step` (0-based) of `totalSteps`, for base (peak) rate `base`.
 * `stepsPerEpoch` is needed by the `step` schedule.
 */
export function learningRateAt(
  schedule: Schedule,
  base: number,
  step: number,
  totalSteps: number,
  stepsPerEpoch: number,
): number {
  const t = totalSteps <= 1 ? 1 : Math.min(1, Math.max(0, step / (totalSteps - 1)));
  switch (schedule.kind) {
    case "constant":
      return base;
    case "cosine": {
      if (schedule.warmup > 0 && t < schedule.warmup) return base * (t / schedule.warmup);
      const u = schedule.warmup >= 1 ? 1 : (t - schedule.warmup) / (1 - schedule.warmup);
      const min = base * schedule.minFactor;
      return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * u));
    }
    case "one_cycle": {
      const start = base / schedule.divFactor;
      const end = start / schedule.finalDivFactor;
      const cos = (a: number, b: number, u: number) =>
        b + (a - b) * 0.5 * (1 + Math.cos(Math.PI * u));
      if (t < schedule.pctStart) return cos(start, base, t / schedule.pctStart);
      return cos(base, end, (t - schedule.pctStart) / (1 - schedule.pctStart));
    }
    case "step": {
      const epoch = Math.floor(step / Math.max(1, stepsPerEpoch));
      return base * schedule.gamma ** Math.floor(epoch / schedule.everyEpochs);
    }
  }
}

/** Shared types of the tuning stage: directions, trial states and a read-only trial snapshot. */
import { z } from "zod";
import type { Distribution, Params } from "./space.ts";

/** Optimisation direction. */
export const directionSchema = z.enum(["minimize", "maximize"]);
/** Optimisation direction. */
export type Direction = z.infer<typeof directionSchema>;

/** Life cycle of a trial row. */
export const trialStateSchema = z.enum(["queued", "running", "complete", "pruned", "failed"]);
/** Life cycle of a trial row. */
export type TrialState = z.infer<typeof trialStateSchema>;

/** An intermediate value reported at `step`. */
export interface Intermediate {
  step: number;
  value: number;
}

/** A read-only snapshot of a trial, as samplers and pruners see it. */
export interface FrozenTrial {
  number: number;
  state: TrialState;
  params: Params;
  distributions: Record<string, Distribution>;
  value: number | null;
  /** Intermediate values sorted by step. */
  intermediate: Intermediate[];
}

/** Sort key helper: `value` oriented so that smaller is better. */
export function oriented(direction: Direction, value: number): number {
  return direction === "minimize" ? value : -value;
}

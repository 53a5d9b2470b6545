/**
 * Optional experiment-tracking hooks for studies: the study becomes a parent run and each trial
 * a child run. `lib/tune` depends only on this interface; an adapter over `lib/tracking` (or
 * anything else) implements it.
 */
import type { Params } from "./space.ts";
import type { StudyRecord } from "./storage.ts";

/** Per-trial tracking handle. */
export interface TrialTracking {
  /** An intermediate value was reported. */
  reported(step: number, value: number): Promise<void>;
  /** The trial ended ("lost": requeued elsewhere; its run should end as killed). */
  finished(
    state: "complete" | "pruned" | "failed" | "lost",
    value: number | null,
    params: Params,
    error?: string,
  ): Promise<void>;
}

/** Tracking hooks of a study. */
export interface TuneTracker {
  /** Called once per optimize() call before any trial starts. */
  studyStarted(study: StudyRecord): Promise<void>;
  /** Called when this process starts a trial. */
  trialStarted(
    study: StudyRecord,
    trial: { id: number; number: number; workerId: string },
  ): Promise<TrialTracking>;
}

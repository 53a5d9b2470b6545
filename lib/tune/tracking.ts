/**
 * Adapter from the tuning hooks ({@link TuneTracker}) to `lib/tracking`: a study session is a
 * parent run, each trial a child run with its params, intermediate values (metric `value` per
 * step) and final value (metric `objective`); pruned trials finish tagged `tune.state=pruned`,
 * failed ones fail, trials lost to a requeue end as killed.
 */
import { type RunHandle, startRun, type TrackingContext } from "../tracking/mod.ts";
import { setStudyRunId, setTrialRunId, type StudyRecord } from "./storage.ts";
import type { TrialTracking, TuneTracker } from "./tracker.ts";

/** Experiment name used for tuning runs unless told otherwise. */
const TUNE_EXPERIMENT = "tune";

/**
 * Start the parent run of a study session and record it on the study (workers in other
 * processes read it from there). Finish it with `finish()`/`fail()` when the session ends.
 */
export async function startStudyRun(
  ctx: TrackingContext,
  study: StudyRecord,
  experiment = TUNE_EXPERIMENT,
): Promise<RunHandle> {
  const run = await startRun(ctx, {
    experiment,
    name: `study ${study.name}`,
    params: {
      study: study.name,
      direction: study.direction,
      objective: study.objective,
      sampler: study.sampler,
      pruner: study.pruner,
      seed: study.seed,
    },
    tags: { "tune.study": study.name, "tune.role": "study" },
    lineage: { seed: study.seed },
  });
  await setStudyRunId(ctx.db, study.id, run.id);
  return run;
}

/**
 * Tracking hooks that record every trial as a child run of the study's current run
 * (`study.runId`, read when a trial starts; top-level runs when there is none).
 */
export function trialRunTracker(ctx: TrackingContext, experiment = TUNE_EXPERIMENT): TuneTracker {
  return {
    async studyStarted() {},
    async trialStarted(study, trial): Promise<TrialTracking> {
      const run = await startRun(ctx, {
        experiment,
        name: `${study.name}#${trial.number}`,
        parentId: study.runId ?? undefined,
        tags: {
          "tune.study": study.name,
          "tune.trial": String(trial.number),
          "tune.worker": trial.workerId,
          "tune.role": "trial",
        },
        lineage: { seed: study.seed },
      });
      await setTrialRunId(ctx.db, trial.id, run.id);
      return {
        reported: (step, value) =>
          Number.isFinite(value) ? run.logMetric("value", value, step) : Promise.resolve(),
        async finished(state, value, params, error) {
          await run.logParams(params);
          if (value !== null && Number.isFinite(value)) await run.logMetric("objective", value, 0);
          await run.setTag("tune.state", state);
          if (state === "complete" || state === "pruned") await run.finish();
          else if (state === "failed") await run.fail(new Error(error ?? "objective failed"));
          else await run.kill("trial requeued to another worker (heartbeat went stale)");
        },
      };
    },
  };
}

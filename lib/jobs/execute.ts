/**
 * Run one step of a recorded DAG run — the unit of work of every engine (the embedded runner
 * calls it in-process, a BullMQ worker calls it per job). It reads the run's parameters and the
 * results of its completed steps from the database, calls the step's handler (the stage's cached
 * step), and records the attempt. A duplicate delivery of a step already completed (a job retried
 * after its worker died just after finishing) returns the recorded result without running again;
 * the run is completed exactly once.
 */
import type { Ctx } from "../workspace/mod.ts";
import type { Json } from "../hashing/mod.ts";
import { dagByName, STEP_HANDLERS, type StepName, type StepOutcome } from "./dag.ts";
import type { AutomationMetrics } from "./metrics.ts";
import {
  completedResults,
  runCompleted,
  runHeader,
  stepCompleted,
  stepFailed,
  stepStarted,
} from "./records.ts";

/** Options of {@link executeStep}. */
export interface ExecuteOptions {
  /** This is the last attempt: a failure fails the step and the run. */
  final: boolean;
  metrics?: AutomationMetrics;
}

/** What {@link executeStep} did. */
export interface ExecuteResult extends StepOutcome {
  /** The step had already completed in this run (nothing ran). */
  duplicate: boolean;
  /** This call completed the run. */
  runCompleted: boolean;
}

/** Run `step` of run `runId`; see the module doc. Rethrows the step's error after recording it. */
export async function executeStep(
  ctx: Ctx,
  runId: string,
  step: StepName,
  opts: ExecuteOptions,
): Promise<ExecuteResult> {
  const header = await runHeader(ctx.db, runId);
  const dag = dagByName(header.dag);
  const results = await completedResults(ctx.db, runId);
  const done = results[step];
  if (done !== undefined) {
    return { result: done, cached: true, duplicate: true, runCompleted: false };
  }
  const log = ctx.log.child({ dagRun: runId, dag: dag.name, dagStep: step });
  await stepStarted(ctx.db, runId, step);
  const t0 = performance.now();
  let out: StepOutcome;
  try {
    out = await STEP_HANDLERS[step]({ ctx, params: header.params, results });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await stepFailed(ctx.db, runId, step, message, opts.final);
    opts.metrics?.stepAttemptsFailed.inc({ dag: dag.name, step });
    if (opts.final) opts.metrics?.runsFailed.inc({ dag: dag.name });
    log.error(opts.final ? "DAG step failed; run failed" : "DAG step attempt failed", {
      error: err,
    });
    throw err;
  }
  const first = await stepCompleted(ctx.db, runId, step, out);
  opts.metrics?.stepSeconds.observe(
    { dag: dag.name, step, cached: String(out.cached) },
    (performance.now() - t0) / 1000,
  );
  log.info("DAG step completed", { cached: out.cached });
  let completed = false;
  if (first && dag.steps.at(-1)?.name === step) {
    const all = { ...results, [step]: out.result };
    const outcome: Json = (all.register ?? all[step] ?? null) as Json;
    completed = await runCompleted(ctx.db, runId, outcome);
    if (completed) opts.metrics?.runsCompleted.inc({ dag: dag.name });
  }
  return { ...out, duplicate: !first, runCompleted: completed };
}

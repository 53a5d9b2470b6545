/**
 * Public face of the automation stage: DAGs over the pipeline's cached steps, run records in the
 * metadata DB, two engines behind one interface — the embedded in-process runner (default, no
 * service) and BullMQ on Redis (flows, retries with backoff, cron job schedulers, any number of
 * worker processes) — and the closed retraining loop with its guard rails.
 *
 * ```ts
 * const engine = openEngine(ctx, automationSettings());
 * const runId = await engine.submit(DAGS.pipeline, parseDagParams({ recipe: "quick" }),
 *   { trigger: "manual", triggeredBy: "me" });
 * console.log((await getRun(ctx.db, runId)).status);
 * ```
 */
import type { Ctx } from "../workspace/mod.ts";
import { BullmqEngine } from "./bullmq.ts";
import { EmbeddedEngine, type Engine } from "./engine.ts";
import type { AutomationMetrics } from "./metrics.ts";
import type { AutomationSettings } from "./settings.ts";

export { AutomationConfigError, automationEnvSchema, automationSettings } from "./settings.ts";
export type { AutomationSettings } from "./settings.ts";
export {
  dagByName,
  DagError,
  dagNameSchema,
  dagParamsSchema,
  DAGS,
  parseDagParams,
  STEP_HANDLERS,
  stepNameSchema,
} from "./dag.ts";
export type {
  DagDefinition,
  DagName,
  DagParams,
  DagParamsInput,
  DagStep,
  StepEnv,
  StepName,
  StepOutcome,
} from "./dag.ts";
export {
  createRun,
  getRun,
  listRuns,
  RunNotFoundError,
  triggerSchema,
  workerName,
} from "./records.ts";
export type { DagRunRecord, DagStepRecord, RunStatus, StepStatus, Trigger } from "./records.ts";
export { executeStep } from "./execute.ts";
export type { ExecuteOptions, ExecuteResult } from "./execute.ts";
export { EmbeddedEngine, runStepsInProcess } from "./engine.ts";
export type { Engine, RetryPolicy, SubmitOptions } from "./engine.ts";
export { BullmqEngine, queueNames, redisConnection, startStepWorker } from "./bullmq.ts";
export { SCHEDULES, startScheduler } from "./scheduler.ts";
export type { Scheduler } from "./scheduler.ts";
export { listTriggers, processDriftEvents, STALE_CLAIM_SECONDS } from "./loop.ts";
export type { TriggerDecision } from "./loop.ts";
export { createAutomationMetrics } from "./metrics.ts";
export type { AutomationMetrics } from "./metrics.ts";

/**
 * The engine the settings name: `embedded` (default) or `bullmq` (needs `ctx.settings.redisUrl`,
 * i.e. `REDIS_URL`).
 */
export function openEngine(
  ctx: Ctx,
  settings: AutomationSettings,
  metrics?: AutomationMetrics,
): Engine {
  if (settings.engine === "embedded") {
    return new EmbeddedEngine(
      ctx,
      { attempts: settings.attempts, backoffMs: settings.backoffMs },
      metrics,
    );
  }
  const url = ctx.settings.redisUrl;
  if (!url) {
    throw new Error("FMNIST_AUTOMATION_ENGINE=bullmq needs REDIS_URL (redis://host:port)");
  }
  return new BullmqEngine(ctx, settings, url);
}

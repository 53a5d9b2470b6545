/**
 * The engine interface and the embedded (in-process) engine, the default: `submit` records the
 * run and runs its steps one after another in this process, retrying a failing step up to
 * `attempts` times with exponential backoff — no service needed. The BullMQ engine
 * (`bullmq.ts`) implements the same interface on Redis queues and separate worker processes.
 */
import type { Ctx } from "../workspace/mod.ts";
import type { DagDefinition, DagParams, StepName } from "./dag.ts";
import { executeStep } from "./execute.ts";
import type { AutomationMetrics } from "./metrics.ts";
import { createRun, resetForRetry, type Trigger } from "./records.ts";

/** How a run is started. */
export interface SubmitOptions {
  trigger: Trigger;
  /** Who or what: a user, `scheduler`, `drift event 12`. */
  triggeredBy: string;
  /** The logical date of a scheduled or backfilled run (YYYY-MM-DD). */
  logicalDate?: string;
}

/** A job engine running DAG runs. */
export interface Engine {
  readonly kind: "embedded" | "bullmq";
  /** Record a run of `dag` and start it; returns the run id. */
  submit(dag: DagDefinition, params: DagParams, opts: SubmitOptions): Promise<string>;
  /** Re-run a failed run from its failed step. */
  retry(runId: string): Promise<void>;
  close(): Promise<void>;
}

/** Retry policy of the embedded engine. */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/** Run `steps` of run `runId` in order in this process, with retries. Throws the last error. */
export async function runStepsInProcess(
  ctx: Ctx,
  runId: string,
  steps: readonly StepName[],
  policy: RetryPolicy,
  metrics?: AutomationMetrics,
): Promise<void> {
  for (const step of steps) {
    for (let attempt = 1;; attempt++) {
      const final = attempt >= policy.attempts;
      try {
        await executeStep(ctx, runId, step, { final, metrics });
        break;
      } catch (err) {
        if (final) throw err;
        const delay = policy.backoffMs * 2 ** (attempt - 1);
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

/** The embedded engine: runs submitted DAGs in this process (submit resolves when done). */
export class EmbeddedEngine implements Engine {
  readonly kind = "embedded" as const;
  readonly #ctx: Ctx;
  readonly #policy: RetryPolicy;
  readonly #metrics?: AutomationMetrics;

  constructor(ctx: Ctx, policy: RetryPolicy, metrics?: AutomationMetrics) {
    this.#ctx = ctx;
    this.#policy = policy;
    this.#metrics = metrics;
  }

  /** Record and run the DAG; resolves with the run id when it completed, throws when it failed. */
  async submit(dag: DagDefinition, params: DagParams, opts: SubmitOptions): Promise<string> {
    const runId = await createRun(this.#ctx.db, { dag, params, engine: "embedded", ...opts });
    await runStepsInProcess(
      this.#ctx,
      runId,
      dag.steps.map((s) => s.name),
      this.#policy,
      this.#metrics,
    );
    return runId;
  }

  async retry(runId: string): Promise<void> {
    const steps = await resetForRetry(this.#ctx.db, runId);
    await runStepsInProcess(this.#ctx, runId, steps, this.#policy, this.#metrics);
  }

  async close(): Promise<void> {}
}

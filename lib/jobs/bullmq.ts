/**
 * The BullMQ engine (Redis): a DAG run becomes a BullMQ flow — each step a job whose child is
 * the step before it, so a step is queued only when the step it needs completed — on the
 * `<prefix>-steps` queue. Workers (`deno task worker`, any number of processes on any machines
 * sharing Redis, the metadata DB and the object store) take jobs, call {@link executeStep} and
 * retry a failed attempt with exponential backoff; a job whose worker died (lock expired) is
 * moved back to the queue by BullMQ's stalled-job check and taken by another worker. Schedules
 * are BullMQ job schedulers (cron) on the `<prefix>-schedules` queue, whose ticks the scheduler
 * process turns into runs.
 */
import { type FlowJob, FlowProducer, type Job, Queue, Worker } from "bullmq";
import type { RedisOptions } from "ioredis";
import type { Ctx } from "../workspace/mod.ts";
import { type DagDefinition, type DagParams, type StepName, stepNameSchema } from "./dag.ts";
import type { Engine, SubmitOptions } from "./engine.ts";
import { executeStep } from "./execute.ts";
import type { AutomationMetrics } from "./metrics.ts";
import { createRun, resetForRetry, runHeader, stepFailed } from "./records.ts";
import type { AutomationSettings } from "./settings.ts";
import { z } from "zod";

/** ioredis options for a `redis://` / `rediss://` URL, as BullMQ needs them. */
export function redisConnection(url: string): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, got ${u.protocol}`);
  }
  const db = u.pathname.replace(/^\//, "");
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    // BullMQ's blocking connections require it.
    maxRetriesPerRequest: null,
  };
}

/** Queue names of a deployment. */
export function queueNames(prefix: string): { steps: string; schedules: string } {
  return { steps: `${prefix}-steps`, schedules: `${prefix}-schedules` };
}

const jobData = z.object({ runId: z.string().uuid(), step: stepNameSchema });

/** The BullMQ engine (submitting side). */
export class BullmqEngine implements Engine {
  readonly kind = "bullmq" as const;
  readonly #ctx: Ctx;
  readonly #settings: AutomationSettings;
  readonly #flows: FlowProducer;
  readonly #queue: Queue;

  constructor(ctx: Ctx, settings: AutomationSettings, redisUrl: string) {
    this.#ctx = ctx;
    this.#settings = settings;
    const connection = redisConnection(redisUrl);
    this.#flows = new FlowProducer({ connection });
    this.#queue = new Queue(queueNames(settings.queue).steps, { connection });
  }

  /** The steps queue (for the runs UI). */
  get queue(): Queue {
    return this.#queue;
  }

  /** Record the run and enqueue its steps as one flow; returns the run id. */
  async submit(dag: DagDefinition, params: DagParams, opts: SubmitOptions): Promise<string> {
    const runId = await createRun(this.#ctx.db, { dag, params, engine: "bullmq", ...opts });
    await this.#enqueue(runId, dag.steps.map((s) => s.name), "a1");
    return runId;
  }

  /** Re-run a failed run from its failed step (new jobs for that step and the later ones). */
  async retry(runId: string): Promise<void> {
    const steps = await resetForRetry(this.#ctx.db, runId);
    await this.#enqueue(runId, steps, `r${Date.now()}`);
  }

  async #enqueue(runId: string, steps: readonly StepName[], generation: string): Promise<void> {
    if (!steps.length) return;
    const queueName = queueNames(this.#settings.queue).steps;
    let flow: FlowJob | undefined;
    for (const step of steps) {
      const job: FlowJob = {
        name: step,
        queueName,
        data: { runId, step },
        opts: {
          jobId: `${runId}.${step}.${generation}`,
          attempts: this.#settings.attempts,
          backoff: { type: "exponential", delay: this.#settings.backoffMs },
          failParentOnFailure: true,
          removeOnComplete: { age: 7 * 86_400 },
          removeOnFail: { age: 30 * 86_400 },
        },
        ...(flow ? { children: [flow] } : {}),
      };
      flow = job;
    }
    await this.#flows.add(flow!);
  }

  async close(): Promise<void> {
    await this.#flows.close();
    await this.#queue.close();
  }
}

/**
 * A worker process's BullMQ worker on the steps queue: one job at a time; the lock (and the
 * stalled-job check) is `settings.lockMs`, so a job of a dead worker is retried after about
 * that long.
 */
export function startStepWorker(
  ctx: Ctx,
  settings: AutomationSettings,
  redisUrl: string,
  metrics?: AutomationMetrics,
): Worker {
  const worker = new Worker(
    queueNames(settings.queue).steps,
    async (job: Job) => {
      const { runId, step } = jobData.parse(job.data);
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const r = await executeStep(ctx, runId, step, { final, metrics });
      return { cached: r.cached, duplicate: r.duplicate };
    },
    {
      connection: redisConnection(redisUrl),
      concurrency: 1,
      lockDuration: settings.lockMs,
      stalledInterval: settings.lockMs,
      maxStalledCount: 2,
    },
  );
  // A job that failed without its processor finishing it (stalled too often): record it.
  worker.on("failed", (job, err) => {
    if (!job || !err.message.includes("stalled")) return;
    const d = jobData.safeParse(job.data);
    if (!d.success) return;
    const { runId, step } = d.data;
    (async () => {
      await stepFailed(ctx.db, runId, step, err.message, true);
      metrics?.runsFailed.inc({ dag: (await runHeader(ctx.db, runId)).dag });
    })().catch((e) => ctx.log.warn("could not record a stalled job", { error: e }));
  });
  worker.on("error", (err) => ctx.log.warn("worker error", { error: err }));
  return worker;
}

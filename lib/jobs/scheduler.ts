/**
 * Schedules as BullMQ job schedulers (cron, from the automation settings) on the
 * `<prefix>-schedules` queue, and the worker that turns each tick into work: `data` and
 * `retrain` ticks submit that DAG (logical date = the tick's day), `drift` ticks run the closed
 * loop's {@link processDriftEvents}. Upserting a scheduler is idempotent, so any number of
 * scheduler processes can start; BullMQ produces one job per tick.
 */
import { type Job, Queue, Worker } from "bullmq";
import type { Ctx } from "../workspace/mod.ts";
import { z } from "zod";
import { BullmqEngine, queueNames, redisConnection } from "./bullmq.ts";
import { DAGS, parseDagParams } from "./dag.ts";
import { processDriftEvents } from "./loop.ts";
import type { AutomationSettings } from "./settings.ts";

/** Names of the schedules. */
export const SCHEDULES = ["data", "drift", "retrain"] as const;

/** The running scheduler. */
export interface Scheduler {
  readonly queue: Queue;
  readonly worker: Worker;
  close(): Promise<void>;
}

const tickName = z.enum(SCHEDULES);

/** Upsert the job schedulers and start the worker handling their ticks. */
export async function startScheduler(
  ctx: Ctx,
  settings: AutomationSettings,
  redisUrl: string,
): Promise<Scheduler> {
  const connection = redisConnection(redisUrl);
  const queue = new Queue(queueNames(settings.queue).schedules, { connection });
  for (const name of SCHEDULES) {
    await queue.upsertJobScheduler(name, { pattern: settings.schedules[name] }, {
      name,
      data: {},
      opts: { removeOnComplete: 100, removeOnFail: 100 },
    });
  }
  const engine = new BullmqEngine(ctx, settings, redisUrl);
  const worker = new Worker(
    queue.name,
    async (job: Job) => {
      const name = tickName.parse(job.name);
      if (name === "drift") {
        const decisions = await processDriftEvents(ctx, engine, settings);
        return { decisions: decisions.length };
      }
      const day = new Date(job.timestamp).toISOString().slice(0, 10);
      const params = name === "retrain"
        ? parseDagParams({ model: settings.model, ...settings.retrain })
        : parseDagParams({ model: settings.model });
      const runId = await engine.submit(DAGS[name], params, {
        trigger: "schedule",
        triggeredBy: `schedule ${name} (${settings.schedules[name]})`,
        logicalDate: day,
      });
      return { runId };
    },
    { connection, concurrency: 1 },
  );
  worker.on("error", (err) => ctx.log.warn("scheduler worker error", { error: err }));
  return {
    queue,
    worker,
    async close() {
      await worker.close();
      await engine.close();
      await queue.close();
    },
  };
}

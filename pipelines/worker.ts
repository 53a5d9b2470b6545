/**
 * `deno task worker`: a BullMQ worker process taking DAG step jobs from Redis (`REDIS_URL`) and
 * running them on the shared metadata DB (`DATABASE_URL`) and object store (`S3_ENDPOINT` or a
 * shared state dir). Start as many as you like, on one machine or many. Stops on SIGINT/SIGTERM
 * after the job in hand.
 */
import { z } from "zod";
import {
  automationSettings,
  createAutomationMetrics,
  startStepWorker,
  workerName,
} from "../lib/jobs/mod.ts";
import {
  CommandError,
  commandMain,
  dataDirFlag,
  defineCommand,
  stateDirFlag,
} from "../lib/cli/mod.ts";
import { untilSignal } from "./signals.ts";

/** The worker command. */
export const command = defineCommand({
  name: "worker",
  summary: "Take DAG step jobs from the queue (REDIS_URL) until stopped (Ctrl-C / SIGTERM).",
  description: "Settings: FMNIST_AUTOMATION_QUEUE, FMNIST_JOB_ATTEMPTS, FMNIST_JOB_BACKOFF_MS, " +
    "FMNIST_JOB_LOCK_MS (docs/automation.md).",
  schema: z.object({
    ...stateDirFlag,
    ...dataDirFlag,
    "metrics-port": z.coerce.number().int().min(1).max(65535).optional().meta({
      description:
        "serve Prometheus metrics (fmnist_dag_*) on HOST:N/metrics (HOST default 127.0.0.1)",
      arg: "N",
    }),
  }),
  run: async ({ flags, open, env, out }) => {
    const ctx = await open({ manifestDir: flags["data-dir"] });
    const url = ctx.settings.redisUrl;
    if (!url) {
      throw new CommandError(
        "REDIS_URL is not set (redis://host:port); the worker needs the queue",
        2,
      );
    }
    const settings = automationSettings(env);
    const metrics = createAutomationMetrics();
    const worker = startStepWorker(ctx, settings, url, metrics);
    const port = flags["metrics-port"];
    const server = port
      ? Deno.serve(
        { port, hostname: env.HOST ?? "127.0.0.1", onListen() {} },
        async () =>
          new Response(await metrics.registry.metrics(), {
            headers: { "content-type": metrics.registry.contentType },
          }),
      )
      : undefined;
    try {
      await worker.waitUntilReady();
      out.line(`worker ${workerName()} ready on queue ${worker.name}`);
      await untilSignal();
    } finally {
      await worker.close();
      await server?.shutdown();
    }
  },
});

/** Run the worker; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));

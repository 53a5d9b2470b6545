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
} from "../lib/automation/mod.ts";
import { type Ctx } from "../lib/workspace/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";

const USAGE = `usage: deno task worker [--state-dir DIR] [--data-dir DIR] [--metrics-port N]

Takes DAG step jobs from the queue (REDIS_URL) until stopped (Ctrl-C / SIGTERM). Settings:
FMNIST_AUTOMATION_QUEUE, FMNIST_JOB_ATTEMPTS, FMNIST_JOB_BACKOFF_MS, FMNIST_JOB_LOCK_MS
(docs/automation.md).

  --state-dir DIR     state directory (default: FMNIST_STATE_DIR or .fmnist)
  --data-dir DIR      manifest directory (default: the repository's data/)
  --metrics-port N    serve Prometheus metrics (fmnist_dag_*) on 127.0.0.1:N/metrics
  -h, --help          show this help`;

const flagsSchema = z.object({
  "state-dir": z.string().trim().min(1).optional(),
  "data-dir": z.string().trim().min(1).optional(),
  "metrics-port": z.coerce.number().int().min(1).max(65535).optional(),
  help: z.boolean().optional(),
});

async function work(
  ctx: Ctx,
  flags: z.infer<typeof flagsSchema>,
  env: Record<string, string | undefined>,
): Promise<number> {
  const url = ctx.settings.redisUrl;
  if (!url) {
    console.error("worker: REDIS_URL is not set (redis://host:port); the worker needs the queue");
    return 2;
  }
  const settings = automationSettings(env);
  const metrics = createAutomationMetrics();
  const worker = startStepWorker(ctx, settings, url, metrics);
  const server = flags["metrics-port"]
    ? Deno.serve(
      { port: flags["metrics-port"], hostname: "127.0.0.1", onListen() {} },
      async () =>
        new Response(await metrics.registry.metrics(), {
          headers: { "content-type": metrics.registry.contentType },
        }),
    )
    : undefined;
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await worker.waitUntilReady();
  console.log(`worker ${workerName()} ready on queue ${worker.name}`);
  await stopped.promise;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await worker.close();
  await server?.shutdown();
  return 0;
}

/** Run the worker; returns the exit code. */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  return runCommand(
    {
      name: "worker",
      usage: USAGE,
      flags: {
        "state-dir": { type: "string" },
        "data-dir": { type: "string" },
        "metrics-port": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      contextOptions: (f) => ({ manifestDir: f["data-dir"] }),
      run: (ctx, flags) => work(ctx, flags, env),
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

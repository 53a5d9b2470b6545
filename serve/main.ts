/**
 * `deno task serve`: read settings from the environment, open the run context, serve the app on
 * `PORT`, and shut down gracefully (finish in-flight requests, close the context) on SIGINT or
 * SIGTERM.
 */
import { DriftMonitor, liveOptionsFromEnv } from "../lib/drift/mod.ts";
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import type { Settings } from "../lib/config/mod.ts";
import { createLogger, type Logger } from "../lib/log/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import { createApp } from "./app.ts";
import { Queue } from "bullmq";
import { automationSettings, queueNames, redisConnection } from "../lib/jobs/mod.ts";
import { startServer } from "./server.ts";
import { createDatasetApi } from "./services/lib_datasets.ts";
import { initEngine } from "../lib/engine/mod.ts";
import {
  createInference,
  ImageDecodePool,
  type Inference,
  inferenceOptionsFromEnv,
  inferRuntimeFromEnv,
  warmChampions,
} from "../lib/inference/mod.ts";
import { statePaths } from "../lib/config/mod.ts";
import { AbDecisionMonitor, AbResolver } from "../lib/ab/mod.ts";
import { PredictionLogWriter } from "../lib/predlog/mod.ts";

/** Serve until a termination signal; the workspace is closed by `runCommand` after this. */
async function serve(
  settings: Settings,
  open: (opts: { log: Logger }) => Promise<Ctx>,
  env: Record<string, string | undefined>,
): Promise<number> {
  const log = createLogger({ service: "fmnist-serve" }, { level: settings.logLevel });
  let ctx;
  try {
    ctx = await open({ log });
  } catch (err) {
    log.error("cannot open the workspace", {
      stateDir: settings.stateDir,
      error: err,
      hint: "check FMNIST_STATE_DIR / DATABASE_URL / S3_* and that no other process holds the " +
        "embedded database",
    });
    throw err;
  }
  let inference: Inference | undefined;
  let logs: PredictionLogWriter | undefined;
  let decoder: ImageDecodePool | undefined;
  let monitor: AbDecisionMonitor | undefined;
  let drift: DriftMonitor | undefined;
  let queues: Queue[] = [];
  try {
    let inferenceOpts, runtime, driftOpts, automation;
    try {
      inferenceOpts = inferenceOptionsFromEnv(env);
      driftOpts = liveOptionsFromEnv(env);
      automation = automationSettings(env);
      // FMNIST_INFER_RUNTIME: auto (ONNX Runtime when it loads, else tfjs, logged) | onnx | tfjs
      runtime = await inferRuntimeFromEnv(env, log);
    } catch (err) {
      log.error("bad inference settings", { error: err });
      return 2;
    }
    // The automation's queues in bull-board (/admin/queues) when the job engine is BullMQ.
    if (automation.engine === "bullmq" && settings.redisUrl) {
      const connection = redisConnection(settings.redisUrl);
      const names = queueNames(automation.queue);
      queues = [names.steps, names.schedules].map((n) => new Queue(n, { connection }));
    }
    await initEngine(settings);
    // Prediction logs: batched DB writes, spooled under <state>/spool/ while the DB is down; a
    // spool left by an earlier run is replayed here. A/B splits read their config from the DB.
    const ab = new AbResolver({ db: ctx.db, log });
    inference = createInference(ctx, inferenceOpts, { log, resolver: ab, runtime });
    log.info("inference runtime", {
      runtime: `${runtime.name} ${runtime.version}`,
      workers: inference.workers?.size ?? 0,
      ...(runtime.reason ? { reason: runtime.reason } : {}),
    });
    logs = await PredictionLogWriter.open({
      db: ctx.db,
      spoolDir: statePaths(settings.stateDir).spool,
      log,
      registry: inference.metrics.registry,
    });
    inference.service.setSink(logs);
    // Live drift detection: a window of served inputs per version, tested off the request path.
    drift = driftOpts
      ? new DriftMonitor(ctx, { registry: inference.metrics.registry, live: driftOpts, log })
      : undefined;
    inference.service.setObserver(drift);
    const warming = inference;
    // Champions load in the background; /readyz answers 503 until they are in.
    warmChampions(warming).catch((err) => log.error("model warm-up failed", { error: err }));
    // Image bodies are decoded in worker threads, never on the thread that answers HTTP.
    decoder = new ImageDecodePool(log);
    // Experiments whose design says autoDecide are decided (through the registry gate) as soon
    // as their always-valid test is final; looking every minute is safe for that test.
    const writer = logs;
    monitor = new AbDecisionMonitor({
      ctx,
      log,
      beforeAnalyze: () => writer.sync(),
      onApplied: (model) => ab.invalidate(model),
    });
    monitor.start();
    const app = createApp({
      log,
      models: { decoder },
      datasets: createDatasetApi(ctx),
      inference,
      tracking: ctx,
      experiments: { logs, ab },
      adminKey: settings.adminKey,
      feedbackKey: settings.feedbackKey,
      drift,
      queues,
    });
    let server;
    try {
      server = startServer(app, { port: settings.port, hostname: settings.host, log });
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) {
        log.error("port in use", {
          port: settings.port,
          hint: "stop the other process or set PORT to a free port",
        });
        return 1;
      }
      throw err;
    }
    const stop = (signal: Deno.Signal) => {
      log.info("shutting down", { signal });
      server.shutdown().catch((err) => log.error("shutdown failed", { error: err }));
    };
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    const handlers = signals.map((s) => [s, () => stop(s)] as const);
    for (const [s, h] of handlers) Deno.addSignalListener(s, h);
    await server.finished;
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    log.info("stopped");
    return 0;
  } finally {
    await drift?.close();
    await monitor?.stop();
    await logs?.close(); // flush buffered prediction logs (to the DB, or the spool)
    decoder?.close();
    await inference?.close();
    await Promise.all(queues.map((q) => q.close()));
  }
}

export const command = defineCommand({
  name: "serve",
  summary: "Serve the HTTP API on PORT (settings from the environment: FMNIST_*, DATABASE_URL, " +
    "S3_*, PORT, HOST) until SIGINT/SIGTERM, then finish in-flight requests and close.",
  schema: z.object({}),
  run: ({ settings, open, env }) => serve(settings(), open, env),
});

/** Run the service until a termination signal; resolves with the process exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * Test harness: the whole service (inference, prediction logs, A/B resolver, admin routes) over
 * real HTTP on port 0, against a fresh temp state dir (PGlite, or Postgres at `databaseUrl`),
 * with seeded untrained CNNs registered as v1 (champion) and v2 (challenger) of `fmnist`.
 * `production: true` runs what `deno task serve` runs: compute in worker threads
 * (`FMNIST_INFER_WORKERS=auto`), image decoding in the decode pool, and the production body
 * limit.
 */
import { parseSettings, statePaths } from "../lib/config/mod.ts";
import { AbResolver } from "../lib/ab/mod.ts";
import { DriftMonitor, type LiveOptionsInput } from "../lib/drift/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import {
  createInference,
  type ImageBudgetInput,
  ImageDecodePool,
  type Inference,
  type WorkerCount,
} from "../lib/inference/mod.ts";
import { registerSeededModel } from "../lib/inference/testing.ts";
import { createLogger, type Logger } from "../lib/log/mod.ts";
import { type Ctx, openContext } from "../lib/workspace/mod.ts";
import { type PredictionLogOptionsInput, PredictionLogWriter } from "../lib/predlog/mod.ts";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./server.ts";
import { createDatasetApi } from "./services/lib_datasets.ts";

/** A running service and what it is built from. */
export interface Serving {
  url: string;
  stateDir: string;
  ctx: Ctx;
  inf: Inference;
  logs: PredictionLogWriter;
  ab: AbResolver;
  /** Live drift detection, when {@link ServingOptions.drift} was given. */
  drift?: DriftMonitor;
  server: RunningServer;
  /** Shut the server down, flush logs, close everything and delete the state dir. */
  close(): Promise<void>;
}

/** Options of {@link startServing}. */
export interface ServingOptions {
  databaseUrl?: string;
  /** Prediction cache on Redis (in-process LRU when absent). */
  redisUrl?: string;
  adminKey?: string;
  /** Key of `POST /v1/feedback`. */
  feedbackKey?: string;
  /**
   * The production defaults of `deno task serve`: inference workers `auto` (one per core) and
   * the default body limit (`maxBodyBytes` must then be unset). Default false: compute on the
   * main thread, which keeps the many small test servers cheap.
   */
  production?: boolean;
  /** Inference compute workers (default: `auto` with `production`, else 0). */
  workers?: WorkerCount;
  /** Per-request image budget (default: the production one). */
  imageBudget?: ImageBudgetInput;
  logs?: PredictionLogOptionsInput;
  /** Register the seeded models (default true). */
  seed?: boolean;
  maxBodyBytes?: number;
  log?: Logger;
  /** Enable live drift detection with these options. */
  drift?: LiveOptionsInput;
}

/** Start the service; see the module doc. */
export async function startServing(opts: ServingOptions = {}): Promise<Serving> {
  const log = opts.log ?? createLogger({}, { level: "error", sink: () => {} });
  await initEngine({ backend: "wasm" });
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-serving-" });
  const settings = parseSettings({
    FMNIST_STATE_DIR: stateDir,
    FMNIST_BACKEND: "wasm",
    DATABASE_URL: opts.databaseUrl,
  });
  const ctx = await openContext(settings, { manifestDir: `${stateDir}/manifests`, log });
  if (opts.seed ?? true) {
    await registerSeededModel(ctx, "fmnist", 1, "champion");
    await registerSeededModel(ctx, "fmnist", 2, "challenger");
  }
  const ab = new AbResolver({ db: ctx.db, log, ttlSeconds: 0.2 });
  if (opts.production && opts.maxBodyBytes !== undefined) {
    throw new Error("startServing: production uses the default body limit; unset maxBodyBytes");
  }
  const inf = createInference(ctx, {
    aliasTtlSeconds: 0.2,
    workers: opts.workers ?? (opts.production ? "auto" : 0),
    processMetrics: false,
    ...(opts.redisUrl ? { redisUrl: opts.redisUrl } : {}),
  }, {
    log,
    resolver: ab,
  });
  const logs = await PredictionLogWriter.open({
    db: ctx.db,
    spoolDir: statePaths(stateDir).spool,
    log,
    registry: inf.metrics.registry,
  }, { flushIntervalMs: 100, retryIntervalMs: 200, writeTimeoutMs: 3000, ...opts.logs });
  inf.service.setSink(logs);
  const decoder = opts.production ? new ImageDecodePool(log) : undefined;
  const drift = opts.drift
    ? new DriftMonitor(ctx, { registry: inf.metrics.registry, live: opts.drift, log })
    : undefined;
  inf.service.setObserver(drift);
  const app = createApp({
    models: { decoder, budget: opts.imageBudget },
    log,
    datasets: createDatasetApi(ctx),
    inference: inf,
    tracking: ctx,
    experiments: { logs, ab },
    adminKey: opts.adminKey,
    feedbackKey: opts.feedbackKey,
    maxBodyBytes: opts.maxBodyBytes,
    drift,
  });
  const server = startServer(app, { port: 0, hostname: "127.0.0.1", log });
  return {
    url: server.url,
    stateDir,
    ctx,
    inf,
    logs,
    ab,
    ...(drift ? { drift } : {}),
    server,
    async close() {
      await server.shutdown();
      await drift?.close();
      await logs.close();
      decoder?.close();
      await inf.close();
      await ctx.close();
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    },
  };
}

/** 784 deterministic pixel values in 0..1 (a different image per `seed`). */
export function pixels(seed: number): number[] {
  return Array.from({ length: 784 }, (_, i) => ((i * 7919 + seed * 104729) % 256) / 255);
}

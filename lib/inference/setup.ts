/**
 * Assemble the inference service from a workspace context and options (zod-validated): metrics,
 * prediction cache (Redis with `REDIS_URL`, else an in-process LRU), compute workers
 * (`FMNIST_INFER_WORKERS`), model pool and service; and the readiness check behind `GET /readyz`.
 */
import { zodErrorText } from "../config/mod.ts";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { Logger } from "../log/mod.ts";
import { listModels } from "../registry/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { guardedCache, LruCache, type PredictionCache, RedisCache } from "./cache.ts";
import { createInferenceMetrics, type InferenceMetrics } from "./metrics.ts";
import { ModelPool } from "./pool.ts";
import { InferenceService } from "./service.ts";
import type { PredictionSink, VersionResolver } from "./sink.ts";
import { InferenceWorkers, resolveWorkerCount, workerCountSchema } from "./workers.ts";
import {
  type InferRuntime,
  type InferRuntimeRequest,
  inferRuntimeSchema,
  resolveRuntime,
  type RuntimeInfo,
} from "./runtime.ts";

/** Tunables of the inference service. */
export const inferenceOptionsSchema = z.object({
  /** Redis URL of the prediction cache; unset → in-process LRU. */
  redisUrl: z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .optional(),
  /** LRU capacity in predictions (0 disables caching). */
  lruEntries: z.number().int().min(0).default(10_000),
  /** Largest micro-batch in instances. */
  maxBatch: z.number().int().min(1).max(4096).default(64),
  /** Longest wait for a micro-batch to fill, in ms. */
  maxWaitMs: z.number().min(0).max(1000).default(2),
  /** Seconds an alias resolution is trusted. */
  aliasTtlSeconds: z.number().min(0).max(3600).default(1),
  /** Most model versions loaded at once. */
  maxLoaded: z.number().int().min(1).max(256).default(8),
  /** Collect default process metrics (CPU, memory, event loop). */
  processMetrics: z.boolean().default(true),
  /**
   * Compute workers: `auto` = one per core (at most 8) on the wasm/cpu engines (0 on
   * tensorflow/GPU ones), 0 = compute on the main thread (the default for library callers;
   * the service's {@link inferenceOptionsFromEnv} defaults to `auto`).
   */
  workers: workerCountSchema.default(0),
  /** Batches in flight per worker and model (the next one waits in the worker's queue). */
  inFlightPerWorker: z.number().int().min(1).max(16).default(2),
  /**
   * ONNX Runtime intra-op threads per session: 0 = automatic (1 per worker when compute runs in
   * workers, else ORT's default of one per core).
   */
  onnxThreads: z.number().int().min(0).max(64).default(0),
});
/** Inference options as callers write them. */
export type InferenceOptionsInput = z.input<typeof inferenceOptionsSchema>;
/** Inference options with defaults filled. */
export type InferenceOptions = z.output<typeof inferenceOptionsSchema>;

/** Everything {@link createInference} builds. */
export interface Inference {
  service: InferenceService;
  pool: ModelPool;
  cache: PredictionCache;
  metrics: InferenceMetrics;
  /** The compute workers, when models run off the main thread. */
  workers?: InferenceWorkers;
  /** The runtime models compute on. */
  runtime: InferRuntime;
  /** The context it serves from (registry + object store). */
  ctx: TrackingContext;
  /** Release models and connections. */
  close(): Promise<void>;
}

/**
 * Build the inference service over `ctx`, computing on `hooks.runtime` (resolve it with
 * {@link resolveRuntime} from `FMNIST_INFER_RUNTIME`; default: tfjs on the current backend).
 * @throws Error naming invalid options.
 */
export function createInference(
  ctx: TrackingContext,
  input: InferenceOptionsInput = {},
  hooks: {
    log?: Logger;
    sink?: PredictionSink;
    resolver?: VersionResolver;
    runtime?: InferRuntime;
  } = {},
): Inference {
  const parsed = inferenceOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(
      `invalid inference options: ${zodErrorText(parsed.error, { oneLine: true })}`,
    );
  }
  const o = parsed.data;
  const log = hooks.log ?? ctx.log;
  const runtime: InferRuntime = hooks.runtime ??
    { kind: "tfjs", name: "tfjs", version: tf.version.tfjs };
  const backend = tf.getBackend();
  const onnx = runtime.kind === "onnx";
  // ORT sessions run in workers whatever the tfjs backend is (their engine is then only `cpu`).
  const count = resolveWorkerCount(o.workers, onnx ? "cpu" : backend);
  if (!onnx && count > 0 && backend !== "wasm" && backend !== "cpu") {
    throw new Error(
      `inference workers run the wasm or cpu engine, but this process uses "${backend}"; ` +
        `set FMNIST_INFER_WORKERS=0 (or auto) to compute on the main thread`,
    );
  }
  const workers = count > 0
    ? new InferenceWorkers({
      workers: count,
      backend: onnx ? "cpu" : backend as "wasm" | "cpu",
      log,
      // Called only after a worker failed, long after `metrics` below exists.
      onRestart: () => metrics.workerRestarts.inc(),
    })
    : undefined;
  const metrics = createInferenceMetrics({
    numTensors: () => tf.memory().numTensors + (workers?.tensors ?? 0),
    collectDefault: o.processMetrics,
  });
  const onnxThreads = o.onnxThreads > 0 ? o.onnxThreads : count > 0 ? 1 : 0;
  const raw: PredictionCache = o.redisUrl
    ? new RedisCache(o.redisUrl, { log })
    : new LruCache(o.lruEntries);
  const cache = guardedCache(raw, metrics);
  const pool = new ModelPool({
    ctx,
    metrics,
    log,
    aliasTtlSeconds: o.aliasTtlSeconds,
    maxLoaded: o.maxLoaded,
    batch: { maxBatch: o.maxBatch, maxWaitMs: o.maxWaitMs },
    workers,
    inFlightPerWorker: o.inFlightPerWorker,
    runtime,
    onnxThreads,
  });
  const service = new InferenceService({
    pool,
    cache,
    metrics,
    log,
    sink: hooks.sink,
    resolver: hooks.resolver,
  });
  return {
    service,
    pool,
    cache,
    metrics,
    ...(workers ? { workers } : {}),
    runtime,
    ctx,
    close: async () => {
      try {
        await service.close();
      } finally {
        workers?.close();
      }
    },
  };
}

/** Load the champion of every registered model (startup). Returns the models it tried. */
export async function warmChampions(inf: Inference): Promise<string[]> {
  const names = (await listModels(inf.ctx)).filter((m) => m.aliases.champion !== undefined)
    .map((m) => m.name);
  await inf.pool.warm(names);
  return names;
}

/** One dependency's state in a readiness report. */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** Readiness of the service. */
export interface Readiness {
  ready: boolean;
  checks: {
    models: CheckResult & { loaded: number };
    db: CheckResult;
    store: CheckResult;
    cache: CheckResult & { backend: string };
    /** Compute workers (only when models run in workers): ready ones out of all. */
    workers?: CheckResult & { ready: number; size: number };
  };
  /** The runtime of the service, and why it is not the one requested (auto fallback). */
  runtime: { kind: "onnx" | "tfjs"; name: string; version: string; reason?: string };
  /** Each loaded model version and the runtime computing it. */
  loaded: { name: string; version: number; runtime: RuntimeInfo }[];
}

async function check(f: () => Promise<unknown>): Promise<CheckResult> {
  try {
    await f();
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Check dependencies: at least one model loaded (when any model has a champion), the database
 * answers, the object store lists, the cache pings, and (with workers) one compute worker is up. A down Redis makes the service not ready
 * for routing purposes but predictions still succeed (cache bypassed).
 */
export async function checkReadiness(inf: Inference): Promise<Readiness> {
  const [db, store, cacheOk] = await Promise.all([
    check(() => inf.ctx.db.query("SELECT 1")),
    check(() => inf.ctx.store.list("models/__readyz__")),
    inf.cache.ping().catch(() => false),
  ]);
  const loaded = inf.pool.loaded().length;
  let models: CheckResult & { loaded: number } = { ok: loaded > 0, loaded };
  if (loaded === 0 && db.ok) {
    const champions = (await listModels(inf.ctx).catch(() => [])).filter((m) =>
      m.aliases.champion !== undefined
    );
    models = champions.length === 0
      ? { ok: true, loaded, detail: "no model has a champion yet; nothing to load" }
      : { ok: false, loaded, detail: "champions exist but none is loaded yet" };
  }
  const cache = {
    ok: cacheOk,
    backend: inf.cache.backend,
    ...(cacheOk ? {} : { detail: `${inf.cache.backend} cache unreachable (bypassed)` }),
  };
  const w = inf.workers;
  const workers = w && {
    ok: w.readyCount > 0,
    ready: w.readyCount,
    size: w.size,
    ...(w.readyCount === w.size
      ? {}
      : { detail: `${w.readyCount} of ${w.size} inference workers ready (others starting)` }),
  };
  const rt = inf.runtime;
  return {
    ready: models.ok && db.ok && store.ok && cache.ok && (workers?.ok ?? true),
    checks: { models, db, store, cache, ...(workers ? { workers } : {}) },
    runtime: {
      kind: rt.kind,
      name: rt.name,
      version: rt.version,
      ...(rt.reason ? { reason: rt.reason } : {}),
    },
    loaded: inf.pool.loaded().map((l) => ({
      name: l.name,
      version: l.version,
      runtime: l.runtime,
    })),
  };
}

const envNumber = z.string().trim().regex(/^[0-9]+(\.[0-9]+)?$/, "must be a non-negative number")
  .transform(Number).optional();
const envWorkers = z.string().trim().regex(/^(auto|[0-9]+)$/, 'must be "auto" or a whole number')
  .transform((v) => (v === "auto" ? "auto" as const : Number(v))).optional();

/** Environment variables tuning the inference service (all optional). */
export const inferenceEnvSchema = z.object({
  REDIS_URL: z.string().optional(),
  /** Largest micro-batch in instances (default 64). */
  FMNIST_MAX_BATCH: envNumber,
  /** Longest wait for a micro-batch to fill, in ms (default 2). */
  FMNIST_MAX_WAIT_MS: envNumber,
  /** Seconds an alias resolution is trusted: a promotion is served within this (default 1). */
  FMNIST_ALIAS_TTL_S: envNumber,
  /** In-process prediction cache capacity in predictions; 0 disables it (default 10000). */
  FMNIST_CACHE_ENTRIES: envNumber,
  /** Most model versions loaded at once (default 8). */
  FMNIST_MAX_LOADED: envNumber,
  /**
   * Compute worker threads: `auto` (default: one per core, at most 8, on the wasm/cpu engines),
   * 0 = compute on the main thread, or a count.
   */
  FMNIST_INFER_WORKERS: envWorkers,
  /** Batches in flight per worker and model (default 2). */
  FMNIST_INFER_IN_FLIGHT: envNumber,
  /** ONNX Runtime intra-op threads per session; 0 = automatic (default). */
  FMNIST_ORT_THREADS: envNumber,
  /**
   * Runtime models compute on: `onnx` (ONNX Runtime), `tfjs`, or `auto` (default: ONNX Runtime,
   * else tfjs with a logged reason). Read by {@link inferRuntimeFromEnv}.
   */
  FMNIST_INFER_RUNTIME: inferRuntimeSchema.optional(),
});

/**
 * Inference options from environment variables: `REDIS_URL`, `FMNIST_MAX_BATCH`,
 * `FMNIST_MAX_WAIT_MS`, `FMNIST_ALIAS_TTL_S`, `FMNIST_CACHE_ENTRIES`, `FMNIST_MAX_LOADED`,
 * `FMNIST_INFER_WORKERS` (`auto`, the default here, | 0 | N), `FMNIST_INFER_IN_FLIGHT` (batches
 * in flight per worker), `FMNIST_ORT_THREADS` (ONNX Runtime intra-op threads per session).
 * @throws Error naming each invalid variable.
 */
export function inferenceOptionsFromEnv(
  env: Record<string, string | undefined>,
): InferenceOptionsInput {
  const picked = Object.fromEntries(
    Object.keys(inferenceEnvSchema.shape).filter((k) => env[k] !== undefined && env[k] !== "")
      .map((k) => [k, env[k]]),
  );
  const r = inferenceEnvSchema.safeParse(picked);
  if (!r.success) {
    throw new Error(
      `invalid inference settings: ${
        r.error.issues.map((i) =>
          `${i.path.join(".")}=${JSON.stringify(picked[String(i.path[0])])}: ${i.message}`
        )
          .join("; ")
      }`,
    );
  }
  const e = r.data;
  const opts: InferenceOptionsInput = {
    redisUrl: e.REDIS_URL,
    maxBatch: e.FMNIST_MAX_BATCH,
    maxWaitMs: e.FMNIST_MAX_WAIT_MS,
    aliasTtlSeconds: e.FMNIST_ALIAS_TTL_S,
    lruEntries: e.FMNIST_CACHE_ENTRIES,
    maxLoaded: e.FMNIST_MAX_LOADED,
    workers: e.FMNIST_INFER_WORKERS ?? "auto",
    inFlightPerWorker: e.FMNIST_INFER_IN_FLIGHT,
    onnxThreads: e.FMNIST_ORT_THREADS,
  };
  const parsed = inferenceOptionsSchema.safeParse(opts);
  if (!parsed.success) {
    throw new Error(
      `invalid inference settings: ${zodErrorText(parsed.error, { oneLine: true })}`,
    );
  }
  return opts;
}

/**
 * The runtime `FMNIST_INFER_RUNTIME` asks for (`auto`, the default, | `onnx` | `tfjs`),
 * resolved: `auto` falls back to tfjs with a logged reason when ONNX Runtime cannot load.
 * @throws Error naming a bad value, or when `onnx` is required and cannot load.
 */
export async function inferRuntimeFromEnv(
  env: Record<string, string | undefined>,
  log?: Logger,
): Promise<InferRuntime> {
  const raw = env.FMNIST_INFER_RUNTIME?.trim() || "auto";
  const r = inferRuntimeSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(
      `invalid inference settings: FMNIST_INFER_RUNTIME=${JSON.stringify(raw)}: ` +
        `must be one of auto, onnx, tfjs`,
    );
  }
  return await resolveRuntime(r.data as InferRuntimeRequest, { log, tfjsVersion: tf.version.tfjs });
}

/**
 * The predict path: resolve the version (hook), hold the loaded model, look each instance up in
 * the prediction cache, run the misses through the micro-batcher, store them, count them and
 * hand one record per instance to the prediction sink.
 */
import { sha256Hex } from "../storage/mod.ts";
import type { Logger } from "../log/mod.ts";
import { type PredictionCache, predictionKey } from "./cache.ts";
import { IMAGE_PIXELS, type PixelBatch } from "./instances.ts";
import type { InferenceMetrics } from "./metrics.ts";
import type { ModelPool, VersionRef } from "./pool.ts";
import type {
  InputObserver,
  PredictionErrorRecord,
  PredictionRecord,
  PredictionSink,
  VersionResolver,
} from "./sink.ts";

/** One instance's prediction. */
export interface Prediction {
  label: string;
  class_id: number;
  /** Class probabilities indexed by class id. */
  probabilities: number[];
}

/** The answer to a predict request. */
export interface PredictResult {
  predictions: Prediction[];
  model: { name: string; version: number };
  /** A/B arm chosen by the resolver, if any. */
  arm?: string;
  /** How many instances were served from the cache. */
  cached: number;
}

/** A predict request. */
export interface PredictRequest {
  model: string;
  ref: VersionRef;
  batch: PixelBatch;
  /** Server-generated, unique request id: the key of the prediction log records. */
  requestId: string;
  /** The client's own request id (correlation only; not unique), copied into the records. */
  clientRequestId?: string;
  clientKey?: string;
  /** `performance.now()` when the request arrived (latency in sink records); default now. */
  startedAt?: number;
}

/** Options of {@link InferenceService}. */
export interface InferenceServiceOptions {
  pool: ModelPool;
  cache: PredictionCache;
  metrics: InferenceMetrics;
  log: Logger;
  sink?: PredictionSink;
  resolver?: VersionResolver;
}

/** sha256 (hex) of one instance's float32 pixels. */
export function inputHash(pixels: Float32Array): string {
  return sha256Hex(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
}

/** Serves predictions; see the module doc. */
export class InferenceService {
  readonly pool: ModelPool;
  readonly cache: PredictionCache;
  readonly metrics: InferenceMetrics;
  #sink?: PredictionSink;
  #resolver?: VersionResolver;
  #observer?: InputObserver;
  readonly #log: Logger;

  constructor(opts: InferenceServiceOptions) {
    this.pool = opts.pool;
    this.cache = opts.cache;
    this.metrics = opts.metrics;
    this.#sink = opts.sink;
    this.#resolver = opts.resolver;
    this.#log = opts.log;
  }

  /** Replace the prediction sink (e.g. once the log writer is ready). */
  setSink(sink: PredictionSink | undefined): void {
    this.#sink = sink;
  }

  /** Replace the input observer (live drift detection); undefined removes it. */
  setObserver(observer: InputObserver | undefined): void {
    this.#observer = observer;
  }

  /** Replace the version resolver (e.g. when an A/B config changes). */
  setResolver(resolver: VersionResolver | undefined): void {
    this.#resolver = resolver;
  }

  /**
   * Predict every instance of `req.batch`.
   * @throws ModelNotFoundError / ModelLoadError / RegistryInputError from the pool.
   */
  async predict(req: PredictRequest): Promise<PredictResult> {
    const started = req.startedAt ?? performance.now();
    let ref = req.ref;
    let arm: string | undefined;
    let unit: string | undefined;
    if (ref.kind === "default" && this.#resolver) {
      const r = await this.#resolver.resolve({
        model: req.model,
        requestId: req.requestId,
        clientKey: req.clientKey,
      });
      if (r) {
        ref = r.ref;
        arm = r.arm;
        unit = r.unit;
      }
    }
    if (arm === undefined) return await this.#predictResolved(req, ref, started);
    try {
      return await this.#predictResolved(req, ref, started, arm, unit);
    } catch (err) {
      this.#emitError({
        requestId: req.requestId,
        model: req.model,
        ...(ref.kind === "version" ? { version: ref.version } : {}),
        arm,
        ...(unit === undefined ? {} : { unit }),
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        latencyMs: performance.now() - started,
        at: new Date().toISOString(),
      });
      throw err;
    }
  }

  async #predictResolved(
    req: PredictRequest,
    ref: VersionRef,
    started: number,
    arm?: string,
    unit?: string,
  ): Promise<PredictResult> {
    const lease = await this.pool.acquire(req.model, ref);
    try {
      const m = lease.model;
      const n = req.batch.count;
      const classes = m.labels.length;
      const hashes: string[] = new Array(n);
      const keys: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        hashes[i] = inputHash(
          req.batch.pixels.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS),
        );
        keys[i] = predictionKey(m.name, m.version, m.sha256, hashes[i]);
      }
      const probs: (Float32Array | null)[] = await this.cache.getMany(keys);
      const missing: number[] = [];
      for (let i = 0; i < n; i++) if (!probs[i] || probs[i]!.length !== classes) missing.push(i);
      if (missing.length > 0) {
        let input = req.batch.pixels;
        if (missing.length !== n) {
          input = new Float32Array(missing.length * IMAGE_PIXELS);
          missing.forEach((src, j) =>
            input.set(
              req.batch.pixels.subarray(src * IMAGE_PIXELS, (src + 1) * IMAGE_PIXELS),
              j * IMAGE_PIXELS,
            )
          );
        }
        const out = await m.predict(input, missing.length);
        const fresh: [string, Float32Array][] = [];
        missing.forEach((i, j) => {
          const p = out.slice(j * classes, (j + 1) * classes);
          probs[i] = p;
          fresh.push([keys[i], p]);
        });
        // Not awaited: a slow cache must not hold up the answer (errors are counted).
        void this.cache.setMany(fresh);
      }
      const now = performance.now();
      const at = new Date().toISOString();
      const missingSet = new Set(missing);
      const predictions: Prediction[] = [];
      const records: PredictionRecord[] = [];
      const version = String(m.version);
      for (let i = 0; i < n; i++) {
        const p = probs[i]!;
        let best = 0;
        for (let c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
        const label = m.labels[best];
        predictions.push({ label, class_id: best, probabilities: Array.from(p) });
        this.metrics.predictions.inc({ model: m.name, version, class: label });
        records.push({
          requestId: req.requestId,
          ...(req.clientRequestId === undefined ? {} : { clientRequestId: req.clientRequestId }),
          index: i,
          model: m.name,
          version: m.version,
          inputHash: hashes[i],
          classId: best,
          label,
          confidence: p[best],
          latencyMs: now - started,
          cached: !missingSet.has(i),
          ...(arm === undefined ? {} : { arm }),
          ...(unit === undefined ? {} : { unit }),
          at,
        });
      }
      this.#emit(records);
      this.#observe(m.name, m.version, req.batch.pixels, n);
      return {
        predictions,
        model: { name: m.name, version: m.version },
        ...(arm === undefined ? {} : { arm }),
        cached: n - missing.length,
      };
    } finally {
      lease.release();
    }
  }

  #emit(records: PredictionRecord[]): void {
    const sink = this.#sink;
    if (!sink) return;
    try {
      const r = sink.record(records);
      if (r instanceof Promise) {
        r.catch((err) => this.#log.error("prediction sink failed", { error: err }));
      }
    } catch (err) {
      this.#log.error("prediction sink failed", { error: err });
    }
  }

  #emitError(e: PredictionErrorRecord): void {
    const sink = this.#sink;
    if (!sink?.recordError) return;
    try {
      const r = sink.recordError(e);
      if (r instanceof Promise) {
        r.catch((err) => this.#log.error("prediction sink failed", { error: err }));
      }
    } catch (err) {
      this.#log.error("prediction sink failed", { error: err });
    }
  }

  #observe(model: string, version: number, pixels: Float32Array, count: number): void {
    if (!this.#observer) return;
    try {
      this.#observer.observe(model, version, pixels, count);
    } catch (err) {
      this.#log.error("input observer failed", { error: err });
    }
  }

  /** Release models and cache connections. */
  async close(): Promise<void> {
    this.pool.close();
    await this.cache.close();
  }
}

/**
 * The model pool: registered model versions loaded once and shared, several at a time. A request
 * names a model and a version, an alias, or nothing (the `champion` alias). Aliases are
 * re-resolved from the registry after a short TTL; when one moved (a promotion), the new version
 * is loaded in the background while the old one keeps serving, then swapped in, and the old one
 * is disposed once its in-flight requests have finished — no restart needed.
 *
 * Compute runs in process (the main thread's engine) or, given {@link InferenceWorkers}, in
 * worker threads: every loaded version is then loaded in each worker (by artifact sha256) and
 * unloaded from them when the pool unloads it, and batches are spread over the workers.
 */
import * as tf from "@tensorflow/tfjs";
import type { Logger } from "../log/mod.ts";
import {
  type ArtifactManifest,
  deserializeModel,
  OnnxSession,
  readArtifactManifest,
} from "../models/mod.ts";
import { versionOnnxBytes } from "./onnx_bytes.ts";
import { applyTemperature } from "../evaluate/mod.ts";
import { getContent } from "../storage/mod.ts";
import {
  CHAMPION,
  getAliases,
  getModelVersion,
  RegistryInputError,
  RegistryNotFoundError,
} from "../registry/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { type BatcherOptions, checkBatchLimits, MicroBatcher } from "./batcher.ts";
import { ModelLoadError, ModelNotFoundError } from "./errors.ts";
import { forwardBatch, forwardOnnx, inputMapOf } from "./forward.ts";
import { IMAGE_PIXELS } from "./instances.ts";
import type { InferenceMetrics } from "./metrics.ts";
import {
  type InferRuntime,
  onnxRuntimeInfo,
  type RuntimeInfo,
  tfjsRuntimeInfo,
} from "./runtime.ts";
import type { InputMap } from "./worker_protocol.ts";
import type { InferenceWorkers } from "./workers.ts";

export { ModelLoadError, ModelNotFoundError };

/** Which version of a model a request wants. */
export type VersionRef =
  | { kind: "default" }
  | { kind: "version"; version: number }
  | { kind: "alias"; alias: string };

/** One loaded model version. */
export interface LoadedModel {
  readonly name: string;
  readonly version: number;
  /** Artifact sha256 of the version. */
  readonly sha256: string;
  /** Class label names, indexed by class id. */
  readonly labels: readonly string[];
  /** The artifact signature. */
  readonly signature: ArtifactManifest["signature"];
  /** When it was loaded (ISO-8601). */
  readonly loadedAt: string;
  /** The runtime computing it. */
  readonly runtime: RuntimeInfo;
  /** Probabilities (`count × labels.length`) for `count` packed 784-pixel images in 0..1. */
  predict(pixels: Float32Array, count: number): Promise<Float32Array>;
}

/** A loaded model held for one request; call `release()` when done (always). */
export interface ModelLease {
  readonly model: LoadedModel;
  release(): void;
}

/** Options of {@link ModelPool}. */
export interface ModelPoolOptions {
  ctx: TrackingContext;
  metrics: InferenceMetrics;
  log: Logger;
  /** Seconds an alias resolution is trusted before re-reading the registry (default 1). */
  aliasTtlSeconds?: number;
  /** Most versions kept loaded at once (default 8); least recently used ones are unloaded. */
  maxLoaded?: number;
  /** Micro-batching limits for every loaded model. */
  batch?: Pick<BatcherOptions, "maxBatch" | "maxWaitMs">;
  /** Run compute in these workers (owned by the caller) instead of on the calling thread. */
  workers?: InferenceWorkers;
  /**
   * Batches in flight per worker and model (default 2: a worker finds its next batch waiting
   * when it finishes one; waiting requests are split over the free slots, ≥ 8 per batch).
   */
  inFlightPerWorker?: number;
  /** The runtime models compute on (default: tfjs on the current backend). */
  runtime?: InferRuntime;
  /** ONNX Runtime intra-op threads per session (0 = ORT's default, one per core). */
  onnxThreads?: number;
}

/** What the pool reports per loaded version. */
export interface LoadedInfo {
  name: string;
  version: number;
  sha256: string;
  loadedAt: string;
  /** Requests currently using it. */
  inFlight: number;
  /** The runtime computing it. */
  runtime: RuntimeInfo;
}

/** Where a loaded version computes: a batch runner and how to release it. */
interface Compute {
  run(inputs: Float32Array, count: number): Float32Array | Promise<Float32Array>;
  /** Batches it may run at once. */
  maxInFlight: number;
  dispose(): void;
}

/** Compute on the calling thread's engine. */
function inProcessCompute(model: tf.LayersModel, manifest: ArtifactManifest): Compute {
  const shape = manifest.signature.inputShape;
  const map = inputMapOf(manifest.signature.normalization);
  return {
    run: (inputs, count) => forwardBatch(model, shape, map, inputs, count),
    maxInFlight: 1,
    dispose: () => model.dispose(),
  };
}

/** Compute with an ONNX Runtime session on the calling thread. */
function onnxCompute(session: OnnxSession, map: InputMap, inFlight: number): Compute {
  return {
    run: (inputs, count) => forwardOnnx(session, map, inputs, count),
    maxInFlight: inFlight,
    dispose: () => void session.release(),
  };
}

/**
 * Apply the signature's fitted temperature (if any) to what a tfjs `compute` returns, wherever it
 * computes: `softmax(log p / T)`, the same as dividing the logits by `T` (which the ONNX export
 * does in its graph).
 */
function withTemperature(compute: Compute, sig: ArtifactManifest["signature"]): Compute {
  const t = sig.temperature;
  if (t === undefined || t === 1) return compute;
  const classes = sig.labels.length;
  return {
    run: async (inputs, count) => applyTemperature(await compute.run(inputs, count), classes, t),
    maxInFlight: compute.maxInFlight,
    dispose: () => compute.dispose(),
  };
}

/** Compute in the inference workers, where the artifact `sha256` was loaded. */
function workerCompute(workers: InferenceWorkers, sha256: string, perWorker: number): Compute {
  return {
    run: (inputs, count) => workers.run(sha256, inputs, count),
    maxInFlight: workers.size * perWorker,
    dispose: () => workers.unload(sha256),
  };
}

class Entry implements LoadedModel {
  inFlight = 0;
  retired = false;
  disposed = false;
  lastUsed = performance.now();
  readonly loadedAt = new Date().toISOString();
  readonly labels: readonly string[];
  readonly signature: ArtifactManifest["signature"];
  readonly #compute: Compute;
  readonly #batcher: MicroBatcher;

  constructor(
    readonly name: string,
    readonly version: number,
    readonly sha256: string,
    compute: Compute,
    manifest: ArtifactManifest,
    metrics: InferenceMetrics,
    batch: ModelPoolOptions["batch"],
    readonly runtime: RuntimeInfo,
  ) {
    this.#compute = compute;
    this.signature = manifest.signature;
    this.labels = manifest.signature.labels;
    const classes = this.labels.length;
    const labels = { model: name, version: String(version) };
    this.#batcher = new MicroBatcher((inputs, count) => compute.run(inputs, count), {
      ...batch,
      maxInFlight: compute.maxInFlight,
      inputSize: IMAGE_PIXELS,
      outputSize: classes,
      onBatch: (size, seconds) => {
        metrics.batchSize.observe(labels, size);
        metrics.batchDuration.observe(labels, seconds);
      },
      onQueueWait: (seconds) => metrics.queueWait.observe(labels, seconds),
    });
  }

  predict(pixels: Float32Array, count: number): Promise<Float32Array> {
    return this.#batcher.submit(pixels, count);
  }

  /** Dispose the weights if retired and idle. Returns whether it did. */
  maybeDispose(): boolean {
    if (!this.retired || this.inFlight > 0 || this.disposed) return false;
    this.disposed = true;
    this.#batcher.close();
    this.#compute.dispose();
    return true;
  }
}

interface AliasState {
  aliases: Record<string, number>;
  fetchedAt: number;
  refreshing: Promise<void> | null;
}

/** Loads, shares, refreshes and unloads model versions. */
export class ModelPool {
  readonly #opts:
    & Required<Omit<ModelPoolOptions, "batch" | "workers" | "runtime">>
    & Pick<ModelPoolOptions, "batch" | "workers">
    & { runtime: InferRuntime };
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();
  readonly #aliases = new Map<string, AliasState>();
  #closed = false;

  constructor(opts: ModelPoolOptions) {
    checkBatchLimits(opts.batch ?? {});
    const maxLoaded = opts.maxLoaded ?? 8;
    if (!Number.isInteger(maxLoaded) || maxLoaded < 1) {
      throw new RangeError(`maxLoaded must be a positive integer, got ${maxLoaded}`);
    }
    const ttl = opts.aliasTtlSeconds ?? 1;
    if (!(ttl >= 0)) throw new RangeError(`aliasTtlSeconds must be ≥ 0, got ${ttl}`);
    const perWorker = opts.inFlightPerWorker ?? 2;
    if (!Number.isInteger(perWorker) || perWorker < 1 || perWorker > 16) {
      throw new RangeError(`inFlightPerWorker must be an integer in 1..16, got ${perWorker}`);
    }
    this.#opts = {
      ...opts,
      aliasTtlSeconds: ttl,
      maxLoaded,
      inFlightPerWorker: perWorker,
      batch: opts.batch,
      runtime: opts.runtime ?? { kind: "tfjs", name: "tfjs", version: tf.version.tfjs },
      onnxThreads: opts.onnxThreads ?? 0,
    };
  }

  /** The runtime this pool computes on. */
  get runtime(): InferRuntime {
    return this.#opts.runtime;
  }

  /** The workers compute runs in, if any. */
  get workers(): InferenceWorkers | undefined {
    return this.#opts.workers;
  }

  /** Versions loaded now. */
  loaded(): LoadedInfo[] {
    return [...this.#entries.values()].map((e) => ({
      name: e.name,
      version: e.version,
      sha256: e.sha256,
      loadedAt: e.loadedAt,
      inFlight: e.inFlight,
      runtime: e.runtime,
    }));
  }

  /**
   * Hold the version `ref` of model `name`, loading it if needed.
   * @throws ModelNotFoundError, ModelLoadError, RegistryInputError (bad names).
   */
  async acquire(name: string, ref: VersionRef): Promise<ModelLease> {
    if (this.#closed) throw new ModelLoadError("the model pool is closed");
    const version = ref.kind === "version" ? ref.version : await this.#aliasVersion(name, ref);
    const entry = await this.#load(name, version);
    entry.inFlight++;
    entry.lastUsed = performance.now();
    let released = false;
    return {
      model: entry,
      release: () => {
        if (released) return;
        released = true;
        entry.inFlight--;
        if (entry.maybeDispose()) this.#opts.log.info("model unloaded", key(entry));
      },
    };
  }

  /** alias → version of `name` as the pool currently sees it (refreshing when stale). */
  async aliases(name: string): Promise<Record<string, number>> {
    return (await this.#aliasState(name)).aliases;
  }

  /** Load the champion of each model in `names` (startup warm-up); failures are logged. */
  async warm(names: readonly string[]): Promise<void> {
    for (const name of names) {
      try {
        (await this.acquire(name, { kind: "default" })).release();
      } catch (err) {
        this.#opts.log.warn("model not warmed", { model: name, error: err });
      }
    }
  }

  /**
   * Forget cached aliases and unload the versions of `name` (or of every model) once idle, so
   * the next request re-reads the registry and loads afresh (the admin "reload"). Returns the
   * versions it unloaded.
   */
  reload(name?: string): LoadedInfo[] {
    const dropped = this.loaded().filter((l) => name === undefined || l.name === name);
    for (const l of dropped) {
      const k = `${l.name}@${l.version}`;
      const e = this.#entries.get(k);
      if (e) {
        this.#entries.delete(k);
        this.#retire(e);
      }
    }
    for (const n of [...this.#aliases.keys()]) {
      if (name === undefined || n === name) this.#aliases.delete(n);
    }
    this.#opts.metrics.modelsLoaded.set(this.#entries.size);
    return dropped;
  }

  /** Unload every version (after in-flight requests finish). */
  close(): void {
    this.#closed = true;
    for (const e of this.#entries.values()) this.#retire(e);
    this.#entries.clear();
    this.#opts.metrics.modelsLoaded.set(0);
  }

  async #aliasVersion(name: string, ref: VersionRef & { kind: "default" | "alias" }) {
    const alias = ref.kind === "alias" ? ref.alias : CHAMPION;
    const state = await this.#aliasState(name);
    const v = state.aliases[alias];
    if (v === undefined) {
      const known = Object.keys(state.aliases);
      throw new ModelNotFoundError(
        `model ${JSON.stringify(name)} has no alias ${JSON.stringify(alias)}` +
          (known.length
            ? ` (aliases: ${known.join(", ")})`
            : " (it has no aliases, or is not registered: see GET /v1/models)") +
          (ref.kind === "default"
            ? "; promote a version to champion or request /versions/{v}/predict"
            : ""),
      );
    }
    return v;
  }

  async #aliasState(name: string): Promise<AliasState> {
    let state = this.#aliases.get(name);
    if (!state) {
      const aliases = await this.#fetchAliases(name);
      state = this.#aliases.get(name) ??
        { aliases, fetchedAt: performance.now(), refreshing: null };
      this.#aliases.set(name, state);
      return state;
    }
    const stale = performance.now() - state.fetchedAt > this.#opts.aliasTtlSeconds * 1000;
    if (stale && !state.refreshing) {
      const s = state;
      s.refreshing = this.#refresh(name, s).finally(() => (s.refreshing = null));
    }
    return state;
  }

  /** Re-read aliases; load versions they newly point at before swapping; retire the old. */
  async #refresh(name: string, state: AliasState): Promise<void> {
    let next: Record<string, number>;
    try {
      next = await this.#fetchAliases(name);
    } catch (err) {
      // Keep serving the last known aliases; retry after the next TTL.
      state.fetchedAt = performance.now();
      this.#opts.log.warn("alias refresh failed; serving cached aliases", {
        model: name,
        error: err,
      });
      return;
    }
    const before = state.aliases;
    const moved = Object.entries(next).filter(([a, v]) => before[a] !== v);
    for (const [alias, v] of moved) {
      const old = before[alias];
      if (old !== undefined && this.#entries.has(`${name}@${old}`)) {
        try {
          await this.#load(name, v); // warm the new version before switching
        } catch (err) {
          this.#opts.log.error("cannot load the version an alias moved to", {
            model: name,
            alias,
            version: v,
            error: err,
          });
        }
      }
    }
    state.aliases = next;
    state.fetchedAt = performance.now();
    const pinned = new Set(Object.values(next));
    for (const [alias, old] of Object.entries(before)) {
      if (next[alias] === old || pinned.has(old)) continue;
      const e = this.#entries.get(`${name}@${old}`);
      if (e) {
        this.#opts.log.info("alias moved; unloading the old version when idle", {
          model: name,
          alias,
          from: old,
          to: next[alias] ?? null,
        });
        this.#entries.delete(`${name}@${old}`);
        this.#retire(e);
      }
    }
    this.#opts.metrics.modelsLoaded.set(this.#entries.size);
  }

  async #fetchAliases(name: string): Promise<Record<string, number>> {
    try {
      return await getAliases(this.#opts.ctx, name);
    } catch (err) {
      throw mapRegistryError(err);
    }
  }

  #load(name: string, version: number): Promise<Entry> {
    const k = `${name}@${version}`;
    const have = this.#entries.get(k);
    if (have) return Promise.resolve(have);
    let p = this.#loading.get(k);
    if (!p) {
      p = this.#loadNow(name, version).finally(() => this.#loading.delete(k));
      this.#loading.set(k, p);
    }
    return p;
  }

  async #loadNow(name: string, version: number): Promise<Entry> {
    const { ctx, metrics, log } = this.#opts;
    let mv;
    try {
      mv = await getModelVersion(ctx, name, version);
    } catch (err) {
      throw mapRegistryError(err);
    }
    const started = performance.now();
    let compute: Compute;
    let manifest: ArtifactManifest;
    let runtime: RuntimeInfo;
    try {
      ({ compute, manifest, runtime } = await this.#loadCompute(name, version, mv.sha256));
      // An ONNX graph already divides its logits by the version's temperature.
      if (runtime.kind === "tfjs") compute = withTemperature(compute, manifest.signature);
    } catch (err) {
      metrics.modelLoads.inc({ model: name, outcome: "error" });
      throw err;
    }
    const entry = new Entry(
      name,
      version,
      mv.sha256,
      compute,
      manifest,
      metrics,
      this.#opts.batch,
      runtime,
    );
    // Warm-up pass: compiles kernels so the first real request is not slow.
    try {
      await entry.predict(new Float32Array(IMAGE_PIXELS), 1);
    } catch (err) {
      entry.retired = true;
      entry.maybeDispose();
      metrics.modelLoads.inc({ model: name, outcome: "error" });
      throw err instanceof ModelLoadError
        ? err
        : new ModelLoadError(`${name} v${version} failed its warm-up pass: ${errorMessage(err)}`);
    }
    if (this.#closed) {
      entry.retired = true;
      entry.maybeDispose();
      throw new ModelLoadError("the model pool closed while loading");
    }
    this.#entries.set(`${name}@${version}`, entry);
    metrics.modelLoads.inc({ model: name, outcome: "ok" });
    log.info("model loaded", {
      model: name,
      version,
      sha256: mv.sha256,
      runtime: `${runtime.name} ${runtime.version} (${runtime.backend})`,
      ms: Math.round(performance.now() - started),
    });
    this.#evict();
    metrics.modelsLoaded.set(this.#entries.size);
    return entry;
  }

  /**
   * Read artifact `sha256`, check it is a 28×28 image classifier, and load it where compute runs.
   * @throws ModelLoadError
   */
  async #loadCompute(
    name: string,
    version: number,
    sha256: string,
  ): Promise<{ compute: Compute; manifest: ArtifactManifest; runtime: RuntimeInfo }> {
    const what = `${name} v${version} (artifact ${sha256})`;
    let manifest: ArtifactManifest, weights: Uint8Array;
    try {
      manifest = await readArtifactManifest(this.#opts.ctx.store, sha256);
      weights = await getContent(this.#opts.ctx.store, manifest.weightsSha256);
    } catch (err) {
      throw new ModelLoadError(`cannot load ${what}: ${errorMessage(err)}`);
    }
    const sig = manifest.signature;
    if (sig.inputShape.reduce((a, b) => a * b, 1) !== IMAGE_PIXELS) {
      throw new ModelLoadError(
        `${name} v${version} expects input shape ${
          JSON.stringify(sig.inputShape)
        }, not a 28×28 image; serve an image classifier`,
      );
    }
    const workers = this.#opts.workers;
    const rt = this.#opts.runtime;
    const onnx = rt.kind === "onnx"
      ? await versionOnnxBytes(this.#opts.ctx, {
        name,
        version,
        sha256,
        manifest,
        weights,
        log: this.#opts.log,
      })
      : undefined;
    const runtime: RuntimeInfo = onnx
      ? onnxRuntimeInfo(rt.version, this.#opts.onnxThreads, workers?.size ?? 0)
      : tfjsRuntimeInfo(workers?.size ?? 0);
    const map = inputMapOf(sig.normalization);
    if (workers) {
      const outputs = await workers.load(
        sha256,
        onnx
          ? {
            runtime: "onnx",
            onnx,
            threads: this.#opts.onnxThreads,
            inputShape: sig.inputShape,
            input: map,
          }
          : {
            modelTopology: manifest.modelTopology,
            weightSpecs: manifest.weightSpecs,
            weights,
            inputShape: sig.inputShape,
            input: map,
          },
      ).catch((err) => {
        throw err instanceof ModelLoadError
          ? err
          : new ModelLoadError(`cannot load ${what}: ${errorMessage(err)}`);
      });
      if (outputs !== sig.labels.length) {
        workers.unload(sha256);
        throw new ModelLoadError(
          `${what} outputs ${outputs} values but its signature names ${sig.labels.length} labels`,
        );
      }
      return {
        compute: workerCompute(workers, sha256, this.#opts.inFlightPerWorker),
        manifest,
        runtime,
      };
    }
    if (onnx) {
      let session: OnnxSession;
      try {
        session = await OnnxSession.create(onnx, { threads: this.#opts.onnxThreads });
      } catch (err) {
        throw new ModelLoadError(`cannot open the ONNX model of ${what}: ${errorMessage(err)}`);
      }
      if (session.outputs !== sig.labels.length) {
        void session.release();
        throw new ModelLoadError(
          `${what} outputs ${session.outputs} values but its signature names ${sig.labels.length} labels`,
        );
      }
      return {
        compute: onnxCompute(session, map, this.#opts.inFlightPerWorker),
        manifest,
        runtime,
      };
    }
    let model: tf.LayersModel;
    try {
      model = await deserializeModel(
        manifest.modelTopology,
        manifest.weightSpecs as tf.io.WeightsManifestEntry[],
        weights,
      );
    } catch (err) {
      throw new ModelLoadError(`cannot load ${what}: ${errorMessage(err)}`);
    }
    return { compute: inProcessCompute(model, manifest), manifest, runtime };
  }

  /** Unload least-recently-used versions beyond `maxLoaded`, sparing alias targets if possible. */
  #evict(): void {
    while (this.#entries.size > this.#opts.maxLoaded) {
      const pinned = new Set<string>();
      for (const [name, s] of this.#aliases) {
        for (const v of Object.values(s.aliases)) pinned.add(`${name}@${v}`);
      }
      const byAge = [...this.#entries].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      const victim = byAge.find(([k]) => !pinned.has(k)) ?? byAge[0];
      this.#entries.delete(victim[0]);
      this.#retire(victim[1]);
    }
  }

  #retire(e: Entry): void {
    e.retired = true;
    if (e.maybeDispose()) this.#opts.log.info("model unloaded", key(e));
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function key(e: Entry) {
  return { model: e.name, version: e.version };
}

/** Registry errors → pool errors (not found → {@link ModelNotFoundError}). */
function mapRegistryError(err: unknown): unknown {
  if (err instanceof RegistryNotFoundError) return new ModelNotFoundError(err.message);
  if (err instanceof RegistryInputError) return err;
  return err;
}

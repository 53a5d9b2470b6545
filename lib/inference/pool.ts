/**
 * The model pool: registered model versions loaded once and shared, several at a time. A request
 * names a model and a version, an alias, or nothing (the `champion` alias). Aliases are
 * re-resolved from the registry after a short TTL; when one moved (a promotion), the new version
 * is loaded in the background while the old one keeps serving, then swapped in, and the old one
 * is disposed once its in-flight requests have finished — no restart needed.
 */
import * as tf from "@tensorflow/tfjs";
import type { Logger } from "../log/mod.ts";
import { type ArtifactManifest, loadModelArtifact } from "../models/mod.ts";
import {
  CHAMPION,
  getAliases,
  getModelVersion,
  RegistryInputError,
  RegistryNotFoundError,
} from "../registry/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { type BatcherOptions, checkBatchLimits, MicroBatcher } from "./batcher.ts";
import { IMAGE_PIXELS } from "./instances.ts";
import type { InferenceMetrics } from "./metrics.ts";

/** Which version of a model a request wants. */
export type VersionRef =
  | { kind: "default" }
  | { kind: "version"; version: number }
  | { kind: "alias"; alias: string };

/** Describe a ref for messages (`champion`, `v3`, `alias staging`). */
export function describeRef(ref: VersionRef): string {
  return ref.kind === "default"
    ? `the default alias "${CHAMPION}"`
    : ref.kind === "version"
    ? `version ${ref.version}`
    : `alias "${ref.alias}"`;
}

/** The model, version or alias does not exist (HTTP 404). */
export class ModelNotFoundError extends Error {
  override name = "ModelNotFoundError";
}

/** A registered version that cannot be served (not an image classifier, corrupt artifact). */
export class ModelLoadError extends Error {
  override name = "ModelLoadError";
}

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
}

/** What the pool reports per loaded version. */
export interface LoadedInfo {
  name: string;
  version: number;
  sha256: string;
  loadedAt: string;
  /** Requests currently using it. */
  inFlight: number;
}

class Entry implements LoadedModel {
  inFlight = 0;
  retired = false;
  disposed = false;
  lastUsed = performance.now();
  readonly loadedAt = new Date().toISOString();
  readonly labels: readonly string[];
  readonly signature: ArtifactManifest["signature"];
  readonly #model: tf.LayersModel;
  readonly #batcher: MicroBatcher;

  constructor(
    readonly name: string,
    readonly version: number,
    readonly sha256: string,
    model: tf.LayersModel,
    manifest: ArtifactManifest,
    metrics: InferenceMetrics,
    batch: ModelPoolOptions["batch"],
  ) {
    this.#model = model;
    this.signature = manifest.signature;
    this.labels = manifest.signature.labels;
    const shape = manifest.signature.inputShape;
    const n = manifest.signature.normalization;
    // Inputs arrive in 0..1 (byte / 255); the signature normalises bytes.
    const a = (255 * n.scale) / n.std, b = -n.mean / n.std;
    const identity = Math.abs(a - 1) < 1e-9 && b === 0;
    const classes = this.labels.length;
    const labels = { model: name, version: String(version) };
    this.#batcher = new MicroBatcher((inputs, count) => {
      let x = inputs;
      if (!identity) {
        x = new Float32Array(count * IMAGE_PIXELS);
        for (let i = 0; i < x.length; i++) x[i] = inputs[i] * a + b;
      }
      const out = tf.tidy(() =>
        this.#model.predict(tf.tensor(x.subarray(0, count * IMAGE_PIXELS), [count, ...shape]))
      ) as tf.Tensor;
      try {
        return out.dataSync() as Float32Array;
      } finally {
        out.dispose();
      }
    }, {
      ...batch,
      inputSize: IMAGE_PIXELS,
      outputSize: classes,
      onBatch: (size, seconds) => {
        metrics.batchSize.observe(labels, size);
        metrics.batchDuration.observe(labels, seconds);
      },
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
    this.#model.dispose();
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
  readonly #opts: Required<Omit<ModelPoolOptions, "batch">> & { batch: ModelPoolOptions["batch"] };
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
    this.#opts = { ...opts, aliasTtlSeconds: ttl, maxLoaded, batch: opts.batch };
  }

  /** Versions loaded now. */
  loaded(): LoadedInfo[] {
    return [...this.#entries.values()].map((e) => ({
      name: e.name,
      version: e.version,
      sha256: e.sha256,
      loadedAt: e.loadedAt,
      inFlight: e.inFlight,
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
    let loaded;
    try {
      loaded = await loadModelArtifact(ctx.store, mv.sha256);
    } catch (err) {
      metrics.modelLoads.inc({ model: name, outcome: "error" });
      throw new ModelLoadError(
        `cannot load ${name} v${version} (artifact ${mv.sha256}): ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
    const size = loaded.manifest.signature.inputShape.reduce((a, b) => a * b, 1);
    if (size !== IMAGE_PIXELS) {
      loaded.model.dispose();
      metrics.modelLoads.inc({ model: name, outcome: "error" });
      throw new ModelLoadError(
        `${name} v${version} expects input shape ${
          JSON.stringify(loaded.manifest.signature.inputShape)
        }, not a 28×28 image; serve an image classifier`,
      );
    }
    const entry = new Entry(
      name,
      version,
      mv.sha256,
      loaded.model,
      loaded.manifest,
      metrics,
      this.#opts.batch,
    );
    // Warm-up pass: compiles kernels so the first real request is not slow.
    await entry.predict(new Float32Array(IMAGE_PIXELS), 1);
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
      ms: Math.round(performance.now() - started),
    });
    this.#evict();
    metrics.modelsLoaded.set(this.#entries.size);
    return entry;
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

function key(e: Entry) {
  return { model: e.name, version: e.version };
}

/** Registry errors → pool errors (not found → {@link ModelNotFoundError}). */
function mapRegistryError(err: unknown): unknown {
  if (err instanceof RegistryNotFoundError) return new ModelNotFoundError(err.message);
  if (err instanceof RegistryInputError) return err;
  return err;
}

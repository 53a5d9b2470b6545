/**
 * Inference worker pool: model compute in Deno module Workers, each with its own engine (wasm is
 * single-threaded per instance under Deno, so one worker per core pays), so forward passes run
 * in parallel and off the main thread, where HTTP parsing and answering go on meanwhile.
 *
 * Every worker holds every loaded model version (keyed by artifact sha256, reference counted;
 * the serialized weights are kept here too so a replacement worker can reload them). A batch
 * goes to the ready worker with the fewest batches in flight. A worker that crashes (uncaught
 * error, wasm abort) or stops answering is terminated, its in-flight batches fail with
 * {@link InferenceUnavailableError} (HTTP 503), and a replacement is started (with backoff
 * when replacements keep failing). {@link InferenceWorkers.close} terminates them all.
 */
import { z } from "zod";
import type { Logger } from "../log/mod.ts";
import { InferenceUnavailableError, ModelLoadError } from "./errors.ts";
import {
  type FromWorker,
  fromWorkerSchema,
  type ToWorker,
  type WorkerModel,
} from "./worker_protocol.ts";

/** Requested worker count: a number (0 = compute on the main thread) or `auto`. */
export const workerCountSchema = z.union([
  z.literal("auto"),
  z.number().int().min(0).max(64),
]);
/** A requested worker count. */
export type WorkerCount = z.infer<typeof workerCountSchema>;

/** Most workers `auto` starts: each holds every loaded model, and one main thread feeds them. */
export const AUTO_WORKERS_MAX = 8;

/**
 * Workers for `requested` with the main thread's engine on `backend`: `auto` = the number of
 * cores (at most {@link AUTO_WORKERS_MAX}) on `wasm` / `cpu` (single-threaded per instance), 0
 * elsewhere (`tensorflow` and GPU backends use all cores or the device themselves).
 */
export function resolveWorkerCount(requested: WorkerCount, backend: string): number {
  if (requested !== "auto") return requested;
  if (backend !== "wasm" && backend !== "cpu") return 0;
  return Math.min(AUTO_WORKERS_MAX, Math.max(1, navigator.hardwareConcurrency || 1));
}

/** Options of {@link InferenceWorkers}. */
export interface InferenceWorkersOptions {
  /** Number of workers (≥ 1). */
  workers: number;
  /** Engine backend of each worker. */
  backend: "wasm" | "cpu";
  log: Logger;
  /** A batch not answered within this many ms marks its worker hung (default 30 000). */
  batchTimeoutMs?: number;
  /** Longest a worker may take to start and load the models (default 120 000 ms). */
  startTimeoutMs?: number;
  /** Called each time a failed worker is replaced (metrics). */
  onRestart?: () => void;
}

/** What one worker reports (`stats`). */
export interface WorkerStats {
  index: number;
  /** Live tensors and their bytes in the worker's engine. */
  numTensors: number;
  numBytes: number;
  /** Model keys (artifact sha256) it holds. */
  models: string[];
  /** Batches sent to it and not answered yet. */
  inFlight: number;
  /** Batches it answered (including its predecessors in this slot). */
  computed: number;
  /** How many times this slot's worker was replaced. */
  restarts: number;
}

interface Held {
  model: WorkerModel;
  refs: number;
  /** Values per input instance (product of the input shape). */
  inputSize: number;
  /** Resolves with the output values per instance once every ready worker loaded it. */
  loading: Promise<number>;
}

interface Pending {
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
  deadline: number;
  timeoutMs: number;
  /** Counts as a batch (for load balancing). */
  batch: boolean;
}

type SlotState = "starting" | "ready" | "dead";

/** One worker position; its worker is replaced when it dies. */
class Slot {
  worker: Worker | null = null;
  state: SlotState = "dead";
  /** Batches sent and not answered yet. */
  inFlight = 0;
  /** Batches answered (over every worker this slot had). */
  computed = 0;
  restarts = 0;
  /** Consecutive failures without a successful batch (restart backoff). */
  failures = 0;
  tensors = 0;
  /** Model keys its current worker holds. */
  loaded = new Set<string>();
  readonly pending = new Map<number, Pending>();
  restartTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly index: number) {}
}

/** A pool of inference workers. Always {@link InferenceWorkers.close} it. */
export class InferenceWorkers {
  readonly #opts: Required<Omit<InferenceWorkersOptions, "onRestart">> & InferenceWorkersOptions;
  readonly #slots: Slot[];
  /** Loaded models: serialized form, reference count, output size. */
  readonly #models = new Map<string, Held>();
  /** Callers waiting for any worker to become ready. */
  #waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Callbacks for any slot state change ({@link InferenceWorkers.ready}). */
  #changed: (() => void)[] = [];
  #nextId = 1;
  #closed = false;
  readonly #sweep: ReturnType<typeof setInterval>;

  /** Start `opts.workers` workers (they come up in the background; calls wait for them). */
  constructor(opts: InferenceWorkersOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > 64) {
      throw new RangeError(`workers must be an integer in 1..64, got ${opts.workers}`);
    }
    this.#opts = { batchTimeoutMs: 30_000, startTimeoutMs: 120_000, ...opts };
    this.#slots = Array.from({ length: opts.workers }, (_, i) => new Slot(i));
    for (const s of this.#slots) this.#spawn(s);
    this.#sweep = setInterval(() => this.#expire(), 1000);
  }

  /** Number of worker slots. */
  get size(): number {
    return this.#slots.length;
  }

  /** Workers ready to compute now. */
  get readyCount(): number {
    return this.#slots.filter((s) => s.state === "ready").length;
  }

  /** Live tensors across the workers, as last reported (cheap; for the metrics gauge). */
  get tensors(): number {
    return this.#slots.reduce((n, s) => n + (s.state === "ready" ? s.tensors : 0), 0);
  }

  /**
   * Resolves once every worker is ready.
   * @throws InferenceUnavailableError when closed, or not all ready within the start timeout.
   */
  async ready(): Promise<void> {
    const deadline = performance.now() + this.#opts.startTimeoutMs;
    while (!this.#closed && this.#slots.some((s) => s.state !== "ready")) {
      if (performance.now() > deadline) {
        throw new InferenceUnavailableError(
          `only ${this.readyCount} of ${this.size} inference workers became ready within ` +
            `${this.#opts.startTimeoutMs / 1000} s; check the service log for worker failures`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.#changed.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.#closed) throw new InferenceUnavailableError("the inference workers are closed");
  }

  #notify(): void {
    const changed = this.#changed;
    this.#changed = [];
    for (const f of changed) f();
  }

  /**
   * Load `model` under `key` (its artifact sha256) in every worker; a key already loaded only
   * gains a reference. Resolves with the output values per instance.
   * @throws ModelLoadError when a worker cannot build the model.
   */
  async load(key: string, model: WorkerModel): Promise<number> {
    const have = this.#models.get(key);
    if (have) {
      have.refs++;
      return await have.loading;
    }
    if (this.#closed) throw new InferenceUnavailableError("the inference workers are closed");
    const held: Held = {
      model,
      refs: 1,
      inputSize: model.inputShape.reduce((a, b) => a * b, 1),
      loading: Promise.resolve(0),
    };
    held.loading = this.#loadEverywhere(key, held);
    this.#models.set(key, held);
    return await held.loading;
  }

  async #loadEverywhere(key: string, held: Held): Promise<number> {
    try {
      await this.#waitReady();
      // Every ready worker now; a starting one loads every held model before it is ready.
      const replies = await Promise.all(
        this.#slots.filter((s) => s.state === "ready").map((s) => this.#loadInto(s, key, held)),
      );
      const outs = new Set(replies);
      if (outs.size !== 1) {
        throw new Error(`workers disagree on the model's outputs (${[...outs].join(", ")})`);
      }
      return replies[0];
    } catch (err) {
      if (this.#models.get(key) === held) this.#models.delete(key);
      for (const s of this.#slots) this.#unloadFrom(s, key);
      if (err instanceof ModelLoadError) throw err;
      throw new ModelLoadError(
        `inference workers cannot load model ${key}: ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
  }

  async #loadInto(s: Slot, key: string, held: Held): Promise<number> {
    s.loaded.add(key);
    const reply = await this.#request(
      s,
      (id) => ({ type: "load", id, key, model: held.model }),
      [],
      false,
    );
    if (reply.type !== "loaded") throw new Error("inference worker: expected loaded");
    return reply.outputs;
  }

  #unloadFrom(s: Slot, key: string): void {
    if (s.loaded.delete(key)) this.#post(s, { type: "unload", key });
  }

  /** Drop one reference to `key`; the last one unloads it from every worker. */
  unload(key: string): void {
    const have = this.#models.get(key);
    if (!have || --have.refs > 0) return;
    this.#models.delete(key);
    for (const s of this.#slots) this.#unloadFrom(s, key);
  }

  /** Keys loaded now. */
  loadedKeys(): string[] {
    return [...this.#models.keys()];
  }

  /**
   * Probabilities for `count` packed inputs in 0..1 with model `key` (copied before transfer:
   * `inputs` may be the caller's buffer).
   * @throws InferenceUnavailableError when the worker crashes or no worker comes up in time.
   */
  async run(key: string, inputs: Float32Array, count: number): Promise<Float32Array> {
    const held = this.#models.get(key);
    if (!held) {
      throw new InferenceUnavailableError(`model ${key} is not loaded in the workers; retry`);
    }
    let slot = this.#pick();
    while (!slot) {
      await this.#waitReady();
      slot = this.#pick();
    }
    const x = inputs.slice(0, count * held.inputSize);
    const reply = await this.#request(
      slot,
      (id) => ({ type: "predict", id, key, x, count }),
      [x.buffer as ArrayBuffer],
      true,
    );
    if (reply.type !== "result") throw new Error(`inference worker: expected a result`);
    slot.tensors = reply.tensors;
    slot.failures = 0;
    slot.computed++;
    return reply.probs;
  }

  /** Ask every ready worker for its engine memory and models. */
  async stats(): Promise<WorkerStats[]> {
    const ready = this.#slots.filter((s) => s.state === "ready");
    const replies = await Promise.all(
      ready.map((s) => this.#request(s, (id) => ({ type: "stats", id }), [], false)),
    );
    return replies.map((r, i) => {
      if (r.type !== "stats") throw new Error("inference worker: expected stats");
      const s = ready[i];
      s.tensors = r.numTensors;
      return {
        index: s.index,
        numTensors: r.numTensors,
        numBytes: r.numBytes,
        models: r.models,
        inFlight: s.inFlight,
        computed: s.computed,
        restarts: s.restarts,
      };
    });
  }

  /**
   * Fault injection for drills and tests: make worker `index` die of an uncaught error, at once
   * (`now`) or while computing its next batch (`batch`, the default: that batch is in flight
   * when it dies). Its in-flight batches fail with {@link InferenceUnavailableError} and the
   * worker is replaced.
   */
  crash(index: number, when: "now" | "batch" = "batch"): void {
    const s = this.#slots[index];
    if (!s) throw new RangeError(`no inference worker ${index} (have ${this.#slots.length})`);
    this.#post(s, { type: "crash", message: `worker ${index} asked to crash`, when });
  }

  /** Terminate every worker; in-flight and waiting calls fail (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    const err = new InferenceUnavailableError("the inference workers are shutting down");
    for (const s of this.#slots) {
      if (s.restartTimer !== null) clearTimeout(s.restartTimer);
      s.restartTimer = null;
      this.#kill(s, err);
    }
    for (const w of this.#waiters) w.reject(err);
    this.#waiters = [];
    this.#models.clear();
    this.#notify();
  }

  // --- internals ---

  #pick(): Slot | null {
    let best: Slot | null = null;
    for (const s of this.#slots) {
      if (s.state === "ready" && (!best || s.inFlight < best.inFlight)) best = s;
    }
    return best;
  }

  #waitReady(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new InferenceUnavailableError("the inference workers are closed"));
    }
    if (this.#slots.some((s) => s.state === "ready")) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      this.#waiters.push(w);
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(
          new InferenceUnavailableError(
            `no inference worker became ready within ${this.#opts.startTimeoutMs / 1000} s; ` +
              `check the service log for worker failures`,
          ),
        );
      }, this.#opts.startTimeoutMs);
      w.resolve = () => {
        clearTimeout(t);
        resolve();
      };
      w.reject = (e) => {
        clearTimeout(t);
        reject(e);
      };
    });
  }

  #spawn(s: Slot): void {
    const worker = new Worker(new URL("./infer_worker.ts", import.meta.url), { type: "module" });
    s.worker = worker;
    s.state = "starting";
    s.tensors = 0;
    worker.onmessage = (e: MessageEvent) => this.#receive(s, worker, e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      if (s.worker === worker) this.#fail(s, `uncaught error: ${e.message || "unknown"}`);
    };
    worker.onmessageerror = () => {
      if (s.worker === worker) this.#fail(s, "a message could not be deserialized");
    };
    void this.#boot(s, worker);
  }

  /** init, then every model held (including ones added meanwhile); ready afterwards. */
  async #boot(s: Slot, worker: Worker): Promise<void> {
    try {
      const init = new Promise<FromWorker>((resolve, reject) => {
        const timeoutMs = this.#opts.startTimeoutMs;
        s.pending.set(0, {
          resolve,
          reject,
          deadline: performance.now() + timeoutMs,
          timeoutMs,
          batch: false,
        });
      });
      this.#post(s, { type: "init", backend: this.#opts.backend, logLevel: this.#opts.log.level });
      await init;
      for (;;) {
        const missing = [...this.#models].filter(([key]) => !s.loaded.has(key));
        if (missing.length === 0) break;
        for (const [key, held] of missing) await this.#loadInto(s, key, held);
        // Models unloaded while this worker was loading them.
        for (const key of [...s.loaded]) if (!this.#models.has(key)) this.#unloadFrom(s, key);
      }
      if (s.worker !== worker || this.#closed) return;
      s.state = "ready";
      this.#notify();
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.resolve();
    } catch (err) {
      if (s.worker === worker) {
        this.#fail(s, `could not start: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  #receive(s: Slot, worker: Worker, data: unknown): void {
    if (s.worker !== worker) return;
    const parsed = fromWorkerSchema.safeParse(data);
    if (!parsed.success) {
      return this.#fail(s, `malformed reply: ${parsed.error.issues[0]?.message}`);
    }
    const msg = parsed.data;
    if (msg.type === "ready") {
      const p = s.pending.get(0);
      s.pending.delete(0);
      p?.resolve(msg);
      return;
    }
    if (msg.type === "error") {
      if (msg.fatal) return this.#fail(s, msg.message);
      const p = msg.id === null ? undefined : s.pending.get(msg.id);
      if (!p) return this.#fail(s, `unexpected error: ${msg.message}`);
      s.pending.delete(msg.id!);
      if (p.batch) s.inFlight--;
      p.reject(new Error(`inference worker ${s.index}: ${msg.message}`));
      return;
    }
    const p = s.pending.get(msg.id);
    if (!p) return this.#fail(s, `reply to unknown request ${msg.id}`);
    s.pending.delete(msg.id);
    if (p.batch) s.inFlight--;
    p.resolve(msg);
  }

  #request(
    s: Slot,
    make: (id: number) => ToWorker,
    transfer: Transferable[],
    batch: boolean,
  ): Promise<FromWorker> {
    if (this.#closed || !s.worker || s.state === "dead") {
      return Promise.reject(
        new InferenceUnavailableError(`inference worker ${s.index} is not running; retry`),
      );
    }
    const id = this.#nextId++;
    const timeout = batch ? this.#opts.batchTimeoutMs : this.#opts.startTimeoutMs;
    return new Promise((resolve, reject) => {
      s.pending.set(id, {
        resolve,
        reject,
        deadline: performance.now() + timeout,
        timeoutMs: timeout,
        batch,
      });
      if (batch) s.inFlight++;
      s.worker!.postMessage(make(id), transfer);
    });
  }

  #post(s: Slot, msg: ToWorker): void {
    if (s.state !== "dead" && s.worker) s.worker.postMessage(msg);
  }

  /** Fail requests past their deadline: the worker is hung. */
  #expire(): void {
    const now = performance.now();
    for (const s of this.#slots) {
      for (const p of s.pending.values()) {
        if (p.deadline < now) {
          this.#fail(s, `did not answer within ${p.timeoutMs / 1000} s`);
          break;
        }
      }
    }
  }

  /** Terminate the slot's worker and fail its calls. */
  #kill(s: Slot, err: Error): void {
    s.worker?.terminate();
    s.worker = null;
    s.state = "dead";
    s.inFlight = 0;
    s.loaded = new Set();
    const pending = [...s.pending.values()];
    s.pending.clear();
    for (const p of pending) p.reject(err);
  }

  /** A worker died: fail its calls, replace it (backing off when replacements keep failing). */
  #fail(s: Slot, reason: string): void {
    if (this.#closed || s.state === "dead") return;
    const inFlight = s.inFlight;
    this.#kill(
      s,
      new InferenceUnavailableError(
        `inference worker ${s.index} failed (${reason}); the request was not computed, retry it`,
      ),
    );
    s.failures++;
    this.#notify();
    const delay = s.failures <= 1 ? 0 : Math.min(250 * 2 ** (s.failures - 2), 10_000);
    this.#opts.log.error("inference worker failed; replacing it", {
      worker: s.index,
      reason,
      inFlight,
      restartInMs: delay,
    });
    if (this.readyCount === 0) {
      // Nobody can serve the callers waiting for a worker: fail them now rather than hang.
      const waiters = this.#waiters;
      this.#waiters = [];
      const err = new InferenceUnavailableError(
        `no inference worker is running (worker ${s.index}: ${reason}); retry shortly`,
      );
      for (const w of waiters) w.reject(err);
    }
    s.restartTimer = setTimeout(() => {
      s.restartTimer = null;
      if (this.#closed) return;
      s.restarts++;
      this.#opts.onRestart?.();
      try {
        this.#spawn(s);
      } catch (err) {
        // e.g. the module cannot be read any more: keep retrying with backoff, never crash.
        s.state = "starting";
        this.#fail(s, `cannot start a worker: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, delay);
  }
}

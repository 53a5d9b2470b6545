/**
 * Data-parallel training replicas: Deno module Workers, each with its own engine (wasm
 * backend), a copy of the model and of its Adam optimizer. The training loop is replica 0; every
 * step it sends each worker a shard of the batch, computes its own shard's gradients meanwhile,
 * sums the shards' gradients (each shard's loss is divided by the whole batch size, so the sum
 * is the batch-mean gradient) and sends the sum back: every replica applies the same Adam update
 * to the same weights, so the trainable weights stay bit-identical. BatchNorm moving statistics
 * are per replica (like DDP without SyncBN); replica 0's are the ones saved and evaluated.
 */
import * as tf from "@tensorflow/tfjs";
import type { Level } from "../log/mod.ts";
import { serializeModel } from "../models/mod.ts";
import { type FromReplica, fromReplicaSchema, type ToReplica } from "./replica_protocol.ts";
import { flattenTensors, type LossSpec } from "./step.ts";

/** How many replicas to train with: a count, or `auto`. */
export type ReplicaCount = number | "auto";

/**
 * Replicas for `requested` on `backend`: `auto` = min(hardware concurrency, 2) on `wasm`
 * (single-threaded per instance, so one replica per core pays) and 1 elsewhere (tensorflow and
 * GPU backends use all cores or the device themselves). Also 1 when a run is too short to
 * amortise starting a worker (< `minImages` images in all).
 */
export function resolveReplicas(
  requested: ReplicaCount | undefined,
  backend: string,
  images: number,
  minImages = 20_000,
): number {
  if (typeof requested === "number") {
    if (!Number.isInteger(requested) || requested < 1 || requested > 64) {
      throw new Error(`workers must be an integer in 1..64 or "auto"; got ${requested}`);
    }
    return requested;
  }
  if (backend !== "wasm" || images < minImages) return 1;
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 2));
}

/** What a pool needs to clone replica 0. */
export interface ReplicaPoolOptions {
  /** Replica 0's model (topology + all weights are copied). */
  model: tf.LayersModel;
  /** Replica 0's Adam optimizer (its state is copied: resume restores every replica). */
  optimizer: tf.Optimizer;
  /** Learning rate the workers' optimizers start with. */
  learningRate: number;
  /** Worker count (replicas besides the calling thread). */
  workers: number;
  /** Backend request for the workers' engines. */
  backend: string;
  /** Level of the workers' own log lines (default `warn`): the training loop's logger's. */
  logLevel?: Level;
  loss: LossSpec;
  classWeights: Float32Array | null;
}

interface Pending {
  resolve: (m: FromReplica) => void;
  reject: (e: Error) => void;
}

class ReplicaWorker {
  readonly worker: Worker;
  failure: Error | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private ready: Pending | null = null;

  constructor(readonly index: number) {
    this.worker = new Worker(new URL("./replica_worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (e: MessageEvent) => this.receive(e.data);
    this.worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.fail(e.message || "uncaught error");
    };
    this.worker.onmessageerror = () => this.fail("a message could not be deserialized");
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = new Error(
      `training replica ${this.index} (worker) failed: ${message}. Training stopped; rerun with ` +
        `workers: 1 to train on the calling thread only.`,
    );
    this.ready?.reject(this.failure);
    this.ready = null;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  private receive(data: unknown): void {
    const parsed = fromReplicaSchema.safeParse(data);
    if (!parsed.success) {
      this.fail(`malformed reply: ${parsed.error.issues[0]?.message}`);
      return;
    }
    const msg = parsed.data;
    if (msg.type === "error") return this.fail(msg.message);
    if (msg.type === "ready") {
      this.ready?.resolve(msg);
      this.ready = null;
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return this.fail(`reply to unknown request ${msg.id}`);
    this.pending.delete(msg.id);
    p.resolve(msg);
  }

  send(msg: ToReplica, transfer: Transferable[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(msg, transfer);
  }

  init(msg: ToReplica, transfer: Transferable[]): Promise<FromReplica> {
    return new Promise((resolve, reject) => {
      this.ready = { resolve, reject };
      try {
        this.send(msg, transfer);
      } catch (err) {
        reject(err);
      }
    });
  }

  request(make: (id: number) => ToReplica, transfer: Transferable[] = []): Promise<FromReplica> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(make(id), transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
    this.fail("terminated");
  }
}

/** A shard's gradients as computed by a worker. */
export interface WorkerShardResult {
  /** Flattened gradients, variables in trainable-weight order. */
  grads: Float32Array;
  loss: number;
  hits: number;
}

/** Replica workers of one training run. Always {@link ReplicaPool.terminate} it (finally). */
export class ReplicaPool {
  private constructor(private readonly workers: ReplicaWorker[]) {}

  /** Number of workers (replicas besides the calling thread). */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Start `opts.workers` workers, each a clone of replica 0 (model weights, optimizer state).
   * @throws Error naming the failing replica when a worker cannot start; no worker is left.
   */
  static async start(opts: ReplicaPoolOptions): Promise<ReplicaPool> {
    const ser = await serializeModel(opts.model);
    const optWeights = await opts.optimizer.getWeights();
    const optimizer = {
      shapes: optWeights.map((w) => w.tensor.shape),
      flat: flattenTensors(optWeights.map((w) => w.tensor)),
    };
    optWeights[0]?.tensor.dispose(); // the iteration count is a fresh scalar; the rest are live
    const workers = Array.from({ length: opts.workers }, (_, i) => new ReplicaWorker(i + 1));
    const pool = new ReplicaPool(workers);
    try {
      const expected = opts.model.trainableWeights.map((w) => w.shape);
      await Promise.all(workers.map(async (w) => {
        const reply = await w.init({
          type: "init",
          backend: opts.backend,
          logLevel: opts.logLevel ?? "warn",
          modelTopology: ser.modelTopology,
          weightSpecs: ser.weightSpecs.map((s) => ({ ...s })),
          weights: ser.weights,
          optimizer,
          learningRate: opts.learningRate,
          loss: opts.loss,
          classWeights: opts.classWeights,
        }, []);
        if (
          reply.type !== "ready" ||
          JSON.stringify(reply.trainableShapes) !== JSON.stringify(expected)
        ) {
          throw new Error(
            `training replica ${w.index} rebuilt a different model (trainable shapes ` +
              `${JSON.stringify(reply.type === "ready" ? reply.trainableShapes : null)}, ` +
              `expected ${JSON.stringify(expected)})`,
          );
        }
      }));
    } catch (err) {
      pool.terminate();
      throw err;
    }
    return pool;
  }

  /**
   * Ask worker `k` (0-based) for the gradients of a shard of `y.length` images (`x` normalized
   * pixels) whose loss is divided by `divisor` (the whole batch size), at optimisation step
   * `step` (seeds the dropout masks). Transfers `x` and `y`.
   */
  async shardGradients(
    k: number,
    x: Float32Array,
    inputShape: number[],
    y: Int32Array,
    divisor: number,
    step: number,
  ): Promise<WorkerShardResult> {
    const reply = await this.workers[k].request(
      (id) => ({ type: "grad", id, x, inputShape, y, divisor, step }),
      [x.buffer as ArrayBuffer, y.buffer as ArrayBuffer],
    );
    if (reply.type !== "grad") throw new Error(`replica ${k + 1}: expected gradients`);
    return { grads: reply.grads, loss: reply.loss, hits: reply.hits };
  }

  /**
   * Send the summed gradients to every worker, to apply with learning rate `learningRate`
   * (no reply: a failure surfaces at the next request). `grads` is transferred to the last worker.
   */
  applyGradients(grads: Float32Array, learningRate: number): void {
    this.workers.forEach((w, i) => {
      const last = i === this.workers.length - 1;
      const buf = last ? grads : grads.slice();
      w.send({ type: "apply", grads: buf, learningRate }, [buf.buffer as ArrayBuffer]);
    });
  }

  /** Worker `k`'s current weights: trainable ones, and all (`model.getWeights()` order). */
  async replicaWeights(k: number): Promise<{ trainable: Float32Array; all: Float32Array }> {
    const reply = await this.workers[k].request((id) => ({ type: "weights", id }));
    if (reply.type !== "weights") throw new Error(`replica ${k + 1}: expected weights`);
    return { trainable: reply.trainable, all: reply.all };
  }

  /** Stop every worker (idempotent). */
  terminate(): void {
    for (const w of this.workers) w.terminate();
  }
}

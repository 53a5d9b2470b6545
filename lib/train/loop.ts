/**
 * The one training loop used by notebooks, pipelines and tuning: seeded shuffling and
 * augmentation, per-step learning-rate schedules, class weights, label smoothing, early stopping
 * with best-weight restore, per-epoch checkpoints (resumable), progress, and per-epoch metrics
 * handed to a callback (tracking, live notebook plots, tuning pruners).
 *
 * Data-parallel: with `workers` > 1 (default `auto`: one replica per core, up to 2, on `wasm`)
 * each batch is split into shards trained concurrently by replica workers (see `replicas.ts`);
 * the calling thread is replica 0 and holds the model that is checkpointed, evaluated and
 * returned.
 */
import { zodErrorText } from "../config/mod.ts";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { ImageSet } from "../data/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Signature } from "../models/mod.ts";
import { inputTensor, modelInputShape, setDropoutStep } from "../models/mod.ts";
import { argmaxClasses, predictProbabilities } from "../models/mod.ts";
import { accuracy, logLoss } from "../evaluate/mod.ts";
import { FusedAdam } from "../engine/mod.ts";
import { createProgress } from "../progress/mod.ts";
import type { ObjectStore } from "../storage/mod.ts";
import { augmentSchema } from "./augment.ts";
import { epochOrder, prepareBatch, shardRanges } from "./batch.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { type ReplicaCount, ReplicaPool, resolveReplicas } from "./replicas.ts";
import { learningRateAt, scheduleSchema } from "./schedule.ts";
import { flattenTensors, type LossSpec, shardGradients, unflattenTensors } from "./step.ts";

/** Training hyper-parameters (zod-checked; defaults in brackets). */
export const trainConfigSchema = z.object({
  /** Passes over the training indices [10]. */
  epochs: z.number().int().min(1).max(1000).default(10),
  /** Images per optimisation step [128]. */
  batchSize: z.number().int().min(1).max(8192).default(128),
  /** Base (peak) learning rate of Adam [1e-3]. */
  learningRate: z.number().positive().max(10).default(1e-3),
  /** Learning-rate schedule [constant]. */
  schedule: scheduleSchema.default({ kind: "constant" }),
  /** Data augmentation [none]. */
  augment: augmentSchema.default({ shift: 0, hflip: 0 }),
  /** Class weights: `balanced` (inverse frequency) or one weight per class [none]. */
  classWeights: z.union([z.literal("balanced"), z.array(z.number().positive()).min(2)]).optional(),
  /** Label smoothing of the cross-entropy targets [0]. */
  labelSmoothing: z.number().min(0).max(0.5).default(0),
  /** Stop when the monitored validation metric has not improved for `patience` epochs. */
  earlyStopping: z.object({
    monitor: z.enum(["val_loss", "val_accuracy"]).default("val_loss"),
    patience: z.number().int().min(1).default(3),
    minDelta: z.number().min(0).default(0),
    restoreBest: z.boolean().default(true),
  }).strict().optional(),
  /** Seed of shuffling and augmentation [42]. */
  seed: z.number().int().min(0).max(0xffffffff).default(42),
}).strict();
/** Training config as written by callers. */
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
/** Training config with defaults. */
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** Validate a training config. @throws Error naming each invalid field. */
export function parseTrainConfig(config: unknown): TrainConfig {
  const r = trainConfigSchema.safeParse(config ?? {});
  if (!r.success) {
    const lines = zodErrorText(r.error);
    throw new Error(`invalid training config:\n${lines}`);
  }
  return r.data;
}

/** Metrics of one epoch (`val_*` present when validation data was given). */
export type EpochMetrics = Record<string, number>;

/** Inputs of {@link trainModel}. */
export interface TrainOptions {
  /** A layers model whose output is a softmax over classes. */
  model: tf.LayersModel;
  /** Training images (the train split). */
  data: ImageSet;
  /** Indices of `data` to train on (all when omitted). */
  trainIndices?: ArrayLike<number>;
  /** Validation images and indices (e.g. the held-out part of the train split). */
  validation?: { data: ImageSet; indices?: ArrayLike<number> };
  /** Pixel normalization, as in the model signature. */
  normalization: Signature["normalization"];
  config: TrainConfigInput;
  /** Checkpoint after every epoch under this id (and resume from it when present). */
  checkpoint?: { store: ObjectStore; id: string };
  /** Called after every epoch; return `"stop"` to end training (e.g. a pruner). */
  onEpochEnd?: (epoch: number, metrics: EpochMetrics) => void | "stop" | Promise<void | "stop">;
  log?: Logger;
  /** Draw/log progress per batch (default true when a logger is given). */
  progress?: boolean;
  /**
   * Data-parallel replicas (the calling thread + `workers - 1` Deno Workers). `auto` (default):
   * min(cores, 2) on the `wasm` backend for runs of ≥ 20,000 images, else 1. BatchNorm moving
   * statistics are per replica; replica 0's (this thread's) are kept.
   */
  workers?: ReplicaCount;
}

/** What {@link trainModel} returns. */
export interface TrainResult {
  /** Metrics of every epoch run (including resumed history). */
  history: EpochMetrics[];
  /** Epochs completed. */
  epochs: number;
  /** Why the loop ended. */
  stopReason: "completed" | "early_stopping" | "callback";
  /** Epoch (0-based) whose weights the model holds at the end. */
  bestEpoch: number | null;
  /** Epoch the run resumed from (null when it started fresh). */
  resumedFrom: number | null;
  /** Training throughput over the epochs run in this call (images/s). */
  imagesPerSecond: number;
  /** Wall time of this call in seconds. */
  seconds: number;
  /** Data-parallel replicas the run trained with (1 = this thread only). */
  replicas: number;
  /**
   * Max |Δ| between a worker's trainable weights and replica 0's, checked after every epoch
   * (0 = bit-identical, as they must be; > 0 is logged as a warning).
   */
  replicaDivergence: number;
}

function classWeightVector(
  cfg: TrainConfig,
  labels: Uint8Array,
  idx: ArrayLike<number>,
  classes: number,
) {
  if (!cfg.classWeights) return null;
  if (cfg.classWeights !== "balanced") {
    if (cfg.classWeights.length !== classes) {
      throw new Error(
        `classWeights has ${cfg.classWeights.length} entries; the model has ${classes} classes`,
      );
    }
    return Float32Array.from(cfg.classWeights);
  }
  const counts = new Float64Array(classes);
  for (let i = 0; i < idx.length; i++) counts[labels[idx[i]]]++;
  return Float32Array.from(counts, (c) => (c ? idx.length / (classes * c) : 0));
}

/** Max |Δ| of the workers' trainable weights from replica 0's (`vars`). */
async function measureDivergence(pool: ReplicaPool, vars: tf.Variable[]): Promise<number> {
  const own = flattenTensors(vars);
  let max = 0;
  for (let k = 0; k < pool.size; k++) {
    const { trainable } = await pool.replicaWeights(k);
    for (let i = 0; i < own.length; i++) {
      const d = Math.abs(own[i] - trainable[i]);
      if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
    }
  }
  return max;
}

/** Adam with a learning rate that the loop sets per step (tfjs reads it at every update). */
type AdamWithLr = tf.AdamOptimizer & { learningRate: number };

/** What the loop carries from epoch to epoch (and checkpoints). */
interface LoopState {
  /** Optimizer steps taken (drives the schedule and the dropout masks). */
  step: number;
  /** Best monitored value so far and its epoch (early stopping). */
  best: { value: number; epoch: number } | null;
  /** Epochs since `best` improved. */
  wait: number;
  history: EpochMetrics[];
  /** Weights of the best epoch (with `restoreBest`). */
  bestWeights: tf.Tensor[] | null;
  /** First epoch to run. */
  startEpoch: number;
  resumedFrom: number | null;
}

/** What every step of one {@link trainModel} call works with. */
interface Trainer {
  opts: TrainOptions;
  cfg: TrainConfig;
  model: tf.LayersModel;
  optimizer: AdamWithLr;
  vars: tf.Variable[];
  /** Model input shape without the batch axis. */
  shape: number[];
  /** Pixels per image. */
  size: number;
  /** Reused batch buffers (images, labels). */
  xbuf: Float32Array;
  ybuf: Int32Array;
  wTensor: tf.Tensor1D | null;
  lossSpec: LossSpec;
  replicas: number;
  pool: ReplicaPool | null;
  stepsPerEpoch: number;
  totalSteps: number;
}

/** Indices of `data` to train on: `trainIndices`, or every image. */
function trainingIndices(opts: TrainOptions): Int32Array {
  const idx = opts.trainIndices
    ? Int32Array.from(opts.trainIndices as ArrayLike<number>)
    : Int32Array.from({ length: opts.data.count }, (_, i) => i);
  if (idx.length === 0) throw new Error("no training images: trainIndices is empty");
  return idx;
}

/** A fresh loop state, or the one of the checkpoint (whose weights it loads into the model). */
async function resumeOrStart(
  opts: TrainOptions,
  optimizer: AdamWithLr,
): Promise<LoopState> {
  const fresh: LoopState = {
    step: 0,
    best: null,
    wait: 0,
    history: [],
    bestWeights: null,
    startEpoch: 0,
    resumedFrom: null,
  };
  if (!opts.checkpoint) return fresh;
  const ck = await loadCheckpoint(opts.checkpoint.store, opts.checkpoint.id);
  if (!ck) return fresh;
  opts.model.setWeights(ck.weights);
  ck.weights.forEach((t) => t.dispose());
  await optimizer.setWeights(
    ck.optimizer.map((tensor, i) => ({ name: `restored_${i}`, tensor })),
  );
  ck.optimizer.forEach((t) => t.dispose());
  opts.log?.info("resumed training from checkpoint", {
    id: opts.checkpoint.id,
    epoch: ck.state.epoch,
  });
  const { step, best, wait, history } = ck.state;
  return {
    step,
    best,
    wait,
    history,
    bestWeights: ck.bestWeights,
    startEpoch: ck.state.epoch + 1,
    resumedFrom: ck.state.epoch,
  };
}

/**
 * One optimizer step on `order` (the batch's image indices): shard 0 on this thread, the other
 * shards on the replica workers concurrently, gradients summed and applied everywhere.
 * Returns the batch's summed shard losses and correct predictions.
 */
async function trainStep(
  t: Trainer,
  order: Int32Array,
  rand: () => number,
  step: number,
): Promise<{ loss: number; hits: number }> {
  const { opts, cfg, model, optimizer, vars, shape, size, xbuf, ybuf, pool } = t;
  const n = order.length;
  prepareBatch(opts.data, order, opts.normalization, cfg.augment, rand, xbuf, ybuf);
  const lr = learningRateAt(cfg.schedule, cfg.learningRate, step, t.totalSteps, t.stepsPerEpoch);
  optimizer.learningRate = lr;
  // Shard 0 is this thread's; the others go to the workers and run concurrently.
  const ranges = shardRanges(n, t.replicas);
  const remote = ranges.slice(1).map(([a, b], k) =>
    b > a && pool
      ? pool.shardGradients(k, xbuf.slice(a * size, b * size), shape, ybuf.slice(a, b), n, step)
      : null
  );
  remote.forEach((r) => r?.catch(() => {})); // awaited below; no unhandled rejection meanwhile
  const n0 = ranges[0][1];
  const x = inputTensor(xbuf, n0, shape);
  const y = tf.tensor1d(ybuf.subarray(0, n0), "int32");
  // Dropout masks are a function of the step, so a resumed run draws the same ones.
  setDropoutStep(model, step);
  const own = shardGradients(model, vars, x, y, t.lossSpec, t.wTensor, n);
  x.dispose();
  y.dispose();
  let loss = own.loss;
  let hits = own.hits;
  let grads = own.grads;
  if (pool) {
    const sum = flattenTensors(grads);
    grads.forEach((g) => g.dispose());
    for (const r of remote) {
      if (!r) continue;
      const part = await r;
      for (let i = 0; i < sum.length; i++) sum[i] += part.grads[i];
      loss += part.loss;
      hits += part.hits;
    }
    grads = unflattenTensors(sum, vars.map((v) => v.shape));
    pool.applyGradients(sum, lr);
  }
  optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
  grads.forEach((g) => g.dispose());
  return { loss, hits };
}

/** Train one epoch over `trainIdx` (seeded order); returns its metrics and images trained. */
async function trainEpoch(
  t: Trainer,
  s: LoopState,
  trainIdx: Int32Array,
  epoch: number,
): Promise<{ metrics: EpochMetrics; images: number }> {
  const { opts, cfg } = t;
  const { order, rand } = epochOrder(trainIdx, cfg.seed, epoch);
  const bar = opts.log && opts.progress !== false
    ? createProgress(opts.log, {
      label: `epoch ${epoch + 1}/${cfg.epochs}`,
      total: order.length,
      unit: "images",
    })
    : null;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < order.length; start += cfg.batchSize) {
    const n = Math.min(cfg.batchSize, order.length - start);
    const r = await trainStep(t, order.subarray(start, start + n), rand, s.step);
    lossSum += r.loss * n;
    correct += r.hits;
    s.step++;
    const seen = start + n;
    bar?.tick(n, { loss: lossSum / seen, acc: correct / seen });
  }
  bar?.done();
  const metrics = {
    epoch,
    loss: lossSum / order.length,
    accuracy: correct / order.length,
    lr: t.optimizer.learningRate,
  };
  return { metrics, images: order.length };
}

/** `val_loss` and `val_accuracy` of the model on the validation data. */
function validationMetrics(
  model: tf.LayersModel,
  v: NonNullable<TrainOptions["validation"]>,
  normalization: TrainOptions["normalization"],
): EpochMetrics {
  const p = predictProbabilities(model, v.data, { indices: v.indices, normalization });
  const labels = v.indices
    ? Array.from(v.indices as ArrayLike<number>, (i) => v.data.labels[i])
    : v.data.labels;
  return {
    val_loss: logLoss(p.probs, p.classes, labels),
    val_accuracy: accuracy(argmaxClasses(p), labels),
  };
}

/** Early stopping's bookkeeping after an epoch: the best value, the wait, the best weights. */
function trackBest(t: Trainer, s: LoopState, metrics: EpochMetrics, epoch: number): void {
  const es = t.cfg.earlyStopping;
  if (!es) return;
  const value = metrics[es.monitor];
  if (value === undefined) {
    throw new Error(`early stopping monitors ${es.monitor} but no validation data was given`);
  }
  const sign = es.monitor === "val_accuracy" ? -1 : 1; // minimise sign*value
  if (!s.best || sign * value < sign * s.best.value - es.minDelta) {
    s.best = { value, epoch };
    s.wait = 0;
    if (es.restoreBest) {
      s.bestWeights?.forEach((w) => w.dispose());
      s.bestWeights = t.model.getWeights().map((w) => w.clone());
    }
  } else {
    s.wait++;
  }
}

/** Checkpoint the model, the optimizer and the loop state after `epoch`. */
async function checkpointEpoch(
  t: Trainer,
  s: LoopState,
  epoch: number,
  checkpoint: NonNullable<TrainOptions["checkpoint"]>,
): Promise<void> {
  const optWeights = await t.optimizer.getWeights();
  await saveCheckpoint(checkpoint.store, checkpoint.id, {
    state: { epoch, step: s.step, best: s.best, wait: s.wait, history: s.history },
    weights: t.model.getWeights(),
    optimizer: optWeights.map((w) => w.tensor),
    bestWeights: s.bestWeights,
  });
  optWeights[0]?.tensor.dispose(); // the iteration count is a fresh scalar; the rest are live
}

/** The replica workers of a data-parallel run (`t.replicas - 1` of them). */
async function startReplicas(t: Trainer, classWeights: Float32Array | null): Promise<ReplicaPool> {
  const pool = await ReplicaPool.start({
    model: t.model,
    optimizer: t.optimizer,
    learningRate: t.cfg.learningRate,
    workers: t.replicas - 1,
    backend: tf.getBackend(),
    logLevel: t.opts.log?.level,
    loss: t.lossSpec,
    classWeights,
  });
  t.opts.log?.info("data-parallel training", { replicas: t.replicas });
  return pool;
}

/** Whether early stopping has run out of patience. */
function patienceSpent(t: Trainer, s: LoopState): boolean {
  const es = t.cfg.earlyStopping;
  return s.best !== null && es !== undefined && s.wait >= es.patience;
}

/**
 * Train `model` in place. Leaves no tensors behind besides the model's and returns the history.
 */
export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const cfg = parseTrainConfig(opts.config);
  const { model, data } = opts;
  const classes = model.outputs[0].shape[1] as number;
  const trainIdx = trainingIndices(opts);
  const weights = classWeightVector(cfg, data.labels, trainIdx, classes);
  const optimizer = new FusedAdam(cfg.learningRate) as AdamWithLr;
  const s = await resumeOrStart(opts, optimizer);
  const stepsPerEpoch = Math.ceil(trainIdx.length / cfg.batchSize);
  const t: Trainer = {
    opts,
    cfg,
    model,
    optimizer,
    vars: model.trainableWeights.map((w) => w.read() as tf.Variable),
    shape: modelInputShape(model),
    size: data.rows * data.cols,
    xbuf: new Float32Array(cfg.batchSize * data.rows * data.cols),
    ybuf: new Int32Array(cfg.batchSize),
    wTensor: weights ? tf.tensor1d(weights) : null,
    lossSpec: { classes, labelSmoothing: cfg.labelSmoothing },
    replicas: resolveReplicas(
      opts.workers ?? "auto",
      tf.getBackend(),
      trainIdx.length * Math.max(0, cfg.epochs - s.startEpoch),
    ),
    pool: null,
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * cfg.epochs,
  };
  const t0 = performance.now();
  let imagesSeen = 0;
  let stopReason: TrainResult["stopReason"] = "completed";
  let replicaDivergence = 0;

  try {
    if (t.replicas > 1) t.pool = await startReplicas(t, weights);
    for (let epoch = s.startEpoch; epoch < cfg.epochs; epoch++) {
      if (patienceSpent(t, s)) {
        stopReason = "early_stopping";
        break;
      }
      const { metrics, images } = await trainEpoch(t, s, trainIdx, epoch);
      imagesSeen += images;
      if (opts.validation) {
        Object.assign(metrics, validationMetrics(model, opts.validation, opts.normalization));
      }
      if (t.pool) {
        replicaDivergence = await measureDivergence(t.pool, t.vars);
        if (replicaDivergence > 0) {
          opts.log?.warn("training replicas diverged", { epoch, maxAbsDiff: replicaDivergence });
        }
      }
      s.history.push(metrics);
      opts.log?.info("epoch", metrics);
      trackBest(t, s, metrics, epoch);
      if (opts.checkpoint) await checkpointEpoch(t, s, epoch, opts.checkpoint);
      const verdict = await opts.onEpochEnd?.(epoch, metrics);
      if (verdict === "stop") {
        stopReason = "callback";
        break;
      }
      if (cfg.earlyStopping && s.wait >= cfg.earlyStopping.patience) {
        stopReason = "early_stopping";
        break;
      }
    }
    let bestEpoch: number | null = s.history.length ? (s.history.at(-1)!.epoch ?? null) : null;
    if (cfg.earlyStopping?.restoreBest && s.bestWeights && s.best) {
      model.setWeights(s.bestWeights);
      bestEpoch = s.best.epoch;
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      history: s.history,
      epochs: s.history.length,
      stopReason,
      bestEpoch,
      resumedFrom: s.resumedFrom,
      imagesPerSecond: imagesSeen / Math.max(seconds, 1e-9),
      seconds,
      replicas: t.replicas,
      replicaDivergence,
    };
  } finally {
    t.pool?.terminate();
    t.wTensor?.dispose();
    s.bestWeights?.forEach((w) => w.dispose());
    optimizer.dispose();
  }
}

/**
 * The one training loop used by notebooks, pipelines and tuning: seeded shuffling and
 * augmentation, per-step learning-rate schedules, class weights, label smoothing, early stopping
 * with best-weight restore, per-epoch checkpoints (resumable), progress, and per-epoch metrics
 * handed to a callback (tracking, live notebook plots, tuning pruners).
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { ImageSet } from "../data/mod.ts";
import { mulberry32 } from "../features/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Signature } from "../models/mod.ts";
import { gatherNormalized, inputTensor, modelInputShape } from "../models/mod.ts";
import { argmaxClasses, predictProbabilities } from "../models/mod.ts";
import { accuracy, logLoss } from "../evaluate/mod.ts";
import { createProgress } from "../pipeline/mod.ts";
import type { ObjectStore } from "../storage/mod.ts";
import { augmentBatch, augmentSchema } from "./augment.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { learningRateAt, scheduleSchema } from "./schedule.ts";

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
    const lines = r.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid training config:\n${lines.join("\n")}`);
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

/** Adam with a learning rate that the loop sets per step (tfjs reads it at every update). */
type AdamWithLr = tf.AdamOptimizer & { learningRate: number };

/**
 * Train `model` in place. Leaves no tensors behind besides the model's and returns the history.
 */
export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const cfg = parseTrainConfig(opts.config);
  const { model, data } = opts;
  const shape = modelInputShape(model);
  const classes = model.outputs[0].shape[1] as number;
  const trainIdx = opts.trainIndices
    ? Int32Array.from(opts.trainIndices as ArrayLike<number>)
    : Int32Array.from({ length: data.count }, (_, i) => i);
  if (trainIdx.length === 0) throw new Error("no training images: trainIndices is empty");
  const weights = classWeightVector(cfg, data.labels, trainIdx, classes);
  const optimizer = tf.train.adam(cfg.learningRate) as AdamWithLr;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const stepsPerEpoch = Math.ceil(trainIdx.length / cfg.batchSize);
  const totalSteps = stepsPerEpoch * cfg.epochs;
  const es = cfg.earlyStopping;
  const monitorSign = es?.monitor === "val_accuracy" ? -1 : 1; // minimise sign*value

  let startEpoch = 0;
  let step = 0;
  let best: { value: number; epoch: number } | null = null;
  let wait = 0;
  let history: EpochMetrics[] = [];
  let bestWeights: tf.Tensor[] | null = null;
  let resumedFrom: number | null = null;

  if (opts.checkpoint) {
    const ck = await loadCheckpoint(opts.checkpoint.store, opts.checkpoint.id);
    if (ck) {
      model.setWeights(ck.weights);
      ck.weights.forEach((t) => t.dispose());
      await optimizer.setWeights(
        ck.optimizer.map((tensor, i) => ({ name: `restored_${i}`, tensor })),
      );
      ck.optimizer.forEach((t) => t.dispose());
      bestWeights = ck.bestWeights;
      ({ step, best, wait, history } = ck.state);
      startEpoch = ck.state.epoch + 1;
      resumedFrom = ck.state.epoch;
      opts.log?.info("resumed training from checkpoint", {
        id: opts.checkpoint.id,
        epoch: ck.state.epoch,
      });
    }
  }

  const size = data.rows * data.cols;
  const xbuf = new Float32Array(cfg.batchSize * size);
  const ybuf = new Int32Array(cfg.batchSize);
  const t0 = performance.now();
  let imagesSeen = 0;
  let stopReason: TrainResult["stopReason"] = "completed";
  const wTensor = weights ? tf.tensor1d(weights) : null;

  try {
    for (let epoch = startEpoch; epoch < cfg.epochs; epoch++) {
      if (best && es && wait >= es.patience) {
        stopReason = "early_stopping";
        break;
      }
      const rand = mulberry32((cfg.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
      const order = trainIdx.slice();
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
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
        const idx = order.subarray(start, start + n);
        gatherNormalized(data, idx, opts.normalization, xbuf);
        for (let i = 0; i < n; i++) ybuf[i] = data.labels[idx[i]];
        augmentBatch(xbuf, n, data.rows, data.cols, cfg.augment, rand);
        optimizer.learningRate = learningRateAt(
          cfg.schedule,
          cfg.learningRate,
          step,
          totalSteps,
          stepsPerEpoch,
        );
        const x = inputTensor(xbuf, n, shape);
        const y = tf.tensor1d(ybuf.subarray(0, n), "int32");
        let hits: tf.Tensor | null = null;
        const cost = optimizer.minimize(
          () => {
            const p = model.apply(x, { training: true }) as tf.Tensor;
            hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), y), "float32")));
            const target = tf.oneHot(y, classes);
            const smoothed = cfg.labelSmoothing > 0
              ? tf.add(tf.mul(target, 1 - cfg.labelSmoothing), cfg.labelSmoothing / classes)
              : target;
            const ce = tf.neg(tf.sum(tf.mul(smoothed, tf.log(tf.clipByValue(p, 1e-7, 1))), 1));
            return wTensor ? tf.mean(tf.mul(ce, tf.gather(wTensor, y))) : tf.mean(ce);
          },
          true,
          vars,
        ) as tf.Scalar;
        lossSum += cost.dataSync()[0] * n;
        const h = hits as tf.Tensor | null;
        if (h) {
          correct += h.dataSync()[0];
          h.dispose();
        }
        cost.dispose();
        x.dispose();
        y.dispose();
        step++;
        imagesSeen += n;
        bar?.tick(n);
      }
      bar?.done();
      const metrics: EpochMetrics = {
        epoch,
        loss: lossSum / order.length,
        accuracy: correct / order.length,
        lr: optimizer.learningRate,
      };
      if (opts.validation) {
        const v = opts.validation;
        const p = predictProbabilities(model, v.data, {
          indices: v.indices,
          normalization: opts.normalization,
        });
        const labels = v.indices
          ? Array.from(v.indices as ArrayLike<number>, (i) => v.data.labels[i])
          : v.data.labels;
        metrics.val_loss = logLoss(p.probs, p.classes, labels);
        metrics.val_accuracy = accuracy(argmaxClasses(p), labels);
      }
      history.push(metrics);
      opts.log?.info("epoch", metrics);

      if (es) {
        const value = metrics[es.monitor];
        if (value === undefined) {
          throw new Error(`early stopping monitors ${es.monitor} but no validation data was given`);
        }
        if (!best || monitorSign * value < monitorSign * best.value - es.minDelta) {
          best = { value, epoch };
          wait = 0;
          if (es.restoreBest) {
            bestWeights?.forEach((t) => t.dispose());
            bestWeights = model.getWeights().map((t) => t.clone());
          }
        } else {
          wait++;
        }
      }
      if (opts.checkpoint) {
        const optWeights = await optimizer.getWeights();
        await saveCheckpoint(opts.checkpoint.store, opts.checkpoint.id, {
          state: { epoch, step, best, wait, history },
          weights: model.getWeights(),
          optimizer: optWeights.map((w) => w.tensor),
          bestWeights,
        });
        optWeights[0]?.tensor.dispose(); // the iteration count is a fresh scalar; the rest are live
      }
      const verdict = await opts.onEpochEnd?.(epoch, metrics);
      if (verdict === "stop") {
        stopReason = "callback";
        break;
      }
      if (es && wait >= es.patience) {
        stopReason = "early_stopping";
        break;
      }
    }
    let bestEpoch: number | null = history.length ? (history.at(-1)!.epoch ?? null) : null;
    if (es?.restoreBest && bestWeights && best) {
      model.setWeights(bestWeights);
      bestEpoch = best.epoch;
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      history,
      epochs: history.length,
      stopReason,
      bestEpoch,
      resumedFrom,
      imagesPerSecond: imagesSeen / Math.max(seconds, 1e-9),
      seconds,
    };
  } finally {
    wTensor?.dispose();
    bestWeights?.forEach((t) => t.dispose());
    optimizer.dispose();
  }
}

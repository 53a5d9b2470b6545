/**
 * The `cnn` tuning objective: train a small CNN with the one training loop (`trainModel`) on a
 * subset of the stored train split of a dataset version, normalized with the stored statistics,
 * and maximise validation accuracy. Validation accuracy is reported to the trial after every
 * epoch, and training stops as soon as the study's pruner says so.
 *
 * Importing this module registers the objective under {@link CNN_OBJECTIVE}; it needs a workspace
 * to train in, bound with {@link configureCnnObjective} (`deno task tune` does it after opening
 * its context, in the main process and in every worker process). Notebooks and tests can also
 * build an unregistered objective with {@link createCnnObjective}.
 */
import { zodErrorText } from "../config/mod.ts";
import { z } from "zod";
import { type Dataset, loadDataset } from "../data/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { getNormalization, getSplit } from "../features/mod.ts";
import { buildModel } from "../models/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { trainModel } from "./loop.ts";
import {
  type Objective,
  parseSearchSpace,
  registerObjective,
  type SearchSpace,
  type SearchSpaceInput,
  type Trial,
  TrialPruned,
} from "../tune/mod.ts";

/** Registry name of the objective. */
export const CNN_OBJECTIVE = "cnn";

/**
 * The search space: Adam learning rate (log scale), dropout before the classifier, units of the
 * hidden dense layer, batch size, label smoothing and the random-shift augmentation in pixels.
 */
export const CNN_SPACE: SearchSpaceInput = {
  learningRate: { type: "float", low: 3e-4, high: 1e-2, log: true },
  dropout: { type: "float", low: 0, high: 0.6 },
  dense: { type: "categorical", choices: [64, 128, 256] },
  batchSize: { type: "categorical", choices: [32, 64, 128] },
  labelSmoothing: { type: "float", low: 0, high: 0.2 },
  shift: { type: "int", low: 0, high: 2 },
};

const SPACE: SearchSpace = parseSearchSpace(CNN_SPACE);

/** Options of the objective (zod-checked; defaults in brackets). */
export const cnnObjectiveOptionsSchema = z.object({
  /** Dataset version or alias [latest]. */
  dataset: z.string().min(1).optional(),
  /** Training images: the first `limit` indices of the stored train split [6000]. */
  limit: z.number().int().min(10).max(60_000).default(6000),
  /** Validation images from the stored validation split [max(100, limit / 5)]. */
  valLimit: z.number().int().min(10).max(60_000).optional(),
  /** Epochs per trial [3]. */
  epochs: z.number().int().min(1).max(100).default(3),
  /** Architecture [bn_cnn]. */
  arch: z.enum(["m1", "bn_cnn"]).default("bn_cnn"),
  /** Seed of weights, shuffling and augmentation (the same for every trial) [42]. */
  seed: z.number().int().min(0).max(0xffffffff).default(42),
}).strict();
/** Options as written by callers. */
export type CnnObjectiveOptions = z.input<typeof cnnObjectiveOptionsSchema>;

/** Validate objective options. @throws Error naming each invalid field. */
export function parseCnnObjectiveOptions(
  opts: unknown,
): z.output<typeof cnnObjectiveOptionsSchema> {
  const r = cnnObjectiveOptionsSchema.safeParse(opts ?? {});
  if (!r.success) {
    const lines = zodErrorText(r.error);
    throw new Error(`invalid cnn objective options:\n${lines}`);
  }
  return r.data;
}

/** Hyperparameters of one trial, typed. */
export interface CnnParams {
  learningRate: number;
  dropout: number;
  dense: number;
  batchSize: number;
  labelSmoothing: number;
  shift: number;
}

/** Draw (or read back) the trial's hyperparameters from {@link CNN_SPACE}. */
export function suggestCnnParams(trial: Trial): CnnParams {
  const p = trial.suggestSpace(SPACE);
  return {
    learningRate: p.learningRate as number,
    dropout: p.dropout as number,
    dense: p.dense as number,
    batchSize: p.batchSize as number,
    labelSmoothing: p.labelSmoothing as number,
    shift: p.shift as number,
  };
}

interface Prepared {
  dataset: Dataset;
  trainIdx: Int32Array;
  valIdx: Int32Array;
  normalization: { scale: number; mean: number; std: number };
}

/**
 * The objective over `ctx`'s dataset: each trial trains a fresh model and returns its best
 * validation accuracy over the epochs; a pruned trial throws {@link TrialPruned}. The dataset,
 * split and normalization are loaded once, at the first trial.
 */
export function createCnnObjective(ctx: Ctx, options: CnnObjectiveOptions = {}): Objective {
  const opts = parseCnnObjectiveOptions(options);
  let prepared: Promise<Prepared> | null = null;
  const prepare = async (): Promise<Prepared> => {
    const dataset = await loadDataset(ctx, opts.dataset);
    let split, norm;
    try {
      split = await getSplit(ctx, dataset.version);
      norm = await getNormalization(ctx, dataset.version);
    } catch (err) {
      throw new Error(
        `the cnn objective needs the stored split and normalization of dataset ` +
          `${dataset.version.slice(0, 12)}: run \`deno task pipeline\` (or featuresStep) first ` +
          `(${err instanceof Error ? err.message : String(err)})`,
      );
    }
    const valLimit = opts.valLimit ?? Math.max(100, Math.round(opts.limit / 5));
    return {
      dataset,
      trainIdx: split.train.subarray(0, Math.min(opts.limit, split.train.length)),
      valIdx: split.val.subarray(0, Math.min(valLimit, split.val.length)),
      normalization: { scale: 1 / 255, mean: norm.mean, std: norm.std },
    };
  };

  return async (trial) => {
    const p = suggestCnnParams(trial);
    prepared ??= prepare().catch((err) => {
      prepared = null; // let the next trial retry
      throw err;
    });
    const data = await prepared;
    await initEngine(
      { backend: ctx.settings.backend, threads: ctx.settings.threads },
      ctx.log,
    );
    const model = buildModel({
      arch: opts.arch,
      dense: p.dense,
      dropout: p.dropout,
      learningRate: p.learningRate,
      seed: opts.seed,
    });
    let best = Number.NEGATIVE_INFINITY;
    let prunedAt: number | null = null;
    try {
      await trainModel({
        model,
        data: data.dataset.train,
        trainIndices: data.trainIdx,
        validation: { data: data.dataset.train, indices: data.valIdx },
        normalization: data.normalization,
        config: {
          epochs: opts.epochs,
          batchSize: p.batchSize,
          learningRate: p.learningRate,
          labelSmoothing: p.labelSmoothing,
          augment: { shift: p.shift },
          seed: opts.seed,
        },
        log: ctx.log.child({ study: trial.studyName, trial: trial.number }),
        progress: false,
        onEpochEnd: async (epoch, metrics) => {
          const acc = metrics.val_accuracy;
          best = Math.max(best, acc);
          await trial.report(acc, epoch);
          if (await trial.shouldPrune()) {
            prunedAt = epoch;
            return "stop";
          }
        },
      });
    } finally {
      model.dispose();
    }
    if (prunedAt !== null) {
      throw new TrialPruned(`pruned after epoch ${prunedAt + 1} (val_accuracy ${best.toFixed(4)})`);
    }
    return best;
  };
}

let bound: Objective | null = null;

/**
 * Bind the registered `cnn` objective to a workspace (and options, e.g. `limit`, `epochs`).
 * Call it once the context is open; calling it again rebinds.
 */
export function configureCnnObjective(ctx: Ctx, options: CnnObjectiveOptions = {}): void {
  bound = createCnnObjective(ctx, options);
}

registerObjective({
  name: CNN_OBJECTIVE,
  description: "train a CNN on a subset (--limit images, --epochs) and maximise val accuracy",
  direction: "maximize",
  space: CNN_SPACE,
  optimum: 1,
  objective: (trial) => {
    if (!bound) {
      throw new Error(
        "the cnn objective has no workspace: call configureCnnObjective(ctx) first " +
          "(deno task tune does it after opening its context)",
      );
    }
    return bound(trial);
  },
});

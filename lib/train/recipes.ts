/**
 * Named training recipes (model + training config) used by `deno task pipeline`, notebooks and
 * the PyTorch comparison. `default` is the recipe the main pipeline trains; `quick` is a
 * seconds-long run for tests and CI notebooks.
 */
import { z } from "zod";
import type { ModelConfigInput } from "../models/mod.ts";
import type { TrainConfigInput } from "./loop.ts";

/** A model + training recipe, optionally on a subset of the training images. */
export interface Recipe {
  description: string;
  model: ModelConfigInput;
  train: TrainConfigInput;
  /** Train on at most this many images (undefined = all). */
  limit?: number;
}

/** Names of the built-in recipes. */
export const recipeNameSchema = z.enum(["default", "quick"]);
/** A built-in recipe name. */
export type RecipeName = z.infer<typeof recipeNameSchema>;

/** The built-in recipes. */
export const RECIPES: Record<RecipeName, Recipe> = {
  default: {
    description:
      "BatchNorm CNN (dense 256), one-cycle Adam, label smoothing, horizontal flips: the main " +
      "pipeline's model (≥ 93 % in under 5 minutes on 2 cores with the native engine)",
    model: { arch: "bn_cnn", filters: [32, 64], dense: 256, dropout: 0.3, seed: 42 },
    train: {
      epochs: 10,
      batchSize: 128,
      learningRate: 3e-3,
      schedule: { kind: "one_cycle", pctStart: 0.2 },
      labelSmoothing: 0.1,
      augment: { shift: 0, hflip: 0.5 },
      seed: 42,
    },
  },
  quick: {
    description: "M1 for one epoch on 2,000 images: a smoke run for tests and CI notebooks",
    model: { arch: "m1", seed: 42 },
    train: { epochs: 1, batchSize: 64, seed: 42 },
    limit: 2000,
  },
};

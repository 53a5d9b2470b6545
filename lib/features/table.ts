/** The per-image feature table (polars) of a whole dataset: identity columns + features. */
import pl from "nodejs-polars";
import type { Dataset, ImageSet, SplitName } from "../data/mod.ts";
import {
  computeImageFeatures,
  FEATURE_COLUMNS,
  type ImageFeatureOptions,
} from "./image_features.ts";
import type { TrainValSplit } from "./split.ts";

/** Identity columns preceding the features in the table. */
export const ID_COLUMNS = ["split", "image_index", "label", "subset"] as const;

/** Every column of the feature table, in order. */
export const TABLE_COLUMNS: readonly string[] = [...ID_COLUMNS, ...FEATURE_COLUMNS];

/** Subset of an image: its train/validation assignment, or `test`. */
export type Subset = "train" | "val" | "test";

function splitFrame(
  name: SplitName,
  set: ImageSet,
  subsets: Subset[],
  opts: ImageFeatureOptions,
): pl.DataFrame {
  const f = computeImageFeatures(set, opts);
  const index = new Int32Array(set.count);
  for (let i = 0; i < set.count; i++) index[i] = i;
  const cols: pl.Series[] = [
    pl.Series("split", new Array<string>(set.count).fill(name)),
    pl.Series("image_index", index),
    pl.Series("label", set.labels.slice(0, set.count)),
    pl.Series("subset", subsets),
  ];
  for (const c of FEATURE_COLUMNS) cols.push(pl.Series(c, f[c]));
  return pl.DataFrame(cols);
}

/**
 * One row per image of both splits, ordered by split (train, then test) and index, with
 * columns {@link TABLE_COLUMNS}. `subset` marks train images held out by `split` as `val`.
 */
export function featureFrame(
  dataset: Dataset,
  split: TrainValSplit,
  opts: ImageFeatureOptions = {},
): pl.DataFrame {
  const trainSubsets = new Array<Subset>(dataset.train.count).fill("train");
  for (const i of split.val) trainSubsets[i] = "val";
  const testSubsets = new Array<Subset>(dataset.test.count).fill("test");
  return pl.concat([
    splitFrame("train", dataset.train, trainSubsets, opts),
    splitFrame("test", dataset.test, testSubsets, opts),
  ]);
}

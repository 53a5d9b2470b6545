/**
 * Public face of the features stage: per-image features (typed arrays), polars feature tables
 * and class statistics, normalization statistics, the seeded stratified train/validation split,
 * and the feature store (`featuresStep`, `loadFeatures`, `getSplit`, `getImageFeatures`).
 */
export { computeImageFeatures, FEATURE_COLUMNS, FeatureOptionsError } from "./image_features.ts";
export type { FeatureColumn, ImageFeatureOptions, ImageFeatures } from "./image_features.ts";
export { featureFrame, ID_COLUMNS, TABLE_COLUMNS } from "./table.ts";
export type { Subset } from "./table.ts";
export { classStats } from "./class_stats.ts";
export { FeatureColumnError, toFeatureMatrix } from "./matrix.ts";
export type { FeatureMatrix } from "./matrix.ts";
export { normalizationStats } from "./normalization.ts";
export type { NormalizationStats } from "./normalization.ts";
export { mulberry32, SplitOptionsError, stratifiedSplit } from "./split.ts";
export type { TrainValSplit } from "./split.ts";
export {
  FeatureParamsError,
  featureParamsSchema,
  FEATURES_STEP_VERSION,
  featureSetId,
  featureSetSchema,
  FeaturesNotFoundError,
  featuresStep,
  getFeatureSet,
  getImageFeatures,
  getNormalization,
  getSplit,
  loadClassStats,
  loadFeatures,
  parseFeatureParams,
} from "./store.ts";
export type {
  FeatureCtx,
  FeatureParams,
  FeatureSet,
  FeaturesStepResult,
  ImageFeatureRow,
} from "./store.ts";

/**
 * Public face of the evaluate stage: classification metrics, bootstrap confidence intervals,
 * calibration (ECE/MCE, reliability diagram, temperature scaling), paired model comparison
 * (McNemar, paired bootstrap) and slice analysis.
 */
export {
  accuracy,
  brierPerExample,
  brierScore,
  classificationReport,
  logLoss,
  topKAccuracy,
  topKHits,
} from "./metrics.ts";
export type { ClassificationReport, ClassMetrics } from "./metrics.ts";
export * from "./mcnemar.ts";
export { erfc, normalQuantile, normalSf, twoProportionTest } from "./proportions.ts";
export type { TwoProportionResult } from "./proportions.ts";
export {
  bootstrap,
  bootstrapInfo,
  BootstrapOptionsError,
  jackknifeAcceleration,
  sortedQuantile,
} from "./bootstrap.ts";
export type {
  BootstrapInfo,
  BootstrapOptions,
  CiMethod,
  Interval,
  WeightedStatistic,
} from "./bootstrap.ts";
export {
  applyTemperature,
  calibration,
  CALIBRATION_BINS_DEFAULT,
  calibrationFrom,
  confidences,
  fitTemperature,
  temperatureNll,
} from "./calibration.ts";
export type { Calibration, ReliabilityBin, TemperatureFit } from "./calibration.ts";
export { pairedBootstrap, scoreClassifier } from "./scores.ts";
export type { ClassScores, PairedBootstrapResult, ScoreOptions, Scores } from "./scores.ts";
export {
  binomialCdf,
  holmAdjust,
  quantileBuckets,
  sliceAnalysis,
  wilsonInterval,
} from "./slices.ts";
export type { SliceGrouping, SliceOptions, SliceReport, SliceResult } from "./slices.ts";
export { BEHAVIOUR_DEFAULTS, runBehaviourSuite, shiftImage } from "./behaviour.ts";
export type { BehaviourCheck, BehaviourOptions, BehaviourResult, PredictFn } from "./behaviour.ts";
export { chiSquareSf, logGamma, regularizedGammaQ } from "./chisquare.ts";

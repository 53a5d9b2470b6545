/** Public face of the evaluate stage: classification metrics and McNemar's paired test. */
export { accuracy, classificationReport, logLoss } from "./metrics.ts";
export type { ClassificationReport, ClassMetrics } from "./metrics.ts";
export * from "./mcnemar.ts";
export { erfc, normalQuantile, normalSf, twoProportionTest } from "./proportions.ts";
export type { TwoProportionResult } from "./proportions.ts";
export { chiSquareSf, logGamma, regularizedGammaQ } from "./chisquare.ts";

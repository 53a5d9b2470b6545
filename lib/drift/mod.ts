/**
 * Public face of the drift stage: two-sample statistics (KS, chi-square, Wasserstein-1,
 * Jensen–Shannon, MMD, domain classifier, corrections), reference profiles of model versions,
 * the detectors and their overall verdict, a shift generator and the detector evaluation.
 *
 * ```ts
 * const profile = buildProfile(model, validationImages, { model: ref, signature, source });
 * const report = detectDrift(profile, viewBatch(model, profile, batch, signature.normalization));
 * console.log(report.verdict); // "drift" | "no drift"
 * ```
 */
export {
  adjustPValues,
  chiSquareTwoSample,
  histogram,
  jensenShannon,
  ksTwoSample,
  StatsInputError,
  wasserstein1,
} from "./stats.ts";
export type { Correction, KsMethod, TestResult } from "./stats.ts";
export { mmdTest } from "./mmd.ts";
export type { MmdOptions, MmdResult, Rows } from "./mmd.ts";
export { aucTest, classifierTest } from "./classifier.ts";
export type { ClassifierTestOptions, ClassifierTestResult } from "./classifier.ts";
export { fitPca, projectPca } from "./pca.ts";
export type { Pca } from "./pca.ts";
export { embeddingModel, featureRows, modelOutputs, pickImages, pickRows } from "./outputs.ts";
export type { ModelOutputs } from "./outputs.ts";
export { buildProfile, PROFILE_FORMAT, profileSchema, viewBatch } from "./profile.ts";
export type { BatchView, Profile, ProfileOptions } from "./profile.ts";
export { detectDrift, detectOptionsSchema, DETECTORS, DriftInputError } from "./detect.ts";
export type {
  DetectOptions,
  DetectOptionsInput,
  DetectorName,
  DetectorResult,
  DriftReport,
  TestDetail,
} from "./detect.ts";
export { applyShift, priorShiftIndices, SEVERITIES, SHIFT_KINDS, SHIFT_LEVELS } from "./shifts.ts";
export type { Severity, ShiftKind } from "./shifts.ts";
export { evaluateDetectors, evaluationMarkdown } from "./evaluate.ts";
export type { EvaluateOptions, EvaluationCell, EvaluationTable } from "./evaluate.ts";
export { driftReportHtml } from "./report.ts";
export { DriftSourceError, readCurrentBatch } from "./input.ts";
export type { CurrentBatch } from "./input.ts";
export {
  ensureProfile,
  listDriftEvents,
  loadDriftModel,
  loadProfile,
  recordDriftEvent,
  referenceImages,
  saveProfile,
} from "./store.ts";
export type { DriftEvent, DriftModel } from "./store.ts";
export { checkDrift, shiftSpecSchema } from "./check.ts";
export type { CheckOptions, CheckResult } from "./check.ts";
export { DriftMonitor, liveEnvSchema, liveOptionsFromEnv, liveOptionsSchema } from "./live.ts";
export type { LiveOptionsInput, LiveStatus } from "./live.ts";

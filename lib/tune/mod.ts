/**
 * Public face of the tune stage: hyperparameter studies stored in the metadata DB, Optuna-style
 * trials (`suggest*`, `report`, `shouldPrune`), random/grid/TPE samplers, median/ASHA pruners,
 * concurrent workers (async in one process; separate processes on a shared Postgres), stale-trial
 * requeue and study resume, plus a registry of named objectives.
 */
export {
  assertMultiProcessCapable,
  bestOf,
  createSampler,
  createStudy,
  loadStudy,
  processWorkerPrefix,
  Study,
  StudyConflictError,
  studyOptionsSchema,
} from "./study.ts";
export type {
  FinishedTrial,
  Objective,
  OptimizeOptions,
  OptimizeSummary,
  StudyOptions,
} from "./study.ts";
export { Trial, TrialLost, TrialPruned } from "./trial.ts";
export type { NumericOptions } from "./trial.ts";
export {
  choiceSchema,
  contains,
  distributionSchema,
  parseSearchSpace,
  searchSpaceSchema,
} from "./space.ts";
export type {
  Choice,
  Distribution,
  DistributionInput,
  Params,
  ParamValue,
  SearchSpace,
  SearchSpaceInput,
} from "./space.ts";
export { samplerConfigSchema } from "./sampler.ts";
export type { Sampler, SamplerConfig, SamplerConfigInput } from "./sampler.ts";
export { createPruner, prunerConfigSchema } from "./pruners.ts";
export type { Pruner, PrunerConfig, PrunerConfigInput } from "./pruners.ts";
export { enqueueTrial, getStudy, requeueStaleTrials } from "./storage.ts";
export type { StudyRecord, TrialRecord } from "./storage.ts";
export type { TrialTracking, TuneTracker } from "./tracker.ts";
export { getObjective, listObjectives, registerObjective } from "./objectives.ts";
export type { ObjectiveDef } from "./objectives.ts";
export { TEST_FUNCTIONS } from "./functions.ts";
export type { TestFunction } from "./functions.ts";
export type { Direction, FrozenTrial, Intermediate, TrialState } from "./types.ts";
export { bestSoFar, correlationRatio, equalFrequencyBins, paramImportance } from "./importance.ts";
export type { ImportanceOptions, ParamImportance } from "./importance.ts";
export { createRng, hashKey } from "./rng.ts";
export type { Rng } from "./rng.ts";
export { TuneInputError } from "./errors.ts";

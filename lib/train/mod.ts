/**
 * Public face of the train stage: the one training loop (schedules, augmentation, class weights,
 * early stopping, checkpoints), named recipes, and the cached candidate step that trains,
 * evaluates, saves and registers a model through the promotion gate.
 */
export { parseTrainConfig, trainConfigSchema, trainModel } from "./loop.ts";
export type {
  EpochMetrics,
  TrainConfig,
  TrainConfigInput,
  TrainOptions,
  TrainResult,
} from "./loop.ts";
export { augmentBatch, augmentSchema } from "./augment.ts";
export type { Augment, AugmentInput } from "./augment.ts";
export { learningRateAt, scheduleSchema } from "./schedule.ts";
export type { Schedule, ScheduleInput } from "./schedule.ts";
export { clearCheckpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
export { CANDIDATE_STEP_VERSION, predictionsKey, trainCandidate } from "./candidate.ts";
export type { CandidateOptions, CandidateResult } from "./candidate.ts";
export { registerCandidate } from "./promote.ts";
export type { RegisterCandidateResult } from "./promote.ts";
export { attachVersionOnnx, exportChecked, onnxMetadataFor } from "./onnx.ts";
export type { CheckedOnnx } from "./onnx.ts";
export { recipeNameSchema, RECIPES } from "./recipes.ts";
export { ReplicaPool, resolveReplicas } from "./replicas.ts";
export type { ReplicaCount, ReplicaPoolOptions, WorkerShardResult } from "./replicas.ts";
export type { Recipe, RecipeName } from "./recipes.ts";
export { BASELINE_RECIPES, baselineNameSchema, knnBaseline, runBaselines } from "./baselines.ts";
export type { BaselineName, BaselineResult } from "./baselines.ts";
export {
  CNN_OBJECTIVE,
  CNN_SPACE,
  cnnObjectiveOptionsSchema,
  configureCnnObjective,
  createCnnObjective,
  parseCnnObjectiveOptions,
  suggestCnnParams,
} from "./tune_objective.ts";
export type { CnnObjectiveOptions, CnnParams } from "./tune_objective.ts";
export {
  buildEvaluationReport,
  EVALUATION_HTML,
  EVALUATION_JSON,
  evaluationReportHtml,
  perClassChart,
  reliabilityChart,
  SLICE_FEATURES,
  sliceChart,
} from "./evaluation.ts";
export type {
  EvaluationInputs,
  EvaluationReport,
  MethodSanity,
  MistakeEntry,
} from "./evaluation.ts";
export { behaviourOfArtifact } from "./behaviour.ts";

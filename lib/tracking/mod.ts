/**
 * Public face of the tracking stage (the MLflow role): experiments and runs with params,
 * metrics, tags, artifacts and lineage; a heartbeat + reaper so crashed runs end up `failed`;
 * queries to list, compare and pick the best run. Response schemas are exported for routes.
 *
 * ```ts
 * await reapStaleRuns(ctx);
 * const acc = await withRun(ctx, { experiment: "mlp", params: { lr: 1e-3 }, lineage }, async (run) => {
 *   for (let epoch = 0; epoch < 5; epoch++) await run.logMetrics({ loss, accuracy }, epoch);
 *   await run.logArtifact("model.json", bytes, "application/json");
 *   return accuracy;
 * });
 * ```
 */
export type { TrackingContext } from "./context.ts";
export { errorMessage, HEARTBEAT_MS_DEFAULT, startRun, withRun } from "./runs.ts";
export type { MetricBuffer, MetricInput, RunHandle, StartRunOptions } from "./runs.ts";
export {
  bestRun,
  compareRuns,
  getMetricHistory,
  getRun,
  listArtifacts,
  listRuns,
  loadArtifact,
  MIN_ID_PREFIX,
  resolveRunId,
} from "./queries.ts";
export type { BestRun } from "./queries.ts";
export { diffRuns, stableJson } from "./compare.ts";
export { processAlive, reapStaleRuns, STALE_AFTER_MS_DEFAULT } from "./reaper.ts";
export type { ReapOptions } from "./reaper.ts";
export { gitState } from "./git.ts";
export type { GitState } from "./git.ts";
export { RunEndedError, RunNotFoundError, TrackingInputError } from "./errors.ts";
export {
  ArtifactSchema,
  ComparedValueSchema,
  EngineInfoSchema,
  JsonValueSchema,
  KeySchema,
  LineageInputSchema,
  LineageSchema,
  MetricPointSchema,
  MetricSummarySchema,
  NameSchema,
  ReapResultSchema,
  RunComparisonSchema,
  RunDetailSchema,
  RunFilterSchema,
  RunSchema,
  RunStatusSchema,
} from "./schemas.ts";
export type {
  Artifact,
  ComparedValue,
  EngineInfo,
  Lineage,
  LineageInput,
  MetricPoint,
  MetricSummary,
  ReapResult,
  Run,
  RunComparison,
  RunDetail,
  RunFilter,
  RunStatus,
} from "./schemas.ts";

/** Public face of the pipeline stage: the run context, the cached step runner, progress. */
export { openContext, REPO_MANIFEST_DIR } from "./context.ts";
export type { ContextOptions, Ctx } from "./context.ts";
export { lastCompletedRun, listStepRuns, runStep, stepInputHash } from "./steps.ts";
export type {
  StepCtx,
  StepInfo,
  StepOutputs,
  StepResult,
  StepRunRecord,
  StepSpec,
} from "./steps.ts";
export { canonicalJson, hashJson } from "./canonical.ts";
export type { Json } from "./canonical.ts";
export { createProgress, formatAmount, formatDuration, renderBar } from "./progress.ts";
export type { Progress, ProgressInfo, ProgressOptions } from "./progress.ts";
export { parseCli, UsageError } from "./cli.ts";
export type { FlagSpec, ParsedCli } from "./cli.ts";
export { runCommand } from "./command.ts";
export type { CommandSpec } from "./command.ts";

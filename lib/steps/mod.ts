/** Public face of the step runner: pipeline steps cached by the hash of their inputs. */
export { lastCompletedRun, listStepRuns, runStep, stepInputHash } from "./runner.ts";
export type {
  StepCtx,
  StepInfo,
  StepOutputs,
  StepResult,
  StepRunRecord,
  StepSpec,
} from "./runner.ts";

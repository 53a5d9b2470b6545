/**
 * Public face of the notebooks stage: notebook parameters (small CI settings), the project's
 * Jupyter environment, headless execution with output checks, hygiene and type-checking.
 */
export { notebookEnvSchema, notebookParams, SMALL_LIMIT } from "./params.ts";
export type { NotebookParams } from "./params.ts";
export {
  ensureJupyterDirs,
  JUPYTER_CONFIG_DIR,
  jupyterDirs,
  jupyterEnv,
  REPO_ROOT,
  RUNNER_SCRIPT,
  SYSTEM_PYTHON,
} from "./jupyter_env.ts";
export type { JupyterDirs } from "./jupyter_env.ts";
export {
  cellSchema,
  clearOutputs,
  describeHygiene,
  NotebookFormatError,
  notebookHygiene,
  notebookSchema,
  parseNotebook,
  readNotebook,
  serializeNotebook,
} from "./ipynb.ts";
export type { Cell, HygieneProblem, Notebook } from "./ipynb.ts";
export { cellAt, notebookToTs, typeCheckNotebook, typeCheckNotebooks } from "./typecheck.ts";
export type { CellSpan, ExportedNotebook, TypeCheckResult } from "./typecheck.ts";
export {
  DEFAULT_CELL_TIMEOUT_S,
  notebookOutputs,
  NotebookRunError,
  reportError,
  runnerReportSchema,
  runNotebook,
  stripAnsi,
} from "./run.ts";
export type { CellRun, NotebookRun, RunnerReport, RunNotebookOptions } from "./run.ts";
export { listNotebooks, runNotebooks } from "./batch.ts";
export type { NotebookBatchOptions, NotebookBatchResult, NotebookFailure } from "./batch.ts";

/**
 * Zod schemas of what the tracking stage accepts and returns. Response shapes are exported so
 * HTTP routes and CLIs can validate and document them without redefining them.
 */
import { z } from "zod";

/** Lifecycle state of a run. */
export const RunStatusSchema = z.enum(["running", "finished", "failed", "killed"]);
/** Lifecycle state of a run. */
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** Any JSON value (params, config); kept open so OpenAPI generators can render it. */
export const JsonValueSchema = z.unknown().describe("any JSON value");

/** Experiment and run names: printable, 1–200 chars. */
export const NameSchema = z.string().trim().min(1).max(200).refine(
  (s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20),
  "must not contain control characters",
);

/** Metric/param/tag keys: `[A-Za-z0-9_.\-/:]`, 1–250 chars (e.g. `val/accuracy`). */
export const KeySchema = z.string().min(1).max(250).regex(
  /^[A-Za-z0-9_.\-/: ]+$/,
  "use letters, digits, space and _ . - / :",
);

/** The compute engine a run used (passed in by the caller). */
export const EngineInfoSchema = z.object({
  /** e.g. `tfjs`. */
  name: z.string(),
  /** e.g. `wasm`, `cpu`, `tensorflow`. */
  backend: z.string().optional(),
  /** Library versions, e.g. `{ "@tensorflow/tfjs": "4.22.0", deno: "2.9.6" }`. */
  versions: z.record(z.string(), z.string()).optional(),
});
/** The compute engine a run used. */
export type EngineInfo = z.infer<typeof EngineInfoSchema>;

/** Where a run's inputs came from; recorded when the run starts. */
export const LineageSchema = z.object({
  /** Content hash of the dataset version trained/evaluated on. */
  datasetVersion: z.string().nullable(),
  /** `git rev-parse HEAD` of the working tree, null outside git. */
  gitCommit: z.string().nullable(),
  /** Whether tracked files had uncommitted changes, null outside git. */
  gitDirty: z.boolean().nullable(),
  /** The run's full configuration. */
  config: JsonValueSchema.nullable(),
  /** Random seed. */
  seed: z.number().int().nullable(),
  /** Engine/backend and versions. */
  engine: EngineInfoSchema.nullable(),
});
/** Where a run's inputs came from. */
export type Lineage = z.infer<typeof LineageSchema>;

/** What a caller may pass as lineage to `startRun` (git is detected automatically). */
export const LineageInputSchema = z.object({
  datasetVersion: z.string().min(1).optional(),
  config: JsonValueSchema.optional(),
  seed: z.number().int().optional(),
  engine: EngineInfoSchema.optional(),
  /** Override the detected git state (e.g. when running from an exported tree). */
  gitCommit: z.string().nullable().optional(),
  gitDirty: z.boolean().nullable().optional(),
});
/** Lineage input of `startRun`. */
export type LineageInput = z.infer<typeof LineageInputSchema>;

/** One run, without its logged data. Times are ISO-8601 strings. */
export const RunSchema = z.object({
  id: z.string(),
  experiment: z.string(),
  name: z.string(),
  status: RunStatusSchema,
  parentId: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  heartbeatAt: z.string(),
  pid: z.number().int().nullable(),
  host: z.string().nullable(),
  /** Why the run failed or was killed. */
  error: z.string().nullable(),
  lineage: LineageSchema,
});
/** One run, without its logged data. */
export type Run = z.infer<typeof RunSchema>;

/** One logged metric value. `value` is null when the logged number was NaN or infinite. */
export const MetricPointSchema = z.object({
  key: z.string(),
  value: z.number().nullable(),
  step: z.number().int(),
  timestamp: z.string(),
});
/** One logged metric value. */
export type MetricPoint = z.infer<typeof MetricPointSchema>;

/** Summary of one metric's history: the value at the last step, plus min/max over all steps. */
export const MetricSummarySchema = z.object({
  last: z.number().nullable(),
  lastStep: z.number().int(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  count: z.number().int(),
});
/** Summary of one metric's history. */
export type MetricSummary = z.infer<typeof MetricSummarySchema>;

/** A stored artifact of a run (bytes live in the object store under `key`). */
export const ArtifactSchema = z.object({
  name: z.string(),
  key: z.string(),
  sha256: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  createdAt: z.string(),
});
/** A stored artifact of a run. */
export type Artifact = z.infer<typeof ArtifactSchema>;

/** A run with its params, tags, metric summaries and artifacts. */
export const RunDetailSchema = RunSchema.extend({
  params: z.record(z.string(), JsonValueSchema),
  tags: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), MetricSummarySchema),
  artifacts: z.array(ArtifactSchema),
});
/** A run with its params, tags, metric summaries and artifacts. */
export type RunDetail = z.infer<typeof RunDetailSchema>;

/** Filter of `listRuns`. */
export const RunFilterSchema = z.object({
  experiment: z.string().optional(),
  status: RunStatusSchema.optional(),
  /** Only children of this run (tuning trials). */
  parentId: z.string().optional(),
  /** Runs carrying this tag (value must match when given). */
  tag: z.object({ key: z.string(), value: z.string().optional() }).optional(),
  /** Newest first; default 50, at most 1000. */
  limit: z.number().int().min(1).max(1000).default(50),
  offset: z.number().int().min(0).default(0),
});
/** Filter of `listRuns` (before defaults). */
export type RunFilter = z.input<typeof RunFilterSchema>;

/** One row of a comparison: a key and its value in each compared run, in run order. */
export const ComparedValueSchema = z.object({
  key: z.string(),
  /** Aligned with `runs`; null where the run lacks the key. */
  values: z.array(JsonValueSchema.nullable()),
  /** True when not every run has the same value (a missing key counts as different). */
  differs: z.boolean(),
});
/** One row of a comparison. */
export type ComparedValue = z.infer<typeof ComparedValueSchema>;

/** Side-by-side params, metrics (last values) and tags of several runs. */
export const RunComparisonSchema = z.object({
  runs: z.array(RunSchema.pick({ id: true, experiment: true, name: true, status: true })),
  params: z.array(ComparedValueSchema),
  metrics: z.array(ComparedValueSchema),
  tags: z.array(ComparedValueSchema),
});
/** Side-by-side comparison of runs. */
export type RunComparison = z.infer<typeof RunComparisonSchema>;

/** Result of `reapStaleRuns`: the runs that were marked ended. */
export const ReapResultSchema = z.object({
  reaped: z.array(z.object({
    id: z.string(),
    status: RunStatusSchema,
    reason: z.string(),
  })),
});
/** Result of `reapStaleRuns`. */
export type ReapResult = z.infer<typeof ReapResultSchema>;

/** Schemas of the DAG-run routes (`/v1/dag/runs`). */
import { z } from "@hono/zod-openapi";

/** A step of a DAG run. */
const DagStepSchema = z.object({
  step: z.string(),
  position: z.number().int(),
  status: z.enum(["pending", "running", "completed", "failed"]),
  attempts: z.number().int(),
  worker: z.string().nullable(),
  cached: z.boolean().nullable(),
  result: z.unknown(),
  error: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
}).openapi("DagStep");

/** A DAG run with its steps. */
export const DagRunSchema = z.object({
  id: z.string(),
  dag: z.string(),
  status: z.enum(["queued", "running", "completed", "failed"]),
  trigger: z.string(),
  triggeredBy: z.string(),
  engine: z.enum(["embedded", "bullmq"]),
  params: z.record(z.string(), z.unknown()),
  logicalDate: z.string().nullable(),
  outcome: z.unknown(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  steps: z.array(DagStepSchema),
}).openapi("DagRun");

/** Query of the run list. */
export const DagRunsQuerySchema = z.object({
  dag: z.enum(["data", "pipeline", "retrain"]).optional(),
  status: z.enum(["queued", "running", "completed", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** `{id}` of a run. */
export const DagRunIdSchema = z.object({
  id: z.string().uuid().openapi({ param: { name: "id", in: "path" } }),
});

/** The run list. */
export const DagRunListSchema = z.object({ runs: z.array(DagRunSchema) });

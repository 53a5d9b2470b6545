/**
 * Schemas of the DAG-run routes (`/v1/dag/runs`): snake_case wire forms of `lib/jobs`' run
 * records, and {@link dagRunJson} converting one into the other ({@link snakeKeys}).
 */
import { z } from "@hono/zod-openapi";
import type { DagRunRecord } from "../../lib/jobs/mod.ts";
import { snakeKeys } from "./common.ts";

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
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
}).openapi("DagStep");

/** A DAG run with its steps. */
export const DagRunSchema = z.object({
  id: z.string(),
  dag: z.string(),
  status: z.enum(["queued", "running", "completed", "failed"]),
  trigger: z.string(),
  triggered_by: z.string(),
  engine: z.enum(["embedded", "bullmq"]),
  params: z.record(z.string(), z.unknown()),
  logical_date: z.string().nullable(),
  outcome: z.unknown(),
  error: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  steps: z.array(DagStepSchema),
}).openapi("DagRun");

/** A DAG run as the API answers it. */
export function dagRunJson(r: DagRunRecord): z.infer<typeof DagRunSchema> {
  return { ...snakeKeys(r), steps: r.steps.map(snakeKeys) };
}

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
export const DagRunListSchema = z.object({ runs: z.array(DagRunSchema) }).openapi("DagRunList");

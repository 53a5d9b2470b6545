/**
 * DAG run records in the metadata database (`dag_runs`, `dag_step_runs`; migration 050): who or
 * what triggered a run, its parameters, each step's status, attempts, worker, duration, result
 * and error. Every transition is a guarded UPDATE, so a step or run is completed at most once
 * even when two workers race on a retried job.
 */
import { hostname } from "node:os";
import { z } from "zod";
import type { Db, Queryable } from "../db/mod.ts";
import type { Json } from "../hashing/mod.ts";
import type { DagDefinition, DagName, DagParams, StepName } from "./dag.ts";

/** What started a run. */
export const triggerSchema = z.enum(["schedule", "drift", "manual", "backfill", "retry"]);
/** What started a run. */
export type Trigger = z.infer<typeof triggerSchema>;

/** Status of a run. */
export type RunStatus = "queued" | "running" | "completed" | "failed";
/** Status of a step. */
export type StepStatus = "pending" | "running" | "completed" | "failed";

/** A step of a recorded run. */
export interface DagStepRecord {
  step: StepName;
  position: number;
  status: StepStatus;
  attempts: number;
  worker: string | null;
  cached: boolean | null;
  result: Json | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

/** A recorded DAG run with its steps. */
export interface DagRunRecord {
  id: string;
  dag: DagName;
  status: RunStatus;
  trigger: Trigger;
  triggeredBy: string;
  engine: "embedded" | "bullmq";
  params: DagParams;
  logicalDate: string | null;
  outcome: Json | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: DagStepRecord[];
}

/** Raised for an unknown run id. */
export class RunNotFoundError extends Error {
  override name = "RunNotFoundError";
}

/** This process as a worker name (`host:pid`). */
export function workerName(): string {
  return `${hostname()}:${Deno.pid}`;
}

const iso = z.preprocess(
  (v) => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v)),
  z.string().nullable(),
);
const dateOnly = z.preprocess(
  (v) =>
    v === null || v === undefined
      ? null
      : v instanceof Date
      ? v.toISOString().slice(0, 10)
      : String(v).slice(0, 10),
  z.string().nullable(),
);

const runRow = z.object({
  id: z.string(),
  dag: z.enum(["data", "pipeline", "retrain"]),
  status: z.enum(["queued", "running", "completed", "failed"]),
  trigger: triggerSchema,
  triggered_by: z.string(),
  engine: z.enum(["embedded", "bullmq"]),
  params: z.record(z.string(), z.unknown()),
  logical_date: dateOnly,
  outcome: z.json().nullable(),
  error: z.string().nullable(),
  created_at: iso,
  started_at: iso,
  finished_at: iso,
});

const stepRow = z.object({
  run_id: z.string(),
  step: z.enum(["ingest", "validate", "features", "train", "register", "profile"]),
  position: z.coerce.number(),
  status: z.enum(["pending", "running", "completed", "failed"]),
  attempts: z.coerce.number(),
  worker: z.string().nullable(),
  cached: z.boolean().nullable(),
  result: z.json().nullable(),
  error: z.string().nullable(),
  started_at: iso,
  finished_at: iso,
  duration_ms: z.coerce.number().nullable(),
});

function toStep(row: unknown): DagStepRecord {
  const r = stepRow.parse(row);
  return {
    step: r.step,
    position: r.position,
    status: r.status,
    attempts: r.attempts,
    worker: r.worker,
    cached: r.cached,
    result: (r.result ?? null) as Json | null,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
  };
}

function toRun(row: unknown, steps: DagStepRecord[]): DagRunRecord {
  const r = runRow.parse(row);
  return {
    id: r.id,
    dag: r.dag,
    status: r.status,
    trigger: r.trigger,
    triggeredBy: r.triggered_by,
    engine: r.engine,
    params: r.params as DagParams,
    logicalDate: r.logical_date,
    outcome: (r.outcome ?? null) as Json | null,
    error: r.error,
    createdAt: r.created_at ?? "",
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    steps,
  };
}

/** What {@link createRun} records. */
export interface NewRun {
  dag: DagDefinition;
  params: DagParams;
  trigger: Trigger;
  triggeredBy: string;
  engine: "embedded" | "bullmq";
  logicalDate?: string;
}

/** Record a new queued run and its pending steps; returns its id. */
export async function createRun(db: Db, run: NewRun): Promise<string> {
  const id = crypto.randomUUID();
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO dag_runs (id, dag, status, trigger, triggered_by, engine, params, logical_date)
       VALUES ($1, $2, 'queued', $3, $4, $5, $6::jsonb, $7::date)`,
      [
        id,
        run.dag.name,
        run.trigger,
        run.triggeredBy,
        run.engine,
        JSON.stringify(run.params),
        run.logicalDate ?? null,
      ],
    );
    for (const [i, s] of run.dag.steps.entries()) {
      await tx.query(
        `INSERT INTO dag_step_runs (run_id, step, position, status) VALUES ($1, $2, $3, 'pending')`,
        [id, s.name, i],
      );
    }
  });
  return id;
}

/** One run with its steps. */
export async function getRun(db: Queryable, id: string): Promise<DagRunRecord> {
  const rows = await db.query(`SELECT * FROM dag_runs WHERE id = $1`, [id]);
  if (!rows.length) throw new RunNotFoundError(`no DAG run ${id}`);
  const steps = await db.query(
    `SELECT * FROM dag_step_runs WHERE run_id = $1 ORDER BY position`,
    [id],
  );
  return toRun(rows[0], steps.map(toStep));
}

/** Runs, newest first, with their steps; optionally of one DAG and/or status. */
export async function listRuns(
  db: Queryable,
  opts: { dag?: DagName; status?: RunStatus; limit?: number } = {},
): Promise<DagRunRecord[]> {
  const rows = await db.query(
    `SELECT * FROM dag_runs WHERE ($1::text IS NULL OR dag = $1) AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at DESC, id LIMIT $3`,
    [opts.dag ?? null, opts.status ?? null, opts.limit ?? 50],
  );
  if (!rows.length) return [];
  const ids = rows.map((r) => String((r as { id: string }).id));
  const steps = await db.query(
    `SELECT * FROM dag_step_runs WHERE run_id = ANY($1::text[]) ORDER BY run_id, position`,
    [ids],
  );
  const byRun = new Map<string, DagStepRecord[]>();
  for (const s of steps) {
    const runId = String((s as { run_id: string }).run_id);
    byRun.set(runId, [...(byRun.get(runId) ?? []), toStep(s)]);
  }
  return rows.map((r) => toRun(r, byRun.get(String((r as { id: string }).id)) ?? []));
}

/** Mark a step as started (one more attempt); the run becomes running. */
export async function stepStarted(db: Queryable, runId: string, step: StepName): Promise<void> {
  await db.query(
    `UPDATE dag_step_runs SET status = 'running', attempts = attempts + 1, worker = $3,
       started_at = now(), error = NULL
     WHERE run_id = $1 AND step = $2 AND status <> 'completed'`,
    [runId, step, workerName()],
  );
  await db.query(
    `UPDATE dag_runs SET status = 'running', started_at = COALESCE(started_at, now())
     WHERE id = $1 AND status IN ('queued', 'running')`,
    [runId],
  );
}

/**
 * Mark a step completed with its result. Returns false when it already was (a duplicate
 * delivery): the caller must then not act on it again.
 */
export async function stepCompleted(
  db: Queryable,
  runId: string,
  step: StepName,
  r: { result: Json; cached: boolean },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE dag_step_runs SET status = 'completed', result = $3::jsonb, cached = $4, error = NULL,
       finished_at = now(),
       duration_ms = EXTRACT(EPOCH FROM (now() - COALESCE(started_at, now()))) * 1000
     WHERE run_id = $1 AND step = $2 AND status <> 'completed' RETURNING step`,
    [runId, step, JSON.stringify(r.result), r.cached],
  );
  return rows.length > 0;
}

/** Record a failed attempt; `final` marks the step (and the run) failed. */
export async function stepFailed(
  db: Queryable,
  runId: string,
  step: StepName,
  error: string,
  final: boolean,
): Promise<void> {
  await db.query(
    `UPDATE dag_step_runs SET status = $4, error = $3, finished_at = now(),
       duration_ms = EXTRACT(EPOCH FROM (now() - COALESCE(started_at, now()))) * 1000
     WHERE run_id = $1 AND step = $2 AND status <> 'completed'`,
    [runId, step, error, final ? "failed" : "running"],
  );
  if (final) {
    await db.query(
      `UPDATE dag_runs SET status = 'failed', error = $2, finished_at = now()
       WHERE id = $1 AND status <> 'completed'`,
      [runId, `step ${step}: ${error}`],
    );
  }
}

/** Mark the run completed with its outcome. Returns false when it already was. */
export async function runCompleted(db: Queryable, runId: string, outcome: Json): Promise<boolean> {
  const rows = await db.query(
    `UPDATE dag_runs SET status = 'completed', outcome = $2::jsonb, error = NULL, finished_at = now()
     WHERE id = $1 AND status <> 'completed' RETURNING id`,
    [runId, JSON.stringify(outcome)],
  );
  return rows.length > 0;
}

/**
 * Reset a failed run for a retry: its failed step and every later step become pending again,
 * the run queued. Returns the steps to run (in order).
 */
export async function resetForRetry(db: Db, runId: string): Promise<StepName[]> {
  const run = await getRun(db, runId);
  if (run.status !== "failed") {
    throw new RunNotFoundError(`run ${runId} is ${run.status}; only a failed run can be retried`);
  }
  const first = run.steps.find((s) => s.status !== "completed");
  if (!first) return [];
  await db.transaction(async (tx) => {
    await tx.query(
      `UPDATE dag_step_runs SET status = 'pending', error = NULL
       WHERE run_id = $1 AND position >= $2 AND status <> 'completed'`,
      [runId, first.position],
    );
    await tx.query(
      `UPDATE dag_runs SET status = 'queued', error = NULL, finished_at = NULL WHERE id = $1`,
      [runId],
    );
  });
  return run.steps.filter((s) => s.position >= first.position && s.status !== "completed").map((
    s,
  ) => s.step);
}

/** Results of a run's completed steps, by step name. */
export async function completedResults(
  db: Queryable,
  runId: string,
): Promise<Partial<Record<StepName, Json>>> {
  const rows = await db.query<{ step: StepName; result: Json }>(
    `SELECT step, result FROM dag_step_runs WHERE run_id = $1 AND status = 'completed'`,
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.step, r.result]));
}

/** The run's parameters and DAG name. */
export async function runHeader(
  db: Queryable,
  runId: string,
): Promise<{ dag: DagName; params: DagParams; status: RunStatus }> {
  const rows = await db.query(`SELECT dag, params, status FROM dag_runs WHERE id = $1`, [runId]);
  if (!rows.length) throw new RunNotFoundError(`no DAG run ${runId}`);
  const r = runRow.pick({ dag: true, params: true, status: true }).parse(rows[0]);
  return { dag: r.dag, params: r.params as DagParams, status: r.status };
}

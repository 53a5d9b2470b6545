/**
 * Study and trial rows in the metadata database (`tune_studies`, `tune_trials`, migration 012).
 *
 * Concurrency: a worker claims the oldest queued trial with `SELECT … FOR UPDATE SKIP LOCKED`;
 * otherwise it locks the study row and allocates the next trial number (and grid point) in the
 * same transaction, so concurrent workers — async tasks on PGlite, or separate processes on
 * Postgres — never get the same trial number or grid point. Finishing and heartbeats are fenced
 * on (trial id, worker id, state 'running'): a worker whose trial was requeued as stale can no
 * longer write it.
 */
import { zodErrorText } from "../config/mod.ts";
import { z } from "zod";
import type { Db, Queryable } from "../db/mod.ts";
import { type PrunerConfig, prunerConfigSchema } from "./pruners.ts";
import { type SamplerConfig, samplerConfigSchema } from "./sampler.ts";
import {
  distributionSchema,
  type Params,
  paramsSchema,
  type SearchSpace,
  searchSpaceSchema,
} from "./space.ts";
import {
  type Direction,
  directionSchema,
  type FrozenTrial,
  type Intermediate,
  type TrialState,
  trialStateSchema,
} from "./types.ts";

/** A study row. */
export interface StudyRecord {
  id: number;
  name: string;
  direction: Direction;
  /** Name of a registered objective, when the study was created for one. */
  objective: string | null;
  sampler: SamplerConfig;
  pruner: PrunerConfig;
  space: SearchSpace | null;
  seed: number;
  /** Tracking run of the study (parent of the trials' runs), if tracked. */
  runId: string | null;
  createdAt: Date;
}

/** A trial row, as stored. */
export interface TrialRecord extends FrozenTrial {
  id: number;
  studyId: number;
  fixedParams: Params;
  gridIndex: number | null;
  workerId: string | null;
  attempts: number;
  error: string | null;
  runId: string | null;
}

/** New-study fields. */
export interface NewStudy {
  name: string;
  direction: Direction;
  objective: string | null;
  sampler: SamplerConfig;
  pruner: PrunerConfig;
  space: SearchSpace | null;
  seed: number;
}

const intermediateSchema = z.array(
  z.object({ step: z.number().int().min(0), value: z.number().nullable() }),
);

const studyRowSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  direction: directionSchema,
  objective: z.string().nullable(),
  sampler: samplerConfigSchema,
  pruner: prunerConfigSchema,
  space: searchSpaceSchema.nullable(),
  seed: z.number().int(),
  run_id: z.string().nullable(),
  created_at: z.date(),
});

const trialRowSchema = z.object({
  id: z.number().int(),
  study_id: z.number().int(),
  number: z.number().int(),
  state: trialStateSchema,
  fixed_params: paramsSchema,
  params: paramsSchema,
  distributions: z.record(z.string(), distributionSchema),
  value: z.number().nullable(),
  intermediate: intermediateSchema,
  grid_index: z.number().int().nullable(),
  worker_id: z.string().nullable(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  run_id: z.string().nullable(),
});

const TRIAL_COLUMNS = `id, study_id, number, state, fixed_params, params, distributions, value,
  intermediate, grid_index, worker_id, attempts, error, run_id`;

function parseRow<T>(schema: z.ZodType<T>, row: unknown, what: string): T {
  const r = schema.safeParse(row);
  if (!r.success) {
    throw new Error(
      `malformed ${what} row in the database (${
        zodErrorText(r.error, { oneLine: true })
      }); was it written by an incompatible version? Check migration 012_tune`,
    );
  }
  return r.data;
}

function toStudy(row: unknown): StudyRecord {
  const r = parseRow(studyRowSchema, row, "tune_studies");
  return {
    id: r.id,
    name: r.name,
    direction: r.direction,
    objective: r.objective,
    sampler: r.sampler,
    pruner: r.pruner,
    space: r.space,
    seed: r.seed,
    runId: r.run_id,
    createdAt: r.created_at,
  };
}

function toTrial(row: unknown): TrialRecord {
  const r = parseRow(trialRowSchema, row, "tune_trials");
  return {
    id: r.id,
    studyId: r.study_id,
    number: r.number,
    state: r.state,
    fixedParams: r.fixed_params,
    params: r.params,
    distributions: r.distributions,
    value: r.value,
    intermediate: r.intermediate.map((iv) => ({ step: iv.step, value: iv.value ?? NaN })),
    gridIndex: r.grid_index,
    workerId: r.worker_id,
    attempts: r.attempts,
    error: r.error,
    runId: r.run_id,
  };
}

/** JSON text for a jsonb parameter (`$n::text::jsonb` works the same on both drivers). */
function json(v: unknown): string {
  return JSON.stringify(v);
}

function intermediateJson(iv: readonly Intermediate[]): string {
  return json(iv.map((x) => ({ step: x.step, value: Number.isFinite(x.value) ? x.value : null })));
}

/** The study named `name`, or undefined. */
export async function getStudy(db: Queryable, name: string): Promise<StudyRecord | undefined> {
  const rows = await db.query(
    `SELECT id, name, direction, objective, sampler, pruner, space, seed, run_id, created_at
     FROM tune_studies WHERE name = $1`,
    [name],
  );
  return rows.length ? toStudy(rows[0]) : undefined;
}

/**
 * Insert a study unless one with that name exists; returns the stored row and whether it was
 * created by this call (concurrent creators race safely on the unique name).
 */
export async function insertStudy(
  db: Queryable,
  s: NewStudy,
): Promise<{ study: StudyRecord; created: boolean }> {
  const inserted = await db.query<{ id: number }>(
    `INSERT INTO tune_studies (name, direction, objective, sampler, pruner, space, seed)
     VALUES ($1, $2, $3, $4::text::jsonb, $5::text::jsonb, $6::text::jsonb, $7)
     ON CONFLICT (name) DO NOTHING RETURNING id`,
    [
      s.name,
      s.direction,
      s.objective,
      json(s.sampler),
      json(s.pruner),
      s.space === null ? null : json(s.space),
      s.seed,
    ],
  );
  const study = await getStudy(db, s.name);
  if (!study) throw new Error(`study "${s.name}" vanished right after creation`);
  return { study, created: inserted.length > 0 };
}

/** Record the tracking run of a study. */
export async function setStudyRunId(db: Queryable, studyId: number, runId: string): Promise<void> {
  await db.query("UPDATE tune_studies SET run_id = $2 WHERE id = $1", [studyId, runId]);
}

/** Every trial of a study, by number. */
export async function loadTrials(db: Queryable, studyId: number): Promise<TrialRecord[]> {
  const rows = await db.query(
    `SELECT ${TRIAL_COLUMNS} FROM tune_trials WHERE study_id = $1 ORDER BY number`,
    [studyId],
  );
  return rows.map(toTrial);
}

/** Counts of a study's trials per state. */
export async function countTrials(
  db: Queryable,
  studyId: number,
): Promise<Record<TrialState, number>> {
  const rows = await db.query<{ state: TrialState; n: number }>(
    "SELECT state, count(*)::int AS n FROM tune_trials WHERE study_id = $1 GROUP BY state",
    [studyId],
  );
  const out: Record<TrialState, number> = {
    queued: 0,
    running: 0,
    complete: 0,
    pruned: 0,
    failed: 0,
  };
  for (const r of rows) out[r.state] = Number(r.n);
  return out;
}

async function nextNumber(tx: Queryable, studyId: number): Promise<number> {
  const rows = await tx.query<{ n: number }>(
    "SELECT coalesce(max(number), -1)::int + 1 AS n FROM tune_trials WHERE study_id = $1",
    [studyId],
  );
  return Number(rows[0].n);
}

/** Lock the study row (serialises trial-number allocation across workers). */
async function lockStudy(tx: Queryable, studyId: number): Promise<void> {
  const rows = await tx.query("SELECT id FROM tune_studies WHERE id = $1 FOR UPDATE", [studyId]);
  if (rows.length === 0) throw new Error(`study ${studyId} no longer exists (deleted meanwhile?)`);
}

/** Add a queued trial with fixed parameters (like Optuna's `enqueue_trial`); returns its number. */
export async function enqueueTrial(db: Db, studyId: number, params: Params): Promise<number> {
  return await db.transaction(async (tx) => {
    await lockStudy(tx, studyId);
    const number = await nextNumber(tx, studyId);
    await tx.query(
      `INSERT INTO tune_trials (study_id, number, state, fixed_params, params)
       VALUES ($1, $2, 'queued', $3::text::jsonb, $3::text::jsonb)`,
      [studyId, number, json(params)],
    );
    return number;
  });
}

/**
 * Requeue running trials whose heartbeat is older than `staleAfterMs` (their worker died);
 * `exceptWorkerPrefix` spares this process's own workers. Sampled parameters and intermediate
 * values are dropped; fixed ones (grid point, enqueued params) are kept. Returns the numbers.
 */
export async function requeueStaleTrials(
  db: Queryable,
  studyId: number,
  staleAfterMs: number,
  exceptWorkerPrefix?: string,
): Promise<number[]> {
  const rows = await db.query<{ number: number }>(
    `UPDATE tune_trials
     SET state = 'queued', worker_id = NULL, heartbeat_at = NULL, params = fixed_params,
         distributions = '{}'::jsonb, intermediate = '[]'::jsonb, value = NULL, run_id = NULL,
         error = 'requeued: worker ' || coalesce(worker_id, '?') || ' stopped sending heartbeats'
     WHERE study_id = $1 AND state = 'running'
       AND (heartbeat_at IS NULL OR heartbeat_at < now() - ($2::float8 * interval '1 millisecond'))
       AND ($3::text IS NULL OR worker_id IS NULL OR left(worker_id, length($3::text)) <> $3::text)
     RETURNING number`,
    [studyId, staleAfterMs, exceptWorkerPrefix ?? null],
  );
  return rows.map((r) => Number(r.number)).sort((a, b) => a - b);
}

/** Options of {@link claimTrial}. */
export interface ClaimOptions {
  workerId: string;
  /** Create new trials only while the study has fewer than this many trials in total. */
  maxTrials: number;
  /** Grid size when the study's sampler fixes points up front (grid); else undefined. */
  gridSize?: number;
}

/** A trial this worker now owns (state 'running'). */
export interface ClaimedTrial {
  id: number;
  number: number;
  fixedParams: Params;
  gridIndex: number | null;
  /** How many times the trial was started (> 1 after a requeue). */
  attempts: number;
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "23505" || /duplicate key|unique constraint/i.test(String(err));
}

/**
 * Claim work for `workerId`: the oldest queued trial, else a new trial (next number; next unused
 * grid point for grid studies). Returns null when the study has `maxTrials` trials (or the grid
 * is used up) and nothing is queued.
 * `gridPoint(k)` maps a grid position to its fixed parameters.
 */
export async function claimTrial(
  db: Db,
  studyId: number,
  opts: ClaimOptions,
  gridPoint?: (k: number) => Params,
): Promise<ClaimedTrial | null> {
  for (let attempt = 0;; attempt++) {
    try {
      return await db.transaction((tx) => claimOnce(tx, studyId, opts, gridPoint));
    } catch (err) {
      // The study-row lock makes this rare; a unique violation means another worker won a race.
      if (attempt < 5 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

async function claimOnce(
  tx: Queryable,
  studyId: number,
  opts: ClaimOptions,
  gridPoint?: (k: number) => Params,
): Promise<ClaimedTrial | null> {
  const queued = await tx.query<{ id: number }>(
    `SELECT id FROM tune_trials WHERE study_id = $1 AND state = 'queued'
     ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [studyId],
  );
  if (queued.length > 0) {
    const rows = await tx.query(
      `UPDATE tune_trials SET state = 'running', worker_id = $2, heartbeat_at = now(),
         started_at = now(), attempts = attempts + 1, params = fixed_params
       WHERE id = $1 RETURNING ${TRIAL_COLUMNS}`,
      [queued[0].id, opts.workerId],
    );
    const t = toTrial(rows[0]);
    return {
      id: t.id,
      number: t.number,
      fixedParams: t.fixedParams,
      gridIndex: t.gridIndex,
      attempts: t.attempts,
    };
  }
  await lockStudy(tx, studyId);
  const total = await tx.query<{ n: number; next: number }>(
    `SELECT count(*)::int AS n, coalesce(max(number), -1)::int + 1 AS next
     FROM tune_trials WHERE study_id = $1`,
    [studyId],
  );
  if (Number(total[0].n) >= opts.maxTrials) return null;
  const number = Number(total[0].next);
  let gridIndex: number | null = null;
  let fixed: Params = {};
  if (opts.gridSize !== undefined) {
    if (!gridPoint) throw new Error("claimTrial: a grid study needs gridPoint");
    const used = await tx.query<{ g: number }>(
      "SELECT grid_index AS g FROM tune_trials WHERE study_id = $1 AND grid_index IS NOT NULL",
      [studyId],
    );
    const taken = new Set(used.map((r) => Number(r.g)));
    let k = 0;
    while (k < opts.gridSize && taken.has(k)) k++;
    if (k >= opts.gridSize) return null;
    gridIndex = k;
    fixed = gridPoint(k);
  }
  const rows = await tx.query<{ id: number }>(
    `INSERT INTO tune_trials (study_id, number, state, fixed_params, params, grid_index,
       worker_id, heartbeat_at, started_at, attempts)
     VALUES ($1, $2, 'running', $3::text::jsonb, $3::text::jsonb, $4, $5, now(), now(), 1)
     RETURNING id`,
    [studyId, number, json(fixed), gridIndex, opts.workerId],
  );
  return { id: Number(rows[0].id), number, fixedParams: fixed, gridIndex, attempts: 1 };
}

/** Refresh a trial's heartbeat; false when the trial is no longer this worker's. */
export async function heartbeat(
  db: Queryable,
  trialId: number,
  workerId: string,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE tune_trials SET heartbeat_at = now()
     WHERE id = $1 AND worker_id = $2 AND state = 'running' RETURNING id`,
    [trialId, workerId],
  );
  return rows.length > 0;
}

/** Progress of a running trial. */
export interface TrialProgress {
  params: Params;
  distributions: FrozenTrial["distributions"];
  intermediate: readonly Intermediate[];
}

/** Save a running trial's parameters and intermediate values (and beat); false when lost. */
export async function saveProgress(
  db: Queryable,
  trialId: number,
  workerId: string,
  p: TrialProgress,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE tune_trials SET params = $3::text::jsonb, distributions = $4::text::jsonb,
       intermediate = $5::text::jsonb, heartbeat_at = now()
     WHERE id = $1 AND worker_id = $2 AND state = 'running' RETURNING id`,
    [trialId, workerId, json(p.params), json(p.distributions), intermediateJson(p.intermediate)],
  );
  return rows.length > 0;
}

/** Set the tracking run of a trial. */
export async function setTrialRunId(db: Queryable, trialId: number, runId: string): Promise<void> {
  await db.query("UPDATE tune_trials SET run_id = $2 WHERE id = $1", [trialId, runId]);
}

/** Final state of a trial. */
export interface TrialOutcome extends TrialProgress {
  state: "complete" | "pruned" | "failed";
  value: number | null;
  error?: string;
}

/** Finish a running trial; false when it was no longer this worker's (it was requeued). */
export async function finishTrial(
  db: Queryable,
  trialId: number,
  workerId: string,
  o: TrialOutcome,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE tune_trials SET state = $3, value = $4, params = $5::text::jsonb,
       distributions = $6::text::jsonb, intermediate = $7::text::jsonb, error = $8,
       finished_at = now(), heartbeat_at = now()
     WHERE id = $1 AND worker_id = $2 AND state = 'running' RETURNING id`,
    [
      trialId,
      workerId,
      o.state,
      o.value !== null && Number.isFinite(o.value) ? o.value : null,
      json(o.params),
      json(o.distributions),
      intermediateJson(o.intermediate),
      o.error ?? null,
    ],
  );
  return rows.length > 0;
}

/** Running trials of a study held by workers whose id does not start with `prefix`. */
export async function countRunningElsewhere(
  db: Queryable,
  studyId: number,
  prefix: string,
): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tune_trials WHERE study_id = $1 AND state = 'running'
       AND (worker_id IS NULL OR left(worker_id, length($2::text)) <> $2::text)`,
    [studyId, prefix],
  );
  return Number(rows[0].n);
}

/** The best complete trial of a study for `direction`, or undefined (one indexed query). */
export async function bestTrial(
  db: Queryable,
  studyId: number,
  direction: Direction,
): Promise<TrialRecord | undefined> {
  const order = direction === "minimize" ? "ASC" : "DESC";
  const rows = await db.query(
    `SELECT ${TRIAL_COLUMNS} FROM tune_trials
     WHERE study_id = $1 AND state = 'complete' AND value IS NOT NULL
     ORDER BY value ${order}, number ASC LIMIT 1`,
    [studyId],
  );
  return rows.length ? toTrial(rows[0]) : undefined;
}

/**
 * Finished (complete, pruned or failed) trials of a study that are not in `known` — finished
 * trials never change, so callers cache them and fetch only the new ones.
 */
export async function loadFinishedTrialsExcept(
  db: Queryable,
  studyId: number,
  known: Iterable<number>,
): Promise<TrialRecord[]> {
  const rows = await db.query(
    `SELECT ${TRIAL_COLUMNS} FROM tune_trials
     WHERE study_id = $1 AND state IN ('complete', 'pruned', 'failed')
       AND number NOT IN (SELECT jsonb_array_elements_text($2::text::jsonb)::int)
     ORDER BY number`,
    [studyId, json([...known])],
  );
  return rows.map(toTrial);
}

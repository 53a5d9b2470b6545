/**
 * A small step runner with input-hash caching.
 *
 * `runStep` hashes a step's name and inputs (canonical JSON). When a completed run with the same
 * hash is recorded and every output it declared (store objects, files) is still present, the
 * step is skipped and its recorded result returned. Otherwise the step runs and, only after it
 * returned (its outputs written atomically by the step), a `completed` row is recorded — the
 * record is written last, so a crash mid-step leaves no record and a rerun simply runs again.
 */
import { z } from "zod";
import type { Queryable } from "../db/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ObjectStore } from "../storage/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { hashJson, type Json } from "../hashing/mod.ts";

/**
 * What a step needs from the workspace: its store and logger, and a database or an open
 * transaction (`Queryable`). A full workspace `Ctx` satisfies it.
 */
export type StepCtx = Pick<Ctx, "store" | "log"> & { readonly db: Queryable };

/** What a step's `run` returns. */
export interface StepOutputs<R extends Json> {
  /** JSON result handed back on this run and on later skipped runs. */
  result: R;
  /** Object-store keys the step produced; all must still exist for a later skip. */
  objects?: string[];
  /** File paths the step produced; all must still exist for a later skip. */
  files?: string[];
}

/** Information given to a running step. */
export interface StepInfo {
  /** Hash of name + inputs. */
  inputHash: string;
  /** Id this run will be recorded under. */
  runId: string;
  /** Logger carrying the step name. */
  log: Logger;
}

/** A step to run. */
export interface StepSpec<R extends Json> {
  /** Stable step name, e.g. `data.ingest`. */
  name: string;
  /** Everything that determines the outputs (hashable JSON). Bump a `version` field on code changes. */
  inputs: Json;
  /** Do the work. Write outputs atomically; return what was produced. */
  run: (info: StepInfo) => Promise<StepOutputs<R>>;
}

/** Outcome of {@link runStep}. */
export interface StepResult<R extends Json> {
  name: string;
  inputHash: string;
  /** Id of the recorded run that produced the result (the earlier one when skipped). */
  runId: string;
  skipped: boolean;
  /** `"unchanged inputs"` when skipped; otherwise why it ran. */
  reason: string;
  result: R;
  objects: string[];
  files: string[];
  /** Wall time of this call. */
  durationMs: number;
}

/** A recorded step run. */
export interface StepRunRecord {
  id: string;
  name: string;
  inputHash: string;
  status: "completed" | "failed";
  result: Json;
  objects: string[];
  files: string[];
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
}

// jsonb columns arrive parsed from both engines (see lib/db/values.ts).
const dateColumn = z.preprocess((v) => (v instanceof Date ? v : new Date(String(v))), z.date());

const rowSchema = z.object({
  id: z.string(),
  name: z.string(),
  input_hash: z.string(),
  status: z.enum(["completed", "failed"]),
  result: z.json().nullable(),
  objects: z.array(z.string()),
  files: z.array(z.string()),
  error: z.string().nullable(),
  started_at: dateColumn,
  finished_at: dateColumn,
  duration_ms: z.coerce.number(),
});

function toRecord(row: unknown): StepRunRecord {
  const r = rowSchema.parse(row);
  return {
    id: r.id,
    name: r.name,
    inputHash: r.input_hash,
    status: r.status,
    result: r.result as Json,
    objects: r.objects,
    files: r.files,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
  };
}

/** Hash identifying a step invocation: SHA-256 of canonical `{name, inputs}`. */
export function stepInputHash(name: string, inputs: Json): string {
  return hashJson({ name, inputs });
}

/** The most recent completed run of `name` with `inputHash`, or null. */
export async function lastCompletedRun(
  db: Queryable,
  name: string,
  inputHash: string,
): Promise<StepRunRecord | null> {
  const rows = await db.query(
    `SELECT * FROM step_runs WHERE name = $1 AND input_hash = $2 AND status = 'completed'
     ORDER BY finished_at DESC LIMIT 1`,
    [name, inputHash],
  );
  return rows.length ? toRecord(rows[0]) : null;
}

/** Recorded runs of a step (newest first), for inspection. */
export async function listStepRuns(
  db: Queryable,
  name?: string,
  limit = 50,
): Promise<StepRunRecord[]> {
  const rows = name === undefined
    ? await db.query(`SELECT * FROM step_runs ORDER BY finished_at DESC LIMIT $1`, [limit])
    : await db.query(
      `SELECT * FROM step_runs WHERE name = $1 ORDER BY finished_at DESC LIMIT $2`,
      [name, limit],
    );
  return rows.map(toRecord);
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Outputs of a record that are gone (empty when all are present). */
async function missingOutputs(store: ObjectStore, rec: StepRunRecord): Promise<string[]> {
  const missing: string[] = [];
  for (const key of rec.objects) {
    if ((await store.stat(key)) === null) missing.push(`object ${key}`);
  }
  for (const path of rec.files) if (!(await fileExists(path))) missing.push(`file ${path}`);
  return missing;
}

async function record(
  db: Queryable,
  r: {
    id: string;
    name: string;
    inputHash: string;
    inputs: Json;
    status: "completed" | "failed";
    result: Json | null;
    objects: string[];
    files: string[];
    error: string | null;
    startedAt: Date;
    finishedAt: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO step_runs (id, name, input_hash, inputs, status, result, objects, files, error,
       started_at, finished_at, duration_ms)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10::timestamptz,
       $11::timestamptz, $12)`,
    [
      r.id,
      r.name,
      r.inputHash,
      JSON.stringify(r.inputs),
      r.status,
      r.result === null ? null : JSON.stringify(r.result),
      JSON.stringify(r.objects),
      JSON.stringify(r.files),
      r.error,
      r.startedAt.toISOString(),
      r.finishedAt.toISOString(),
      r.finishedAt.getTime() - r.startedAt.getTime(),
    ],
  );
}

/**
 * Run `spec` unless a completed run with identical inputs exists and its outputs are present.
 * A failing step is recorded as `failed` (best effort) and its error rethrown.
 */
export async function runStep<R extends Json>(
  ctx: StepCtx,
  spec: StepSpec<R>,
): Promise<StepResult<R>> {
  const t0 = performance.now();
  const inputHash = stepInputHash(spec.name, spec.inputs);
  const log = ctx.log.child({ step: spec.name });
  const prev = await lastCompletedRun(ctx.db, spec.name, inputHash);
  let reason = "no previous run with these inputs";
  if (prev) {
    const missing = await missingOutputs(ctx.store, prev);
    if (missing.length === 0) {
      const durationMs = performance.now() - t0;
      log.info("step skipped: unchanged inputs", { inputHash, runId: prev.id });
      return {
        name: spec.name,
        inputHash,
        runId: prev.id,
        skipped: true,
        reason: "unchanged inputs",
        result: prev.result as R,
        objects: prev.objects,
        files: prev.files,
        durationMs,
      };
    }
    reason = `outputs missing: ${missing.slice(0, 3).join(", ")}${
      missing.length > 3 ? ` (+${missing.length - 3} more)` : ""
    }`;
  }
  const runId = crypto.randomUUID();
  const startedAt = new Date();
  log.info("step started", { inputHash, runId, reason });
  let out: StepOutputs<R>;
  try {
    out = await spec.run({ inputHash, runId, log });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await record(ctx.db, {
      id: runId,
      name: spec.name,
      inputHash,
      inputs: spec.inputs,
      status: "failed",
      result: null,
      objects: [],
      files: [],
      error: message,
      startedAt,
      finishedAt: new Date(),
    }).catch((e) => log.warn("could not record failed step", { error: e }));
    log.error("step failed", { inputHash, runId, error: err });
    throw err;
  }
  const objects = [...(out.objects ?? [])];
  const files = [...(out.files ?? [])];
  await record(ctx.db, {
    id: runId,
    name: spec.name,
    inputHash,
    inputs: spec.inputs,
    status: "completed",
    result: out.result,
    objects,
    files,
    error: null,
    startedAt,
    finishedAt: new Date(),
  });
  const durationMs = performance.now() - t0;
  log.info("step completed", { inputHash, runId, durationMs: Math.round(durationMs) });
  return {
    name: spec.name,
    inputHash,
    runId,
    skipped: false,
    reason,
    result: out.result,
    objects,
    files,
    durationMs,
  };
}

/**
 * The prediction-log record as stored in the spool file (one JSON object a line) and in the
 * `prediction_logs` table; validated with zod when read back from disk.
 */
import { z } from "zod";
import type { PredictionErrorRecord, PredictionRecord } from "../inference/mod.ts";

/** Schema of one spooled prediction record (the inference stage's `PredictionRecord`). */
export const predictionRecordSchema = z.object({
  requestId: z.string().min(1).max(200),
  clientRequestId: z.string().min(1).max(200).optional(),
  index: z.number().int().min(0),
  model: z.string().min(1),
  version: z.number().int().min(1),
  inputHash: z.string().min(1),
  classId: z.number().int().min(0),
  label: z.string(),
  confidence: z.number(),
  latencyMs: z.number(),
  cached: z.boolean(),
  arm: z.string().optional(),
  unit: z.string().min(1).max(200).optional(),
  at: z.string().min(1),
});

/** Parse one spool line; null when it is not a valid record (e.g. a torn last line). */
export function parseRecordLine(line: string): PredictionRecord | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const r = predictionRecordSchema.safeParse(raw);
  return r.success ? r.data : null;
}

/** Columns of `prediction_logs` written per record, in insert order. */
const COLUMNS = [
  "request_id",
  "client_request_id",
  "idx",
  "model",
  "version",
  "input_hash",
  "class_id",
  "label",
  "confidence",
  "latency_ms",
  "cached",
  "arm",
  "unit",
  "at",
] as const;

/**
 * One idempotent multi-row INSERT for `records`. `(request_id, idx)` is the server-generated key
 * of one predicted instance, so a conflict can only be the same record written twice (a batch
 * both written late and spooled, or a spool replayed after a crash): skipping it loses nothing.
 * Returns the SQL and its parameters.
 */
export function insertStatement(records: readonly PredictionRecord[]): {
  sql: string;
  params: unknown[];
} {
  const params: unknown[] = [];
  const rows: string[] = [];
  for (const r of records) {
    const base = params.length;
    params.push(
      r.requestId,
      r.clientRequestId ?? null,
      r.index,
      r.model,
      r.version,
      r.inputHash,
      r.classId,
      r.label,
      Number.isFinite(r.confidence) ? r.confidence : 0,
      Number.isFinite(r.latencyMs) ? r.latencyMs : 0,
      r.cached,
      r.arm ?? null,
      r.unit ?? null,
      r.at,
    );
    rows.push(`(${COLUMNS.map((_, i) => `$${base + i + 1}`).join(", ")})`);
  }
  return {
    sql: `INSERT INTO prediction_logs (${COLUMNS.join(", ")}) VALUES ${rows.join(", ")} ` +
      `ON CONFLICT (request_id, idx) DO NOTHING`,
    params,
  };
}

/** The INSERT of one failed A/B request into `prediction_errors`. */
export function errorInsertStatement(e: PredictionErrorRecord): { sql: string; params: unknown[] } {
  return {
    sql:
      `INSERT INTO prediction_errors (request_id, model, version, arm, unit, error, latency_ms, at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    params: [
      e.requestId,
      e.model,
      e.version ?? null,
      e.arm,
      e.unit ?? null,
      e.error.slice(0, 2000),
      Number.isFinite(e.latencyMs) ? e.latencyMs : 0,
      e.at,
    ],
  };
}

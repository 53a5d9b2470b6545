/**
 * Feedback: the true label of a predicted instance, reported by a client after the fact. Stored in
 * `prediction_feedback` keyed like the logs (server request id, instance index) — not as a column
 * of the log row, because the row may still be in a writer's buffer or spool when feedback
 * arrives; the two are joined at analysis time.
 *
 * Labels drive A/B accuracy and promotion evidence, so they are never silently overwritten: the
 * first label is kept (`first_*` columns); a different label for the same instance is refused
 * ({@link FeedbackConflictError}) unless the caller asks to `replace` it; every accepted label
 * (the first and each change) is appended to `prediction_feedback_events` with who and when.
 */
import { z } from "zod";
import type { Db, Queryable } from "../db/mod.ts";

/** Feedback as clients send it: a class id (0-based) or a label name. */
export const feedbackInputSchema = z.strictObject({
  request_id: z.string().trim().min(1).max(200),
  index: z.number().int().min(0).max(100_000).default(0),
  label: z.union([
    z.number().int().min(0).max(10_000),
    z.string().trim().min(1).max(200),
  ]),
  /** Change a label already given for this instance (recorded in the audit trail). */
  replace: z.boolean().default(false),
});
/** Parsed feedback input. */
export type FeedbackInput = z.output<typeof feedbackInputSchema>;

/** A label: a class id or a label name (exactly one is set). */
export interface FeedbackLabel {
  classId: number | null;
  label: string | null;
}

/** What storing feedback did. */
export type FeedbackOutcome = "created" | "unchanged" | "replaced";

/** Stored feedback. */
export interface Feedback {
  requestId: string;
  index: number;
  /** The label in force. */
  trueClassId: number | null;
  trueLabel: string | null;
  /** When the label in force was received. */
  receivedAt: string;
  /** Who set the label in force. */
  updatedBy: string;
  /** The first label given for the instance, kept whatever came later. */
  first: FeedbackLabel & { by: string; at: string };
  /** How many times the label was changed after the first. */
  revisions: number;
  outcome: FeedbackOutcome;
  /** The label replaced by this call (`outcome: "replaced"`). */
  previous?: FeedbackLabel;
}

/** One accepted label in the audit trail. */
export interface FeedbackEvent extends FeedbackLabel {
  requestId: string;
  index: number;
  previous: FeedbackLabel | null;
  actor: string;
  at: string;
}

/** Raised when feedback names a request (or instance) that was never logged. */
export class UnknownPredictionError extends Error {
  override name = "UnknownPredictionError";
}

/** Raised when an instance already has a different label and `replace` was not asked for. */
export class FeedbackConflictError extends Error {
  override name = "FeedbackConflictError";
  constructor(message: string, readonly current: Feedback) {
    super(message);
  }
}

/**
 * Instances logged in the database for `requestId` (0 when none), i.e. one past the largest
 * index.
 */
export async function loggedInstances(db: Queryable, requestId: string): Promise<number> {
  const rows = await db.query<{ n: number | null }>(
    `SELECT max(idx) + 1 AS n FROM prediction_logs WHERE request_id = $1`,
    [requestId],
  );
  return Number(rows[0]?.n ?? 0);
}

interface Row {
  true_class_id: number | null;
  true_label: string | null;
  received_at: Date | string;
  updated_by: string | null;
  first_class_id: number | null;
  first_label: string | null;
  first_by: string | null;
  first_at: Date | string | null;
  revisions: number;
}

const COLUMNS = "true_class_id, true_label, received_at, updated_by, first_class_id, " +
  "first_label, first_by, first_at, revisions";

const iso = (d: Date | string | null) => new Date(d ?? 0).toISOString();

function toFeedback(
  input: FeedbackInput,
  r: Row,
  outcome: FeedbackOutcome,
  previous?: FeedbackLabel,
): Feedback {
  return {
    requestId: input.request_id,
    index: input.index,
    trueClassId: r.true_class_id,
    trueLabel: r.true_label,
    receivedAt: iso(r.received_at),
    updatedBy: r.updated_by ?? "unknown",
    first: {
      classId: r.first_class_id,
      label: r.first_label,
      by: r.first_by ?? "unknown",
      at: iso(r.first_at ?? r.received_at),
    },
    revisions: Number(r.revisions),
    outcome,
    ...(previous ? { previous } : {}),
  };
}

const show = (l: FeedbackLabel) =>
  l.classId !== null ? `class ${l.classId}` : JSON.stringify(l.label);

/**
 * Store feedback for one instance on behalf of `actor` after checking it was predicted:
 * `pending(requestId)` reports the instances of a request still buffered or spooled by this
 * process's writer (undefined when unknown); otherwise the database is asked. The first label
 * is stored; the same label again changes nothing; a different one needs `replace: true`.
 * @throws UnknownPredictionError when neither knows the request id or the index is past its end.
 * @throws FeedbackConflictError for a different label without `replace`.
 */
export async function recordFeedback(
  db: Db,
  input: FeedbackInput,
  actor: string,
  pending?: (requestId: string) => number | undefined,
): Promise<Feedback> {
  const known = pending?.(input.request_id) ?? await loggedInstances(db, input.request_id);
  if (known === 0) {
    throw new UnknownPredictionError(
      `no prediction with request id ${JSON.stringify(input.request_id)} was logged; send the ` +
        "x-request-id header value of a predict response",
    );
  }
  if (input.index >= known) {
    throw new UnknownPredictionError(
      `request ${JSON.stringify(input.request_id)} predicted ${known} instance(s); ` +
        `index ${input.index} is out of range`,
    );
  }
  const given: FeedbackLabel = {
    classId: typeof input.label === "number" ? input.label : null,
    label: typeof input.label === "string" ? input.label : null,
  };
  const key = [input.request_id, input.index];
  return await db.transaction(async (tx) => {
    const event = (previous: FeedbackLabel | null) =>
      tx.query(
        `INSERT INTO prediction_feedback_events (request_id, idx, true_class_id, true_label,
           previous_class_id, previous_label, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          ...key,
          given.classId,
          given.label,
          previous?.classId ?? null,
          previous?.label ?? null,
          actor,
        ],
      );
    const created = await tx.query<Row>(
      `INSERT INTO prediction_feedback (request_id, idx, true_class_id, true_label,
         first_class_id, first_label, first_by, first_at, updated_by, received_at, revisions)
       VALUES ($1, $2, $3, $4, $3, $4, $5, now(), $5, now(), 0)
       ON CONFLICT (request_id, idx) DO NOTHING
       RETURNING ${COLUMNS}`,
      [...key, given.classId, given.label, actor],
    );
    if (created.length > 0) {
      await event(null);
      return toFeedback(input, created[0], "created");
    }
    const [cur] = await tx.query<Row>(
      `SELECT ${COLUMNS} FROM prediction_feedback WHERE request_id = $1 AND idx = $2 FOR UPDATE`,
      key,
    );
    const current: FeedbackLabel = { classId: cur.true_class_id, label: cur.true_label };
    if (current.classId === given.classId && current.label === given.label) {
      return toFeedback(input, cur, "unchanged");
    }
    if (!input.replace) {
      const f = toFeedback(input, cur, "unchanged");
      throw new FeedbackConflictError(
        `instance ${input.index} of request ${JSON.stringify(input.request_id)} is already ` +
          `labelled ${show(current)} (by ${f.updatedBy} at ${f.receivedAt}); send ` +
          `"replace": true to change it (the change is recorded)`,
        f,
      );
    }
    const [updated] = await tx.query<Row>(
      `UPDATE prediction_feedback SET true_class_id = $3, true_label = $4, updated_by = $5,
         received_at = now(), revisions = revisions + 1
       WHERE request_id = $1 AND idx = $2 RETURNING ${COLUMNS}`,
      [...key, given.classId, given.label, actor],
    );
    await event(current);
    return toFeedback(input, updated, "replaced", current);
  });
}

/** The audit trail of one instance's labels, oldest first. */
export async function feedbackEvents(
  db: Queryable,
  requestId: string,
  index: number,
): Promise<FeedbackEvent[]> {
  const rows = await db.query<{
    true_class_id: number | null;
    true_label: string | null;
    previous_class_id: number | null;
    previous_label: string | null;
    actor: string;
    at: Date | string;
  }>(
    `SELECT true_class_id, true_label, previous_class_id, previous_label, actor, at
       FROM prediction_feedback_events WHERE request_id = $1 AND idx = $2 ORDER BY id`,
    [requestId, index],
  );
  return rows.map((r) => ({
    requestId,
    index,
    classId: r.true_class_id,
    label: r.true_label,
    previous: r.previous_class_id === null && r.previous_label === null
      ? null
      : { classId: r.previous_class_id, label: r.previous_label },
    actor: r.actor,
    at: iso(r.at),
  }));
}

/**
 * Feedback: the true label of a predicted instance, reported by a client after the fact. Stored in
 * `prediction_feedback` keyed like the logs (request id, instance index) — not as a column of the
 * log row, because the row may still be in a writer's buffer or spool when feedback arrives; the
 * two are joined at analysis time. Posting feedback again for the same instance replaces it.
 */
import { z } from "zod";
import type { Queryable } from "../db/mod.ts";

/** Feedback as clients send it: a class id (0-based) or a label name. */
export const feedbackInputSchema = z.strictObject({
  request_id: z.string().trim().min(1).max(200),
  index: z.number().int().min(0).max(100_000).default(0),
  label: z.union([
    z.number().int().min(0).max(10_000),
    z.string().trim().min(1).max(200),
  ]),
});
/** Parsed feedback input. */
export type FeedbackInput = z.output<typeof feedbackInputSchema>;

/** Stored feedback. */
export interface Feedback {
  requestId: string;
  index: number;
  trueClassId: number | null;
  trueLabel: string | null;
  receivedAt: string;
}

/** Raised when feedback names a request (or instance) that was never logged. */
export class UnknownPredictionError extends Error {
  override name = "UnknownPredictionError";
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

/**
 * Store feedback for one instance after checking it was predicted: `pending(requestId)` reports
 * the instances of a request still buffered or spooled by this process's writer (undefined when
 * unknown); otherwise the database is asked.
 * @throws UnknownPredictionError when neither knows the request id or the index is past its end.
 */
export async function recordFeedback(
  db: Queryable,
  input: FeedbackInput,
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
  const classId = typeof input.label === "number" ? input.label : null;
  const label = typeof input.label === "string" ? input.label : null;
  const rows = await db.query<{ received_at: Date }>(
    `INSERT INTO prediction_feedback (request_id, idx, true_class_id, true_label)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (request_id, idx) DO UPDATE
       SET true_class_id = EXCLUDED.true_class_id, true_label = EXCLUDED.true_label,
           received_at = now()
     RETURNING received_at`,
    [input.request_id, input.index, classId, label],
  );
  return {
    requestId: input.request_id,
    index: input.index,
    trueClassId: classId,
    trueLabel: label,
    receivedAt: new Date(rows[0].received_at).toISOString(),
  };
}

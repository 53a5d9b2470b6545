/**
 * Public face of the prediction-log stage: a `PredictionSink` writing one row per predicted
 * instance to `prediction_logs` in batches, spooling to `<state>/spool/` when the database is
 * unavailable and replaying (idempotently) when it returns or at the next start; and feedback
 * (true labels) stored beside the logs, with an audit trail of who changed which label when.
 *
 * ```ts
 * const logs = await PredictionLogWriter.open({ db: ctx.db, spoolDir: statePaths(dir).spool,
 *   log, registry: inf.metrics.registry });
 * inf.service.setSink(logs);
 * // … on shutdown
 * await logs.close();
 * ```
 */
export { predictionLogOptionsSchema, PredictionLogWriter } from "./writer.ts";
export type {
  PredictionLogOptions,
  PredictionLogOptionsInput,
  PredictionLogStats,
  PredictionLogWriterDeps,
} from "./writer.ts";
export { Spool, SPOOL_FILE_RE } from "./spool.ts";
export type { ReplayFileResult } from "./spool.ts";
export {
  errorInsertStatement,
  insertStatement,
  parseRecordLine,
  predictionRecordSchema,
} from "./record.ts";
export { createPredlogMetrics } from "./metrics.ts";
export type { PredlogMetrics } from "./metrics.ts";
export {
  FeedbackConflictError,
  feedbackEvents,
  feedbackInputSchema,
  loggedInstances,
  recordFeedback,
  UnknownPredictionError,
} from "./feedback.ts";
export type {
  Feedback,
  FeedbackEvent,
  FeedbackInput,
  FeedbackLabel,
  FeedbackOutcome,
} from "./feedback.ts";

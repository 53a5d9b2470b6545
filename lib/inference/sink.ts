/**
 * Hooks for what happens around a prediction, kept separate so later work (prediction logs with
 * a DB spool, A/B splits) plugs in without touching the predict path:
 * - {@link PredictionSink} receives one record per predicted instance;
 * - {@link VersionResolver} chooses the version for requests that did not name one.
 */
import type { VersionRef } from "./pool.ts";

/** One predicted instance, as handed to a {@link PredictionSink}. */
export interface PredictionRecord {
  /**
   * Server-generated request id (unique per request; with `index`, the log key). Never the
   * client's id: a reused client id would make two requests' records collide.
   */
  requestId: string;
  /** The client's `x-request-id` (a correlation id; may repeat across requests). */
  clientRequestId?: string;
  /** Position of the instance in its request. */
  index: number;
  model: string;
  version: number;
  /** sha256 (hex) of the instance's float32 pixels. */
  inputHash: string;
  /** Predicted class id and its label. */
  classId: number;
  label: string;
  /** Probability of the predicted class. */
  confidence: number;
  /** Milliseconds from the request reaching the service to the prediction being ready. */
  latencyMs: number;
  /** Whether it came from the prediction cache. */
  cached: boolean;
  /** A/B arm, when a {@link VersionResolver} assigned one. */
  arm?: string;
  /** A/B assignment unit (hashed client key), when the resolver gave one. */
  unit?: string;
  /** When the prediction was made (ISO-8601). */
  at: string;
}

/** A predict request that failed after a {@link VersionResolver} assigned it an A/B arm. */
export interface PredictionErrorRecord {
  requestId: string;
  model: string;
  /** The version, when the failure came after it was resolved. */
  version?: number;
  arm: string;
  unit?: string;
  /** Error class and message. */
  error: string;
  /** Milliseconds from arrival to the failure. */
  latencyMs: number;
  /** ISO-8601. */
  at: string;
}

/**
 * Receives prediction records. `record` must not throw or block: buffer and write in the
 * background (a failing sink never fails a request; errors are logged by the service).
 */
export interface PredictionSink {
  record(records: readonly PredictionRecord[]): void | Promise<void>;
  /** Failed A/B requests (the error-rate guardrail); same rules as `record`. */
  recordError?(error: PredictionErrorRecord): void | Promise<void>;
}

/** What a {@link VersionResolver} is told about a request. */
export interface ResolveRequest {
  model: string;
  requestId: string;
  /** Client key for sticky assignment (`x-client-key` header), when sent. */
  clientKey?: string;
}

/** A resolver's choice: a version ref, and the A/B arm it belongs to. */
export interface Resolution {
  ref: VersionRef;
  arm?: string;
  /** Assignment unit of the request (e.g. a hash of the client key), logged with it. */
  unit?: string;
}

/**
 * Chooses the version for requests to `/v1/models/{name}/predict` (no version or alias named).
 * Return null to use the default (`champion`).
 */
export interface VersionResolver {
  resolve(req: ResolveRequest): Resolution | null | Promise<Resolution | null>;
}

/** A sink keeping records in memory (tests, notebooks); `records` grows without bound. */
export class MemorySink implements PredictionSink {
  readonly records: PredictionRecord[] = [];
  readonly errors: PredictionErrorRecord[] = [];
  record(records: readonly PredictionRecord[]): void {
    this.records.push(...records);
  }
  recordError(error: PredictionErrorRecord): void {
    this.errors.push(error);
  }
}

/**
 * Sees the inputs of every answered prediction (e.g. live drift detection). `observe` is called
 * after the answer is ready, must be cheap and must not throw (errors are logged and ignored);
 * `pixels` (`count × 784` floats in 0..1) is only valid during the call: copy what you keep.
 */
export interface InputObserver {
  observe(model: string, version: number, pixels: Float32Array, count: number): void;
}

/**
 * Expectation and suite shapes, and the zod schema of a suite run's machine-readable result.
 * An expectation is a named, declarative check over some input (a {@link Dataset}, a feature
 * table…) that reports what it observed, not just pass/fail.
 */
import { z } from "zod";

/** How a failed expectation is treated: `critical` stops the pipeline, `warning` is reported. */
export type Severity = "critical" | "warning";

/** Schema of {@link Severity}. */
export const severitySchema = z.enum(["critical", "warning"]);

/** A JSON value (what `observed` and `details` may hold). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** What one check found. */
export interface ExpectationOutcome {
  /** Whether the expectation holds. */
  success: boolean;
  /** The measured values the verdict is based on. */
  observed: JsonValue;
  /** Supporting evidence (examples, per-split breakdowns), small enough to render. */
  details?: JsonValue;
}

/** One declarative check over an input of type `T`. */
export interface Expectation<T> {
  /** Stable identifier, e.g. `image_shape`. */
  id: string;
  /** What is expected, in one sentence. */
  description: string;
  /** What a failure means for the run. */
  severity: Severity;
  /** Evaluate the expectation. */
  check(input: T): ExpectationOutcome | Promise<ExpectationOutcome>;
}

/** A named list of expectations over the same input type. */
export interface Suite<T> {
  /** Suite name, e.g. `fashion-mnist-dataset`. */
  name: string;
  expectations: Expectation<T>[];
}

/** Schema of one expectation's result inside a {@link ValidationResult}. */
export const expectationResultSchema = z.object({
  id: z.string().min(1),
  description: z.string(),
  severity: severitySchema,
  success: z.boolean(),
  observed: z.json(),
  details: z.json().optional(),
  /** Set when the check itself threw; the expectation then counts as failed. */
  error: z.string().optional(),
  durationMs: z.number().nonnegative(),
});

/** Result of one expectation. */
export type ExpectationResult = z.infer<typeof expectationResultSchema>;

/** Schema of the machine-readable result of {@link runSuite}. */
export const validationResultSchema = z.object({
  schemaVersion: z.literal(1),
  suite: z.string().min(1),
  /** What was validated, e.g. the dataset version. */
  subject: z.string().min(1),
  /** False when any critical expectation failed. */
  success: z.boolean(),
  startedAt: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  stats: z.object({
    evaluated: z.number().int().nonnegative(),
    passed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    criticalFailed: z.number().int().nonnegative(),
    warningFailed: z.number().int().nonnegative(),
  }),
  /** Ids of failed critical expectations. */
  criticalFailures: z.array(z.string()),
  /** Ids of failed warning expectations. */
  warnings: z.array(z.string()),
  results: z.array(expectationResultSchema),
});

/** Machine-readable result of running a suite. */
export type ValidationResult = z.infer<typeof validationResultSchema>;

/** Run a suite of expectations over an input and collect a {@link ValidationResult}. */
import type { ExpectationResult, Suite, ValidationResult } from "./types.ts";
import { validationResultSchema } from "./types.ts";

/** Options of {@link runSuite}. */
export interface RunSuiteOptions {
  /** What is being validated (defaults to the input's `version` field, else the suite name). */
  subject?: string;
  /** Called after each expectation (progress reporting). */
  onProgress?: (done: number, total: number, result: ExpectationResult) => void;
}

function subjectOf(input: unknown, fallback: string): string {
  if (typeof input === "object" && input !== null && "version" in input) {
    const v = (input as { version: unknown }).version;
    if (typeof v === "string" && v.length > 0) return v;
  }
  return fallback;
}

/**
 * Evaluate every expectation of `suite` on `input`. A check that throws counts as a failure with
 * its message in `error`; the run never stops early, so the result always lists every finding.
 * The overall `success` is false exactly when a critical expectation failed.
 */
export async function runSuite<T>(
  input: T,
  suite: Suite<T>,
  opts: RunSuiteOptions = {},
): Promise<ValidationResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const results: ExpectationResult[] = [];
  const total = suite.expectations.length;
  for (const exp of suite.expectations) {
    const t = performance.now();
    let r: ExpectationResult;
    try {
      const out = await exp.check(input);
      r = {
        id: exp.id,
        description: exp.description,
        severity: exp.severity,
        success: out.success,
        observed: out.observed,
        ...(out.details !== undefined ? { details: out.details } : {}),
        durationMs: performance.now() - t,
      };
    } catch (err) {
      r = {
        id: exp.id,
        description: exp.description,
        severity: exp.severity,
        success: false,
        observed: null,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        durationMs: performance.now() - t,
      };
    }
    results.push(r);
    opts.onProgress?.(results.length, total, r);
  }
  const failed = results.filter((r) => !r.success);
  const criticalFailures = failed.filter((r) => r.severity === "critical").map((r) => r.id);
  const warnings = failed.filter((r) => r.severity === "warning").map((r) => r.id);
  return validationResultSchema.parse({
    schemaVersion: 1,
    suite: suite.name,
    subject: opts.subject ?? subjectOf(input, suite.name),
    success: criticalFailures.length === 0,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - t0,
    stats: {
      evaluated: results.length,
      passed: results.length - failed.length,
      failed: failed.length,
      criticalFailed: criticalFailures.length,
      warningFailed: warnings.length,
    },
    criticalFailures,
    warnings,
    results,
  });
}

/** Errors raised by the validate stage. */
import type { ValidationResult } from "./types.ts";

/** Raised when one or more critical expectations failed; names them and keeps the full result. */
export class ValidationFailedError extends Error {
  override name = "ValidationFailedError";
  /** Ids of the failed critical expectations. */
  readonly failed: string[];
  constructor(readonly result: ValidationResult, reportLocation?: string) {
    const failed = result.criticalFailures;
    super(
      `validation of ${result.subject} failed: critical expectation(s) ${failed.join(", ")} ` +
        `did not hold (suite ${result.suite}). ` +
        (reportLocation ? `See the report at ${reportLocation}; ` : "") +
        "fix the data source or, if the finding is acceptable, relax the tolerance in the suite config.",
    );
    this.failed = failed;
  }
}

/**
 * The typed errors an entry point throws to choose its exit code: {@link UsageError} (bad flags
 * or arguments, exit 2) and {@link CommandError} (a failure with an explicit exit code). Any
 * other error exits 1. `runCommand` prints each as one line `NAME: message` (no stack trace).
 */

/** Unknown flags, missing values, values the schema rejects, wrong positional arguments: exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure with a chosen exit code (default 1), e.g. 2 for a bad model reference. */
export class CommandError extends Error {
  override name = "CommandError";
  /** The process exit code. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

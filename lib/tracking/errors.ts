/** Errors raised by the tracking stage; each message says what failed and what to do. */

/** No run has the given id (or id prefix). */
export class RunNotFoundError extends Error {
  override name = "RunNotFoundError";
  constructor(readonly runId: string, detail = "") {
    super(
      `run not found: ${JSON.stringify(runId)}${detail}; list runs with \`deno task runs ls\``,
    );
  }
}

/** Logging to, or ending, a run that has already ended. */
export class RunEndedError extends Error {
  override name = "RunEndedError";
}

/** Invalid input to a tracking call (bad key, non-numeric metric, changed param…). */
export class TrackingInputError extends Error {
  override name = "TrackingInputError";
}

/** Typed errors of the tune stage (callers pick exit codes / HTTP statuses by class). */

/** A study asks for something invalid: an unknown objective, a bad search space or grid. */
export class TuneInputError extends Error {
  override name = "TuneInputError";
}

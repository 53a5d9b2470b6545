/**
 * The one way `lib/` words a failed zod parse: `z.prettifyError` (zod 4), either as it is (one
 * issue per line, for config files, options and CLI flags) or folded into one line (for a message
 * that continues a sentence or goes into a log line).
 */
import { z } from "zod";

/** Options of {@link zodErrorText}. */
export interface ZodErrorTextOptions {
  /** Fold the issues into one line, `message at path; …` (default false: one issue a line). */
  oneLine?: boolean;
  /** Report at most this many issues (default all). */
  max?: number;
}

/**
 * The issues of `error` worded by `z.prettifyError`: each issue's message and the path it is at
 * (`✖ message\n  → at a.b` per issue), or folded into one line (`message at a.b; …`).
 */
export function zodErrorText(error: z.ZodError, opts: ZodErrorTextOptions = {}): string {
  const issues = opts.max === undefined ? error.issues : error.issues.slice(0, opts.max);
  const text = z.prettifyError(new z.ZodError(issues));
  if (!opts.oneLine) return text;
  return text
    .split(/\n(?=✖ )/)
    .map((issue) => issue.replace(/^✖ /, "").replace(/\n\s*→ at /, " at "))
    .join("; ");
}

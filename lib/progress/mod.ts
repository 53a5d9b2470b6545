/** Public face of progress reporting: bars at a terminal, periodic log lines elsewhere. */
export { createProgress, formatAmount, formatDuration, renderBar } from "./progress.ts";
export type { Progress, ProgressInfo, ProgressOptions } from "./progress.ts";

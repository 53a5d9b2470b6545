/**
 * Summary statistics every benchmark reports over its repeats: median, min and max, and the
 * spread as ± half the range relative to the median.
 */

/** Median, min and max of a non-empty list (the list itself is not reordered). */
export function summarize(values: number[]): { median: number; min: number; max: number } {
  if (values.length === 0) throw new RangeError("summarize: no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  return summarize(values).median;
}

/** `median [min–max]`, each with `digits` decimals. */
export function fmtStat(values: number[], digits = 0): string {
  const s = summarize(values);
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
}

/** The spread: ± half the range as a percentage of the median, e.g. `±4.2%`. */
export function spreadPct(values: number[]): string {
  const s = summarize(values);
  return `±${((100 * (s.max - s.min)) / 2 / s.median).toFixed(1)}%`;
}

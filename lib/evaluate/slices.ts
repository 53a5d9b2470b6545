/**
 * Performance by slice (per class, per bucket of an image property, per any user grouping) and
 * which slices are significantly worse than the whole set.
 *
 * A slice is flagged when its accuracy is below the overall accuracy by more than `threshold`
 * with statistical support: the one-sided exact binomial test of H0 "slice accuracy ≥ overall −
 * threshold" (`scipy.stats.binomtest(x, n, overall − threshold, alternative="less")`) rejects at
 * `alpha` after Holm's step-down correction over all slices tested, so a handful of errors in a
 * small slice does not raise an alarm. Slice accuracies carry Wilson score intervals.
 */
import { normalQuantile } from "./proportions.ts";

/** Examples grouped by one column: `values[i]` is example i's group. */
export interface SliceGrouping {
  /** Column name, e.g. `class`, `ink_ratio`, `source`. */
  name: string;
  values: ArrayLike<string | number>;
}

/** One slice's figures. */
export interface SliceResult {
  grouping: string;
  slice: string;
  n: number;
  correct: number;
  accuracy: number;
  /** Wilson score interval of the slice accuracy at `level`. */
  low: number;
  high: number;
  /** Overall accuracy minus slice accuracy. */
  gap: number;
  /** One-sided binomial p-value of "accuracy ≥ overall − threshold". */
  pValue: number;
  /** Holm-adjusted p-value over every slice tested. */
  pAdjusted: number;
  flagged: boolean;
}

/** Slice analysis of one prediction set. */
export interface SliceReport {
  count: number;
  overall: number;
  threshold: number;
  alpha: number;
  level: number;
  correction: "holm";
  slices: SliceResult[];
}

/** Options of {@link sliceAnalysis}. */
export interface SliceOptions {
  /** Accuracy gap below overall that matters (default 0.05). */
  threshold?: number;
  /** Family-wise error rate (default 0.05). */
  alpha?: number;
  /** Level of the Wilson intervals (default 0.95). */
  level?: number;
  /** Slices smaller than this are reported but not tested (default 10). */
  minSize?: number;
}

/** `P(X ≤ k)` for `X ~ Binomial(n, p)`, summed in log space. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n || p <= 0) return 1;
  if (p >= 1) return 0;
  const lp = Math.log(p), lq = Math.log1p(-p);
  let logC = 0, max = -Infinity;
  const logs = new Float64Array(k + 1);
  for (let j = 0; j <= k; j++) {
    if (j > 0) logC += Math.log(n - j + 1) - Math.log(j);
    logs[j] = logC + j * lp + (n - j) * lq;
    if (logs[j] > max) max = logs[j];
  }
  let s = 0;
  for (const l of logs) s += Math.exp(l - max);
  return Math.min(1, Math.exp(max + Math.log(s)));
}

/** Holm's step-down adjusted p-values (same order as given). */
export function holmAdjust(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([v, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * v));
    out[i] = running;
  });
  return out;
}

/** Wilson score interval of `x` successes in `n` trials. */
export function wilsonInterval(x: number, n: number, level = 0.95): [number, number] {
  if (n === 0) return [0, 1];
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = x / n;
  const den = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / den;
  const half = (z / den) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Quantile buckets of a numeric column: `buckets` groups of (nearly) equal size, labelled with
 * their value range, e.g. `Q2 [0.21, 0.34]`. Tied values stay in one bucket.
 */
export function quantileBuckets(
  name: string,
  values: ArrayLike<number>,
  buckets = 4,
): SliceGrouping {
  const n = values.length;
  if (!Number.isInteger(buckets) || buckets < 2) {
    throw new RangeError(`buckets must be an integer ≥ 2, got ${buckets}`);
  }
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let b = 1; b < buckets; b++) edges.push(sorted[Math.floor((b * n) / buckets)]);
  const bucketOf = (v: number) => {
    let b = 0;
    while (b < edges.length && v >= edges[b]) b++;
    return b;
  };
  const lo = new Array<number>(buckets).fill(Infinity),
    hi = new Array<number>(buckets).fill(-Infinity);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const b = bucketOf(values[i]);
    idx[i] = b;
    lo[b] = Math.min(lo[b], values[i]);
    hi[b] = Math.max(hi[b], values[i]);
  }
  const f = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(3));
  const labels = lo.map((l, b) => `Q${b + 1} [${f(l)}, ${f(hi[b])}]`);
  return { name, values: Array.from(idx, (b) => labels[b]) };
}

/**
 * Accuracy per slice of every grouping, with the flag rule described in the module comment.
 * `correct[i]` is 1 when example i was predicted right.
 * @throws RangeError when a grouping's length differs from `correct`'s or options are invalid.
 */
export function sliceAnalysis(
  correct: ArrayLike<number>,
  groupings: readonly SliceGrouping[],
  opts: SliceOptions = {},
): SliceReport {
  const threshold = opts.threshold ?? 0.05;
  const alpha = opts.alpha ?? 0.05;
  const level = opts.level ?? 0.95;
  const minSize = opts.minSize ?? 10;
  if (!(threshold >= 0 && threshold < 1)) throw new RangeError(`threshold must be in [0, 1)`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1)`);
  const n = correct.length;
  if (n === 0) throw new RangeError("slice analysis needs at least one example");
  let total = 0;
  for (let i = 0; i < n; i++) total += correct[i] ? 1 : 0;
  const overall = total / n;
  const p0 = Math.max(0, overall - threshold);
  const rows: Omit<SliceResult, "pAdjusted" | "flagged">[] = [];
  for (const g of groupings) {
    if (g.values.length !== n) {
      throw new RangeError(
        `grouping ${g.name} has ${g.values.length} values for ${n} examples`,
      );
    }
    const counts = new Map<string, [number, number]>();
    for (let i = 0; i < n; i++) {
      const key = String(g.values[i]);
      const c = counts.get(key) ?? [0, 0];
      c[0]++;
      if (correct[i]) c[1]++;
      counts.set(key, c);
    }
    const keys = [...counts.keys()].sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true })
    );
    for (const key of keys) {
      const [m, x] = counts.get(key)!;
      const [low, high] = wilsonInterval(x, m, level);
      rows.push({
        grouping: g.name,
        slice: key,
        n: m,
        correct: x,
        accuracy: x / m,
        low,
        high,
        gap: overall - x / m,
        pValue: m >= minSize ? binomialCdf(x, m, p0) : NaN,
      });
    }
  }
  const tested = rows.map((r, i) => [r.pValue, i] as const).filter(([p]) => !Number.isNaN(p));
  const adjusted = holmAdjust(tested.map(([p]) => p));
  const adj = new Map(tested.map(([, i], j) => [i, adjusted[j]]));
  const slices = rows.map((r, i): SliceResult => {
    const pAdjusted = adj.get(i) ?? NaN;
    return { ...r, pAdjusted, flagged: r.gap > threshold && pAdjusted < alpha };
  });
  return { count: n, overall, threshold, alpha, level, correction: "holm", slices };
}

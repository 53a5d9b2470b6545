/**
 * Seeded nonparametric bootstrap of statistics of `n` examples, with percentile or BCa
 * (bias-corrected and accelerated, Efron & Tibshirani 1993 §14.3) confidence intervals.
 *
 * A statistic is a function of per-example weights (how many times each example was drawn), so
 * one resample evaluates every statistic of a report on the same draw. Percentiles interpolate
 * linearly between order statistics (`numpy.percentile`'s default), and the BCa bias correction
 * counts ties as half (`scipy.stats.bootstrap`'s convention), so with enough resamples the
 * intervals agree with scipy's up to Monte Carlo error. The BCa acceleration comes from a
 * jackknife: exact leave-one-out for `n <= jackknifeBlocks`, else a delete-block jackknife over
 * `jackknifeBlocks` interleaved blocks (examples `i ≡ g mod G`), which keeps it O(G·n).
 */
import { mulberry32 } from "../features/mod.ts";
import { normalQuantile, normalSf } from "./proportions.ts";

/** Interval construction: bootstrap percentiles, or BCa. */
export type CiMethod = "percentile" | "bca";

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** PRNG seed (default 0): the same seed gives the same intervals. */
  seed?: number;
  /** Confidence level in (0, 1) (default 0.95). */
  level?: number;
  /** `percentile` (default) or `bca`. */
  method?: CiMethod;
  /** Jackknife blocks for the BCa acceleration (default 1000; exact leave-one-out when n ≤ it). */
  jackknifeBlocks?: number;
}

/** A point estimate with its bootstrap confidence interval. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

/** How intervals were computed (recorded in reports). */
export interface BootstrapInfo {
  method: CiMethod;
  level: number;
  resamples: number;
  seed: number;
}

/** Statistics evaluated on per-example weights (`w[i]` = times example i was drawn). */
export type WeightedStatistic = (w: Float64Array) => number[];

/** Raised for bootstrap options out of range. */
export class BootstrapOptionsError extends Error {
  override name = "BootstrapOptionsError";
}

/** Resolved options with defaults, validated. */
export function bootstrapInfo(opts: BootstrapOptions = {}): BootstrapInfo {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const method = opts.method ?? "percentile";
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 10 || resamples > 1_000_000) {
    throw new BootstrapOptionsError(
      `resamples must be an integer in 10..1000000, got ${resamples}`,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new BootstrapOptionsError(`level must be in (0, 1), got ${level}`);
  }
  if (method !== "percentile" && method !== "bca") {
    throw new BootstrapOptionsError(`method must be percentile or bca, got ${String(method)}`);
  }
  if (!Number.isInteger(seed)) throw new BootstrapOptionsError(`seed must be an integer`);
  return { method, level, resamples, seed };
}

/** Linear-interpolation percentile (`q` in [0, 1]) of an ascending-sorted array. */
export function sortedQuantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = Math.min(1, Math.max(0, q)) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Standard normal CDF. */
function normalCdf(z: number): number {
  return 1 - normalSf(z);
}

/**
 * BCa acceleration from jackknife values `theta[g]` (one per left-out example or block):
 * `a = Σ U³ / (6 (Σ U²)^{3/2})` with `U = (G − 1)(mean − theta)`; 0 when all are equal.
 */
export function jackknifeAcceleration(theta: ArrayLike<number>): number {
  const g = theta.length;
  let mean = 0;
  for (let i = 0; i < g; i++) mean += theta[i];
  mean /= g;
  let num = 0, den = 0;
  for (let i = 0; i < g; i++) {
    const u = (g - 1) * (mean - theta[i]);
    num += u * u * u;
    den += u * u;
  }
  if (den === 0) return 0;
  return num / (6 * den ** 1.5);
}

/**
 * Bootstrap every statistic returned by `statistic` on the same resamples. Returns one
 * {@link Interval} per statistic (a NaN statistic on a resample is skipped for that statistic;
 * an interval with no finite resample is NaN), and the raw resampled values per statistic.
 */
export function bootstrap(
  n: number,
  statistic: WeightedStatistic,
  opts: BootstrapOptions = {},
): { intervals: Interval[]; info: BootstrapInfo; draws: Float64Array[] } {
  const info = bootstrapInfo(opts);
  if (!Number.isInteger(n) || n < 1) {
    throw new BootstrapOptionsError(`the bootstrap needs at least one example, got ${n}`);
  }
  const w = new Float64Array(n).fill(1);
  const estimates = statistic(w);
  const k = estimates.length;
  const draws = Array.from({ length: k }, () => new Float64Array(info.resamples));
  const rand = mulberry32(info.seed);
  for (let b = 0; b < info.resamples; b++) {
    w.fill(0);
    for (let i = 0; i < n; i++) w[Math.floor(rand() * n)]++;
    const s = statistic(w);
    for (let j = 0; j < k; j++) draws[j][b] = s[j];
  }
  const alpha = (1 - info.level) / 2;
  let accel: number[] | null = null;
  if (info.method === "bca") accel = jackknife(n, statistic, k, opts.jackknifeBlocks ?? 1000);
  const intervals = estimates.map((estimate, j): Interval => {
    const finite = draws[j].filter((v) => Number.isFinite(v)).sort();
    if (finite.length === 0) return { estimate, low: NaN, high: NaN };
    let qLo = alpha, qHi = 1 - alpha;
    if (accel) {
      let below = 0, belowEq = 0;
      for (const v of finite) {
        if (v < estimate) below++;
        if (v <= estimate) belowEq++;
      }
      const z0 = normalQuantile((below + belowEq) / (2 * finite.length));
      const a = accel[j];
      const adj = (za: number) => {
        const num = z0 + za;
        return normalCdf(z0 + num / (1 - a * num));
      };
      if (Number.isFinite(z0)) {
        qLo = adj(normalQuantile(alpha));
        qHi = adj(normalQuantile(1 - alpha));
      }
    }
    return { estimate, low: sortedQuantile(finite, qLo), high: sortedQuantile(finite, qHi) };
  });
  return { intervals, info, draws };
}

function jackknife(n: number, statistic: WeightedStatistic, k: number, blocks: number): number[] {
  const g = Math.min(n, Math.max(2, blocks));
  const theta = Array.from({ length: k }, () => new Float64Array(g));
  const w = new Float64Array(n);
  for (let b = 0; b < g; b++) {
    w.fill(1);
    for (let i = b; i < n; i += g) w[i] = 0;
    const s = statistic(w);
    for (let j = 0; j < k; j++) theta[j][b] = s[j];
  }
  return theta.map((t) => jackknifeAcceleration(t));
}

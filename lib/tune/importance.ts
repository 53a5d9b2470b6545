/**
 * Hyperparameter importance of a finished study: for each parameter, the share of the variance
 * of the objective explained by that parameter alone (the correlation ratio η², "between-group"
 * variance over total variance), with numeric parameters grouped into equal-frequency bins and
 * categorical ones grouped by choice. A cheap, model-free stand-in for fANOVA: it ignores
 * interactions, and with few trials per bin it overstates importance (compare parameters with
 * one another, not with 0). Pure: no database, no randomness.
 */
import type { ParamValue } from "./space.ts";
import type { FrozenTrial } from "./types.ts";

/** Importance of one parameter. */
export interface ParamImportance {
  param: string;
  /** η² normalised so that the importances of all parameters sum to 1 (0 when all are 0). */
  importance: number;
  /** η²: variance of the objective explained by this parameter's groups, in [0, 1]. */
  explained: number;
  /** Groups (bins or choices) the trials fell into. */
  groups: number;
  /** Trials that had the parameter. */
  trials: number;
}

/** Options of {@link paramImportance}. */
export interface ImportanceOptions {
  /**
   * Equal-frequency bins per numeric parameter (default: `min(5, max(2, floor(n / 3)))` for n
   * trials, so each bin holds about three trials or more).
   */
  bins?: number;
}

/**
 * Group labels of `values` (numbers in equal-frequency bins; identical values always share a
 * bin), as bin indices 0..k-1.
 */
export function equalFrequencyBins(values: readonly number[], bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new Error(`equalFrequencyBins: bins must be a positive integer, got ${bins}`);
  }
  const n = values.length;
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Array<number>(n);
  let prevValue = Number.NaN;
  let prevBin = -1;
  for (let rank = 0; rank < n; rank++) {
    const i = order[rank];
    const bin = values[i] === prevValue ? prevBin : Math.floor((rank * bins) / n);
    out[i] = bin;
    prevValue = values[i];
    prevBin = bin;
  }
  return out;
}

/** η² of `y` grouped by `groups` (0 when `y` has no variance). */
export function correlationRatio(
  y: readonly number[],
  groups: readonly (string | number)[],
): number {
  if (y.length !== groups.length) {
    throw new Error(`correlationRatio: ${y.length} values for ${groups.length} group labels`);
  }
  const n = y.length;
  if (n === 0) return 0;
  const mean = y.reduce((a, b) => a + b, 0) / n;
  let total = 0;
  for (const v of y) total += (v - mean) ** 2;
  if (total <= 1e-12 * Math.max(1, mean * mean) * n) return 0;
  const sums = new Map<string | number, { sum: number; count: number }>();
  groups.forEach((g, i) => {
    const s = sums.get(g) ?? { sum: 0, count: 0 };
    s.sum += y[i];
    s.count++;
    sums.set(g, s);
  });
  let between = 0;
  for (const { sum, count } of sums.values()) between += count * (sum / count - mean) ** 2;
  return Math.min(1, Math.max(0, between / total));
}

function isNumeric(trial: FrozenTrial, param: string, value: ParamValue): boolean {
  const dist = trial.distributions[param];
  if (dist) return dist.type !== "categorical";
  return typeof value === "number";
}

/**
 * Importance of every parameter over the complete trials with a finite value, most important
 * first (ties by name).
 * @throws Error when fewer than two such trials exist.
 */
export function paramImportance(
  trials: readonly FrozenTrial[],
  opts: ImportanceOptions = {},
): ParamImportance[] {
  const done = trials.filter((t) =>
    t.state === "complete" && typeof t.value === "number" && Number.isFinite(t.value)
  );
  if (done.length < 2) {
    throw new Error(
      `parameter importance needs at least two complete trials with a finite value, got ` +
        `${done.length}; run more trials`,
    );
  }
  const names = [...new Set(done.flatMap((t) => Object.keys(t.params)))].sort();
  const raw = names.map((param) => {
    const have = done.filter((t) => t.params[param] !== undefined);
    const y = have.map((t) => t.value as number);
    const numeric = have.every((t) => isNumeric(t, param, t.params[param]));
    let groups: (string | number)[];
    if (numeric) {
      const x = have.map((t) => Number(t.params[param]));
      const bins = opts.bins ?? Math.min(5, Math.max(2, Math.floor(have.length / 3)));
      groups = equalFrequencyBins(x, bins);
    } else {
      groups = have.map((t) => JSON.stringify(t.params[param]));
    }
    return {
      param,
      explained: correlationRatio(y, groups),
      groups: new Set(groups).size,
      trials: have.length,
    };
  });
  const total = raw.reduce((a, r) => a + r.explained, 0);
  return raw
    .map((r) => ({ ...r, importance: total > 0 ? r.explained / total : 0 }))
    .sort((a, b) => b.importance - a.importance || a.param.localeCompare(b.param));
}

/**
 * Best value so far after each trial of `values` (in trial order), for study-history plots;
 * non-finite values (failed/pruned trials) carry the previous best (NaN before the first).
 */
export function bestSoFar(
  values: readonly (number | null)[],
  direction: "minimize" | "maximize",
): number[] {
  let best = Number.NaN;
  return values.map((v) => {
    if (typeof v === "number" && Number.isFinite(v)) {
      if (Number.isNaN(best) || (direction === "minimize" ? v < best : v > best)) best = v;
    }
    return best;
  });
}

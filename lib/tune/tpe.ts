/**
 * Tree-structured Parzen Estimator sampler (independent, per parameter), following Optuna 3.1:
 * split finished trials into a "good" group (best n_below = min(ceil(γ·n), cap)) and the rest,
 * fit a Parzen mixture to each, draw candidates from the good one l(x) and keep the candidate
 * maximising log l(x) − log g(x). Log, int and stepped parameters are modelled in their internal
 * continuous representation with bin probabilities; categorical ones with smoothed histograms.
 */
import type { z } from "zod";
import { logNormalPdf, logSumExp, normalMass } from "./normal.ts";
import type { Rng } from "./rng.ts";
import { sampleUniform } from "./random.ts";
import type { SampleContext, Sampler, tpeSamplerSchema } from "./sampler.ts";
import {
  type CategoricalDist,
  type Distribution,
  type FloatDist,
  fromInternal,
  type IntDist,
  internalBounds,
  type ParamValue,
  toInternal,
} from "./space.ts";
import { type FrozenTrial, oriented } from "./types.ts";

/** TPE configuration (defaults applied). */
export type TpeConfig = z.infer<typeof tpeSamplerSchema>;

/** Optuna's default weights: flat for the newest 25 observations, a ramp for older ones. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) {
    out.push(ramp === 1 ? 1 / n : 1 / n + (1 - 1 / n) * i / (ramp - 1));
  }
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

/** Rank key of a finished trial: complete ones by value, then pruned ones by progress. */
function rankKey(t: FrozenTrial, dir: "minimize" | "maximize"): [number, number] {
  if (t.state === "complete" && t.value !== null) return [-Infinity, oriented(dir, t.value)];
  const last = t.intermediate.at(-1);
  if (!last) return [Infinity, 0];
  return [-last.step, oriented(dir, last.value)];
}

/** Trials TPE learns from: complete ones with a value, and pruned ones. */
function observedTrials(history: readonly FrozenTrial[]): FrozenTrial[] {
  return history.filter((t) =>
    (t.state === "complete" && t.value !== null && Number.isFinite(t.value)) ||
    t.state === "pruned"
  );
}

/** Split observed trials into good ("below") and bad ("above"), each in trial-number order. */
export function splitTrials(
  trials: readonly FrozenTrial[],
  direction: "minimize" | "maximize",
  cfg: Pick<TpeConfig, "gamma" | "gammaCap">,
): { below: FrozenTrial[]; above: FrozenTrial[] } {
  const nBelow = Math.min(Math.ceil(cfg.gamma * trials.length), cfg.gammaCap);
  const ranked = [...trials].sort((a, b) => {
    const ka = rankKey(a, direction);
    const kb = rankKey(b, direction);
    return ka[0] - kb[0] || ka[1] - kb[1] || a.number - b.number;
  });
  const byNumber = (a: FrozenTrial, b: FrozenTrial) => a.number - b.number;
  return {
    below: ranked.slice(0, nBelow).sort(byNumber),
    above: ranked.slice(nBelow).sort(byNumber),
  };
}

/** A one-dimensional Parzen mixture in internal space, truncated to [low, high]. */
interface NumericMixture {
  mus: number[];
  sigmas: number[];
  logWeights: number[];
  logNorms: number[];
  low: number;
  high: number;
  /** Bin half-width for discrete distributions (0 for continuous). */
  halfBin: number;
}

function numericMixture(
  obs: readonly number[],
  low: number,
  high: number,
  halfBin: number,
  cfg: TpeConfig,
): NumericMixture {
  const priorMu = 0.5 * (low + high);
  const priorSigma = high - low;
  const mus = [...obs, priorMu];
  const weights = [...defaultWeights(obs.length), cfg.priorWeight];
  let sigmas: number[];
  if (obs.length === 0) {
    sigmas = [priorSigma];
  } else {
    const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b] || a - b);
    const sorted = [low, ...order.map((i) => mus[i]), high];
    const s = new Array<number>(order.length);
    for (let k = 0; k < order.length; k++) {
      s[k] = Math.max(sorted[k + 1] - sorted[k], sorted[k + 2] - sorted[k + 1]);
    }
    if (!cfg.considerEndpoints && sorted.length >= 4) {
      s[0] = sorted[2] - sorted[1];
      s[s.length - 1] = sorted[sorted.length - 2] - sorted[sorted.length - 3];
    }
    sigmas = new Array<number>(mus.length);
    order.forEach((orig, k) => (sigmas[orig] = s[k]));
  }
  const maxSigma = priorSigma;
  const minSigma = cfg.considerMagicClip ? priorSigma / Math.min(100, 1 + mus.length) : 1e-12;
  sigmas = sigmas.map((s) => Math.min(Math.max(s, minSigma, 1e-12), Math.max(maxSigma, 1e-12)));
  sigmas[sigmas.length - 1] = Math.max(priorSigma, 1e-12); // the prior keeps the full range
  const total = weights.reduce((a, b) => a + b, 0);
  const logWeights = weights.map((w) => Math.log(w / total));
  const logNorms = mus.map((mu, i) => {
    const m = normalMass((low - mu) / sigmas[i], (high - mu) / sigmas[i]);
    return Math.log(Math.max(m, 1e-300));
  });
  return { mus, sigmas, logWeights, logNorms, low, high, halfBin };
}

function pickComponent(logWeights: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < logWeights.length; i++) {
    u -= Math.exp(logWeights[i]);
    if (u < 0) return i;
  }
  return logWeights.length - 1;
}

function sampleNumeric(m: NumericMixture, rng: Rng): number {
  const i = pickComponent(m.logWeights, rng);
  // Rejection sampling of the truncated normal: every mean lies in [low, high] and every
  // bandwidth is at most high − low, so acceptance is above 1/3.
  for (let tries = 0; tries < 200; tries++) {
    const x = m.mus[i] + m.sigmas[i] * rng.normal();
    if (x >= m.low && x <= m.high) return x;
  }
  return Math.min(Math.max(m.mus[i], m.low), m.high);
}

function logPdfNumeric(m: NumericMixture, x: number): number {
  const terms = m.mus.map((mu, i) => {
    const s = m.sigmas[i];
    if (m.halfBin > 0) {
      const a = (Math.max(x - m.halfBin, m.low) - mu) / s;
      const b = (Math.min(x + m.halfBin, m.high) - mu) / s;
      return m.logWeights[i] + Math.log(Math.max(normalMass(a, b), 1e-300)) - m.logNorms[i];
    }
    return m.logWeights[i] + logNormalPdf((x - mu) / s) - Math.log(s) - m.logNorms[i];
  });
  return logSumExp(terms);
}

function halfBinOf(dist: FloatDist | IntDist): number {
  if (dist.type === "int") return dist.log ? 0 : dist.step / 2;
  return dist.step !== undefined ? dist.step / 2 : 0;
}

function sampleNumericTpe(
  dist: FloatDist | IntDist,
  below: number[],
  above: number[],
  cfg: TpeConfig,
  rng: Rng,
): number {
  const b = internalBounds(dist);
  if (b.high === b.low) return fromInternal(dist, b.low);
  const half = halfBinOf(dist);
  const l = numericMixture(below, b.low, b.high, half, cfg);
  const g = numericMixture(above, b.low, b.high, half, cfg);
  let best = NaN;
  let bestScore = -Infinity;
  for (let k = 0; k < cfg.nEiCandidates; k++) {
    // Discrete candidates are scored at their rounded value, so l and g see legal points.
    const raw = sampleNumeric(l, rng);
    const value = fromInternal(dist, raw);
    const x = half > 0 ? toInternal(dist, value) : raw;
    const score = logPdfNumeric(l, x) - logPdfNumeric(g, x);
    if (score > bestScore || Number.isNaN(best)) {
      bestScore = score;
      best = value;
    }
  }
  return best;
}

function categoricalMixture(obs: readonly number[], nChoices: number, cfg: TpeConfig): number[] {
  // Returns the mixture's probability per choice (a mixture of smoothed one-hot kernels).
  if (obs.length === 0) return new Array(nChoices).fill(1 / nChoices);
  const nKernels = obs.length + 1;
  const weights = [...defaultWeights(obs.length), cfg.priorWeight];
  const total = weights.reduce((a, b) => a + b, 0);
  const probs = new Array<number>(nChoices).fill(0);
  for (let k = 0; k < nKernels; k++) {
    const row = new Array<number>(nChoices).fill(cfg.priorWeight / nKernels);
    if (k < obs.length) row[obs[k]] += 1;
    const rowSum = row.reduce((a, b) => a + b, 0);
    for (let c = 0; c < nChoices; c++) probs[c] += (weights[k] / total) * (row[c] / rowSum);
  }
  return probs;
}

function sampleCategoricalTpe(
  dist: CategoricalDist,
  below: number[],
  above: number[],
  cfg: TpeConfig,
  rng: Rng,
): ParamValue {
  const n = dist.choices.length;
  const l = categoricalMixture(below, n, cfg);
  const g = categoricalMixture(above, n, cfg);
  const logL = l.map(Math.log);
  let best = -1;
  let bestScore = -Infinity;
  for (let k = 0; k < cfg.nEiCandidates; k++) {
    const c = pickComponent(logL, rng);
    const score = Math.log(l[c]) - Math.log(g[c]);
    if (best < 0 || score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return dist.choices[best];
}

function observationsOf(
  trials: readonly FrozenTrial[],
  name: string,
  dist: Distribution,
): number[] {
  const out: number[] = [];
  for (const t of trials) {
    if (!(name in t.params)) continue;
    const v = t.params[name];
    if (dist.type === "categorical") {
      const idx = dist.choices.findIndex((c) => JSON.stringify(c) === JSON.stringify(v));
      if (idx >= 0) out.push(idx);
    } else if (typeof v === "number" && v >= dist.low && v <= dist.high) {
      out.push(toInternal(dist, v));
    }
  }
  return out;
}

/** A TPE sampler with configuration `cfg` (defaults applied). */
export function tpeSampler(cfg: TpeConfig): Sampler {
  return {
    config: cfg,
    sample(name: string, dist: Distribution, ctx: SampleContext): ParamValue {
      const observed = observedTrials(ctx.history);
      if (observed.length < cfg.nStartupTrials) return sampleUniform(dist, ctx.rng);
      const withParam = observed.filter((t) => name in t.params);
      if (withParam.length === 0) return sampleUniform(dist, ctx.rng);
      const { below, above } = splitTrials(withParam, ctx.direction, cfg);
      const lo = observationsOf(below, name, dist);
      const hi = observationsOf(above, name, dist);
      if (dist.type === "categorical") return sampleCategoricalTpe(dist, lo, hi, cfg, ctx.rng);
      return sampleNumericTpe(dist, lo, hi, cfg, ctx.rng);
    },
  };
}

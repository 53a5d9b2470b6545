/**
 * Calibration of predicted probabilities: expected and maximum calibration error with the data
 * of a reliability diagram, and temperature scaling (Guo et al. 2017) fitted by maximum
 * likelihood on a validation split.
 *
 * Bins are equal-width on the top-class confidence, bin `b` (0-based) holding confidences in
 * `(b/M, (b+1)/M]` (a confidence of exactly 0 goes to bin 0). ECE = Σ_b |B_b|/n · |acc_b − conf_b|,
 * MCE = max over non-empty bins.
 */
import { checkProbs } from "./metrics.ts";

export { applyTemperature } from "../models/mod.ts";

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Bin edges `(low, high]`. */
  low: number;
  high: number;
  count: number;
  /** Accuracy and mean confidence of its examples (null when empty). */
  accuracy: number | null;
  confidence: number | null;
}

/** Calibration summary. */
export interface Calibration {
  ece: number;
  mce: number;
  bins: ReliabilityBin[];
}

/** Default number of reliability bins. */
export const CALIBRATION_BINS_DEFAULT = 15;

/** Top-class confidence, predicted class and its correctness per example. */
export function confidences(
  probs: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
): { confidence: Float64Array; correct: Uint8Array } {
  checkProbs(probs, classes, labels);
  const n = labels.length;
  const confidence = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bv = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = probs[i * classes + c];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    confidence[i] = bv;
    correct[i] = best === labels[i] ? 1 : 0;
  }
  return { confidence, correct };
}

/** Bin index of a confidence under `bins` equal-width bins `(b/M, (b+1)/M]`. */
function binOf(confidence: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1));
}

/**
 * ECE, MCE and reliability bins from per-example confidence and correctness, each example
 * counted `weights[i]` times (all 1 when omitted; the bootstrap passes resample counts).
 */
export function calibrationFrom(
  confidence: ArrayLike<number>,
  correct: ArrayLike<number>,
  bins = CALIBRATION_BINS_DEFAULT,
  weights?: ArrayLike<number>,
): Calibration {
  if (!Number.isInteger(bins) || bins < 1 || bins > 1000) {
    throw new RangeError(`calibration bins must be an integer in 1..1000, got ${bins}`);
  }
  const cnt = new Float64Array(bins), acc = new Float64Array(bins), conf = new Float64Array(bins);
  let total = 0;
  for (let i = 0; i < confidence.length; i++) {
    const w = weights ? weights[i] : 1;
    if (w === 0) continue;
    const b = binOf(confidence[i], bins);
    cnt[b] += w;
    acc[b] += w * correct[i];
    conf[b] += w * confidence[i];
    total += w;
  }
  let ece = 0, mce = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const bin: ReliabilityBin = {
      low: b / bins,
      high: (b + 1) / bins,
      count: cnt[b],
      accuracy: null,
      confidence: null,
    };
    if (cnt[b] > 0) {
      bin.accuracy = acc[b] / cnt[b];
      bin.confidence = conf[b] / cnt[b];
      const gap = Math.abs(bin.accuracy - bin.confidence);
      ece += (cnt[b] / total) * gap;
      mce = Math.max(mce, gap);
    }
    out.push(bin);
  }
  return { ece, mce, bins: out };
}

/** ECE, MCE and the reliability diagram of row-major probabilities. */
export function calibration(
  probs: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
  bins = CALIBRATION_BINS_DEFAULT,
): Calibration {
  const { confidence, correct } = confidences(probs, classes, labels);
  return calibrationFrom(confidence, correct, bins);
}

/** Mean negative log-likelihood of the labels under `softmax(log p / T)`. */
export function temperatureNll(
  probs: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
  t: number,
): number {
  let s = 0;
  const z = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const off = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      z[c] = Math.log(Math.max(probs[off + c], 1e-12)) / t;
      if (z[c] > max) max = z[c];
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[c] - max);
    s -= z[labels[i]] - max - Math.log(sum);
  }
  return s / labels.length;
}

/** A fitted temperature with the validation NLL before and after. */
export interface TemperatureFit {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
  /** Validation examples used. */
  count: number;
}

/**
 * Fit the temperature minimizing the validation NLL, by golden-section search on `log T` over
 * [0.05, 20] (the NLL is convex in `1/T`, so unimodal in `log T`).
 */
export function fitTemperature(
  probs: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
): TemperatureFit {
  checkProbs(probs, classes, labels);
  const f = (lt: number) => temperatureNll(probs, classes, labels, Math.exp(lt));
  let a = Math.log(0.05), b = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  while (b - a > 1e-9) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  const temperature = Math.exp((a + b) / 2);
  return {
    temperature,
    nllBefore: f(0),
    nllAfter: f(Math.log(temperature)),
    count: labels.length,
  };
}

/**
 * A classifier's test-set scores with bootstrap confidence intervals: accuracy, per-class
 * precision/recall/F1, macro and weighted averages, top-k accuracy, log loss, Brier score and
 * calibration error — all computed on the same resamples — plus the paired bootstrap of the
 * accuracy difference of two classifiers on the same examples.
 */
import {
  bootstrap,
  type BootstrapInfo,
  type BootstrapOptions,
  type Interval,
} from "./bootstrap.ts";
import {
  type Calibration,
  CALIBRATION_BINS_DEFAULT,
  calibrationFrom,
  confidences,
} from "./calibration.ts";
import { brierPerExample, checkProbs, topKHits } from "./metrics.ts";

/** Per-class scores with intervals. */
export interface ClassScores {
  classId: number;
  support: number;
  precision: Interval;
  recall: Interval;
  f1: Interval;
}

/** Scores of one classifier on one labelled set. */
export interface Scores {
  count: number;
  classes: number;
  bootstrap: BootstrapInfo;
  accuracy: Interval;
  macroPrecision: Interval;
  macroRecall: Interval;
  macroF1: Interval;
  weightedPrecision: Interval;
  weightedRecall: Interval;
  weightedF1: Interval;
  logLoss: Interval;
  brier: Interval;
  /** `k` → top-k accuracy. */
  topK: Record<string, Interval>;
  ece: Interval;
  mce: number;
  calibration: Calibration;
  perClass: ClassScores[];
  /** `confusion[t][p]`: examples of true class t predicted as p. */
  confusion: number[][];
}

/** Options of {@link scoreClassifier}. */
export interface ScoreOptions extends BootstrapOptions {
  /** Top-k accuracies to report (default [2, 3]; values ≥ classes are dropped). */
  topK?: number[];
  /** Reliability bins (default 15). */
  calibrationBins?: number;
}

/** Arg-max class per row. */
function argmax(probs: Float32Array, classes: number, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bv = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = probs[i * classes + c];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * Score row-major `probs` (`labels.length × classes`) against `labels`, with bootstrap intervals
 * (`opts`: resamples, seed, level, percentile or BCa). Log loss clips probabilities at 1e-15 like
 * scikit-learn.
 */
export function scoreClassifier(
  labels: ArrayLike<number>,
  probs: Float32Array,
  classes: number,
  opts: ScoreOptions = {},
): Scores {
  checkProbs(probs, classes, labels);
  const n = labels.length;
  const pred = argmax(probs, classes, n);
  const ks = (opts.topK ?? [2, 3]).filter((k) => k >= 1 && k < classes);
  const hits = ks.map((k) => topKHits(probs, classes, labels, k));
  const brier = brierPerExample(probs, classes, labels);
  const nll = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    nll[i] = -Math.log(Math.min(1 - 1e-15, Math.max(1e-15, probs[i * classes + labels[i]])));
  }
  const { confidence, correct } = confidences(probs, classes, labels);
  const bins = opts.calibrationBins ?? CALIBRATION_BINS_DEFAULT;
  const cell = new Int32Array(n);
  for (let i = 0; i < n; i++) cell[i] = labels[i] * classes + pred[i];
  const conf = new Float64Array(classes * classes);

  // Layout of the statistic vector.
  const K = classes;
  const statistic = (w: Float64Array): number[] => {
    conf.fill(0);
    let total = 0, sNll = 0, sBrier = 0;
    const sHits = new Float64Array(ks.length);
    for (let i = 0; i < n; i++) {
      const wi = w[i];
      if (wi === 0) continue;
      conf[cell[i]] += wi;
      total += wi;
      sNll += wi * nll[i];
      sBrier += wi * brier[i];
      for (let j = 0; j < ks.length; j++) sHits[j] += wi * hits[j][i];
    }
    let diag = 0;
    const p = new Array<number>(K), r = new Array<number>(K), f = new Array<number>(K);
    const support = new Array<number>(K);
    for (let c = 0; c < K; c++) {
      let row = 0, col = 0;
      for (let d = 0; d < K; d++) {
        row += conf[c * K + d];
        col += conf[d * K + c];
      }
      const tp = conf[c * K + c];
      diag += tp;
      support[c] = row;
      p[c] = col ? tp / col : 0;
      r[c] = row ? tp / row : 0;
      f[c] = row + col ? (2 * tp) / (row + col) : 0;
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / K;
    const wmean = (v: number[]) => v.reduce((a, b, c) => a + b * support[c], 0) / total;
    const cal = calibrationFrom(confidence, correct, bins, w);
    return [
      diag / total,
      mean(p),
      mean(r),
      mean(f),
      wmean(p),
      wmean(r),
      wmean(f),
      sNll / total,
      sBrier / total,
      cal.ece,
      ...Array.from(sHits, (h) => h / total),
      ...p,
      ...r,
      ...f,
    ];
  };
  const { intervals, info } = bootstrap(n, statistic, opts);
  const at = (i: number) => intervals[i];
  const base = 10 + ks.length;
  const confusion = Array.from({ length: K }, (_, t) => {
    const row = new Array<number>(K).fill(0);
    for (let i = 0; i < n; i++) if (labels[i] === t) row[pred[i]]++;
    return row;
  });
  const cal = calibrationFrom(confidence, correct, bins);
  return {
    count: n,
    classes: K,
    bootstrap: info,
    accuracy: at(0),
    macroPrecision: at(1),
    macroRecall: at(2),
    macroF1: at(3),
    weightedPrecision: at(4),
    weightedRecall: at(5),
    weightedF1: at(6),
    logLoss: at(7),
    brier: at(8),
    ece: at(9),
    mce: cal.mce,
    calibration: cal,
    topK: Object.fromEntries(ks.map((k, j) => [String(k), at(10 + j)])),
    perClass: Array.from({ length: K }, (_, c) => ({
      classId: c,
      support: confusion[c].reduce((a, b) => a + b, 0),
      precision: at(base + c),
      recall: at(base + K + c),
      f1: at(base + 2 * K + c),
    })),
    confusion,
  };
}

/** Paired bootstrap of `accuracy(candidate) − accuracy(reference)` on the same examples. */
export interface PairedBootstrapResult {
  referenceAccuracy: number;
  candidateAccuracy: number;
  /** Candidate minus reference, with its interval. */
  difference: Interval;
  /**
   * Share of resamples where the difference is ≤ 0: a one-sided bootstrap p-value for
   * "the candidate is more accurate".
   */
  pNotBetter: number;
  bootstrap: BootstrapInfo;
}

/**
 * Paired bootstrap of the accuracy difference of `candidate` over `reference` predictions:
 * examples are resampled once and both models scored on the same draw.
 * @throws RangeError for mismatched lengths or no examples.
 */
export function pairedBootstrap(
  labels: ArrayLike<number>,
  reference: ArrayLike<number>,
  candidate: ArrayLike<number>,
  opts: BootstrapOptions = {},
): PairedBootstrapResult {
  const n = labels.length;
  if (n === 0) throw new RangeError("the paired bootstrap needs at least one example, got 0");
  if (reference.length !== n || candidate.length !== n) {
    throw new RangeError(
      `paired bootstrap needs predictions for every label: ${n} labels, ${reference.length} reference and ${candidate.length} candidate predictions`,
    );
  }
  const d = new Int8Array(n);
  let ref = 0, cand = 0;
  for (let i = 0; i < n; i++) {
    const r = reference[i] === labels[i] ? 1 : 0;
    const c = candidate[i] === labels[i] ? 1 : 0;
    ref += r;
    cand += c;
    d[i] = c - r;
  }
  const statistic = (w: Float64Array): number[] => {
    let s = 0, t = 0;
    for (let i = 0; i < n; i++) {
      s += w[i] * d[i];
      t += w[i];
    }
    return [s / t];
  };
  const { intervals, info, draws } = bootstrap(n, statistic, opts);
  let notBetter = 0;
  for (const v of draws[0]) if (v <= 0) notBetter++;
  return {
    referenceAccuracy: ref / n,
    candidateAccuracy: cand / n,
    difference: intervals[0],
    pNotBetter: notBetter / info.resamples,
    bootstrap: info,
  };
}

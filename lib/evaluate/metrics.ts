/** Classification metrics from predicted classes/probabilities and true labels. */

/** Per-class precision, recall, F1 and support. */
export interface ClassMetrics {
  classId: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** A classification report. */
export interface ClassificationReport {
  count: number;
  accuracy: number;
  macroF1: number;
  /** Unweighted means of per-class precision and recall. */
  macroPrecision: number;
  macroRecall: number;
  /** Support-weighted means of per-class precision, recall and F1 (scikit-learn's `weighted`). */
  weightedPrecision: number;
  weightedRecall: number;
  weightedF1: number;
  /** Mean negative log-likelihood of the true class (when probabilities were given). */
  logLoss?: number;
  perClass: ClassMetrics[];
  /** `confusion[t][p]`: images of true class t predicted as p. */
  confusion: number[][];
}

/** Accuracy of `pred` against `labels` (same length, > 0). */
export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (pred.length !== labels.length || pred.length === 0) {
    throw new RangeError(
      `accuracy needs equal non-empty arrays, got ${pred.length} and ${labels.length}`,
    );
  }
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
  return ok / pred.length;
}

/** Mean negative log-likelihood of the true labels under row-major probabilities. */
export function logLoss(probs: Float32Array, classes: number, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    s -= Math.log(Math.max(1e-7, probs[i * classes + labels[i]]));
  }
  return s / labels.length;
}

/**
 * Share of examples whose true class is among the `k` most probable (ties broken towards the
 * lower class id, like a stable sort), as scikit-learn's `top_k_accuracy_score`.
 */
export function topKAccuracy(
  probs: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
  k: number,
): number {
  const hits = topKHits(probs, classes, labels, k);
  let s = 0;
  for (const h of hits) s += h;
  return s / labels.length;
}

/** Per example: 1 when the true class is among the `k` most probable, else 0. */
export function topKHits(
  probs: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
  k: number,
): Uint8Array {
  if (!Number.isInteger(k) || k < 1 || k > classes) {
    throw new RangeError(`top-k needs k in 1..${classes}, got ${k}`);
  }
  checkProbs(probs, classes, labels);
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const pt = probs[i * classes + t];
    let above = 0;
    for (let c = 0; c < classes; c++) {
      const v = probs[i * classes + c];
      if (v > pt || (v === pt && c < t)) above++;
    }
    out[i] = above < k ? 1 : 0;
  }
  return out;
}

/**
 * Multi-class Brier score: mean over examples of `Σ_c (p_c − [c = y])²` (Brier 1950; 0 is
 * perfect, 2 the worst).
 */
export function brierScore(
  probs: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
): number {
  const per = brierPerExample(probs, classes, labels);
  let s = 0;
  for (const v of per) s += v;
  return s / labels.length;
}

/** Per-example Brier terms `Σ_c (p_c − [c = y])²`. */
export function brierPerExample(
  probs: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
): Float64Array {
  checkProbs(probs, classes, labels);
  const out = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let s = 0;
    for (let c = 0; c < classes; c++) {
      const d = probs[i * classes + c] - (c === labels[i] ? 1 : 0);
      s += d * d;
    }
    out[i] = s;
  }
  return out;
}

/** @throws RangeError when `probs` is not `labels.length × classes` or a label is out of range. */
export function checkProbs(probs: Float32Array, classes: number, labels: ArrayLike<number>): void {
  if (labels.length === 0) throw new RangeError("no examples: labels is empty");
  if (probs.length !== labels.length * classes) {
    throw new RangeError(
      `probabilities hold ${probs.length} values, expected ${labels.length} examples × ${classes} classes`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    if (!Number.isInteger(t) || t < 0 || t >= classes) {
      throw new RangeError(`label ${t} at ${i} is out of range 0..${classes - 1}`);
    }
  }
}

/** Full report: accuracy, macro-F1, per-class metrics and the confusion matrix. */
export function classificationReport(
  pred: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes = 10,
  probs?: Float32Array,
): ClassificationReport {
  const acc = accuracy(pred, labels);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < pred.length; i++) {
    const t = labels[i], p = pred[i];
    if (t < 0 || t >= classes || p < 0 || p >= classes) {
      throw new RangeError(
        `class id out of range 0..${classes - 1} at ${i}: true ${t}, predicted ${p}`,
      );
    }
    confusion[t][p]++;
  }
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < classes; c++) {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ classId: c, precision, recall, f1, support });
  }
  const mean = (f: (m: ClassMetrics) => number) => perClass.reduce((a, m) => a + f(m), 0) / classes;
  const wmean = (f: (m: ClassMetrics) => number) =>
    perClass.reduce((a, m) => a + f(m) * m.support, 0) / pred.length;
  return {
    count: pred.length,
    accuracy: acc,
    macroF1: mean((m) => m.f1),
    macroPrecision: mean((m) => m.precision),
    macroRecall: mean((m) => m.recall),
    weightedPrecision: wmean((m) => m.precision),
    weightedRecall: wmean((m) => m.recall),
    weightedF1: wmean((m) => m.f1),
    logLoss: probs ? logLoss(probs, classes, labels) : undefined,
    perClass,
    confusion,
  };
}

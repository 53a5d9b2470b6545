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
  const macroF1 = perClass.reduce((a, m) => a + m.f1, 0) / classes;
  return {
    count: pred.length,
    accuracy: acc,
    macroF1,
    logLoss: probs ? logLoss(probs, classes, labels) : undefined,
    perClass,
    confusion,
  };
}

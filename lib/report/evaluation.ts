/**
 * Figures and tables of model evaluation: our accuracies next to published reference figures,
 * a per-class metrics table, and a grid of misclassified test images grouped by true class.
 */
import type { ImageSet } from "../data/mod.ts";
import { FigureInputError, type PlotlyFigure, type PlotlyTrace } from "./figure.ts";
import { imageGrid } from "./figures.ts";
import type { ReportTable } from "./html.ts";

/**
 * Test accuracies of scikit-learn classifiers on Fashion-MNIST from the benchmark published with
 * the dataset (zalandoresearch/fashion-mnist, best configuration per classifier, rounded).
 * Reference figures to compare against — not results of this workspace.
 */
export const SKLEARN_REFERENCE_ACCURACY: Readonly<Record<string, number>> = {
  "logistic regression": 0.84,
  "MLP": 0.877,
  "random forest": 0.87,
};

/** One bar group: a display name and our measured accuracy (absent: not run here). */
export interface AccuracyEntry {
  name: string;
  accuracy: number;
}

/**
 * Grouped bars: "this run" for our models, "scikit-learn reference" for the published figures;
 * categories are the union of both, each series drawn only where it has a value.
 */
export function accuracyComparisonChart(
  ours: readonly AccuracyEntry[],
  reference: Readonly<Record<string, number>> = SKLEARN_REFERENCE_ACCURACY,
  opts: { title?: string; height?: number } = {},
): PlotlyFigure {
  if (ours.length === 0) throw new FigureInputError("accuracyComparisonChart: no results");
  for (const e of ours) {
    if (!(e.accuracy >= 0 && e.accuracy <= 1)) {
      throw new FigureInputError(
        `accuracyComparisonChart: accuracy of ${e.name} is ${e.accuracy}, expected 0..1`,
      );
    }
  }
  const categories = [...new Set([...ours.map((e) => e.name), ...Object.keys(reference)])];
  const refNames = categories.filter((c) => c in reference);
  const bar = (name: string, x: string[], y: number[]): PlotlyTrace => ({
    type: "bar",
    name,
    x,
    y,
    text: y.map((v) => v.toFixed(3)),
    textposition: "outside",
  });
  const data: PlotlyTrace[] = [
    bar("this run", ours.map((e) => e.name), ours.map((e) => e.accuracy)),
    bar(
      "scikit-learn benchmark (reference, not this run)",
      refNames,
      refNames.map((n) => reference[n]),
    ),
  ];
  const all = [...ours.map((e) => e.accuracy), ...refNames.map((n) => reference[n])];
  const layout: Record<string, unknown> = {
    template: "plotly_white",
    barmode: "group",
    margin: { l: 60, r: 20, t: opts.title ? 50 : 20, b: 50 },
    xaxis: { categoryorder: "array", categoryarray: categories },
    yaxis: {
      title: { text: "test accuracy" },
      range: [Math.max(0, Math.min(...all) - 0.1), 1],
    },
    legend: { orientation: "h", y: -0.15 },
  };
  if (opts.title) layout.title = { text: opts.title };
  if (opts.height) layout.height = opts.height;
  return { data, layout };
}

/** Per-class metrics of a classification report as a table (precision, recall, F1, support). */
export function perClassTable(
  perClass: readonly {
    classId: number;
    precision: number;
    recall: number;
    f1: number;
    support: number;
  }[],
  labelNames: readonly string[],
): ReportTable {
  return {
    columns: ["class", "precision", "recall", "F1", "support"],
    rows: perClass.map((c) => [
      labelNames[c.classId] ?? String(c.classId),
      +c.precision.toFixed(4),
      +c.recall.toFixed(4),
      +c.f1.toFixed(4),
      c.support,
    ]),
  };
}

/** A grid of misclassified images and what each row shows. */
export interface MisclassifiedGrid {
  figure: PlotlyFigure;
  /** One entry per grid row: the true class and, per image, index and predicted class. */
  rows: { trueClass: number; images: { index: number; predicted: number }[] }[];
}

/**
 * Misclassified images of `set` (predictions `pred`), one grid row per true class for the
 * `classes` classes with the most errors (most first), up to `perRow` images each in set order.
 * @throws FigureInputError when lengths differ or nothing is misclassified.
 */
export function misclassifiedGrid(
  set: ImageSet,
  pred: ArrayLike<number>,
  labelNames: readonly string[],
  opts: { classes?: number; perRow?: number; title?: string } = {},
): MisclassifiedGrid {
  if (pred.length !== set.count) {
    throw new FigureInputError(
      `misclassifiedGrid: ${pred.length} predictions for ${set.count} images`,
    );
  }
  const perRow = opts.perRow ?? 8;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < set.count; i++) {
    if (pred[i] === set.labels[i]) continue;
    const list = byClass.get(set.labels[i]) ?? [];
    list.push(i);
    byClass.set(set.labels[i], list);
  }
  if (byClass.size === 0) throw new FigureInputError("misclassifiedGrid: no misclassified image");
  const chosen = [...byClass.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0] - b[0])
    .slice(0, opts.classes ?? 4);
  const size = set.rows * set.cols;
  const blank = new Uint8Array(size);
  const images: Uint8Array[] = [];
  const rows = chosen.map(([trueClass, idx]) => {
    const shown = idx.slice(0, perRow);
    for (let k = 0; k < perRow; k++) {
      const i = shown[k];
      images.push(i === undefined ? blank : set.images.subarray(i * size, (i + 1) * size));
    }
    return { trueClass, images: shown.map((index) => ({ index, predicted: pred[index] })) };
  });
  const figure = imageGrid({
    images,
    columns: perRow,
    width: set.cols,
    height: set.rows,
    rowLabels: rows.map((r) =>
      `${labelNames[r.trueClass] ?? r.trueClass}: ${byClass.get(r.trueClass)!.length} misclassified`
    ),
    title: opts.title,
  });
  return { figure, rows };
}

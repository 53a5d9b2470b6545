/**
 * Figures and tables that describe a Fashion-MNIST dataset and its validation result: the
 * exploration notebook, data pipeline pages and the service call these instead of computing
 * statistics inline. Only types are imported from the data and validate stages.
 */
import type { Dataset, ImageSet } from "../data/mod.ts";
import type { ValidationResult } from "../validate/mod.ts";
import { FigureInputError, type PlotlyFigure } from "./figure.ts";
import { barChart, binCounts, heatmap, histogram, imageGrid } from "./figures.ts";
import type { ReportSection, ReportTable } from "./html.ts";

function pixelsOf(set: ImageSet): number {
  return set.rows * set.cols;
}

function checkLabels(set: ImageSet, labelNames: readonly string[]): void {
  for (let i = 0; i < set.count; i++) {
    if (set.labels[i] >= labelNames.length) {
      throw new FigureInputError(
        `label ${set.labels[i]} of image ${i} has no name (${labelNames.length} label names given)`,
      );
    }
  }
}

/** Images per class of `set`, in label order. */
export function countByClass(set: ImageSet, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < set.count; i++) if (set.labels[i] < numClasses) counts[set.labels[i]]++;
  return counts;
}

/** Grouped bar chart of images per class in the train and test splits. */
export function classBalanceChart(ds: Dataset, labelNames: readonly string[]): PlotlyFigure {
  checkLabels(ds.train, labelNames);
  checkLabels(ds.test, labelNames);
  return barChart({
    title: "Class balance",
    xTitle: "class",
    yTitle: "images",
    categories: labelNames,
    series: [
      { name: `train (${ds.train.count})`, values: countByClass(ds.train, labelNames.length) },
      { name: `test (${ds.test.count})`, values: countByClass(ds.test, labelNames.length) },
    ],
  });
}

/**
 * The first `perClass` images of every class (in dataset order, so the figure is reproducible),
 * one grid row per class labelled with its name.
 */
export function classSampleGrid(
  set: ImageSet,
  labelNames: readonly string[],
  opts: { perClass?: number; title?: string } = {},
): PlotlyFigure {
  const perClass = opts.perClass ?? 8;
  const px = pixelsOf(set);
  const picked: Uint8Array[][] = labelNames.map(() => []);
  for (let i = 0; i < set.count; i++) {
    const row = picked[set.labels[i]];
    if (row && row.length < perClass) row.push(set.images.subarray(i * px, (i + 1) * px));
  }
  const missing = picked.findIndex((r) => r.length < perClass);
  if (missing >= 0) {
    throw new FigureInputError(
      `class ${JSON.stringify(labelNames[missing])} has only ${picked[missing].length} images; ` +
        `asked for ${perClass} per class`,
    );
  }
  return imageGrid({
    images: picked.flat(),
    width: set.cols,
    height: set.rows,
    columns: perClass,
    rowLabels: labelNames,
    title: opts.title ?? `First ${perClass} images per class`,
  });
}

/** The per-pixel mean image of every class over the first `limit` images, one tile per class. */
export function classMeanImages(
  set: ImageSet,
  labelNames: readonly string[],
  opts: { limit?: number; columns?: number } = {},
): PlotlyFigure {
  const n = Math.min(set.count, opts.limit ?? set.count);
  const px = pixelsOf(set);
  const sums = labelNames.map(() => new Float64Array(px));
  const counts = countByClass({ ...set, count: n }, labelNames.length);
  for (let i = 0; i < n; i++) {
    const sum = sums[set.labels[i]];
    if (!sum) continue;
    const off = i * px;
    for (let p = 0; p < px; p++) sum[p] += set.images[off + p];
  }
  const images = sums.map((s, c) => Array.from(s, (v) => Math.round(v / Math.max(1, counts[c]))));
  const columns = opts.columns ?? 5;
  const gap = 8;
  const fig = imageGrid({
    images,
    width: set.cols,
    height: set.rows,
    columns,
    gap,
    title: `Mean image per class (${n} images)`,
    scale: 3,
  });
  // Class names above each tile (the gap rows leave room for them).
  fig.layout.annotations = labelNames.map((name, c) => ({
    text: name,
    x: (c % columns) * (set.cols + gap) + (set.cols - 1) / 2,
    y: Math.floor(c / columns) * (set.rows + gap) - 0.5,
    xref: "x",
    yref: "y",
    showarrow: false,
    font: { size: 11 },
    yanchor: "bottom",
  }));
  return fig;
}

/**
 * Histogram of pixel intensities (0–255, `bins` bins) over the first `limit` images of each
 * split, log-scaled because background pixels dominate.
 */
export function pixelIntensityHistogram(
  ds: Dataset,
  opts: { limit?: number; bins?: number } = {},
): PlotlyFigure {
  const bins = opts.bins ?? 32;
  const series = (["train", "test"] as const).map((split) => {
    const set = ds[split];
    const n = Math.min(set.count, opts.limit ?? set.count);
    const b = binCounts(set.images.subarray(0, n * pixelsOf(set)), { bins, min: 0, max: 256 });
    const total = n * pixelsOf(set);
    return {
      name: `${split} (${n} images)`,
      values: b.counts.map((c) => c / total),
      edges: b.edges,
    };
  });
  const fig = histogram({
    title: "Pixel intensity distribution",
    xTitle: "intensity",
    yTitle: "fraction of pixels (log)",
    edges: series[0].edges,
    series: series.map(({ name, values }) => ({ name, values })),
  });
  fig.layout.yaxis = { ...(fig.layout.yaxis as Record<string, unknown>), type: "log" };
  return fig;
}

/** Mean pixel intensity of each of the first `limit` images. */
export function meanIntensities(set: ImageSet, limit = set.count): Float64Array {
  const n = Math.min(set.count, limit);
  const px = pixelsOf(set);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const off = i * px;
    for (let p = 0; p < px; p++) s += set.images[off + p];
    out[i] = s / px;
  }
  return out;
}

/**
 * Heatmap of the distribution of per-image mean intensity within each class (rows: classes,
 * columns: intensity bins, cells: fraction of the class's images), over the first `limit` images.
 */
export function classIntensityHeatmap(
  set: ImageSet,
  labelNames: readonly string[],
  opts: { limit?: number; bins?: number; max?: number } = {},
): PlotlyFigure {
  const bins = opts.bins ?? 16;
  const max = opts.max ?? 160;
  const means = meanIntensities(set, opts.limit);
  const rows = labelNames.map((_, c) => {
    const values: number[] = [];
    for (let i = 0; i < means.length; i++) if (set.labels[i] === c) values.push(means[i]);
    const b = binCounts(values, { bins, min: 0, max });
    return b.counts.map((k) => values.length ? Math.round((k / values.length) * 1000) / 1000 : 0);
  });
  const width = max / bins;
  return heatmap({
    title: `Mean intensity per image, by class (${means.length} images)`,
    xTitle: "mean pixel intensity",
    z: rows,
    x: Array.from(
      { length: bins },
      (_, i) => `${Math.round(i * width)}–${Math.round((i + 1) * width)}`,
    ),
    y: labelNames,
    colorscale: "Viridis",
  });
}

function shortJson(v: unknown, max = 120): string {
  const s = JSON.stringify(v) ?? "";
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

/** One row per expectation: id, severity, outcome, what was observed, time. */
export function validationTable(result: ValidationResult): ReportTable {
  return {
    columns: ["expectation", "severity", "outcome", "observed", "ms"],
    rows: result.results.map((r) => [
      r.id,
      r.severity,
      r.error ? `error: ${r.error}` : r.success ? "passed" : "FAILED",
      shortJson(r.observed),
      Math.round(r.durationMs),
    ]),
  };
}

/** A report section summarizing a validation result (status badge, counts, table). */
export function validationSection(result: ValidationResult): ReportSection {
  const s = result.stats;
  const status = !result.success ? "fail" : result.warnings.length ? "warn" : "ok";
  const findings = [
    `${s.passed} of ${s.evaluated} expectations passed on ${result.subject.slice(0, 12)}`,
    result.criticalFailures.length
      ? `critical failures: ${result.criticalFailures.join(", ")}`
      : "",
    result.warnings.length ? `warnings: ${result.warnings.join(", ")}` : "",
  ].filter(Boolean).join("; ");
  return {
    title: `Validation: ${result.suite}`,
    status,
    blocks: [{ kind: "text", text: findings + "." }, {
      kind: "table",
      table: validationTable(result),
    }],
  };
}

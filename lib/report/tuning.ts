/**
 * Figures of hyperparameter studies: a parallel-coordinates plot of trials (one axis per
 * parameter, lines coloured by the objective) and the study history (each trial's value with
 * the best-so-far line). Pure builders from plain numbers, like the rest of `lib/report`.
 */
import { FigureInputError, type PlotlyFigure, type PlotlyTrace } from "./figure.ts";

/** One axis of a {@link parallelCoordinates} plot. */
export interface ParcoordsDimension {
  label: string;
  /** One value per line: numbers, or category names (drawn as evenly spaced ticks). */
  values: readonly (number | string)[];
  /** Draw numbers on a log10 axis (values must be > 0); ticks show the original values. */
  log?: boolean;
}

/** Options of {@link parallelCoordinates}. */
export interface ParcoordsOptions {
  dimensions: readonly ParcoordsDimension[];
  /** Value colouring each line (e.g. the objective), shown as the last axis too. */
  color: { label: string; values: readonly number[] };
  title?: string;
  /** Plotly colorscale (default `Viridis`). */
  colorscale?: string;
  /** Reverse the colorscale (e.g. when smaller is better). */
  reverseScale?: boolean;
  height?: number;
}

function fmtTick(v: number): string {
  return Math.abs(v) >= 1e-2 && Math.abs(v) < 1e4 ? String(+v.toPrecision(3)) : v.toExponential(0);
}

function dimensionTrace(d: ParcoordsDimension, n: number): Record<string, unknown> {
  if (d.values.length !== n) {
    throw new FigureInputError(
      `parallelCoordinates: dimension ${JSON.stringify(d.label)} has ${d.values.length} values ` +
        `for ${n} lines`,
    );
  }
  const numeric = d.values.every((v) => typeof v === "number");
  if (!numeric) {
    // Categories: evenly spaced positions, in first-seen order.
    const labels = [...new Set(d.values.map(String))];
    const pos = new Map(labels.map((l, i) => [l, i]));
    return {
      label: d.label,
      values: d.values.map((v) => pos.get(String(v))!),
      tickvals: labels.map((_, i) => i),
      ticktext: labels,
      range: [-0.25, Math.max(labels.length - 1, 0) + 0.25],
    };
  }
  const nums = d.values as readonly number[];
  const bad = nums.findIndex((v) => !Number.isFinite(v) || (d.log && v <= 0));
  if (bad >= 0) {
    throw new FigureInputError(
      `parallelCoordinates: ${d.label}[${bad}] is ${nums[bad]}; ` +
        (d.log ? "log axes need finite values > 0" : "values must be finite"),
    );
  }
  if (!d.log) return { label: d.label, values: [...nums] };
  const logs = nums.map(Math.log10);
  const lo = Math.floor(Math.min(...logs));
  const hi = Math.ceil(Math.max(...logs));
  const tickvals: number[] = [];
  for (let e = lo; e <= hi; e++) tickvals.push(e);
  return {
    label: `${d.label} (log)`,
    values: logs,
    range: [lo, hi === lo ? lo + 1 : hi],
    tickvals,
    ticktext: tickvals.map((e) => fmtTick(10 ** e)),
  };
}

/**
 * A plotly `parcoords` figure: one vertical axis per dimension plus one for the colour value,
 * one line per trial, coloured by `color`.
 */
export function parallelCoordinates(opts: ParcoordsOptions): PlotlyFigure {
  const n = opts.color.values.length;
  if (n === 0) throw new FigureInputError("parallelCoordinates: no lines to draw");
  if (opts.dimensions.length === 0) {
    throw new FigureInputError("parallelCoordinates: give at least one dimension");
  }
  const bad = opts.color.values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new FigureInputError(
      `parallelCoordinates: color ${JSON.stringify(opts.color.label)}[${bad}] is ` +
        `${opts.color.values[bad]}; leave out trials without a value`,
    );
  }
  const dims = opts.dimensions.map((d) => dimensionTrace(d, n));
  dims.push({ label: opts.color.label, values: [...opts.color.values] });
  const trace: PlotlyTrace = {
    type: "parcoords",
    line: {
      color: [...opts.color.values],
      colorscale: opts.colorscale ?? "Viridis",
      reversescale: opts.reverseScale ?? false,
      showscale: true,
      colorbar: { title: { text: opts.color.label } },
    },
    dimensions: dims,
  };
  const layout: Record<string, unknown> = {
    template: "plotly_white",
    margin: { l: 70, r: 70, t: opts.title ? 80 : 50, b: 30 },
  };
  if (opts.title) layout.title = { text: opts.title };
  if (opts.height) layout.height = opts.height;
  return { data: [trace], layout };
}

/** Options of {@link studyHistoryChart}. */
export interface StudyHistoryOptions {
  /** Trial numbers, in order. */
  trials: readonly number[];
  /** Each trial's value (null: pruned/failed, drawn as a gap in the markers). */
  values: readonly (number | null)[];
  /** Best value so far after each trial (NaN before the first). */
  best: readonly number[];
  /** Name of the objective (y axis). */
  objective: string;
  title?: string;
  height?: number;
}

/** Trial values as markers and the best-so-far value as a step line, by trial number. */
export function studyHistoryChart(opts: StudyHistoryOptions): PlotlyFigure {
  const n = opts.trials.length;
  if (n === 0) throw new FigureInputError("studyHistoryChart: no trials");
  if (opts.values.length !== n || opts.best.length !== n) {
    throw new FigureInputError(
      `studyHistoryChart: ${n} trials, ${opts.values.length} values, ${opts.best.length} best`,
    );
  }
  const keep = opts.values.map((v, i) => (typeof v === "number" && Number.isFinite(v) ? i : -1))
    .filter((i) => i >= 0);
  const bestIdx = opts.best.map((v, i) => (Number.isFinite(v) ? i : -1)).filter((i) => i >= 0);
  const data: PlotlyTrace[] = [
    {
      type: "scatter",
      mode: "markers",
      name: "trial",
      x: keep.map((i) => opts.trials[i]),
      y: keep.map((i) => opts.values[i] as number),
    },
    {
      type: "scatter",
      mode: "lines",
      line: { shape: "hv" },
      name: "best so far",
      x: bestIdx.map((i) => opts.trials[i]),
      y: bestIdx.map((i) => opts.best[i]),
    },
  ];
  const layout: Record<string, unknown> = {
    template: "plotly_white",
    margin: { l: 60, r: 20, t: opts.title ? 50 : 20, b: 50 },
    xaxis: { title: { text: "trial" } },
    yaxis: { title: { text: opts.objective } },
    showlegend: true,
  };
  if (opts.title) layout.title = { text: opts.title };
  if (opts.height) layout.height = opts.height;
  return { data, layout };
}

/**
 * Plotly figure builders: pure functions from plain numbers to plotly figure JSON.
 * They never touch the DOM or the file system, so notebooks, pipelines and the HTTP service
 * share them and tests can assert the JSON directly.
 */
import {
  FigureInputError,
  type PlotlyFigure,
  type PlotlyLayout,
  type PlotlyTrace,
} from "./figure.ts";

/** Titles shared by the builders. */
export interface AxisTitles {
  /** Figure title. */
  title?: string;
  /** X axis title. */
  xTitle?: string;
  /** Y axis title. */
  yTitle?: string;
  /** Figure height in pixels (plotly default when absent). */
  height?: number;
}

/** One named series of values. */
export interface Series {
  name: string;
  values: readonly number[];
}

function baseLayout(t: AxisTitles): PlotlyLayout {
  const layout: PlotlyLayout = {
    template: "plotly_white",
    margin: { l: 60, r: 20, t: t.title ? 50 : 20, b: 50 },
  };
  if (t.title) layout.title = { text: t.title };
  if (t.xTitle) layout.xaxis = { title: { text: t.xTitle } };
  if (t.yTitle) layout.yaxis = { title: { text: t.yTitle } };
  if (t.height) layout.height = t.height;
  return layout;
}

function assertFinite(what: string, values: readonly number[]): void {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new FigureInputError(`${what}[${bad}] is ${values[bad]}; figures need finite numbers`);
  }
}

function assertSeries(what: string, series: readonly Series[], length: number): void {
  if (series.length === 0) throw new FigureInputError(`${what}: give at least one series`);
  for (const s of series) {
    if (s.values.length !== length) {
      throw new FigureInputError(
        `${what}: series ${
          JSON.stringify(s.name)
        } has ${s.values.length} values for ${length} categories`,
      );
    }
    assertFinite(`${what} series ${JSON.stringify(s.name)}`, s.values);
  }
}

/** Options of {@link barChart}. */
export interface BarChartOptions extends AxisTitles {
  /** Category labels along the x axis. */
  categories: readonly (string | number)[];
  /** One bar per category per series; several series are grouped side by side. */
  series: readonly Series[];
  /** Horizontal bars (categories on the y axis). */
  horizontal?: boolean;
}

/** A (grouped) bar chart: one trace per series. */
export function barChart(opts: BarChartOptions): PlotlyFigure {
  assertSeries("barChart", opts.series, opts.categories.length);
  const data: PlotlyTrace[] = opts.series.map((s) => ({
    type: "bar",
    name: s.name,
    x: opts.horizontal ? [...s.values] : [...opts.categories],
    y: opts.horizontal ? [...opts.categories] : [...s.values],
    ...(opts.horizontal ? { orientation: "h" } : {}),
  }));
  const layout = baseLayout(opts);
  layout.barmode = "group";
  layout.showlegend = opts.series.length > 1;
  return { data, layout };
}

/** Counts of values falling into equal-width bins. */
export interface BinnedCounts {
  /** `bins + 1` ascending bin edges; bin i is `[edges[i], edges[i+1])`, the last one closed. */
  edges: number[];
  /** `bins` counts. */
  counts: number[];
}

/**
 * Count `values` into `bins` equal-width bins over `[min, max]` (values outside are ignored).
 * Use it to keep histogram JSON small when the raw values are many (e.g. pixel intensities).
 */
export function binCounts(
  values: ArrayLike<number>,
  opts: { bins: number; min: number; max: number },
): BinnedCounts {
  const { bins, min, max } = opts;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new FigureInputError(`binCounts: bins must be a positive integer, got ${bins}`);
  }
  if (!(max > min)) throw new FigureInputError(`binCounts: max (${max}) must exceed min (${min})`);
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => min + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= min && v <= max)) continue;
    counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  }
  return { edges, counts };
}

/** Options of {@link histogram}. */
export interface HistogramOptions extends AxisTitles {
  /** `bins + 1` ascending bin edges shared by every series. */
  edges: readonly number[];
  /** One series of `bins` counts (or densities) per group; overlaid with transparency. */
  series: readonly Series[];
}

/**
 * A histogram from pre-binned counts (see {@link binCounts}): bars at bin centres with the bin
 * widths, so the figure JSON stays small however many values were counted.
 */
export function histogram(opts: HistogramOptions): PlotlyFigure {
  const { edges } = opts;
  if (edges.length < 2) throw new FigureInputError("histogram: give at least two bin edges");
  assertFinite("histogram edges", edges);
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i] > edges[i - 1])) {
      throw new FigureInputError(
        `histogram: edges must ascend, but edges[${i}] <= edges[${i - 1}]`,
      );
    }
  }
  assertSeries("histogram", opts.series, edges.length - 1);
  const centers = edges.slice(1).map((e, i) => (e + edges[i]) / 2);
  const widths = edges.slice(1).map((e, i) => e - edges[i]);
  const overlay = opts.series.length > 1;
  const data: PlotlyTrace[] = opts.series.map((s) => ({
    type: "bar",
    name: s.name,
    x: centers,
    y: [...s.values],
    width: widths,
    ...(overlay ? { opacity: 0.6 } : {}),
  }));
  const layout = baseLayout(opts);
  layout.barmode = "overlay";
  layout.bargap = 0;
  layout.showlegend = overlay;
  return { data, layout };
}

/** Options of {@link heatmap}. */
export interface HeatmapOptions extends AxisTitles {
  /** Row-major matrix: `z[row][col]`. */
  z: readonly (readonly number[])[];
  /** Column labels (length = columns). */
  x?: readonly (string | number)[];
  /** Row labels (length = rows). */
  y?: readonly (string | number)[];
  /** Print each cell's value on it (e.g. confusion matrices). */
  showValues?: boolean;
  /** Plotly colorscale name or stops. */
  colorscale?: string | [number, string][];
  /** Draw the first row at the top (matrix orientation). Default true. */
  topToBottom?: boolean;
}

/** A heatmap of a matrix, e.g. a confusion matrix or a per-class statistic table. */
export function heatmap(opts: HeatmapOptions): PlotlyFigure {
  const rows = opts.z.length;
  if (rows === 0) throw new FigureInputError("heatmap: z has no rows");
  const cols = opts.z[0].length;
  opts.z.forEach((r, i) => {
    if (r.length !== cols) {
      throw new FigureInputError(`heatmap: row ${i} has ${r.length} values, row 0 has ${cols}`);
    }
    assertFinite(`heatmap z[${i}]`, r);
  });
  if (opts.x && opts.x.length !== cols) {
    throw new FigureInputError(`heatmap: ${opts.x.length} x labels for ${cols} columns`);
  }
  if (opts.y && opts.y.length !== rows) {
    throw new FigureInputError(`heatmap: ${opts.y.length} y labels for ${rows} rows`);
  }
  const trace: PlotlyTrace = {
    type: "heatmap",
    z: opts.z.map((r) => [...r]),
    // Light for small values, dark for large ones (plotly's named "Blues" runs the other way).
    colorscale: opts.colorscale ?? [[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]],
  };
  if (opts.x) trace.x = [...opts.x];
  if (opts.y) trace.y = [...opts.y];
  if (opts.showValues) trace.texttemplate = "%{z}";
  const layout = baseLayout(opts);
  const yaxis = (layout.yaxis ?? {}) as Record<string, unknown>;
  if (opts.topToBottom ?? true) yaxis.autorange = "reversed";
  layout.yaxis = yaxis;
  return { data: [trace], layout };
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Images as row-major grayscale pixels (`height * width` values each, 0..255). */
  images: readonly ArrayLike<number>[];
  /** Image width in pixels. Default 28. */
  width?: number;
  /** Image height in pixels. Default 28. */
  height?: number;
  /** Tiles per row of the grid. */
  columns: number;
  /** One label per grid row, shown on the y axis (e.g. class names). */
  rowLabels?: readonly string[];
  /** Figure title. */
  title?: string;
  /** Pixels of empty space between tiles. Default 2. */
  gap?: number;
  /** Pixel size on screen. Default 2.5. */
  scale?: number;
}

/**
 * A grid of grayscale images (e.g. 28×28 Fashion-MNIST samples) as one heatmap mosaic:
 * tiles fill the grid row by row, gaps are blank, and row labels sit at the tile centres.
 */
export function imageGrid(opts: ImageGridOptions): PlotlyFigure {
  const w = opts.width ?? 28;
  const h = opts.height ?? 28;
  const gap = opts.gap ?? 2;
  const { columns, images } = opts;
  if (!Number.isInteger(columns) || columns < 1) {
    throw new FigureInputError(`imageGrid: columns must be a positive integer, got ${columns}`);
  }
  if (images.length === 0) throw new FigureInputError("imageGrid: no images to show");
  images.forEach((img, i) => {
    if (img.length !== w * h) {
      throw new FigureInputError(
        `imageGrid: image ${i} has ${img.length} pixels, expected ${w}×${h} = ${w * h}`,
      );
    }
  });
  const gridRows = Math.ceil(images.length / columns);
  if (opts.rowLabels && opts.rowLabels.length !== gridRows) {
    throw new FigureInputError(
      `imageGrid: ${opts.rowLabels.length} row labels for ${gridRows} grid rows`,
    );
  }
  const mosaicW = columns * w + (columns - 1) * gap;
  const mosaicH = gridRows * h + (gridRows - 1) * gap;
  const z: (number | null)[][] = Array.from(
    { length: mosaicH },
    () => new Array<number | null>(mosaicW).fill(null),
  );
  images.forEach((img, i) => {
    const top = Math.floor(i / columns) * (h + gap);
    const left = (i % columns) * (w + gap);
    for (let r = 0; r < h; r++) {
      const row = z[top + r];
      for (let c = 0; c < w; c++) row[left + c] = img[r * w + c];
    }
  });
  const scale = opts.scale ?? 2.5;
  const labelMargin = opts.rowLabels ? 110 : 10;
  const topMargin = opts.title ? 40 : 10;
  const yaxis: Record<string, unknown> = {
    autorange: "reversed",
    showgrid: false,
    zeroline: false,
    scaleanchor: "x",
    showticklabels: !!opts.rowLabels,
    ticks: "",
  };
  if (opts.rowLabels) {
    yaxis.tickvals = opts.rowLabels.map((_, r) => r * (h + gap) + (h - 1) / 2);
    yaxis.ticktext = [...opts.rowLabels];
  }
  const layout: PlotlyLayout = {
    xaxis: { visible: false, constrain: "domain" },
    yaxis,
    width: Math.round(mosaicW * scale + labelMargin + 10),
    height: Math.round(mosaicH * scale + topMargin + 10),
    margin: { l: labelMargin, r: 10, t: topMargin, b: 10 },
    plot_bgcolor: "white",
  };
  if (opts.title) layout.title = { text: opts.title };
  const trace: PlotlyTrace = {
    type: "heatmap",
    z,
    zmin: 0,
    zmax: 255,
    colorscale: [[0, "#000000"], [1, "#ffffff"]],
    showscale: false,
    hoverongaps: false,
  };
  return { data: [trace], layout };
}

/** One line of a {@link lineChart}. */
export interface LineSeries {
  name: string;
  x: readonly number[];
  y: readonly number[];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions extends AxisTitles {
  series: readonly LineSeries[];
  /** Log-scaled y axis (e.g. losses). */
  logY?: boolean;
  /** Draw markers on the points. */
  markers?: boolean;
}

/** Line chart of one or more series, e.g. training/validation curves per epoch. */
export function lineChart(opts: LineChartOptions): PlotlyFigure {
  if (opts.series.length === 0) throw new FigureInputError("lineChart: give at least one series");
  const data: PlotlyTrace[] = opts.series.map((s) => {
    if (s.x.length !== s.y.length) {
      throw new FigureInputError(
        `lineChart: series ${
          JSON.stringify(s.name)
        } has ${s.x.length} x and ${s.y.length} y values`,
      );
    }
    assertFinite(`lineChart series ${JSON.stringify(s.name)} x`, s.x);
    assertFinite(`lineChart series ${JSON.stringify(s.name)} y`, s.y);
    return {
      type: "scatter",
      mode: opts.markers ? "lines+markers" : "lines",
      name: s.name,
      x: [...s.x],
      y: [...s.y],
    };
  });
  const layout = baseLayout(opts);
  if (opts.logY) layout.yaxis = { ...(layout.yaxis as Record<string, unknown> ?? {}), type: "log" };
  layout.showlegend = opts.series.length > 1;
  return { data, layout };
}

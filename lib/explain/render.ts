/**
 * Attribution maps as pictures: an RGB PNG overlay (the garment in gray, positive attribution in
 * red and negative in blue, alpha by magnitude, nearest-neighbour upscaled) and plotly figures
 * (heatmaps per method, per-class mean maps, sanity-check curves).
 */
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import type { PlotlyFigure, PlotlyTrace } from "../report/mod.ts";
import type { RandomisationStep } from "./sanity.ts";
import { PIXELS } from "./scorer.ts";

/** Largest |value| of a map (1 when all zero), used to scale colours. */
function maxAbs(map: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < map.length; i++) m = Math.max(m, Math.abs(map[i]));
  return m || 1;
}

/**
 * PNG bytes of `image` (784 pixels in 0..1) with `map` (784 attributions) overlaid, upscaled by
 * `scale` (1..16, default 8).
 */
export function overlayPng(
  image: ArrayLike<number>,
  map: ArrayLike<number>,
  scale = 8,
): Uint8Array {
  if (image.length !== PIXELS || map.length !== PIXELS) {
    throw new RangeError(`overlayPng needs 784 pixels and 784 attributions`);
  }
  if (!Number.isInteger(scale) || scale < 1 || scale > 16) {
    throw new RangeError(`scale must be an integer in 1..16, got ${scale}`);
  }
  const m = maxAbs(map);
  const size = 28 * scale;
  const png = new PNG({ width: size, height: size, colorType: 2 });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = Math.floor(y / scale) * 28 + Math.floor(x / scale);
      const g = 255 * Math.min(1, Math.max(0, image[p])) * 0.6;
      const a = Math.min(1, Math.abs(map[p]) / m);
      const [r, gg, b] = map[p] >= 0 ? [255, 40, 40] : [40, 90, 255];
      const o = (y * size + x) * 4;
      png.data[o] = Math.round(g * (1 - a) + r * a);
      png.data[o + 1] = Math.round(g * (1 - a) + gg * a);
      png.data[o + 2] = Math.round(g * (1 - a) + b * a);
      png.data[o + 3] = 255;
    }
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 2 }));
}

/** A 28×28 array of arrays from a row-major map. */
export function toGrid(map: ArrayLike<number>): number[][] {
  return Array.from(
    { length: 28 },
    (_, r) => Array.from({ length: 28 }, (_, c) => map[r * 28 + c]),
  );
}

/**
 * One heatmap panel per map (e.g. one per method for the same image), diverging colours
 * centred at 0, image rows top-down.
 */
export function attributionHeatmaps(
  panels: { title: string; map: ArrayLike<number> }[],
  opts: { title?: string; height?: number } = {},
): PlotlyFigure {
  const n = panels.length;
  if (n === 0) throw new RangeError("attributionHeatmaps: no panels");
  const data: PlotlyTrace[] = panels.map((p, i) => {
    const m = maxAbs(p.map);
    return {
      type: "heatmap",
      z: toGrid(p.map),
      zmin: -m,
      zmax: m,
      colorscale: "RdBu",
      reversescale: true,
      showscale: false,
      xaxis: `x${i + 1}`,
      yaxis: `y${i + 1}`,
      name: p.title,
    };
  });
  const layout: Record<string, unknown> = {
    title: { text: opts.title ?? "Attributions" },
    height: opts.height ?? 260,
    grid: { rows: 1, columns: n, pattern: "independent" },
    annotations: panels.map((p, i) => ({
      text: p.title,
      showarrow: false,
      xref: `x${i + 1} domain`,
      yref: `y${i + 1} domain`,
      x: 0.5,
      y: 1.12,
    })),
    margin: { t: 60, l: 10, r: 10, b: 10 },
  };
  for (let i = 0; i < n; i++) {
    layout[`xaxis${i + 1}`] = { visible: false, constrain: "domain" };
    layout[`yaxis${i + 1}`] = { visible: false, autorange: "reversed", scaleanchor: `x${i + 1}` };
  }
  return { data, layout };
}

/** Mean attribution map per class of `targets` (classes without images are omitted). */
export function classMeanMaps(
  maps: Float32Array,
  targets: ArrayLike<number>,
  classes: number,
): { classId: number; count: number; map: Float32Array }[] {
  const out: { classId: number; count: number; map: Float32Array }[] = [];
  for (let c = 0; c < classes; c++) {
    const map = new Float32Array(PIXELS);
    let n = 0;
    for (let i = 0; i < targets.length; i++) {
      if (targets[i] !== c) continue;
      n++;
      for (let p = 0; p < PIXELS; p++) map[p] += maps[i * PIXELS + p];
    }
    if (n === 0) continue;
    for (let p = 0; p < PIXELS; p++) map[p] /= n;
    out.push({ classId: c, count: n, map });
  }
  return out;
}

/** Cascading-randomisation curves: rank correlation per method vs layers randomised. */
export function randomisationChart(
  byMethod: Record<string, RandomisationStep[]>,
  opts: { signed?: boolean } = {},
): PlotlyFigure {
  const data: PlotlyTrace[] = Object.entries(byMethod).map(([method, steps]) => ({
    type: "scatter",
    mode: "lines+markers",
    name: method,
    x: ["none", ...steps.map((s) => s.layer)],
    y: [1, ...steps.map((s) => (opts.signed ? s.signedRankCorrelation : s.rankCorrelation))],
  }));
  return {
    data,
    layout: {
      title: {
        text: `Cascading randomisation: Spearman ${
          opts.signed ? "(signed)" : "of |attribution|"
        } with the trained model`,
      },
      xaxis: { title: { text: "layers randomised (output → input)" } },
      yaxis: { title: { text: "rank correlation" }, range: [-0.5, 1.05] },
      height: 380,
    },
  };
}

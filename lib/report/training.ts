/**
 * Figures of a training run: loss and accuracy per epoch (train and validation) side by side,
 * built from the per-epoch metrics the training loop hands to its callback.
 */
import { FigureInputError, type PlotlyFigure, type PlotlyTrace } from "./figure.ts";

/** Options of {@link trainingCurvesChart}. */
export interface TrainingCurvesOptions {
  title?: string;
  /** Planned epochs: fixes the x range so a live chart does not rescale as it grows. */
  epochs?: number;
  height?: number;
}

const PAIRS = [
  { panel: 1, keys: ["loss", "val_loss"], title: "loss" },
  { panel: 2, keys: ["accuracy", "val_accuracy"], title: "accuracy" },
] as const;

/**
 * Loss (left) and accuracy (right) per epoch, train and validation; `history[i]` holds the
 * metrics of epoch `i` (`loss`, `accuracy`, optional `val_loss`, `val_accuracy`). An empty
 * history gives empty panels (the first frame of a live chart).
 */
export function trainingCurvesChart(
  history: readonly Readonly<Record<string, number>>[],
  opts: TrainingCurvesOptions = {},
): PlotlyFigure {
  const x = history.map((_, i) => i + 1);
  const data: PlotlyTrace[] = [];
  for (const { panel, keys } of PAIRS) {
    for (const key of keys) {
      const present = history.some((h) => key in h);
      if (!present && history.length > 0) continue;
      const y = history.map((h, i) => {
        const v = h[key];
        if (v !== undefined && !Number.isFinite(v)) {
          throw new FigureInputError(`trainingCurvesChart: ${key} of epoch ${i + 1} is ${v}`);
        }
        return v ?? null;
      });
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: key,
        x,
        y,
        xaxis: panel === 1 ? "x" : "x2",
        yaxis: panel === 1 ? "y" : "y2",
        line: { dash: key.startsWith("val_") ? "dash" : "solid" },
      });
    }
  }
  const range = opts.epochs ? [0.5, opts.epochs + 0.5] : undefined;
  const axis = (title: string) => ({
    title: { text: title },
    ...(range ? { range } : {}),
    dtick: 1,
  });
  const layout: Record<string, unknown> = {
    template: "plotly_white",
    grid: { rows: 1, columns: 2, pattern: "independent" },
    margin: { l: 60, r: 20, t: opts.title ? 60 : 30, b: 50 },
    xaxis: axis("epoch"),
    xaxis2: axis("epoch"),
    yaxis: { title: { text: PAIRS[0].title } },
    yaxis2: { title: { text: PAIRS[1].title } },
    height: opts.height ?? 380,
  };
  if (opts.title) layout.title = { text: opts.title };
  return { data, layout };
}

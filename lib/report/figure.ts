/** The plotly figure JSON shape produced by every builder, with a zod schema for files. */
import { z } from "zod";

/** One plotly trace (`type` plus any plotly trace attributes). */
export interface PlotlyTrace {
  /** Plotly trace type, e.g. `bar`, `scatter`, `heatmap`. */
  type: string;
  [attribute: string]: unknown;
}

/** A plotly layout (any plotly layout attributes). */
export interface PlotlyLayout {
  [attribute: string]: unknown;
}

/** A plotly figure as accepted by `Plotly.newPlot` and the `application/vnd.plotly.v1+json` mime type. */
export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
}

/** Schema of a plotly figure read from a file or request body. */
export const plotlyFigureSchema: z.ZodType<PlotlyFigure> = z.object({
  data: z.array(z.looseObject({ type: z.string().min(1) })),
  layout: z.record(z.string(), z.unknown()),
});

/** Raised when a builder gets inconsistent input (mismatched lengths, empty data…). */
export class FigureInputError extends Error {
  override name = "FigureInputError";
}

/**
 * Live figures in the Deno Jupyter kernel: display a figure once under a display id, then
 * replace it in place (`update_display_data`) as new data arrives, e.g. training curves after
 * every epoch. The last update is what the saved notebook (and its HTML export) keeps, and every
 * update keeps the first display's decision about inlining plotly.js, so later figures of the
 * page still find `window.Plotly`.
 */
import type { PlotlyFigure } from "./figure.ts";
import { type FigureBundle, figureBundle, NotInJupyterError } from "./display.ts";

/** The display call (Deno's `Deno.jupyter.display` signature). */
export type DisplayFn = (
  bundle: FigureBundle,
  opts: { raw: true; display_id: string; update?: boolean },
) => Promise<void>;

/** A figure shown once and updated in place. */
export interface LiveFigure {
  /** Jupyter display id of the output. */
  readonly displayId: string;
  /** Replace the figure (queued in order; safe to call from synchronous callbacks). */
  update(fig: PlotlyFigure): void;
  /** Wait until every queued update was sent; rethrows the first failure. */
  flush(): Promise<void>;
}

/** Options of {@link displayLiveFigure}. */
export interface LiveFigureOptions {
  /** Display id (default: a random one). */
  displayId?: string;
  /** The display function (default: the kernel's `Deno.jupyter.display`). */
  display?: DisplayFn;
}

function kernelDisplay(): DisplayFn {
  try {
    const jupyter = Deno.jupyter;
    return (bundle, opts) => jupyter.display(bundle, opts);
  } catch (err) {
    throw new NotInJupyterError(
      `displayLiveFigure needs a Deno Jupyter kernel (${(err as Error).message}); ` +
        "outside notebooks render the final figure with figureHtml",
    );
  }
}

/** Show `fig` now and return a handle that replaces it in place. */
export async function displayLiveFigure(
  fig: PlotlyFigure,
  opts: LiveFigureOptions = {},
): Promise<LiveFigure> {
  const display = opts.display ?? kernelDisplay();
  const displayId = opts.displayId ?? `fmnist-live-${crypto.randomUUID()}`;
  const domId = `plot-${displayId.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const first = figureBundle(fig, { id: domId });
  // figureHtml starts with plotly's <script> exactly when it inlined the bundle.
  const includePlotly = !first["text/html"].startsWith("<div");
  await display(first, { raw: true, display_id: displayId });
  let queue: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  return {
    displayId,
    update(next: PlotlyFigure): void {
      queue = queue.then(() =>
        display(figureBundle(next, { includePlotly, id: domId }), {
          raw: true,
          display_id: displayId,
          update: true,
        })
      ).catch((err) => {
        failure ??= err;
      });
    },
    async flush(): Promise<void> {
      await queue;
      if (failure !== null) throw failure;
    },
  };
}

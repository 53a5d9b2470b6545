/**
 * Jupyter display of plotly figures from the Deno kernel. A figure's mime bundle carries both
 * `application/vnd.plotly.v1+json` (rendered natively by JupyterLab's plotly renderer) and a
 * `text/html` fallback that works in classic Jupyter and in nbconvert's HTML export with no
 * internet. In an interactive kernel the 4.8 MB plotly.js bundle is inlined only in the first
 * figure of the session; later fallbacks reuse `window.Plotly`. Under the headless runner
 * (`FMNIST_PLOTLY_JS=page`) it is never inlined: the runner puts it once into the page it exports,
 * because the Deno kernel delivers multi-megabyte iopub messages late (after `idle`) or with an
 * invalid HMAC signature when the machine is loaded (see lib/notebooks/run.ts).
 */
import type { PlotlyFigure } from "./figure.ts";
import { figureHtml, type ReportSection, sectionHtml } from "./html.ts";

/** A Jupyter mime bundle for one figure. */
export interface FigureBundle {
  "application/vnd.plotly.v1+json": PlotlyFigure;
  "text/html": string;
  "text/plain": string;
  [mime: string]: unknown;
}

let plotlyInlined = false;

/**
 * Environment variable set by the headless notebook runner: `page` means the page that shows the
 * outputs (the HTML export) loads plotly.js itself, so figure bundles must not inline it.
 */
export const PLOTLY_JS_ENV = "FMNIST_PLOTLY_JS";

/** True when the page showing the outputs provides plotly.js (see {@link PLOTLY_JS_ENV}). */
export function pageProvidesPlotly(): boolean {
  try {
    return Deno.env.get(PLOTLY_JS_ENV) === "page";
  } catch {
    return false; // no env permission: an interactive kernel
  }
}

/** Forget that plotly.js was inlined, so the next bundle inlines it again (e.g. a new page). */
export function resetPlotlyEmbedding(): void {
  plotlyInlined = false;
}

function describe(fig: PlotlyFigure): string {
  const title = fig.layout.title;
  const text = typeof title === "object" && title !== null && "text" in title
    ? String((title as { text: unknown }).text)
    : "untitled";
  const types = [...new Set(fig.data.map((t) => t.type))].join(", ");
  return `<plotly figure ${JSON.stringify(text)}: ${fig.data.length} trace(s) of ${
    types || "no type"
  }>`;
}

/**
 * The mime bundle of `fig`. The first call in a process inlines plotly.js into the HTML fallback,
 * unless the page provides it ({@link pageProvidesPlotly}); pass `includePlotly` to force either
 * way. Later calls rely on `window.Plotly`.
 */
export function figureBundle(
  fig: PlotlyFigure,
  opts: { includePlotly?: boolean; id?: string } = {},
): FigureBundle {
  const include = opts.includePlotly ?? (!plotlyInlined && !pageProvidesPlotly());
  const html = figureHtml(fig, { includePlotly: include, id: opts.id });
  if (include) plotlyInlined = true;
  return {
    "application/vnd.plotly.v1+json": fig,
    "text/html": html,
    "text/plain": describe(fig),
  };
}

/** Raised when a display function is called outside a Deno Jupyter kernel. */
export class NotInJupyterError extends Error {
  override name = "NotInJupyterError";
}

function kernel(what: string): typeof Deno.jupyter {
  try {
    return Deno.jupyter;
  } catch (err) {
    throw new NotInJupyterError(
      `${what} needs a Deno Jupyter kernel (${(err as Error).message}); ` +
        "outside notebooks render with figureHtml or renderHtmlPage",
    );
  }
}

/** Show `fig` in the current notebook cell's output (Deno kernel only). */
export async function displayFigure(fig: PlotlyFigure): Promise<void> {
  await kernel("displayFigure").display(figureBundle(fig), { raw: true });
}

/** The mime bundle of a report section (tables, text; figures need plotly.js on the page). */
export function sectionBundle(
  section: ReportSection,
): { "text/html": string; "text/plain": string } {
  const plain = [
    section.title,
    ...section.blocks.map((b) => b.kind === "text" ? b.text : `[${b.kind}]`),
  ];
  return {
    "text/html": `<div class="fmnist-section">${SECTION_CSS}${sectionHtml(section)}</div>`,
    "text/plain": plain.join("\n"),
  };
}

const SECTION_CSS = `<style>.fmnist-section table{border-collapse:collapse}.fmnist-section th,` +
  `.fmnist-section td{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}` +
  `.fmnist-section .badge{font-size:.75rem;padding:.1rem .4rem;border-radius:.3rem;color:#fff}` +
  `.fmnist-section .badge.ok{background:#2e7d32}.fmnist-section .badge.warn{background:#ef6c00}` +
  `.fmnist-section .badge.fail{background:#c62828}</style>`;

/** Show a report section (e.g. a validation summary) in the current notebook cell's output. */
export async function displaySection(section: ReportSection): Promise<void> {
  await kernel("displaySection").display(sectionBundle(section), { raw: true });
}

/** Deno's kernel renders objects carrying this symbol through the function it holds. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** An object that displays as `fig` when it is a cell's last expression. */
export interface DisplayableFigure {
  figure: PlotlyFigure;
  [JUPYTER_DISPLAY](): FigureBundle;
}

/** Wrap `fig` so that ending a notebook cell with it renders the figure. */
export function displayable(fig: PlotlyFigure): DisplayableFigure {
  return { figure: fig, [JUPYTER_DISPLAY]: () => figureBundle(fig) };
}

/** HTML rendering of figures and self-contained report pages (no network needed to view). */
import type { PlotlyFigure } from "./figure.ts";
import { plotlyScriptTag } from "./plotly_js.ts";

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** JSON safe to embed inside a `<script>` element (no `</script>`, no `<!--`). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Options of {@link figureHtml}. */
export interface FigureHtmlOptions {
  /** Inline the plotly.js bundle before the plot (do it once per page). Default false. */
  includePlotly?: boolean;
  /** DOM id of the plot `<div>` (default: a random one). */
  id?: string;
}

const ID_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * An HTML fragment drawing `fig` with `window.Plotly`: a `<div>` plus a script that waits for
 * plotly.js to be defined (by an earlier fragment or the page head) and then plots. If plotly.js
 * never appears, the div says so instead of staying blank.
 */
export function figureHtml(fig: PlotlyFigure, opts: FigureHtmlOptions = {}): string {
  const id = opts.id ?? `plot-${crypto.randomUUID()}`;
  if (!ID_RE.test(id)) throw new Error(`figureHtml: invalid element id ${JSON.stringify(id)}`);
  const height = typeof fig.layout.height === "number" ? `${fig.layout.height}px` : "420px";
  const width = typeof fig.layout.width === "number" ? `${fig.layout.width}px` : "100%";
  const script = `(function () {
  var fig = ${scriptJson(fig)};
  var id = ${scriptJson(id)};
  function draw() { window.Plotly.newPlot(id, fig.data, fig.layout, {responsive: true, displaylogo: false}); }
  if (window.Plotly) { draw(); return; }
  var tries = 0;
  var timer = setInterval(function () {
    if (window.Plotly) { clearInterval(timer); draw(); }
    else if (++tries > 100) {
      clearInterval(timer);
      var el = document.getElementById(id);
      if (el) el.textContent = "plotly.js is not loaded on this page: re-run the notebook from its first cell.";
    }
  }, 100);
})();`;
  return (opts.includePlotly ? plotlyScriptTag() + "\n" : "") +
    `<div id="${id}" class="fmnist-plot" style="width:${width};height:${height};"></div>\n` +
    `<script type="text/javascript">${script}</script>`;
}

/** A table in a report page. */
export interface ReportTable {
  columns: readonly string[];
  rows: readonly (readonly (string | number | boolean | null)[])[];
}

/** One block of a report section. */
export type ReportBlock =
  | { kind: "text"; text: string }
  | { kind: "html"; html: string }
  | { kind: "figure"; figure: PlotlyFigure }
  | { kind: "table"; table: ReportTable };

/** A titled section of a report page. */
export interface ReportSection {
  title: string;
  /** Status badge shown next to the title (e.g. validation outcome). */
  status?: "ok" | "warn" | "fail";
  blocks: readonly ReportBlock[];
}

/** Render a {@link ReportTable} as an HTML `<table>` (cells escaped). */
export function tableHtml(table: ReportTable): string {
  const head = table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = table.rows.map((r) =>
    `<tr>${r.map((v) => `<td>${escapeHtml(v === null ? "" : String(v))}</td>`).join("")}</tr>`
  ).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * One section as HTML: `<h2>` title with status badge, then its blocks. Figures rely on
 * `window.Plotly` being defined by the page (see {@link renderHtmlPage}); `figureId` names them.
 */
export function sectionHtml(
  section: ReportSection,
  figureId: () => string = () => `plot-${crypto.randomUUID()}`,
): string {
  const badge = section.status
    ? ` <span class="badge ${section.status}">${section.status}</span>`
    : "";
  const blocks = section.blocks.map((b) => {
    switch (b.kind) {
      case "text":
        return `<p>${escapeHtml(b.text)}</p>`;
      case "html":
        return b.html;
      case "table":
        return tableHtml(b.table);
      case "figure":
        return figureHtml(b.figure, { id: figureId() });
    }
  }).join("\n");
  return `<section>\n<h2>${escapeHtml(section.title)}${badge}</h2>\n${blocks}\n</section>`;
}

const PAGE_CSS = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;` +
  `max-width:1100px;padding:0 1rem;color:#222}h1{font-size:1.6rem}h2{font-size:1.25rem;` +
  `border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2rem}table{border-collapse:` +
  `collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;` +
  `font-size:.9rem}th{background:#f5f5f5}.badge{font-size:.75rem;padding:.1rem .45rem;` +
  `border-radius:.3rem;margin-left:.5rem;vertical-align:middle;color:#fff}.badge.ok{background:` +
  `#2e7d32}.badge.warn{background:#ef6c00}.badge.fail{background:#c62828}p.generated{color:#777;` +
  `font-size:.8rem}`;

/**
 * A complete, self-contained HTML page: one `<h2>` per section with its text, tables, raw HTML
 * and figures. plotly.js is inlined once in the head, only when a section has a figure.
 */
export function renderHtmlPage(
  title: string,
  sections: readonly ReportSection[],
  opts: { generatedAt?: Date } = {},
): string {
  const hasFigure = sections.some((s) => s.blocks.some((b) => b.kind === "figure"));
  let n = 0;
  const body = sections.map((s) => sectionHtml(s, () => `figure-${++n}`)).join("\n");
  const when = (opts.generatedAt ?? new Date()).toISOString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${PAGE_CSS}</style>
${hasFigure ? plotlyScriptTag() : ""}
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="generated">generated ${escapeHtml(when)}</p>
${body}
</body>
</html>
`;
}

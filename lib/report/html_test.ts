import assert from "node:assert/strict";
import { test } from "node:test";
import {
  barChart,
  displayable,
  displayFigure,
  escapeHtml,
  figureBundle,
  figureHtml,
  JUPYTER_DISPLAY,
  NotInJupyterError,
  pageProvidesPlotly,
  PLOTLY_JS_ENV,
  plotlyJs,
  renderHtmlPage,
  resetPlotlyEmbedding,
} from "./mod.ts";

const fig = barChart({
  title: "</script><b>x</b>",
  categories: ["T-shirt/top", "Trouser"],
  series: [{ name: "train", values: [6000, 5999] }],
});

test("figureHtml: plot div plus a script carrying the data, safe to embed", () => {
  const html = figureHtml(fig, { id: "p1" });
  assert.match(html, /<div id="p1" class="fmnist-plot"/);
  assert.match(html, /window\.Plotly\.newPlot\(id, fig\.data, fig\.layout/);
  assert.ok(html.includes('"y":[6000,5999]'));
  assert.ok(html.includes("T-shirt/top"));
  // the title's </script> must not close the script element early
  assert.equal(html.match(/<\/script>/g)?.length, 1);
  assert.ok(html.includes("\\u003c/script>"));
  assert.ok(!html.includes("plotly.js v"), "no bundle unless asked");
  assert.throws(() => figureHtml(fig, { id: "bad id" }), /invalid element id/);
});

test("figureHtml: includePlotly inlines the bundle guarded against AMD/CommonJS", () => {
  const html = figureHtml(fig, { id: "p2", includePlotly: true });
  assert.ok(plotlyJs().length > 1_000_000);
  assert.ok(html.includes("plotly.js v3.7.0"));
  assert.ok(html.includes("if (!window.Plotly) { (function (module, exports, define)"));
  assert.ok(html.indexOf("plotly.js v3") < html.indexOf('<div id="p2"'));
});

test("figureBundle: both mime types; plotly.js inlined only in the first bundle", () => {
  resetPlotlyEmbedding();
  const first = figureBundle(fig);
  const second = figureBundle(fig);
  assert.deepEqual(first["application/vnd.plotly.v1+json"], fig);
  assert.ok(first["text/html"].includes("plotly.js v3.7.0"));
  assert.ok(!second["text/html"].includes("plotly.js v3.7.0"));
  assert.ok(second["text/html"].includes("window.Plotly"));
  assert.match(second["text/plain"], /plotly figure .*1 trace\(s\) of bar/);
  assert.ok(first["text/html"].length > 1_000_000 && second["text/html"].length < 10_000);
  const forced = figureBundle(fig, { includePlotly: true });
  assert.ok(forced["text/html"].includes("plotly.js v3.7.0"));
});

test("figureBundle never inlines plotly.js when the page provides it (headless runner)", () => {
  resetPlotlyEmbedding();
  Deno.env.set(PLOTLY_JS_ENV, "page");
  try {
    assert.ok(pageProvidesPlotly());
    const b = figureBundle(fig);
    assert.ok(!b["text/html"].includes("plotly.js v3.7.0"));
    assert.ok(b["text/html"].length < 10_000);
    assert.ok(figureBundle(fig, { includePlotly: true })["text/html"].includes("plotly.js v3"));
  } finally {
    Deno.env.delete(PLOTLY_JS_ENV);
    resetPlotlyEmbedding();
  }
  assert.ok(figureBundle(fig)["text/html"].includes("plotly.js v3.7.0"));
});

test("displayable renders through the Jupyter.display symbol; displayFigure needs a kernel", async () => {
  resetPlotlyEmbedding();
  const d = displayable(fig);
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
  const bundle = d[JUPYTER_DISPLAY]();
  assert.deepEqual(bundle["application/vnd.plotly.v1+json"], fig);
  await assert.rejects(displayFigure(fig), NotInJupyterError);
});

test("renderHtmlPage: escaped title, sections, tables, one plotly bundle for many figures", () => {
  const page = renderHtmlPage("Report <1>", [
    {
      title: "Balance",
      status: "ok",
      blocks: [{ kind: "figure", figure: fig }, { kind: "text", text: "a<b" }],
    },
    {
      title: "Checks",
      status: "fail",
      blocks: [
        { kind: "table", table: { columns: ["check", "passed"], rows: [["no <dups>", false]] } },
        { kind: "figure", figure: fig },
      ],
    },
  ], { generatedAt: new Date("2020-01-02T03:04:05Z") });
  assert.ok(page.startsWith("<!DOCTYPE html>"));
  assert.ok(page.includes("<title>Report &lt;1&gt;</title>"));
  assert.equal(page.split("plotly.js v3.7.0").length - 1, 1);
  assert.ok(page.includes('<div id="figure-1"') && page.includes('<div id="figure-2"'));
  assert.ok(page.includes("<td>no &lt;dups&gt;</td><td>false</td>"));
  assert.ok(page.includes('<span class="badge fail">fail</span>'));
  assert.ok(page.includes("<p>a&lt;b</p>"));
  assert.ok(page.includes("2020-01-02T03:04:05.000Z"));
  const noFig = renderHtmlPage("t", [{ title: "s", blocks: [{ kind: "text", text: "x" }] }]);
  assert.ok(!noFig.includes("plotly.js v3"));
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

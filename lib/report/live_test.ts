import assert from "node:assert/strict";
import { test } from "node:test";
import { resetPlotlyEmbedding } from "./display.ts";
import { lineChart } from "./figures.ts";
import { type DisplayFn, displayLiveFigure } from "./live.ts";

type Call = { html: string; fig: unknown; opts: Parameters<DisplayFn>[1] };

function recorder(failAt = -1): { calls: Call[]; display: DisplayFn } {
  const calls: Call[] = [];
  return {
    calls,
    display: (bundle, opts) => {
      calls.push({
        html: bundle["text/html"],
        fig: bundle["application/vnd.plotly.v1+json"],
        opts,
      });
      return calls.length - 1 === failAt
        ? Promise.reject(new Error("kernel went away"))
        : Promise.resolve();
    },
  };
}

const fig = (n: number) =>
  lineChart({ series: [{ name: "loss", x: [...Array(n).keys()], y: Array(n).fill(1) }] });

test("displayLiveFigure: one display, then in-place updates under the same id, in order", async () => {
  resetPlotlyEmbedding();
  const { calls, display } = recorder();
  const live = await displayLiveFigure(fig(1), { displayId: "curves", display });
  for (let n = 2; n <= 4; n++) live.update(fig(n));
  await live.flush();
  assert.equal(calls.length, 4);
  assert.deepEqual(calls[0].opts, { raw: true, display_id: "curves" });
  for (const c of calls.slice(1)) {
    assert.deepEqual(c.opts, { raw: true, display_id: "curves", update: true });
  }
  const lengths = calls.map((c) => (c.fig as { data: { x: number[] }[] }).data[0].x.length);
  assert.deepEqual(lengths, [1, 2, 3, 4]);
  // The first display of the session inlines plotly.js; so does every update of it.
  assert.ok(calls.every((c) => c.html.startsWith("<script")), "plotly.js kept in every frame");
  assert.ok(calls.every((c) => c.html.includes('id="plot-curves"')));

  // A second live figure in the same session relies on the already inlined plotly.js.
  const second = recorder();
  const live2 = await displayLiveFigure(fig(1), { displayId: "b", display: second.display });
  live2.update(fig(2));
  await live2.flush();
  assert.ok(second.calls.every((c) => c.html.startsWith("<div")));
});

test("displayLiveFigure: a failed update surfaces at flush, later updates still go out", async () => {
  const { calls, display } = recorder(1);
  const live = await displayLiveFigure(fig(1), { display });
  assert.match(live.displayId, /^fmnist-live-/);
  live.update(fig(2));
  live.update(fig(3));
  await assert.rejects(live.flush(), /kernel went away/);
  assert.equal(calls.length, 3);
});

test("displayLiveFigure outside a kernel says what it needs", async () => {
  await assert.rejects(displayLiveFigure(fig(1)), /Jupyter kernel/);
});

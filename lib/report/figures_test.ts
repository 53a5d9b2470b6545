import assert from "node:assert/strict";
import { test } from "node:test";
import {
  barChart,
  binCounts,
  FigureInputError,
  heatmap,
  histogram,
  imageGrid,
  lineChart,
  plotlyFigureSchema,
} from "./mod.ts";

test("barChart: one bar trace per series, grouped, with titles", () => {
  const fig = barChart({
    title: "Class balance",
    xTitle: "class",
    yTitle: "images",
    categories: ["a", "b", "c"],
    series: [{ name: "train", values: [1, 2, 3] }, { name: "test", values: [4, 5, 6] }],
  });
  assert.equal(plotlyFigureSchema.safeParse(fig).success, true);
  assert.equal(fig.data.length, 2);
  assert.deepEqual(fig.data[0], { type: "bar", name: "train", x: ["a", "b", "c"], y: [1, 2, 3] });
  assert.deepEqual(fig.data[1].y, [4, 5, 6]);
  assert.equal(fig.layout.barmode, "group");
  assert.deepEqual(fig.layout.title, { text: "Class balance" });
  assert.deepEqual(fig.layout.xaxis, { title: { text: "class" } });
  assert.equal(fig.layout.showlegend, true);
});

test("barChart: horizontal swaps axes; mismatched lengths and NaN are rejected", () => {
  const fig = barChart({
    categories: ["x", "y"],
    series: [{ name: "s", values: [1, 2] }],
    horizontal: true,
  });
  assert.deepEqual(fig.data[0].x, [1, 2]);
  assert.deepEqual(fig.data[0].y, ["x", "y"]);
  assert.equal(fig.data[0].orientation, "h");
  assert.throws(
    () => barChart({ categories: ["x"], series: [{ name: "s", values: [1, 2] }] }),
    (e: unknown) =>
      e instanceof FigureInputError && /has 2 values for 1 categories/.test(e.message),
  );
  assert.throws(
    () => barChart({ categories: ["x"], series: [{ name: "s", values: [NaN] }] }),
    /finite/,
  );
  assert.throws(() => barChart({ categories: ["x"], series: [] }), /at least one series/);
});

test("binCounts: equal-width bins, last bin closed, outliers ignored", () => {
  const b = binCounts([0, 0.5, 1, 1.5, 2, 3.99, 4, 5, -1], { bins: 4, min: 0, max: 4 });
  assert.deepEqual(b.edges, [0, 1, 2, 3, 4]);
  assert.deepEqual(b.counts, [2, 2, 1, 2]);
  assert.throws(() => binCounts([1], { bins: 0, min: 0, max: 1 }), /positive integer/);
  assert.throws(() => binCounts([1], { bins: 2, min: 1, max: 1 }), /must exceed/);
  const bytes = binCounts(new Uint8Array([0, 255, 128, 127]), { bins: 2, min: 0, max: 256 });
  assert.deepEqual(bytes.counts, [2, 2]);
});

test("histogram: bars at bin centres with bin widths, overlaid for several series", () => {
  const fig = histogram({
    edges: [0, 2, 6],
    series: [{ name: "train", values: [3, 4] }, { name: "test", values: [1, 2] }],
  });
  assert.equal(fig.data.length, 2);
  assert.deepEqual(fig.data[0].x, [1, 4]);
  assert.deepEqual(fig.data[0].width, [2, 4]);
  assert.deepEqual(fig.data[1].y, [1, 2]);
  assert.equal(fig.data[0].opacity, 0.6);
  assert.equal(fig.layout.barmode, "overlay");
  assert.equal(fig.layout.bargap, 0);
  assert.throws(() => histogram({ edges: [0, 0], series: [{ name: "s", values: [1] }] }), /ascend/);
  assert.throws(
    () => histogram({ edges: [0, 1, 2], series: [{ name: "s", values: [1] }] }),
    /1 values for 2/,
  );
});

test("heatmap: matrix copied, labels checked, reversed rows and values on cells", () => {
  const fig = heatmap({ z: [[1, 2], [3, 4]], x: ["p0", "p1"], y: ["t0", "t1"], showValues: true });
  assert.equal(fig.data[0].type, "heatmap");
  assert.deepEqual(fig.data[0].z, [[1, 2], [3, 4]]);
  assert.deepEqual(fig.data[0].x, ["p0", "p1"]);
  assert.equal(fig.data[0].texttemplate, "%{z}");
  assert.deepEqual(fig.layout.yaxis, { autorange: "reversed" });
  assert.throws(() => heatmap({ z: [[1, 2], [3]] }), /row 1 has 1 values/);
  assert.throws(() => heatmap({ z: [[1, 2]], x: ["a"] }), /1 x labels for 2 columns/);
  assert.throws(() => heatmap({ z: [] }), /no rows/);
});

test("imageGrid: mosaic places each 28x28 tile with gaps and labels rows", () => {
  const imgs = [0, 1, 2].map((k) => new Uint8Array(28 * 28).map((_, i) => (i + k) % 256));
  const fig = imageGrid({
    images: imgs,
    columns: 2,
    rowLabels: ["first", "second"],
    title: "samples",
  });
  const z = fig.data[0].z as (number | null)[][];
  assert.equal(z.length, 28 * 2 + 2);
  assert.equal(z[0].length, 28 * 2 + 2);
  // tile 0 at (0,0), tile 1 at (0,30), tile 2 at (30,0); gaps and the empty 4th slot are null
  assert.equal(z[0][0], 0);
  assert.equal(z[1][2], 28 + 2);
  assert.equal(z[0][30], 1);
  assert.equal(z[30][0], 2);
  assert.equal(z[27][27], 28 * 28 - 1 & 255);
  assert.equal(z[0][28], null);
  assert.equal(z[45][45], null);
  const yaxis = fig.layout.yaxis as Record<string, unknown>;
  assert.deepEqual(yaxis.ticktext, ["first", "second"]);
  assert.deepEqual(yaxis.tickvals, [13.5, 43.5]);
  assert.equal(fig.data[0].zmax, 255);
  assert.throws(
    () => imageGrid({ images: [new Uint8Array(10)], columns: 1 }),
    /10 pixels, expected 28×28/,
  );
  assert.throws(
    () => imageGrid({ images: imgs, columns: 2, rowLabels: ["one"] }),
    /1 row labels for 2/,
  );
  assert.throws(() => imageGrid({ images: [], columns: 2 }), /no images/);
});

test("lineChart: scatter lines per series, optional log axis", () => {
  const fig = lineChart({
    series: [{ name: "train", x: [1, 2], y: [0.5, 0.3] }, {
      name: "val",
      x: [1, 2],
      y: [0.6, 0.4],
    }],
    yTitle: "loss",
    logY: true,
    markers: true,
  });
  assert.deepEqual(fig.data.map((t) => [t.type, t.mode, t.name]), [
    ["scatter", "lines+markers", "train"],
    ["scatter", "lines+markers", "val"],
  ]);
  assert.deepEqual(fig.layout.yaxis, { title: { text: "loss" }, type: "log" });
  assert.throws(() => lineChart({ series: [{ name: "s", x: [1], y: [1, 2] }] }), /1 x and 2 y/);
});

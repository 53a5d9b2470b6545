import assert from "node:assert/strict";
import { test } from "node:test";
import { plotlyFigureSchema } from "./figure.ts";
import { parallelCoordinates, studyHistoryChart } from "./tuning.ts";

test("parallelCoordinates: numeric, log and categorical axes plus the colour axis", () => {
  const fig = parallelCoordinates({
    title: "trials",
    dimensions: [
      { label: "dropout", values: [0.1, 0.5, 0.3] },
      { label: "lr", values: [1e-4, 3e-3, 1e-2], log: true },
      { label: "act", values: ["relu", "tanh", "relu"] },
    ],
    color: { label: "val_accuracy", values: [0.8, 0.9, 0.85] },
  });
  assert.ok(plotlyFigureSchema.safeParse(fig).success);
  assert.equal(fig.data.length, 1);
  const trace = fig.data[0] as {
    type: string;
    line: { color: number[] };
    dimensions: Record<string, unknown>[];
  };
  assert.equal(trace.type, "parcoords");
  assert.deepEqual(trace.line.color, [0.8, 0.9, 0.85]);
  const [dropout, lr, act, color] = trace.dimensions;
  assert.deepEqual(dropout.values, [0.1, 0.5, 0.3]);
  assert.equal(lr.label, "lr (log)");
  const logs = lr.values as number[];
  assert.ok(Math.abs(logs[0] + 4) < 1e-12 && Math.abs(logs[2] + 2) < 1e-12);
  assert.deepEqual(lr.range, [-4, -2]);
  assert.deepEqual(lr.tickvals, [-4, -3, -2]);
  assert.deepEqual(lr.ticktext, ["1e-4", "1e-3", "0.01"]);
  assert.deepEqual(act.values, [0, 1, 0]);
  assert.deepEqual(act.ticktext, ["relu", "tanh"]);
  assert.deepEqual(color, { label: "val_accuracy", values: [0.8, 0.9, 0.85] });
  assert.deepEqual(fig.layout.title, { text: "trials" });
});

test("parallelCoordinates rejects mismatched, non-finite and non-positive log values", () => {
  const color = { label: "v", values: [1, 2] };
  assert.throws(
    () => parallelCoordinates({ dimensions: [{ label: "a", values: [1] }], color }),
    /1 values for 2 lines/,
  );
  assert.throws(
    () => parallelCoordinates({ dimensions: [{ label: "a", values: [1, 0], log: true }], color }),
    /log axes/,
  );
  assert.throws(
    () =>
      parallelCoordinates({
        dimensions: [{ label: "a", values: [1, 2] }],
        color: { label: "v", values: [1, NaN] },
      }),
    /leave out trials/,
  );
  assert.throws(() => parallelCoordinates({ dimensions: [], color }), /at least one dimension/);
});

test("studyHistoryChart: markers for valued trials, best-so-far step line", () => {
  const fig = studyHistoryChart({
    trials: [0, 1, 2, 3],
    values: [0.5, null, 0.7, 0.6],
    best: [0.5, 0.5, 0.7, 0.7],
    objective: "val_accuracy",
  });
  const [markers, best] = fig.data as unknown as {
    x: number[];
    y: number[];
    line?: { shape: string };
  }[];
  assert.deepEqual(markers.x, [0, 2, 3]);
  assert.deepEqual(markers.y, [0.5, 0.7, 0.6]);
  assert.deepEqual(best.x, [0, 1, 2, 3]);
  assert.deepEqual(best.y, [0.5, 0.5, 0.7, 0.7]);
  assert.equal(best.line?.shape, "hv");
  const nanFirst = studyHistoryChart({
    trials: [0, 1],
    values: [null, 2],
    best: [NaN, 2],
    objective: "loss",
  });
  assert.deepEqual((nanFirst.data[1] as unknown as { x: number[] }).x, [1]);
  assert.throws(
    () => studyHistoryChart({ trials: [0], values: [], best: [1], objective: "v" }),
    /1 trials, 0 values/,
  );
});

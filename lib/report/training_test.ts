import assert from "node:assert/strict";
import { test } from "node:test";
import { plotlyFigureSchema } from "./figure.ts";
import { trainingCurvesChart } from "./training.ts";

type Trace = { name: string; x: number[]; y: (number | null)[]; xaxis: string; yaxis: string };

test("trainingCurvesChart: loss panel left, accuracy panel right, epochs from 1", () => {
  const fig = trainingCurvesChart([
    { epoch: 0, loss: 1.2, accuracy: 0.6, val_loss: 0.9, val_accuracy: 0.7, lr: 1e-3 },
    { epoch: 1, loss: 0.7, accuracy: 0.75, val_loss: 0.6, val_accuracy: 0.78, lr: 1e-3 },
  ], { epochs: 5, title: "curves" });
  assert.ok(plotlyFigureSchema.safeParse(fig).success);
  const traces = fig.data as unknown as Trace[];
  assert.deepEqual(traces.map((t) => t.name), ["loss", "val_loss", "accuracy", "val_accuracy"]);
  assert.deepEqual(traces[0].x, [1, 2]);
  assert.deepEqual(traces[1].y, [0.9, 0.6]);
  assert.deepEqual(traces.map((t) => t.yaxis), ["y", "y", "y2", "y2"]);
  assert.deepEqual((fig.layout.xaxis as { range: number[] }).range, [0.5, 5.5]);
});

test("trainingCurvesChart: no validation metrics → train traces only; empty history → empty panels", () => {
  const train = trainingCurvesChart([{ loss: 1, accuracy: 0.5 }]);
  assert.deepEqual((train.data as unknown as Trace[]).map((t) => t.name), ["loss", "accuracy"]);
  assert.equal((train.layout.xaxis as { range?: number[] }).range, undefined);
  const empty = trainingCurvesChart([], { epochs: 3 });
  assert.equal(empty.data.length, 4);
  assert.ok((empty.data as unknown as Trace[]).every((t) => t.x.length === 0));
  assert.throws(() => trainingCurvesChart([{ loss: NaN, accuracy: 0.1 }]), /loss of epoch 1/);
});

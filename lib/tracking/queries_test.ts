import assert from "node:assert/strict";
import { test } from "node:test";
import { forEachDb } from "../db/testing.ts";
import {
  bestRun,
  compareRuns,
  diffRuns,
  listRuns,
  type RunDetail,
  RunNotFoundError,
  startRun,
  TrackingInputError,
} from "./mod.ts";
import { testTrackingContext } from "./testing.ts";

forEachDb(
  "listRuns filters, bestRun picks by last value, compareRuns flags differences",
  async (db) => {
    const ctx = await testTrackingContext(db);
    try {
      const mk = async (name: string, lr: number, accs: number[], status: "finish" | "fail") => {
        const r = await startRun(ctx, {
          experiment: "cnn",
          name,
          params: { lr, epochs: accs.length },
          tags: { family: "cnn", ...(name === "c" ? { note: "wide" } : {}) },
          heartbeatMs: 0,
        });
        for (const [i, acc] of accs.entries()) {
          await r.logMetrics(
            { accuracy: acc, loss: 1 - acc },
            i,
          );
        }
        if (status === "finish") await r.finish();
        else await r.fail(new Error("boom"));
        return r.id;
      };
      const a = await mk("a", 0.1, [0.5, 0.7], "finish");
      // b peaks early but its last value is lower than a's.
      const b = await mk("b", 0.01, [0.9, 0.6], "finish");
      const c = await mk("c", 0.01, [0.8], "finish");
      const f = await mk("f", 0.5, [0.99], "fail"); // failed runs never win
      const nan = await startRun(ctx, { experiment: "cnn", name: "nan", heartbeatMs: 0 });
      await nan.logMetric("accuracy", Number.NaN, 0);
      await nan.finish();
      const other = await startRun(ctx, { experiment: "other", heartbeatMs: 0 });
      await other.logMetric("accuracy", 1, 0);
      await other.finish();

      const all = await listRuns(ctx, { experiment: "cnn" });
      assert.deepEqual(all.map((r) => r.name).sort(), ["a", "b", "c", "f", "nan"]);
      assert.deepEqual((await listRuns(ctx, { status: "failed" })).map((r) => r.id), [f]);
      assert.deepEqual(
        (await listRuns(ctx, { tag: { key: "note", value: "wide" } })).map((r) => r.id),
        [c],
      );
      assert.equal((await listRuns(ctx, { tag: { key: "note", value: "narrow" } })).length, 0);
      assert.equal((await listRuns(ctx, { limit: 2 })).length, 2);
      assert.equal((await listRuns(ctx)).length, 6);
      await assert.rejects(listRuns(ctx, { limit: 0 }), TrackingInputError);

      const best = await bestRun(ctx, "cnn", "accuracy", "max");
      assert.equal(best?.run.id, c);
      assert.equal(best?.value, 0.8);
      const lowestLoss = await bestRun(ctx, "cnn", "loss", "min");
      assert.equal(lowestLoss?.run.id, c);
      assert.equal((await bestRun(ctx, "cnn", "accuracy", "min"))?.run.id, b);
      assert.equal(await bestRun(ctx, "cnn", "f1", "max"), null);

      const cmp = await compareRuns(ctx, [a, b.slice(0, 8), c]);
      assert.deepEqual(cmp.runs.map((r) => r.id), [a, b, c]);
      const row = (rows: typeof cmp.params, key: string) => rows.find((r) => r.key === key);
      assert.deepEqual(row(cmp.params, "lr"), {
        key: "lr",
        values: [0.1, 0.01, 0.01],
        differs: true,
      });
      assert.deepEqual(row(cmp.params, "epochs")?.values, [2, 2, 1]);
      assert.deepEqual(row(cmp.metrics, "accuracy"), {
        key: "accuracy",
        values: [0.7, 0.6, 0.8],
        differs: true,
      });
      assert.deepEqual(row(cmp.tags, "family"), {
        key: "family",
        values: ["cnn", "cnn", "cnn"],
        differs: false,
      });
      assert.deepEqual(row(cmp.tags, "note"), {
        key: "note",
        values: [null, null, "wide"],
        differs: true,
      });
      await assert.rejects(compareRuns(ctx, [a]), /at least two run ids/);
      await assert.rejects(compareRuns(ctx, [a, "zzzz"]), RunNotFoundError);
    } finally {
      await ctx.close();
    }
  },
);

test("diffRuns compares values structurally and treats a missing key as a difference", () => {
  const base: Omit<RunDetail, "id" | "name" | "params" | "metrics" | "tags"> = {
    experiment: "e",
    status: "finished",
    parentId: null,
    startedAt: "2024-01-01T00:00:00.000Z",
    endedAt: null,
    heartbeatAt: "2024-01-01T00:00:00.000Z",
    pid: null,
    host: null,
    error: null,
    lineage: {
      datasetVersion: null,
      gitCommit: null,
      gitDirty: null,
      config: null,
      seed: null,
      engine: null,
    },
    artifacts: [],
  };
  const m = (last: number) => ({ last, lastStep: 0, min: last, max: last, count: 1 });
  const cmp = diffRuns([
    {
      ...base,
      id: "1",
      name: "x",
      params: { opt: { b: 1, a: 2 }, only1: true },
      metrics: { acc: m(0.5) },
      tags: {},
    },
    {
      ...base,
      id: "2",
      name: "y",
      params: { opt: { a: 2, b: 1 } },
      metrics: { acc: m(0.5) },
      tags: {},
    },
  ]);
  assert.deepEqual(cmp.params, [
    { key: "only1", values: [true, null], differs: true },
    { key: "opt", values: [{ b: 1, a: 2 }, { a: 2, b: 1 }], differs: false },
  ]);
  assert.deepEqual(cmp.metrics, [{ key: "acc", values: [0.5, 0.5], differs: false }]);
  assert.deepEqual(cmp.tags, []);
});

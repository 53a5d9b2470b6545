import assert from "node:assert/strict";
import { forEachDb } from "../db/testing.ts";
import type { Db } from "../db/mod.ts";
import { getContent } from "../storage/mod.ts";
import {
  getMetricHistory,
  getRun,
  loadArtifact,
  RunEndedError,
  RunNotFoundError,
  startRun,
  TrackingInputError,
  withRun,
} from "./mod.ts";
import { type TestTrackingContext, testTrackingContext } from "./testing.ts";

function withCtx(name: string, fn: (ctx: TestTrackingContext) => Promise<void>): void {
  forEachDb(name, async (db: Db) => {
    const ctx = await testTrackingContext(db);
    try {
      await fn(ctx);
    } finally {
      await ctx.close();
    }
  });
}

withCtx("a run records params, metrics, tags, artifacts and lineage", async (ctx) => {
  const run = await startRun(ctx, {
    experiment: "mlp",
    name: "baseline",
    params: { lr: 0.001, layers: [128, 64], optimizer: "adam" },
    tags: { purpose: "test" },
    lineage: {
      datasetVersion: "ds-abc123",
      config: { epochs: 2, batch: 64 },
      seed: 7,
      engine: { name: "tfjs", backend: "wasm", versions: { "@tensorflow/tfjs": "4.22.0" } },
      gitCommit: "deadbeef",
      gitDirty: true,
    },
    heartbeatMs: 0,
  });
  await run.logMetrics({ loss: 0.9, accuracy: 0.6 }, 0);
  await run.logMetrics({ loss: 0.5, accuracy: 0.8 }, 1);
  await run.logMetric("loss", Number.NaN, 2);
  await run.setTag("purpose", "overwritten");
  const bytes = new TextEncoder().encode('{"weights":[1,2,3]}');
  const art = await run.logArtifact("model.json", bytes, "application/json");
  assert.equal(art.size, bytes.length);
  assert.deepEqual(await getContent(ctx.store, art.sha256), bytes);
  const done = await run.finish();
  assert.equal(done.status, "finished");
  assert.ok(done.endedAt !== null);

  const d = await getRun(ctx, run.id);
  assert.equal(d.name, "baseline");
  assert.equal(d.experiment, "mlp");
  assert.equal(d.status, "finished");
  assert.equal(d.error, null);
  assert.equal(d.pid, Deno.pid);
  assert.deepEqual(d.params, { lr: 0.001, layers: [128, 64], optimizer: "adam" });
  assert.deepEqual(d.tags, { purpose: "overwritten" });
  assert.deepEqual(d.metrics.accuracy, { last: 0.8, lastStep: 1, min: 0.6, max: 0.8, count: 2 });
  // NaN is kept as a logged point but reported as null and skipped by min/max.
  assert.deepEqual(d.metrics.loss, { last: null, lastStep: 2, min: 0.5, max: 0.9, count: 3 });
  assert.deepEqual(d.lineage, {
    datasetVersion: "ds-abc123",
    gitCommit: "deadbeef",
    gitDirty: true,
    config: { epochs: 2, batch: 64 },
    seed: 7,
    engine: { name: "tfjs", backend: "wasm", versions: { "@tensorflow/tfjs": "4.22.0" } },
  });
  assert.equal(d.artifacts.length, 1);
  assert.equal(d.artifacts[0].sha256, art.sha256);
  assert.deepEqual(await loadArtifact(ctx, run.id, "model.json"), bytes);
  await assert.rejects(
    loadArtifact(ctx, run.id, "nope"),
    /has no artifact "nope"; it has: model.json/,
  );

  const hist = await getMetricHistory(ctx, run.id, "loss");
  assert.deepEqual(hist.map((p) => [p.step, p.value]), [[0, 0.9], [1, 0.5], [2, null]]);

  // A prefix of the id resolves to the run; logging after the end is refused.
  assert.equal((await getRun(ctx, run.id.slice(0, 8))).id, run.id);
  await assert.rejects(run.logMetric("loss", 1, 3), RunEndedError);
  await assert.rejects(run.finish(), RunEndedError);
  await assert.rejects(getRun(ctx, "ffffffff-0000"), RunNotFoundError);
});

withCtx("params are write-once and inputs are validated", async (ctx) => {
  const run = await startRun(ctx, { experiment: "e", params: { lr: 0.1 }, heartbeatMs: 0 });
  await run.logParams({ lr: 0.1, epochs: 3 }); // same value again: no-op
  await assert.rejects(run.logParams({ lr: 0.2 }), /param lr .* is already 0.1/);
  await assert.rejects(run.logMetric("acc", "0.9" as unknown as number, 0), TrackingInputError);
  await assert.rejects(run.logMetric("acc", 0.9, -1), /step must be an integer/);
  await assert.rejects(run.logMetric("bad key!", 0.9, 0), /invalid metric key/);
  await assert.rejects(run.logParams({ f: () => 1 }), /not JSON-serializable/);
  const bytes = new Uint8Array([1, 2, 3]);
  await run.logArtifact("a.bin", bytes);
  await run.logArtifact("a.bin", bytes); // same bytes: no-op
  await assert.rejects(run.logArtifact("a.bin", new Uint8Array([4])), /artifacts are immutable/);
  await run.finish();
  const d = await getRun(ctx, run.id);
  assert.deepEqual(d.params, { lr: 0.1, epochs: 3 });
  assert.deepEqual(d.metrics, {});
  await assert.rejects(startRun(ctx, { experiment: "  " }), /invalid experiment name/);
  await assert.rejects(
    startRun(ctx, { experiment: "e", parentId: "no-such-run" }),
    /run not found: "no-such-run" \(given as parentId\)/,
  );
});

withCtx("withRun finishes on success and marks the run failed when fn throws", async (ctx) => {
  const value = await withRun(ctx, { experiment: "e", heartbeatMs: 0 }, async (run) => {
    await run.logMetric("acc", 0.5, 0);
    return run.id;
  });
  assert.equal((await getRun(ctx, value)).status, "finished");

  let failedId = "";
  await assert.rejects(
    withRun(ctx, { experiment: "e", heartbeatMs: 0 }, async (run) => {
      failedId = run.id;
      await run.logMetric("loss", 2.5, 0);
      throw new RangeError("loss diverged");
    }),
    /loss diverged/,
  );
  const failed = await getRun(ctx, failedId);
  assert.equal(failed.status, "failed");
  assert.equal(failed.error, "RangeError: loss diverged");
  assert.equal(failed.metrics.loss.last, 2.5);
  assert.ok(ctx.lines.some((l) => l.msg === "run failed" && l.runId === failedId));
});

withCtx("two runs logging metrics concurrently keep their own series", async (ctx) => {
  const [a, b] = await Promise.all([
    startRun(ctx, { experiment: "conc", name: "a", heartbeatMs: 0 }),
    startRun(ctx, { experiment: "conc", name: "b", heartbeatMs: 0 }),
  ]);
  const steps = 40;
  const logAll = async (run: typeof a, base: number) => {
    for (let s = 0; s < steps; s++) {
      await run.logMetrics({ loss: base + s, acc: s / steps }, s);
    }
  };
  await Promise.all([logAll(a, 1000), logAll(b, 2000), a.logParams({ who: "a" })]);
  await Promise.all([a.finish(), b.finish()]);
  for (const [run, base] of [[a, 1000], [b, 2000]] as const) {
    const hist = await getMetricHistory(ctx, run.id, "loss");
    assert.equal(hist.length, steps);
    assert.deepEqual(hist.map((p) => p.value), Array.from({ length: steps }, (_, s) => base + s));
    assert.equal((await getRun(ctx, run.id)).metrics.acc.count, steps);
  }
});

withCtx("batched metric logging stores every point across insert chunks", async (ctx) => {
  const run = await startRun(ctx, { experiment: "batch", heartbeatMs: 0 });
  const t0 = new Date("2024-01-01T00:00:00Z");
  const points = Array.from({ length: 4500 }, (_, i) => ({
    key: "batch/loss",
    value: 1 / (i + 1),
    step: i,
    timestamp: new Date(t0.getTime() + i),
  }));
  await run.logMetricBatch(points);
  await run.finish();
  const hist = await getMetricHistory(ctx, run.id, "batch/loss");
  assert.equal(hist.length, 4500);
  assert.equal(hist[4499].value, 1 / 4500);
  assert.equal(hist[10].timestamp, new Date(t0.getTime() + 10).toISOString());
  const s = (await getRun(ctx, run.id)).metrics["batch/loss"];
  assert.equal(s.count, 4500);
  assert.equal(s.max, 1);
});

withCtx("the heartbeat timer advances heartbeat_at while the run lives", async (ctx) => {
  const run = await startRun(ctx, { experiment: "hb", heartbeatMs: 30 });
  const first = (await getRun(ctx, run.id)).heartbeatAt;
  // Poll (a fixed sleep is a race on a loaded machine): a timer that never fires fails after 5 s.
  let later = first;
  for (const deadline = Date.now() + 5_000; later <= first && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 30));
    later = (await getRun(ctx, run.id)).heartbeatAt;
  }
  assert.ok(later > first, `heartbeat did not advance: ${first} -> ${later}`);
  await run.finish(); // also stops the timer (the test would leak an interval otherwise)
});

withCtx("a metric buffer writes in batches and is flushed when the run ends", async (ctx) => {
  const run = await startRun(ctx, { experiment: "buf", heartbeatMs: 0 });
  const buf = run.metricBuffer(100);
  for (let i = 0; i < 250; i++) await buf.add("batch/loss", i, i);
  assert.equal(buf.pending, 50);
  assert.equal((await getMetricHistory(ctx, run.id, "batch/loss")).length, 200);
  await assert.rejects(buf.add("batch/loss", 1, -3), /step must be an integer/);
  await run.finish(); // flushes the last 50
  const hist = await getMetricHistory(ctx, run.id, "batch/loss");
  assert.deepEqual(hist.map((p) => p.value), Array.from({ length: 250 }, (_, i) => i));
  await assert.rejects(buf.add("batch/loss", 1, 251), RunEndedError);
  assert.throws(() => run.metricBuffer(0), /positive integer/);
});

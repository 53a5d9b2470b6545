/**
 * The embedded engine on real steps: the `data` DAG (ingest from the Debian package → validate →
 * features) runs and is recorded step by step; a second run reuses every step's cached result; a
 * step that fails (a source that does not exist) is retried, the run is failed after N attempts,
 * the alert-worthy metric is set, and `retry` re-runs it from the failed step.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { forEachDb } from "../db/testing.ts";
import {
  automationSettings,
  createAutomationMetrics,
  DAGS,
  EmbeddedEngine,
  getRun,
  listRuns,
  parseDagParams,
} from "./mod.ts";
import { metricValue, withCtx } from "./testing.ts";

forEachDb(
  "embedded engine: a failing step is retried, then the run fails and the metric is set",
  async (db) => {
    await withCtx(db, async (ctx, dir) => {
      const metrics = createAutomationMetrics();
      const engine = new EmbeddedEngine(ctx, { attempts: 3, backoffMs: 1 }, metrics);
      const params = parseDagParams({ source: `${dir}/no-such-source` });
      await assert.rejects(
        engine.submit(DAGS.data, params, { trigger: "manual", triggeredBy: "test" }),
        /no-such-source/,
      );
      const [run] = await listRuns(ctx.db);
      assert.equal(run.status, "failed");
      assert.equal(run.trigger, "manual");
      assert.match(run.error ?? "", /^step ingest: /);
      assert.deepEqual(run.steps.map((s) => [s.step, s.status, s.attempts]), [
        ["ingest", "failed", 3],
        ["validate", "pending", 0],
        ["features", "pending", 0],
      ]);
      const text = await metrics.registry.metrics();
      assert.equal(metricValue(text, 'fmnist_dag_runs_failed_total{dag="data"}'), 1);
      assert.equal(
        metricValue(text, 'fmnist_dag_step_attempts_failed_total{dag="data",step="ingest"}'),
        3,
      );
      // retry re-runs the failed step (it fails again: 3 more attempts).
      await assert.rejects(engine.retry(run.id), /no-such-source/);
      const again = await getRun(ctx.db, run.id);
      assert.equal(again.status, "failed");
      assert.equal(again.steps[0].attempts, 6);
      assert.equal(
        metricValue(await metrics.registry.metrics(), 'fmnist_dag_runs_failed_total{dag="data"}'),
        2,
      );
      await assert.rejects(engine.retry(crypto.randomUUID()), /no DAG run/);
    });
  },
);

// Ingest, validation and features of all 70,000 images (~20-30 s per engine on a loaded
// machine): a slow test, run by `deno task test:slow` (FMNIST_SLOW_TESTS=1).
if (Deno.env.get("FMNIST_SLOW_TESTS") === "1") {
  forEachDb(
    "embedded engine: the data DAG runs on real data; a rerun reuses every cached step",
    async (db) => {
      await withCtx(db, async (ctx) => {
        const engine = new EmbeddedEngine(ctx, { attempts: 1, backoffMs: 0 });
        const first = await engine.submit(DAGS.data, parseDagParams({}), {
          trigger: "backfill",
          triggeredBy: "test",
          logicalDate: "2026-11-01",
        });
        const run = await getRun(ctx.db, first);
        assert.equal(run.status, "completed");
        assert.equal(run.logicalDate, "2026-11-01");
        assert.deepEqual(run.steps.map((s) => [s.step, s.status, s.cached, s.attempts]), [
          ["ingest", "completed", false, 1],
          ["validate", "completed", false, 1],
          ["features", "completed", false, 1],
        ]);
        assert.match(
          String((run.steps[0].result as { version: string }).version),
          /^[0-9a-f]{64}$/,
        );
        const second = await getRun(
          ctx.db,
          await engine.submit(DAGS.data, parseDagParams({}), {
            trigger: "manual",
            triggeredBy: "t",
          }),
        );
        assert.equal(second.status, "completed");
        assert.deepEqual(second.steps.map((s) => s.cached), [true, true, true]);
        const version = (r: unknown) => (r as { version: string }).version;
        assert.equal(version(second.steps[0].result), version(run.steps[0].result));
      });
    },
  );
}

test("automation settings: defaults, overrides, and every invalid variable named", () => {
  const d = automationSettings({});
  assert.equal(d.engine, "embedded");
  assert.equal(d.schedules.drift, "0 * * * *");
  assert.equal(d.killSwitch, false);
  const s = automationSettings({
    FMNIST_SCHEDULE_DRIFT: "*/2 * * * * *",
    FMNIST_AUTOMATION_KILL_SWITCH: "on",
    FMNIST_RETRAIN_LIMIT: "500",
  });
  assert.equal(s.schedules.drift, "*/2 * * * * *");
  assert.equal(s.killSwitch, true);
  assert.equal(s.retrain.limit, 500);
  assert.throws(
    () => automationSettings({ FMNIST_SCHEDULE_DATA: "every day", FMNIST_JOB_ATTEMPTS: "0" }),
    /FMNIST_SCHEDULE_DATA: must be a cron expression.*FMNIST_JOB_ATTEMPTS/,
  );
});

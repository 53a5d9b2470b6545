/**
 * The closed loop's guard rails on recorded drift events: the kill switch starts nothing, at most
 * `maxConcurrentTrainings` retrain runs are active, a second event within the cool-down is held
 * back, and every event is decided once (a second pass, as another scheduler would run it, finds
 * nothing new). The submitted run is recorded as triggered by its drift event.
 */
import assert from "node:assert/strict";
import { forEachDb } from "../db/testing.ts";
import type { Ctx } from "../workspace/mod.ts";
import {
  automationSettings,
  createRun,
  type DagDefinition,
  type DagParams,
  DAGS,
  type Engine,
  getRun,
  listTriggers,
  parseDagParams,
  processDriftEvents,
  type SubmitOptions,
} from "./mod.ts";
import { withCtx } from "./testing.ts";

/** An engine that records runs but leaves them queued (as a busy BullMQ queue would). */
class QueueOnlyEngine implements Engine {
  readonly kind = "bullmq" as const;
  constructor(readonly ctx: Ctx) {}
  submit(dag: DagDefinition, params: DagParams, opts: SubmitOptions): Promise<string> {
    return createRun(this.ctx.db, { dag, params, engine: "bullmq", ...opts });
  }
  retry(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function driftEvent(ctx: Ctx): Promise<number> {
  const rows = await ctx.db.query<{ id: string | number }>(
    `INSERT INTO drift_events (model, version, origin, window_size, detectors, report)
     VALUES ('fmnist', 1, 'live', 100, ARRAY['features'], '{}'::jsonb) RETURNING id`,
  );
  return Number(rows[0].id);
}

forEachDb(
  "closed loop: kill switch, max concurrent trainings and cool-down hold triggers back",
  async (db) => {
    await withCtx(db, async (ctx) => {
      // The served version the drift events refer to (the loop reads nothing else of it).
      await ctx.db.query(`INSERT INTO registry_models (name) VALUES ('fmnist')`);
      await ctx.db.query(
        `INSERT INTO registry_versions (model, version, artifact_key, sha256, size, created_by)
         VALUES ('fmnist', 1, 'models/x', 'x', 1, 'test')`,
      );
      const engine = new QueueOnlyEngine(ctx);

      const e1 = await driftEvent(ctx);
      const off = automationSettings({ FMNIST_AUTOMATION_KILL_SWITCH: "on" });
      const d1 = await processDriftEvents(ctx, engine, off);
      assert.deepEqual(d1.map((d) => [d.driftEventId, d.decision, d.runId]), [[
        e1,
        "kill_switch",
        null,
      ]]);

      const settings = automationSettings({
        FMNIST_RETRAIN_COOLDOWN_S: "3600",
        FMNIST_RETRAIN_RECIPE: "quick",
        FMNIST_RETRAIN_LIMIT: "500",
      });
      const e2 = await driftEvent(ctx);
      const [d2] = await processDriftEvents(ctx, engine, settings);
      assert.equal(d2.driftEventId, e2);
      assert.equal(d2.decision, "started");
      const run = await getRun(ctx.db, d2.runId!);
      assert.equal(run.dag, "retrain");
      assert.equal(run.trigger, "drift");
      assert.equal(run.triggeredBy, `drift event ${e2}`);
      assert.equal(run.params.driftEventId, e2);
      assert.equal(run.params.recipe, "quick");
      assert.equal(run.params.limit, 500);

      // That run is still queued: the next event meets the concurrency limit (1)…
      const e3 = await driftEvent(ctx);
      const [d3] = await processDriftEvents(ctx, engine, settings);
      assert.deepEqual([d3.driftEventId, d3.decision], [e3, "max_concurrent"]);
      assert.deepEqual(d3.detail, { active: 1, max: 1, servedVersion: 1, detectors: ["features"] });

      // …and once it finished, the cool-down (a start less than an hour ago).
      await ctx.db.query(`UPDATE dag_runs SET status = 'completed' WHERE id = $1`, [run.id]);
      const e4 = await driftEvent(ctx);
      const [d4] = await processDriftEvents(ctx, engine, settings);
      assert.deepEqual([d4.driftEventId, d4.decision], [e4, "cooldown"]);

      // A later pass (another scheduler) finds nothing new; each event was decided once.
      assert.deepEqual(await processDriftEvents(ctx, engine, settings), []);
      const all = await listTriggers(ctx);
      assert.deepEqual(all.map((t) => t.decision), [
        "cooldown",
        "max_concurrent",
        "started",
        "kill_switch",
      ]);
      const runs = await ctx.db.query<{ n: string }>(`SELECT count(*) AS n FROM dag_runs`);
      assert.equal(Number(runs[0].n), 1);
      assert.ok(DAGS.retrain.steps.some((s) => s.name === "register"));
      assert.ok(parseDagParams({}).alpha > 0);
    });
  },
);

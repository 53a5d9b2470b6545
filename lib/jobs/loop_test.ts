/**
 * The closed loop's guard rails on recorded drift events: the kill switch starts nothing, at most
 * `maxConcurrentTrainings` retrain runs are active, a second event within the cool-down is held
 * back, and every event is decided once (a second pass, as another scheduler would run it, finds
 * nothing new). The submitted run is recorded as triggered by its drift event. While a decision is
 * being made the event reads `pending`, and a claim abandoned mid-decision is taken over.
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
  STALE_CLAIM_SECONDS,
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

/** The served version the drift events refer to (the loop reads nothing else of it). */
async function servedVersion(ctx: Ctx): Promise<void> {
  await ctx.db.query(`INSERT INTO registry_models (name) VALUES ('fmnist')`);
  await ctx.db.query(
    `INSERT INTO registry_versions (model, version, artifact_key, sha256, size, created_by)
     VALUES ('fmnist', 1, 'models/x', 'x', 1, 'test')`,
  );
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
      await servedVersion(ctx);
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

/** An engine whose submit waits until released, recording what the triggers read meanwhile. */
class SlowEngine extends QueueOnlyEngine {
  seen: string[] = [];
  override async submit(dag: DagDefinition, params: DagParams, opts: SubmitOptions) {
    this.seen = (await listTriggers(this.ctx)).map((t) => t.decision);
    return await super.submit(dag, params, opts);
  }
}

forEachDb(
  "closed loop: an event reads pending while its run is submitted; an abandoned claim is taken over",
  async (db) => {
    await withCtx(db, async (ctx) => {
      await servedVersion(ctx);
      const settings = automationSettings({ FMNIST_RETRAIN_COOLDOWN_S: "0" });
      const engine = new SlowEngine(ctx);
      const e1 = await driftEvent(ctx);
      const [d1] = await processDriftEvents(ctx, engine, settings);
      // Mid-decision the row said `pending` (it used to say `kill_switch` until decided).
      assert.deepEqual(engine.seen, ["pending"]);
      assert.deepEqual([d1.driftEventId, d1.decision], [e1, "started"]);
      await ctx.db.query(`UPDATE dag_runs SET status = 'completed' WHERE id = $1`, [d1.runId]);

      // Two events claimed by a scheduler that then died (the cursor never moved past them):
      // the fresh claim is another scheduler deciding now and is left alone; the stale one is
      // decided by this pass.
      const fresh = await driftEvent(ctx);
      const stale = await driftEvent(ctx);
      await ctx.db.query(
        `INSERT INTO automation_triggers (drift_event_id, model, decision, detail, at)
         VALUES ($1, 'fmnist', 'pending', '{}'::jsonb, now()),
                ($2, 'fmnist', 'pending', '{}'::jsonb, now() - make_interval(secs => $3))`,
        [fresh, stale, STALE_CLAIM_SECONDS + 60],
      );
      const d = await processDriftEvents(ctx, engine, settings);
      assert.deepEqual(d.map((x) => [x.driftEventId, x.decision]), [[stale, "started"]]);
      const rows = await listTriggers(ctx);
      const by = new Map(rows.map((t) => [t.driftEventId, t]));
      assert.equal(by.get(fresh)?.decision, "pending");
      assert.equal(by.get(stale)?.decision, "started");
      assert.equal(
        (await getRun(ctx.db, by.get(stale)!.runId!)).triggeredBy,
        `drift event ${stale}`,
      );
      // Decided events are never taken over, however old.
      await ctx.db.query(`UPDATE automation_triggers SET at = now() - interval '1 day'`);
      await ctx.db.query(`DELETE FROM automation_cursors`);
      const again = await processDriftEvents(ctx, engine, settings);
      assert.deepEqual(again.map((x) => x.driftEventId), [fresh]);
    });
  },
);

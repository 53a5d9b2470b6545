/**
 * The closed retraining loop end to end, with no manual step, on the real job engine (BullMQ on
 * `FMNIST_TEST_REDIS_URL`, or a throwaway redis-server): the service answers with champion v1
 * (a seeded, untrained CNN whose drift profile comes from real training images) → shifted
 * (inverted) traffic → the live monitor records a drift event → the scheduler's drift tick (every
 * second here) triggers a `retrain` run → a worker runs ingest → validate → features → train
 * (quick recipe on 1,000 images) → register (evaluation + McNemar gate) → profile → the gate
 * promotes it → the service answers with the new version (alias TTL, no restart). A second drift
 * event inside the cool-down is held back. The timeline is printed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  automationSettings,
  getRun,
  listTriggers,
  startScheduler,
  startStepWorker,
} from "../lib/jobs/mod.ts";
import { testRedis } from "../lib/jobs/testing.ts";
import { readDebianDataset } from "../lib/data/testing.ts";
import type { ImageSet } from "../lib/data/mod.ts";
import {
  applyShift,
  buildProfile,
  listDriftEvents,
  loadDriftModel,
  pickImages,
  saveProfile,
} from "../lib/drift/mod.ts";
import { mulberry32 } from "../lib/features/mod.ts";
import { startServing } from "./serving_testing.ts";

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

async function until<T>(what: string, f: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("closed loop: shifted traffic → drift event → retrain on a worker → gate → new version served", async () => {
  const ds = await readDebianDataset();
  if (!ds) throw new Error("install the Debian package dataset-fashion-mnist");
  const redis = await testRedis();
  const s = await startServing({
    drift: {
      window: 100,
      every: 100,
      minWindow: 100,
      minIntervalSeconds: 0,
      confirmations: 2,
      maxAdmitPerSecond: 1e9,
      worker: false,
    },
  });
  const settings = automationSettings({
    FMNIST_AUTOMATION_QUEUE: `loop${crypto.randomUUID().slice(0, 8)}`,
    FMNIST_SCHEDULE_DRIFT: "* * * * * *",
    FMNIST_SCHEDULE_DATA: "0 0 1 1 *",
    FMNIST_SCHEDULE_RETRAIN: "0 0 1 1 *",
    FMNIST_RETRAIN_RECIPE: "quick",
    FMNIST_RETRAIN_LIMIT: "1000",
    FMNIST_RETRAIN_COOLDOWN_S: "3600",
    FMNIST_JOB_LOCK_MS: "120000",
  });
  const worker = startStepWorker(s.ctx, settings, redis.url);
  const scheduler = await startScheduler(s.ctx, settings, redis.url);
  try {
    const m = await loadDriftModel(s.ctx, "fmnist", "champion");
    try {
      await saveProfile(
        s.ctx,
        buildProfile(m.model, pickImages(ds.train, range(0, 1000)), {
          model: { name: "fmnist", version: m.version.version, sha256: m.version.sha256 },
          signature: m.signature,
          source: "train[0:1000]",
        }),
      );
    } finally {
      m.model.dispose();
    }
    const predict = async (set: ImageSet, from: number, to: number) => {
      const instances = range(from, to).map((i) =>
        Array.from(set.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255)
      );
      const r = await fetch(`${s.url}/v1/models/fmnist/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances }),
      });
      const body = await r.json();
      assert.equal(r.status, 200, JSON.stringify(body));
      return body as { model: { version: number } };
    };
    assert.equal((await predict(ds.test, 0, 1)).model.version, 1);

    const t0 = Date.now();
    const shifted = applyShift(pickImages(ds.test, range(0, 300)), "inversion", 3, mulberry32(1));
    for (let from = 0; from < 300; from += 50) {
      await predict(shifted, from, from + 50);
      await s.drift!.idle();
    }
    const [event] = await until("a drift event", async () => {
      const e = await listDriftEvents(s.ctx.db, "fmnist");
      return e.length ? e : null;
    }, 60_000);
    const tEvent = Date.now();
    const trigger = await until("the loop's decision", async () => {
      const t = await listTriggers(s.ctx);
      return t.length && t[0].decision !== "pending" ? t[0] : null; // pending: being decided
    }, 60_000);
    const tTrigger = Date.now();
    assert.equal(trigger.driftEventId, event.id);
    assert.equal(trigger.decision, "started");
    const run = await until("the retrain run", async () => {
      const r = await getRun(s.ctx.db, trigger.runId!);
      return r.status === "completed" || r.status === "failed" ? r : null;
    }, 20 * 60_000);
    const tRun = Date.now();
    assert.equal(run.status, "completed", JSON.stringify(run, null, 1));
    assert.equal(run.dag, "retrain");
    assert.equal(run.trigger, "drift");
    const outcome = run.outcome as { promoted: boolean; version: number; decision: unknown };
    assert.equal(outcome.promoted, true, JSON.stringify(outcome.decision));
    const served = await until("the new version served", async () => {
      const v = (await predict(ds.test, 0, 1)).model.version;
      return v === outcome.version ? v : null;
    }, 30_000);
    const tServed = Date.now();
    assert.ok(served > 2, `served v${served}`);

    const s1 = (t: number) => ((t - t0) / 1000).toFixed(1);
    console.log(
      `closed-loop timeline (s after shifted traffic started): drift event ${s1(tEvent)}, ` +
        `retrain triggered ${s1(tTrigger)}, run completed ${s1(tRun)} (steps: ${
          run.steps.map((x) => `${x.step} ${((x.durationMs ?? 0) / 1000).toFixed(1)}`).join(", ")
        }), new champion v${served} served ${s1(tServed)}`,
    );

    // The run is listed by the API and the page.
    const api = await (await fetch(`${s.url}/v1/dag/runs?dag=retrain`)).json();
    assert.equal(api.runs[0].id, run.id);
    const html = await (await fetch(`${s.url}/runs`)).text();
    assert.match(html, new RegExp(run.id));

    // A second drift event inside the cool-down: recorded, held back, no new run.
    await s.ctx.db.query(
      `INSERT INTO drift_events (model, version, origin, window_size, detectors, report)
       VALUES ('fmnist', $1, 'batch', 100, ARRAY['features'], '{}'::jsonb)`,
      [served],
    );
    const held = await until("the second decision", async () => {
      const t = await listTriggers(s.ctx);
      return t.length > 1 ? t[0] : null;
    }, 30_000);
    assert.equal(held.decision, "cooldown");
    assert.equal(held.runId, null);
  } finally {
    await scheduler.close();
    await worker.close();
    await s.close();
    await redis.close();
  }
});

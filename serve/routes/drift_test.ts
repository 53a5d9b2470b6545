/**
 * Live drift detection over HTTP: the service (seeded CNN as fmnist v1 champion, its reference
 * profile stored from real training images) receives clean test images — no alarm — then
 * inverted ones: the state flips to drift within the documented window (window 100, evaluated
 * every 100 admitted images, 2 confirmations → at most 300 shifted images), the metrics show it
 * and a drift event row is in the database.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readDebianDataset } from "../../lib/data/testing.ts";
import {
  applyShift,
  buildProfile,
  listDriftEvents,
  loadDriftModel,
  pickImages,
  saveProfile,
} from "../../lib/drift/mod.ts";
import { mulberry32 } from "../../lib/features/mod.ts";
import type { ImageSet } from "../../lib/data/mod.ts";
import { startServing } from "../serving_testing.ts";
import { metricValue } from "./metrics_testing.ts";

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

test("live drift: clean traffic → no alarm; shifted traffic → drift state, metric, DB event", async () => {
  const ds = await readDebianDataset();
  if (!ds) throw new Error("install the Debian package dataset-fashion-mnist");
  const s = await startServing({
    drift: {
      window: 100,
      every: 100,
      minWindow: 100,
      minIntervalSeconds: 0,
      confirmations: 2,
      maxAdmitPerSecond: 1e9,
    },
  });
  try {
    const m = await loadDriftModel(s.ctx, "fmnist", "champion");
    try {
      await saveProfile(
        s.ctx,
        buildProfile(m.model, pickImages(ds.train, range(0, 2000)), {
          model: { name: "fmnist", version: m.version.version, sha256: m.version.sha256 },
          signature: m.signature,
          source: "train[0:2000]",
        }),
      );
    } finally {
      m.model.dispose();
    }
    const send = async (set: ImageSet) => {
      for (let from = 0; from < set.count; from += 50) {
        const instances = range(from, Math.min(set.count, from + 50)).map((i) =>
          Array.from(set.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255)
        );
        const r = await fetch(`${s.url}/v1/models/fmnist/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ instances }),
        });
        const text = await r.text();
        assert.equal(r.status, 200, text);
        await s.drift!.idle();
      }
    };
    const drift = async () => {
      const r = await fetch(`${s.url}/v1/models/fmnist/drift`);
      assert.equal(r.status, 200);
      return await r.json();
    };
    await send(pickImages(ds.test, range(0, 300)));
    let d = await drift();
    assert.equal(d.enabled, true);
    assert.equal(d.live[0].version, 1);
    assert.equal(d.live[0].evaluations, 3);
    assert.equal(d.live[0].state, "no drift", JSON.stringify(d.live[0]));
    assert.equal(d.live[0].window_size, 100);
    assert.equal(d.events.length, 0);

    const shifted = applyShift(pickImages(ds.test, range(300, 600)), "inversion", 3, mulberry32(1));
    await send(pickImages(shifted, range(0, 100)));
    d = await drift();
    assert.equal(d.live[0].last_verdict, "drift", "the first all-shifted window is flagged");
    assert.equal(d.live[0].state, "no drift", "one verdict is not yet confirmed");
    await send(pickImages(shifted, range(100, 200)));
    d = await drift();
    assert.equal(d.live[0].state, "drift");
    assert.equal(d.events.length, 1);
    assert.equal(d.events[0].origin, "live");
    assert.equal(d.events[0].window_size, 100);

    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const labels = { model: "fmnist", version: "1" };
    assert.equal(
      metricValue(metrics, "fmnist_drift_detected", { ...labels, detector: "state" }),
      1,
    );
    assert.equal(metricValue(metrics, "fmnist_drift_window_size", labels), 100);
    assert.ok(
      metricValue(metrics, "fmnist_drift_p_value", { ...labels, detector: "features" }) < 0.05,
    );
    assert.equal(
      metricValue(metrics, "fmnist_drift_evaluations_total", { ...labels, verdict: "drift" }),
      2,
    );
    const rows = await listDriftEvents(s.ctx.db, "fmnist");
    assert.deepEqual(rows.map((e) => e.origin), ["live"]);

    const unknown = await fetch(`${s.url}/v1/models/nope/drift`);
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
  } finally {
    await s.close();
  }
});

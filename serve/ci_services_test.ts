/**
 * The whole service over real HTTP on the services `.ci/run` starts: metadata in the CI's
 * Postgres (`FMNIST_TEST_DATABASE_URL`) and the prediction cache in its Redis
 * (`FMNIST_TEST_REDIS_URL`). Predictions are answered, cached in Redis, logged to Postgres, and
 * feedback lands beside its log row. (Embedded defaults are covered by the other serve tests.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { metricValue } from "./routes/metrics_testing.ts";
import { pixels, startServing } from "./serving_testing.ts";

const pgUrl = Deno.env.get("FMNIST_TEST_DATABASE_URL");
const redisUrl = Deno.env.get("FMNIST_TEST_REDIS_URL");
const FEEDBACK_KEY = "ci-services-feedback-key-0123";

test("service on the CI's Postgres and Redis: predict, cache, log, feedback", {
  skip: !(pgUrl && redisUrl) && "FMNIST_TEST_DATABASE_URL / FMNIST_TEST_REDIS_URL are not set",
}, async () => {
  const s = await startServing({ databaseUrl: pgUrl, redisUrl, feedbackKey: FEEDBACK_KEY });
  try {
    // The Redis client connects in the background: give it a moment.
    let ready = await (await fetch(`${s.url}/readyz`)).json();
    for (let i = 0; i < 50 && !ready.checks.cache.ok; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await (await fetch(`${s.url}/readyz`)).json();
    }
    assert.equal(ready.checks.db.ok, true);
    assert.equal(ready.checks.cache.backend, "redis");
    assert.equal(ready.checks.cache.ok, true);

    // The same input until two answers came from Redis: the cache write is not awaited by
    // requests, and a command past its 100 ms timeout is a counted bypass by design, so a repeat
    // may miss on a loaded machine; a cache that never hits fails here after 10 s.
    const ids: string[] = [];
    const body = JSON.stringify({ instances: [pixels(424242)] });
    const deadline = Date.now() + 10_000;
    let hits = 0;
    while (ids.length < 3 || hits < 2) {
      assert.ok(Date.now() < deadline, `${ids.length} requests in 10 s, ${hits} cache hits`);
      const id = `ci-services-${crypto.randomUUID()}`;
      const res = await fetch(`${s.url}/v1/models/fmnist/versions/1/predict`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": id },
        body,
      });
      assert.equal(res.status, 200, await res.clone().text());
      const out = await res.json();
      assert.equal(out.predictions.length, 1);
      assert.equal(out.model.version, 1);
      ids.push(res.headers.get("x-request-id")!);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      hits = metricValue(metrics, "fmnist_cache_hits_total", { backend: "redis" });
    }

    await s.logs.flush();
    const rows = await s.ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM prediction_logs
        WHERE request_id = ANY($1) AND client_request_id LIKE 'ci-services-%'`,
      [ids],
    );
    assert.equal(rows[0].n, ids.length);
    const fb = await fetch(`${s.url}/v1/feedback`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-feedback-key": FEEDBACK_KEY },
      body: JSON.stringify({ request_id: ids[0], index: 0, label: 3 }),
    });
    assert.ok(fb.status === 200 || fb.status === 201, `feedback ${fb.status}: ${await fb.text()}`);
  } finally {
    await s.close();
  }
});

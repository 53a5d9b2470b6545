/**
 * The failure path on the real engine (BullMQ on `FMNIST_TEST_REDIS_URL`, or a throwaway
 * redis-server): a step that fails (a dataset source that does not exist) is retried by BullMQ
 * with backoff, marked failed after N attempts, its run failed, the alert-worthy metric
 * `fmnist_dag_runs_failed_total` set, and the steps after it never run; `retry` re-enqueues the
 * run from its failed step.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { forEachDb } from "../db/testing.ts";
import {
  automationSettings,
  BullmqEngine,
  createAutomationMetrics,
  DAGS,
  getRun,
  parseDagParams,
  redisConnection,
  startStepWorker,
} from "./mod.ts";
import { metricValue, testRedis, withCtx } from "./testing.ts";

async function until<T>(f: () => Promise<T | null>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

forEachDb(
  "bullmq: a failing step is retried, failed after N attempts, the run failed, the metric set",
  async (db) => {
    const redis = await testRedis();
    try {
      await withCtx(db, async (ctx, dir) => {
        const settings = automationSettings({
          FMNIST_AUTOMATION_QUEUE: `f${crypto.randomUUID().slice(0, 8)}`,
          FMNIST_JOB_ATTEMPTS: "3",
          FMNIST_JOB_BACKOFF_MS: "50",
        });
        const metrics = createAutomationMetrics();
        const worker = startStepWorker(ctx, settings, redis.url, metrics);
        const engine = new BullmqEngine(ctx, settings, redis.url);
        try {
          const params = parseDagParams({ source: `${dir}/no-such-source` });
          const runId = await engine.submit(DAGS.data, params, {
            trigger: "manual",
            triggeredBy: "test",
          });
          const run = await until(async () => {
            const r = await getRun(ctx.db, runId);
            return r.status === "failed" ? r : null;
          });
          assert.equal(run.engine, "bullmq");
          assert.deepEqual(run.steps.map((s) => [s.step, s.status, s.attempts]), [
            ["ingest", "failed", 3],
            ["validate", "pending", 0],
            ["features", "pending", 0],
          ]);
          assert.match(run.steps[0].error ?? "", /no-such-source/);
          const job = await engine.queue.getJob(`${runId}.ingest.a1`);
          assert.equal(await job?.getState(), "failed");
          assert.equal(job?.attemptsMade, 3);
          const text = await metrics.registry.metrics();
          assert.equal(metricValue(text, 'fmnist_dag_runs_failed_total{dag="data"}'), 1);
          assert.equal(
            metricValue(text, 'fmnist_dag_step_attempts_failed_total{dag="data",step="ingest"}'),
            3,
          );
          // retry: the failed step is enqueued again (and fails again: 3 more attempts).
          await engine.retry(runId);
          const again = await until(async () => {
            const r = await getRun(ctx.db, runId);
            return r.status === "failed" && r.steps[0].attempts === 6 ? r : null;
          });
          assert.equal(again.steps[1].status, "pending");
          assert.equal(
            metricValue(
              await metrics.registry.metrics(),
              'fmnist_dag_runs_failed_total{dag="data"}',
            ),
            2,
          );
        } finally {
          await worker.close();
          await engine.queue.obliterate({ force: true });
          await engine.close();
        }
      });
    } finally {
      await redis.close();
    }
  },
);

test("redisConnection: URL → ioredis options; other schemes are refused", () => {
  assert.deepEqual(redisConnection("redis://:p%40ss@h:6380/2"), {
    host: "h",
    port: 6380,
    password: "p@ss",
    db: 2,
    maxRetriesPerRequest: null,
  });
  assert.equal(redisConnection("rediss://h").port, 6379);
  assert.deepEqual(redisConnection("rediss://h").tls, {});
  assert.throws(() => redisConnection("http://h"), /must start with redis:\/\//);
});

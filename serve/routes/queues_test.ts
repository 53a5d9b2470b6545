/**
 * bull-board over a real BullMQ queue (Redis: `FMNIST_TEST_REDIS_URL` or a throwaway
 * redis-server), behind the admin key: without the key 401, with it the queue and its job
 * counts are listed, and the UI page is served.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Queue } from "bullmq";
import { OpenAPIHono } from "@hono/zod-openapi";
import { redisConnection } from "../../lib/jobs/mod.ts";
import { testRedis } from "../../lib/jobs/testing.ts";
import { createLogger } from "../../lib/log/mod.ts";
import type { AppEnv } from "../env.ts";
import { errorHandler } from "../middleware/errors.ts";
import { queueBoardRoutes, QUEUES_BASE } from "./queues.ts";

const KEY = "queue-board-test-key-0123";

test("queue UI: bull-board lists the automation queues behind the admin key", async () => {
  const redis = await testRedis();
  const queue = new Queue(`qb${crypto.randomUUID().slice(0, 8)}-steps`, {
    connection: redisConnection(redis.url),
  });
  try {
    await queue.add("ingest", { runId: crypto.randomUUID(), step: "ingest" });
    const app = new OpenAPIHono<AppEnv>();
    app.onError(errorHandler(createLogger({}, { level: "error", sink: () => {} })));
    app.route(QUEUES_BASE, queueBoardRoutes([queue], KEY));

    const denied = await app.request(`${QUEUES_BASE}/api/queues`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();

    const r = await app.request(`${QUEUES_BASE}/api/queues`, { headers: { "x-admin-key": KEY } });
    assert.equal(r.status, 200);
    const body = await r.json() as { queues: { name: string; counts: Record<string, number> }[] };
    const q = body.queues.find((x) => x.name === queue.name);
    assert.ok(q, JSON.stringify(body.queues.map((x) => x.name)));
    assert.equal(q.counts.waiting, 1);

    const page = await app.request(`${QUEUES_BASE}`, { headers: { "x-admin-key": KEY } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);

    const off = new OpenAPIHono<AppEnv>();
    off.onError(errorHandler(createLogger({}, { level: "error", sink: () => {} })));
    off.route(QUEUES_BASE, queueBoardRoutes([queue], undefined));
    const disabled = await off.request(`${QUEUES_BASE}/api/queues`);
    assert.equal(disabled.status, 503);
    await disabled.body?.cancel();
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.close();
  }
});

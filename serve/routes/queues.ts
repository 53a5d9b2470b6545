/**
 * The job engine's queue UI: bull-board (its Hono adapter) over the automation's BullMQ queues,
 * mounted at {@link QUEUES_BASE} behind the admin key (`x-admin-key` or `Authorization: Bearer`).
 * `deno task serve` mounts it when `FMNIST_AUTOMATION_ENGINE=bullmq` and `REDIS_URL` are set;
 * `GET /runs` is the engine-independent view of DAG runs and step states.
 */
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import type { Queue } from "bullmq";
import { Hono } from "hono";
import { serveStatic } from "hono/deno";
import type { AppEnv } from "../env.ts";
import { adminAuth } from "../middleware/admin_key.ts";

/** Where the queue UI is mounted. */
export const QUEUES_BASE = "/admin/queues";

/** bull-board over `queues`, behind the admin key `adminKey` (503 when unset). */
export function queueBoardRoutes(queues: Queue[], adminKey: string | undefined): Hono<AppEnv> {
  const adapter = new HonoAdapter(serveStatic);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  adapter.setBasePath(QUEUES_BASE);
  const app = new Hono<AppEnv>();
  app.use("*", adminAuth(adminKey));
  app.route("/", adapter.registerPlugin() as unknown as Hono<AppEnv>);
  return app;
}

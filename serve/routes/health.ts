/** Liveness: `GET /healthz`. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { createRouter } from "../router.ts";

const HealthSchema = z
  .object({
    status: z.literal("ok"),
    uptime_s: z.number().nonnegative().openapi({
      description: "seconds since the app was created",
    }),
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["meta"],
  summary: "Liveness probe",
  responses: {
    200: {
      description: "The process is up",
      content: { "application/json": { schema: HealthSchema } },
    },
  },
});

/** Router answering `GET /healthz` with `{status: "ok", uptime_s}`. */
export function healthRoutes(): OpenAPIHono<AppEnv> {
  const started = performance.now();
  const app = createRouter();
  app.openapi(
    healthRoute,
    (c) => c.json({ status: "ok" as const, uptime_s: (performance.now() - started) / 1000 }, 200),
  );
  return app;
}

/** Operations routes: readiness (`GET /readyz`) and Prometheus metrics (`GET /metrics`). */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { checkReadiness, type Inference, METRICS_CONTENT_TYPE } from "../../lib/inference/mod.ts";
import type { AppEnv } from "../env.ts";
import { RuntimeInfoSchema } from "../schemas/models.ts";
import { createRouter } from "../router.ts";

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
const ReadinessSchema = z
  .object({
    ready: z.boolean(),
    checks: z.object({
      models: CheckSchema.extend({ loaded: z.number().int() }),
      db: CheckSchema,
      store: CheckSchema,
      cache: CheckSchema.extend({ backend: z.string() }),
      /** Inference worker threads, when compute runs in workers (`FMNIST_INFER_WORKERS`). */
      workers: CheckSchema.extend({ ready: z.number().int(), size: z.number().int() }).optional(),
    }),
    /** The inference runtime (`FMNIST_INFER_RUNTIME`) and, after an auto fallback, why. */
    runtime: z.object({
      kind: z.enum(["onnx", "tfjs"]),
      name: z.string(),
      version: z.string(),
      reason: z.string().optional(),
    }),
    /** Each loaded model version with the runtime computing it. */
    loaded: z.array(z.object({
      name: z.string(),
      version: z.number().int(),
      runtime: RuntimeInfoSchema,
    })),
  })
  .openapi("Readiness");

const readyRoute = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["meta"],
  summary: "Readiness: models loaded, database, object store and cache reachable",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadinessSchema } } },
    503: {
      description: "Not ready (see which check failed)",
      content: { "application/json": { schema: ReadinessSchema } },
    },
  },
});

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["meta"],
  summary: "Prometheus metrics (text exposition format)",
  responses: {
    200: {
      description: "Metrics",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

/** Router answering `GET /readyz` and `GET /metrics` for an {@link Inference}. */
export function opsRoutes(inf: Inference): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.openapi(readyRoute, async (c) => {
    const r = await checkReadiness(inf);
    return c.json(r, r.ready ? 200 : 503);
  });
  app.openapi(metricsRoute, async (c) => {
    const text = await inf.metrics.registry.metrics();
    const res = c.text(text, 200);
    res.headers.set("content-type", METRICS_CONTENT_TYPE);
    return res;
  });
  return app;
}

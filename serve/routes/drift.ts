/** `GET /v1/models/{name}/drift`: live drift state per served version and recent drift events. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type DriftMonitor, listDriftEvents } from "../../lib/drift/mod.ts";
import { getModel } from "../../lib/registry/mod.ts";
import type { TrackingContext } from "../../lib/tracking/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema } from "../errors.ts";
import { createRouter } from "../router.ts";
import { NameParamsSchema } from "../schemas/models.ts";

const DetectorSchema = z.object({
  detector: z.string(),
  statistic: z.number(),
  p_value: z.number().openapi({ description: "family p-value × detectors (compare with alpha)" }),
  drift: z.boolean(),
});

const LiveSchema = z.object({
  version: z.number().int(),
  state: z.enum(["warming up", "no drift", "drift", "unavailable"]),
  window_size: z.number().int(),
  window_capacity: z.number().int(),
  observed: z.number().int(),
  admitted: z.number().int(),
  evaluations: z.number().int(),
  last_evaluated_at: z.string().nullable(),
  last_verdict: z.enum(["drift", "no drift"]).nullable(),
  rule: z.string().nullable(),
  detectors: z.array(DetectorSchema),
  detail: z.string().optional(),
});

const DriftResponseSchema = z.object({
  model: z.string(),
  enabled: z.boolean(),
  live: z.array(LiveSchema),
  events: z.array(z.object({
    id: z.number().int(),
    version: z.number().int(),
    origin: z.enum(["live", "batch"]),
    window_size: z.number().int(),
    detectors: z.array(z.string()),
    at: z.string(),
  })),
}).openapi("ModelDrift");

const route = createRoute({
  method: "get",
  path: "/{name}/drift",
  tags: ["models"],
  summary: "Live drift state of a model's served versions and its recent drift events",
  request: { params: NameParamsSchema },
  responses: {
    200: {
      description: "Drift state",
      content: { "application/json": { schema: DriftResponseSchema } },
    },
    404: {
      description: "Unknown model",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
  },
});

/** Router for `GET /{name}/drift` (mounted under `/v1/models`); `monitor` absent = disabled. */
export function driftRoutes(
  ctx: TrackingContext,
  monitor: DriftMonitor | undefined,
): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    await getModel(ctx, name);
    const events = await listDriftEvents(ctx.db, name);
    return c.json({
      model: name,
      enabled: monitor !== undefined,
      live: (monitor?.status(name) ?? []).map((s) => ({
        version: s.version,
        state: s.state,
        window_size: s.windowSize,
        window_capacity: s.windowCapacity,
        observed: s.observed,
        admitted: s.admitted,
        evaluations: s.evaluations,
        last_evaluated_at: s.lastEvaluatedAt,
        last_verdict: s.last?.verdict ?? null,
        rule: s.last?.rule ?? null,
        detectors: (s.last?.detectors ?? []).map((d) => ({
          detector: d.detector,
          statistic: d.statistic,
          p_value: d.adjusted,
          drift: d.drift,
        })),
        ...(s.detail ? { detail: s.detail } : {}),
      })),
      events: events.map((e) => ({
        id: e.id,
        version: e.version,
        origin: e.origin,
        window_size: e.windowSize,
        detectors: e.detectors,
        at: e.at,
      })),
    }, 200);
  });
  return app;
}

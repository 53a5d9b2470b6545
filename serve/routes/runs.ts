/**
 * Experiment-tracking and registry-audit routes, mounted under `/v1` ({@link RUNS_BASE}):
 *
 * - `GET /v1/runs?experiment=&status=&limit=&offset=` — runs, newest first
 * - `GET /v1/runs/compare?ids=a,b,c` — params, last metric values and tags side by side
 * - `GET /v1/runs/{id}` — one run with params, metric summaries, tags, artifacts and lineage
 * - `GET /v1/runs/{id}/metrics/{key}` — every logged value of one metric
 * - `GET /v1/experiments/{name}/best?metric=&mode=max|min` — the best finished run
 * - `GET /v1/registry/models/{name}/events?kind=&limit=` — a model's audit log, gate decisions
 *   included
 *
 * Every handler calls the `lib/tracking` / `lib/registry` query of the same name; unknown runs
 * and models answer 404, bad input 400, both in the service's uniform error shape.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  bestRun,
  compareRuns,
  getMetricHistory,
  getRun,
  listRuns,
  loadArtifact,
  resolveRunId,
  type TrackingContext,
} from "../../lib/tracking/mod.ts";
import {
  type GateDecision,
  GateDecisionSchema,
  getModel,
  listEvents,
  type RegistryEvent,
} from "../../lib/registry/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema, notFound } from "../errors.ts";
import { createRouter } from "../router.ts";
import { json } from "../schemas/common.ts";
import {
  ArtifactParamsSchema,
  auditEventJson,
  BestQuerySchema,
  BestRunSchema,
  CompareQuerySchema,
  EventListSchema,
  EventsQuerySchema,
  ExperimentParamsSchema,
  MetricHistorySchema,
  MetricParamsSchema,
  ModelParamsSchema,
  RunComparisonDocSchema,
  runDetailJson,
  RunDetailJsonSchema,
  RunIdParamsSchema,
  runJson,
  RunListSchema,
  RUNS_DEFAULT_LIMIT,
  RunsQuerySchema,
} from "../schemas/runs.ts";

/** Where the router is mounted: its paths start with `/runs`, `/experiments`, `/registry`. */
export const RUNS_BASE = "/v1";

const errors = {
  400: json(ErrorBodySchema, "Invalid parameters"),
  404: json(ErrorBodySchema, "Unknown run, metric, experiment or model"),
};

const listRoute = createRoute({
  method: "get",
  path: "/runs",
  tags: ["runs"],
  summary: "List runs, newest first",
  request: { query: RunsQuerySchema },
  responses: { 200: json(RunListSchema, "A page of runs"), 400: errors[400] },
});

const compareRoute = createRoute({
  method: "get",
  path: "/runs/compare",
  tags: ["runs"],
  summary: "Compare runs: params, last metric values and tags side by side",
  request: { query: CompareQuerySchema },
  responses: { 200: json(RunComparisonDocSchema, "The comparison"), ...errors },
});

const getRoute = createRoute({
  method: "get",
  path: "/runs/{id}",
  tags: ["runs"],
  summary: "One run with params, metric summaries, tags, artifacts and lineage",
  request: { params: RunIdParamsSchema },
  responses: { 200: json(RunDetailJsonSchema, "The run"), ...errors },
});

const metricRoute = createRoute({
  method: "get",
  path: "/runs/{id}/metrics/{key}",
  tags: ["runs"],
  summary: "History of one metric of a run, by step",
  request: { params: MetricParamsSchema },
  responses: { 200: json(MetricHistorySchema, "Every logged value"), ...errors },
});

const bestRoute = createRoute({
  method: "get",
  path: "/experiments/{name}/best",
  tags: ["runs"],
  summary: "The best finished run of an experiment by a metric",
  request: { params: ExperimentParamsSchema, query: BestQuerySchema },
  responses: { 200: json(BestRunSchema, "The best run and its metric value"), ...errors },
});

const eventsRoute = createRoute({
  method: "get",
  path: "/registry/models/{name}/events",
  tags: ["registry"],
  summary: "Audit log of a registered model (registrations, alias moves, gate decisions)",
  request: { params: ModelParamsSchema, query: EventsQuerySchema },
  responses: { 200: json(EventListSchema, "Events, oldest first"), ...errors },
});

const artifactRoute = createRoute({
  method: "get",
  path: "/runs/{id}/artifacts/{name}",
  tags: ["runs"],
  summary: "One artifact of a run, with its logged content type (reports open in place)",
  request: { params: ArtifactParamsSchema },
  responses: {
    200: { description: "The artifact's bytes", content: { "*/*": { schema: z.string() } } },
    ...errors,
  },
});

/** `KEY` or `KEY=VALUE` of the `tag` query parameter as a run filter. */
function tagFilter(tag: string): { key: string; value?: string } {
  const eq = tag.indexOf("=");
  return eq < 0 ? { key: tag } : { key: tag.slice(0, eq), value: tag.slice(eq + 1) };
}

/** The gate decision a `gate` event recorded (null for other kinds, or when unreadable). */
function gateDecisionOf(e: RegistryEvent): GateDecision | null {
  if (e.kind !== "gate" || e.details === null || typeof e.details !== "object") return null;
  const parsed = GateDecisionSchema.safeParse({
    ...(e.details as Record<string, unknown>),
    model: e.model,
    reason: e.reason ?? "",
    eventId: e.id,
    at: e.at,
  });
  return parsed.success ? parsed.data : null;
}

/** Router of the tracking and registry-audit routes over `ctx`; mount it at {@link RUNS_BASE}. */
export function runsRoutes(ctx: TrackingContext): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const limit = q.limit ?? RUNS_DEFAULT_LIMIT;
    const offset = q.offset ?? 0;
    const runs = await listRuns(ctx, {
      experiment: q.experiment,
      status: q.status,
      parentId: q.parent,
      tag: q.tag === undefined ? undefined : tagFilter(q.tag),
      limit,
      offset,
    });
    return c.json({ runs: runs.map(runJson), limit, offset }, 200);
  });

  // Registered before `/runs/{id}` so that "compare" is never read as an id.
  app.openapi(compareRoute, async (c) => {
    const { ids } = c.req.valid("query");
    return c.json(await compareRuns(ctx, ids), 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(runDetailJson(await getRun(ctx, id)), 200);
  });

  app.openapi(artifactRoute, async (c) => {
    const { id, name } = c.req.valid("param");
    const run = await getRun(ctx, id);
    const artifact = run.artifacts.find((a) => a.name === name);
    if (!artifact) {
      throw notFound(
        `run ${run.id} has no artifact ${JSON.stringify(name)}; it logged: ${
          run.artifacts.map((a) => a.name).join(", ") || "no artifacts"
        }`,
      );
    }
    const bytes = await loadArtifact(ctx, run.id, name);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": artifact.contentType,
      etag: `"${artifact.sha256}"`,
      // Reports open in place, but in an opaque origin: their scripts cannot call the API.
      "content-security-policy": "sandbox allow-scripts",
      "x-content-type-options": "nosniff",
    });
  });

  app.openapi(metricRoute, async (c) => {
    const { id, key } = c.req.valid("param");
    const runId = await resolveRunId(ctx, id);
    const points = await getMetricHistory(ctx, runId, key);
    if (points.length === 0) {
      const run = await getRun(ctx, runId);
      const have = Object.keys(run.metrics);
      throw notFound(
        `run ${runId} has no metric ${JSON.stringify(key)}; it logged: ${
          have.join(", ") || "no metrics"
        }`,
      );
    }
    return c.json({ run_id: runId, key, points }, 200);
  });

  app.openapi(bestRoute, async (c) => {
    const { name } = c.req.valid("param");
    const { metric, mode } = c.req.valid("query");
    const best = await bestRun(ctx, name, metric, mode);
    if (best === null) {
      throw notFound(
        `experiment ${JSON.stringify(name)} has no finished run that logged ${
          JSON.stringify(metric)
        }; list its runs with GET /v1/runs?experiment=${encodeURIComponent(name)}`,
      );
    }
    return c.json(
      { experiment: name, metric, mode, value: best.value, run: runJson(best.run) },
      200,
    );
  });

  app.openapi(eventsRoute, async (c) => {
    const { name } = c.req.valid("param");
    const q = c.req.valid("query");
    await getModel(ctx, name);
    const events = await listEvents(ctx, name, { kind: q.kind, limit: q.limit });
    return c.json(
      { model: name, events: events.map((e) => auditEventJson(e, gateDecisionOf(e))) },
      200,
    );
  });

  return app;
}

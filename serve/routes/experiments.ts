/**
 * Feedback and A/B analysis, mounted under `/v1`:
 *
 * - `POST /v1/feedback` `{request_id, index?, label}` — the true label (class id or name) of a
 *   predicted instance; 404 for request ids never logged (records still in this process's log
 *   buffer or spool count as logged)
 * - `GET /v1/experiments/ab/{name}` — per-arm predictions, feedback, accuracy, and each arm
 *   against the control arm by a two-proportion z-test
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { abSummary, getAbExperiment } from "../../lib/ab/mod.ts";
import { listModels } from "../../lib/registry/mod.ts";
import type { TrackingContext } from "../../lib/tracking/mod.ts";
import {
  type PredictionLogWriter,
  recordFeedback,
  UnknownPredictionError,
} from "../../lib/predlog/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema, notFound } from "../errors.ts";
import { requireJson } from "../middleware/require_json.ts";
import { createRouter } from "../router.ts";
import {
  AbSummarySchema,
  FeedbackBodySchema,
  FeedbackResponseSchema,
  ModelParamSchema,
} from "../schemas/admin.ts";
import { experimentJson } from "./admin.ts";

/** Where the router is mounted. */
export const EXPERIMENTS_BASE = "/v1";

/** What the routes read and write. */
export interface ExperimentDeps {
  /** The workspace (its database holds the logs, feedback and experiments; its registry the models). */
  ctx: TrackingContext;
  /** The prediction-log writer (vouches for buffered/spooled request ids; flushed before analysis). */
  logs?: PredictionLogWriter;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const feedbackRoute = createRoute({
  method: "post",
  path: "/feedback",
  tags: ["experiments"],
  summary: "Report the true label of a predicted instance",
  request: {
    body: { required: true, content: { "application/json": { schema: FeedbackBodySchema } } },
  },
  responses: {
    201: json(FeedbackResponseSchema, "Stored"),
    400: json(ErrorBodySchema, "Invalid body"),
    404: json(ErrorBodySchema, "No prediction with that request id / index was logged"),
    415: json(ErrorBodySchema, "Body is not JSON"),
  },
});

const summaryRoute = createRoute({
  method: "get",
  path: "/experiments/ab/{name}",
  tags: ["experiments"],
  summary: "A/B experiment results: per-arm accuracy from feedback, two-proportion z-tests",
  request: { params: ModelParamSchema },
  responses: {
    200: json(AbSummarySchema, "Per-arm figures"),
    400: json(ErrorBodySchema, "Invalid model name"),
    404: json(ErrorBodySchema, "Unknown model"),
  },
});

/** Router serving `/v1/feedback` and `/v1/experiments/ab/{name}`. */
export function experimentRoutes(deps: ExperimentDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  const db = deps.ctx.db;
  app.use("/feedback", requireJson());

  app.openapi(feedbackRoute, async (c) => {
    const b = c.req.valid("json");
    try {
      const f = await recordFeedback(db, b, (id) => deps.logs?.instanceCount(id));
      return c.json({
        request_id: f.requestId,
        index: f.index,
        true_class_id: f.trueClassId,
        true_label: f.trueLabel,
        received_at: f.receivedAt,
      }, 201);
    } catch (err) {
      if (err instanceof UnknownPredictionError) throw notFound(err.message);
      throw err;
    }
  });

  app.openapi(summaryRoute, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await listModels(deps.ctx)).some((m) => m.name === name)) {
      throw notFound(`model ${JSON.stringify(name)} is not registered; see GET /v1/models`);
    }
    await deps.logs?.sync();
    const exp = await getAbExperiment(db, name);
    const s = await abSummary(db, name, { armOrder: exp?.arms.map((a) => a.name) ?? [] });
    return c.json({
      model: name,
      experiment: exp ? experimentJson(exp) : null,
      control: s.control,
      arms: s.arms,
      tests: s.tests.map((t) => ({
        arm: t.arm,
        vs: t.vs,
        diff: t.test?.diff ?? null,
        z: t.test?.z ?? null,
        p_value: t.test?.pValue ?? null,
        ci95: t.test ? t.test.ci : null,
      })),
    }, 200);
  });
  return app;
}

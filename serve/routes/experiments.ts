/**
 * Feedback and A/B analysis, mounted under `/v1`:
 *
 * - `POST /v1/feedback` `{request_id, index?, label, replace?}` — the true label (class id or
 *   name) of a predicted instance; needs the feedback or admin key (`middleware/feedback_key.ts`);
 *   404 for request ids never logged (records still in this process's log buffer or spool count
 *   as logged); 409 for a different label than the one stored unless `replace` (the first label
 *   is kept, every change recorded with who and when)
 * - `GET /v1/experiments/ab/{name}` — per-arm predictions, feedback, accuracy, and each arm
 *   against the control arm by a two-proportion z-test
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { abSummary, getAbExperiment } from "../../lib/ab/mod.ts";
import { listModels } from "../../lib/registry/mod.ts";
import type { TrackingContext } from "../../lib/tracking/mod.ts";
import {
  type Feedback,
  FeedbackConflictError,
  type PredictionLogWriter,
  recordFeedback,
  UnknownPredictionError,
} from "../../lib/predlog/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema, HttpError, notFound } from "../errors.ts";
import { ACTOR_HEADER, FEEDBACK_KEY_HEADER, feedbackAuth } from "../middleware/feedback_key.ts";
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
  /** Key of `POST /v1/feedback` (`FMNIST_FEEDBACK_KEY`). */
  feedbackKey?: string;
  /** The admin key, accepted by `POST /v1/feedback` too. */
  adminKey?: string;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** Either key authorizes feedback (OpenAPI security requirements: alternatives). */
const FEEDBACK_SECURITY: Record<string, string[]>[] = [{ FeedbackKey: [] }, { AdminKey: [] }];

const feedbackRoute = createRoute({
  method: "post",
  path: "/feedback",
  tags: ["experiments"],
  summary: "Report the true label of a predicted instance (needs the feedback or admin key)",
  description: `Send the feedback key in \`${FEEDBACK_KEY_HEADER}\` or the admin key in ` +
    "`x-admin-key` (or either as `Authorization: Bearer`); optionally name yourself in " +
    `\`${ACTOR_HEADER}\`. The first label of an instance is kept; a different label needs ` +
    '`"replace": true` and is recorded with who and when.',
  security: FEEDBACK_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: FeedbackBodySchema } } },
  },
  responses: {
    200: json(FeedbackResponseSchema, "Already stored (same label), or replaced"),
    201: json(FeedbackResponseSchema, "Stored (first label of the instance)"),
    400: json(ErrorBodySchema, "Invalid body"),
    401: json(ErrorBodySchema, "Missing or wrong key"),
    404: json(ErrorBodySchema, "No prediction with that request id / index was logged"),
    409: json(ErrorBodySchema, "A different label is stored; send replace: true to change it"),
    415: json(ErrorBodySchema, "Body is not JSON"),
    503: json(ErrorBodySchema, "Feedback disabled (no key configured)"),
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

/** The JSON answer for stored feedback. */
function feedbackJson(f: Feedback) {
  return {
    request_id: f.requestId,
    index: f.index,
    true_class_id: f.trueClassId,
    true_label: f.trueLabel,
    received_at: f.receivedAt,
    updated_by: f.updatedBy,
    outcome: f.outcome,
    first: { class_id: f.first.classId, label: f.first.label, by: f.first.by, at: f.first.at },
    previous: f.previous ? { class_id: f.previous.classId, label: f.previous.label } : null,
    revisions: f.revisions,
  };
}

/** Router serving `/v1/feedback` and `/v1/experiments/ab/{name}`. */
export function experimentRoutes(deps: ExperimentDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  const db = deps.ctx.db;
  app.openAPIRegistry.registerComponent("securitySchemes", "FeedbackKey", {
    type: "apiKey",
    in: "header",
    name: FEEDBACK_KEY_HEADER,
  });
  // The credential first: an anonymous request learns nothing about the body or the logs.
  app.use("/feedback", feedbackAuth(deps), requireJson());

  app.openapi(feedbackRoute, async (c) => {
    const b = c.req.valid("json");
    const actor = c.get("actor") ?? "unknown";
    try {
      const f = await recordFeedback(db, b, actor, (id) => deps.logs?.instanceCount(id));
      return f.outcome === "created" ? c.json(feedbackJson(f), 201) : c.json(feedbackJson(f), 200);
    } catch (err) {
      if (err instanceof UnknownPredictionError) throw notFound(err.message);
      if (err instanceof FeedbackConflictError) {
        throw new HttpError(409, "conflict", err.message, { current: feedbackJson(err.current) });
      }
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

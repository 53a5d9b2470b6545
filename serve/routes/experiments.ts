/**
 * Feedback and A/B analysis, mounted under `/v1`:
 *
 * - `POST /v1/feedback` `{request_id, index?, label, replace?}` — the true label (class id or
 *   name) of a predicted instance; needs the feedback or admin key (`middleware/feedback_key.ts`);
 *   404 for request ids never logged (records still in this process's log buffer or spool count
 *   as logged); 409 for a different label than the one stored unless `replace` (the first label
 *   is kept, every change recorded with who and when)
 * - `GET /v1/experiments/ab/{name}` — the analysis: per-arm units, predictions, feedback and
 *   accuracy; the sample-ratio-mismatch check; guardrails (p99 latency, error rate); each arm
 *   against the control by the always-valid sequential test (mSPRT) beside the fixed-horizon
 *   z-test; the planned sample size; the decision (read-only: nothing is changed)
 * - `GET /v1/experiments/ab/{name}/report` — the same as a self-contained HTML report
 * - `POST /v1/experiments/ab/{name}/decide` (admin key) — apply a final decision: the winner is
 *   promoted through the registry's experiment gate (or the champion kept), the evidence is
 *   recorded with the gate event, and the experiment is disabled
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  type AbAnalysis,
  type AbResolver,
  analyzeExperiment,
  applyDecision,
  experimentReportHtml,
} from "../../lib/ab/mod.ts";
import { getModel, RegistryInputError } from "../../lib/registry/mod.ts";
import type { TrackingContext } from "../../lib/tracking/mod.ts";
import {
  type Feedback,
  FeedbackConflictError,
  type PredictionLogWriter,
  recordFeedback,
} from "../../lib/predlog/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema, HttpError, notFound, validationError } from "../errors.ts";
import { adminAuth } from "../middleware/admin_key.ts";
import { ACTOR_HEADER, FEEDBACK_KEY_HEADER, feedbackAuth } from "../middleware/feedback_key.ts";
import { requireJson } from "../middleware/require_json.ts";
import { createRouter } from "../router.ts";
import { json } from "../schemas/common.ts";
import {
  experimentJson,
  FeedbackBodySchema,
  FeedbackResponseSchema,
  ModelParamSchema,
} from "../schemas/admin.ts";
import {
  AbAnalysisSchema,
  DecideBodySchema,
  DecideResponseSchema,
} from "../schemas/experiments.ts";
import { gateDecisionJson } from "../schemas/runs.ts";

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
  /**
   * The admin key: guards `POST …/decide` (unset: 503, as the admin routes) and is accepted by
   * `POST /v1/feedback` too.
   */
  adminKey?: string;
  /** The A/B resolver, told when a decision disables an experiment. */
  ab?: AbResolver;
}

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
  summary: "A/B experiment analysis: SRM, guardrails, sequential (always-valid) test, decision",
  request: { params: ModelParamSchema },
  responses: {
    200: json(AbAnalysisSchema, "The analysis"),
    400: json(ErrorBodySchema, "Invalid model name"),
    404: json(ErrorBodySchema, "Unknown model"),
  },
});

const reportRoute = createRoute({
  method: "get",
  path: "/experiments/ab/{name}/report",
  tags: ["experiments"],
  summary: "A/B experiment report (self-contained HTML)",
  request: { params: ModelParamSchema },
  responses: {
    200: { description: "HTML report", content: { "text/html": { schema: z.string() } } },
    400: json(ErrorBodySchema, "Invalid model name"),
    404: json(ErrorBodySchema, "Unknown model"),
  },
});

const decideRoute = createRoute({
  method: "post",
  path: "/experiments/ab/{name}/decide",
  tags: ["experiments"],
  summary: "Apply a final A/B decision through the registry gate (admin)",
  request: {
    params: ModelParamSchema,
    body: { required: false, content: { "application/json": { schema: DecideBodySchema } } },
  },
  responses: {
    200: json(DecideResponseSchema, "Applied, or not final yet (applied: false)"),
    400: json(ErrorBodySchema, "Invalid model name or body"),
    401: json(ErrorBodySchema, "Missing or wrong admin key"),
    404: json(ErrorBodySchema, "Unknown model or no experiment"),
    409: json(ErrorBodySchema, "The champion moved, or an arm served several versions"),
    503: json(ErrorBodySchema, "Admin disabled"),
  },
});

/** The analysis as the summary route answers it. */
function analysisJson(a: AbAnalysis): z.infer<typeof AbAnalysisSchema> {
  return {
    model: a.model,
    experiment: a.experiment ? experimentJson(a.experiment) : null,
    since: a.since,
    control: a.summary.control,
    arms: a.summary.arms.map((x) => ({
      ...x,
      units: a.units.find((u) => u.arm === x.arm)?.units ?? 0,
    })),
    srm: a.srm && {
      chi2: Number.isFinite(a.srm.chi2) ? a.srm.chi2 : null,
      df: a.srm.df,
      p_value: a.srm.pValue,
      threshold: a.srm.threshold,
      mismatch: a.srm.mismatch,
      arms: a.srm.arms,
    },
    guardrails: a.guardrails.map((g) => ({
      arm: g.arm,
      requests: g.requests,
      errors: g.errors,
      error_rate: g.errorRate,
      latency_p50_ms: g.latencyP50Ms,
      latency_p99_ms: g.latencyP99Ms,
    })),
    tests: a.comparisons.map((c) => ({
      arm: c.arm,
      vs: c.vs,
      status: c.status,
      diff: c.fixed?.diff ?? null,
      z: c.fixed?.z ?? null,
      p_value: c.fixed?.pValue ?? null,
      ci95: c.fixed ? c.fixed.ci : null,
      sequential: c.sequential && {
        alpha: c.sequential.alpha,
        tau: c.sequential.tau,
        min_samples: c.sequential.minSamples,
        looks: c.sequential.looks,
        diff: c.sequential.diff,
        p_value: c.sequential.pValue,
        ci: c.sequential.ci,
        rejected: c.sequential.rejected,
        stopped_at: c.sequential.stoppedAt,
      },
      guardrails: c.guardrails,
    })),
    plan: a.plan && { mde: a.plan.mde, power: a.plan.power, n1: a.plan.n1, n2: a.plan.n2 },
    decision: a.decision,
    analyzed_at: a.analyzedAt,
  };
}

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
      if (err instanceof FeedbackConflictError) {
        throw new HttpError(409, "conflict", err.message, { current: feedbackJson(err.current) });
      }
      throw err;
    }
  });

  const analyze = async (name: string): Promise<AbAnalysis> => {
    await getModel(deps.ctx, name);
    await deps.logs?.sync();
    return await analyzeExperiment(db, name);
  };

  app.openapi(summaryRoute, async (c) => {
    const { name } = c.req.valid("param");
    return c.json(analysisJson(await analyze(name)), 200);
  });

  app.openapi(reportRoute, async (c) => {
    const { name } = c.req.valid("param");
    const html = experimentReportHtml(await analyze(name));
    return c.html(html, 200);
  });

  app.use("/experiments/ab/:name/decide", adminAuth(deps.adminKey));
  app.openapi(decideRoute, async (c) => {
    const { name } = c.req.valid("param");
    const body = (await c.req.json().catch(() => ({}))) ?? {};
    const parsed = DecideBodySchema.safeParse(body);
    if (!parsed.success) {
      throw validationError("json", parsed.error);
    }
    const analysis = await analyze(name);
    if (!analysis.experiment) {
      throw notFound(`model ${JSON.stringify(name)} has no A/B experiment`);
    }
    try {
      const r = await applyDecision(deps.ctx, analysis, {
        actor: parsed.data.actor ?? "experiments-api",
      });
      if (r.applied) {
        deps.ab?.invalidate(name);
        c.get("log").info("A/B decision applied", { model: name, action: r.action });
      }
      return c.json({
        applied: r.applied,
        decision: analysis.decision,
        gates: r.gates.map(gateDecisionJson),
      }, 200);
    } catch (err) {
      // Here a registry refusal means the registry moved since the analysis: a conflict.
      if (err instanceof RegistryInputError) throw new HttpError(409, "conflict", err.message);
      throw err;
    }
  });
  return app;
}

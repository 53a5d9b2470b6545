/**
 * The HTTP application: middleware, routers and documentation composed into one
 * {@link OpenAPIHono}. Each area lives in `routes/<area>.ts` and is mounted here.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "../lib/log/mod.ts";
import type { AppEnv } from "./env.ts";
import { accessLog } from "./middleware/access_log.ts";
import { bodyLimit } from "./middleware/body_limit.ts";
import { errorHandler, notFoundHandler } from "./middleware/errors.ts";
import { requestId } from "./middleware/request_id.ts";
import { createRouter } from "./router.ts";
import { datasetRoutes, DATASETS_BASE } from "./routes/datasets.ts";
import { type ApiInfo, mountDocs } from "./routes/docs.ts";
import { healthRoutes } from "./routes/health.ts";
import { RUNS_BASE, runsRoutes } from "./routes/runs.ts";
import { dagRunRoutes } from "./routes/dag_runs.ts";
import { queueBoardRoutes, QUEUES_BASE } from "./routes/queues.ts";
import type { Queue } from "bullmq";
import type { TrackingContext } from "../lib/tracking/mod.ts";
import type { DatasetApi } from "./services/datasets.ts";
import type { Inference } from "../lib/inference/mod.ts";
import { httpMetrics } from "./middleware/http_metrics.ts";
import type { ModelRoutesOptions } from "./batch_body.ts";
import { modelRoutes, MODELS_BASE } from "./routes/models.ts";
import { explainRoutes } from "./routes/explain.ts";
import { cardRoutes } from "./routes/cards.ts";
import { ExplainService } from "../lib/explain/mod.ts";
import { opsRoutes } from "./routes/ops.ts";
import { ADMIN_BASE, adminRoutes } from "./routes/admin.ts";
import { mountDemo } from "./routes/demo.ts";
import { type ExperimentDeps, experimentRoutes, EXPERIMENTS_BASE } from "./routes/experiments.ts";
import type { AbResolver } from "../lib/ab/mod.ts";
import type { DriftMonitor } from "../lib/drift/mod.ts";
import { driftRoutes } from "./routes/drift.ts";

/** What the app is built from. */
export interface AppDeps {
  /** Logger for access-log lines and errors. */
  log: Logger;
  /** Data access behind `/v1/datasets` (see `createDatasetApi`). */
  datasets: DatasetApi;
  /** Tracking/registry access behind `/v1/runs`, `/v1/experiments`, `/v1/registry` (a `Ctx`). */
  tracking?: TrackingContext;
  /** Largest accepted request body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
  /** Title/version written into the OpenAPI document. */
  info?: Partial<ApiInfo>;
  /** Model serving behind `/v1/models`, `/readyz` and `/metrics` (see `createInference`). */
  inference?: Inference;
  /** Options of the model routes (instance limit, image preprocessing). */
  models?: ModelRoutesOptions;
  /**
   * Prediction logs and A/B experiments behind `/v1/feedback` and `/v1/experiments/ab/{name}`
   * (default: the inference context, no log writer).
   */
  experiments?: Partial<ExperimentDeps> & { ab?: AbResolver };
  /** Explanations behind `/v1/models/{name}/explain` (default: one over the inference context). */
  explain?: ExplainService;
  /** API key of `/v1/admin/*` (`FMNIST_ADMIN_KEY`); unset → admin routes answer 503. */
  adminKey?: string;
  /** The automation's BullMQ queues: bull-board at `/admin/queues` (admin key). */
  queues?: Queue[];
  /**
   * API key of `POST /v1/feedback` (`FMNIST_FEEDBACK_KEY`); the admin key works too; neither →
   * feedback answers 503.
   */
  feedbackKey?: string;
  /** Live drift detection behind `GET /v1/models/{name}/drift` (absent: reported disabled). */
  drift?: DriftMonitor;
}

/** Default identity of the OpenAPI document. */
export const DEFAULT_API_INFO: ApiInfo = {
  title: "fmnist-lab",
  version: "1.0.0",
  description:
    "Fashion-MNIST workspace: datasets, training runs and the model registry, model inference " +
    "and explanations, A/B experiments, drift and operations.",
};

/**
 * Build the app: request id → access log → body limit, then `/healthz`, `/v1/datasets/*`,
 * `/openapi.json` and `/docs`; unknown routes answer a JSON 404 and every error the uniform
 * `{error: {code, message, details?}}` shape.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  if (deps.inference) app.use("*", httpMetrics(deps.inference.metrics));
  app.use("*", requestId(deps.log), accessLog(deps.log), bodyLimit(deps.maxBodyBytes));
  app.route("/", healthRoutes());
  app.route(DATASETS_BASE, datasetRoutes(deps.datasets, { basePath: DATASETS_BASE }));
  if (deps.tracking) app.route(RUNS_BASE, runsRoutes(deps.tracking));
  if (deps.tracking) app.route("/", dagRunRoutes(deps.tracking.db));
  if (deps.queues?.length) app.route(QUEUES_BASE, queueBoardRoutes(deps.queues, deps.adminKey));
  if (deps.inference) {
    app.route("/", opsRoutes(deps.inference));
    app.route(MODELS_BASE, modelRoutes(deps.inference, deps.models));
    app.route(MODELS_BASE, driftRoutes(deps.inference.ctx, deps.drift));
    app.route(MODELS_BASE, cardRoutes(deps.inference.ctx));
    app.route(
      MODELS_BASE,
      explainRoutes(
        deps.inference,
        deps.explain ?? new ExplainService(deps.inference.ctx),
        deps.models,
      ),
    );
    app.route(
      EXPERIMENTS_BASE,
      experimentRoutes({
        ctx: deps.inference.ctx,
        ...deps.experiments,
        adminKey: deps.adminKey,
        feedbackKey: deps.feedbackKey,
      }),
    );
    app.route(
      ADMIN_BASE,
      adminRoutes({
        inference: deps.inference,
        adminKey: deps.adminKey,
        ab: deps.experiments?.ab,
      }),
    );
    mountDemo(app);
  }
  mountDocs(app, { ...DEFAULT_API_INFO, ...deps.info });
  app.notFound(notFoundHandler);
  app.onError(errorHandler(deps.log));
  return app;
}

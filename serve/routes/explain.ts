/**
 * Evaluation reports and explanations of model versions, under `/v1/models`:
 * `GET /{name}/versions/{version}/evaluation` (JSON) and `/evaluation.html` (the self-contained
 * page) read the report logged with the version's tracking run; `POST /{name}/explain`
 * (champion), `/{name}/versions/{v}/explain` and `/{name}/aliases/{alias}/explain` take the same
 * bodies as predict and return the prediction with attribution maps, within a cost budget.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { EXPLAIN_METHODS, type ExplainService } from "../../lib/explain/mod.ts";
import type { Inference } from "../../lib/inference/mod.ts";
import { getModelVersion } from "../../lib/registry/mod.ts";
import { loadArtifact, TrackingInputError } from "../../lib/tracking/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema, notFound } from "../errors.ts";
import { createRouter } from "../router.ts";
import { json } from "../schemas/common.ts";
import {
  AliasParamsSchema,
  imagesBody,
  NameParamsSchema,
  VersionParamsSchema,
} from "../schemas/models.ts";
import { imageOptions, type ModelRoutesOptions, readBatch } from "../batch_body.ts";

const TAGS = ["models"];
const errors = {
  400: json(ErrorBodySchema, "Invalid input, options, or a request over the cost budget"),
  404: json(ErrorBodySchema, "Unknown model, version or alias; or no evaluation report"),
};

const EvaluationSchema = z.record(z.string(), z.unknown()).openapi("EvaluationReport", {
  description: "The evaluation report (format fmnist-evaluation/v1): test metrics with " +
    "bootstrap CIs, calibration before/after temperature scaling, slices, confident mistakes, " +
    "attribution sanity checks",
});

const evaluationRoute = createRoute({
  method: "get",
  path: "/{name}/versions/{version}/evaluation",
  tags: TAGS,
  summary: "The version's evaluation report (JSON)",
  request: { params: VersionParamsSchema },
  responses: { 200: json(EvaluationSchema, "The report"), ...errors },
});

const evaluationHtmlRoute = createRoute({
  method: "get",
  path: "/{name}/versions/{version}/evaluation.html",
  tags: TAGS,
  summary: "The version's evaluation report as a self-contained HTML page (no CDN)",
  request: { params: VersionParamsSchema },
  responses: {
    200: { description: "The page", content: { "text/html": { schema: z.string() } } },
    ...errors,
  },
});

const ExplainQuerySchema = z.object({
  method: z.enum(EXPLAIN_METHODS).openapi({ example: "integrated_gradients" }),
  steps: z.coerce.number().int().min(2).max(256).optional().openapi({
    description: "integrated_gradients path steps (default 32)",
  }),
  samples: z.coerce.number().int().min(1).max(128).optional().openapi({
    description: "smoothgrad / gradient_shap samples per image (default 16)",
  }),
  stride: z.coerce.number().int().min(1).max(14).optional().openapi({
    description: "occlusion stride (default 2; patch 4)",
  }),
  target: z.coerce.number().int().min(0).max(9).optional().openapi({
    description: "class to explain (default: the predicted class)",
  }),
});

const InstanceSchema = z.object({
  class_id: z.number().int(),
  label: z.string(),
  probability: z.number(),
  target: z.number().int(),
  target_label: z.string(),
  attribution: z.array(z.array(z.number())).openapi({ description: "28×28 attributions" }),
  png: z.string().openapi({ description: "PNG overlay (224×224), base64" }),
  completeness_gap: z.number().optional().openapi({
    description: "integrated_gradients: Σ attribution − (logit(x) − logit(black image))",
  }),
});

const ExplainResponseSchema = z.object({
  model: z.object({ name: z.string(), version: z.number().int() }),
  method: z.enum(EXPLAIN_METHODS),
  passes: z.number().int().openapi({ description: "forward/backward passes spent" }),
  ms: z.number(),
  instances: z.array(InstanceSchema),
}).openapi("ExplainResponse");

function explainRoutesOf(maxInstances: number, maxPasses: number) {
  const body = imagesBody(maxInstances, "Images, in the same forms as predict");
  const common = {
    method: "post" as const,
    tags: TAGS,
    description: `Attribution maps of the prediction. Cost is bounded: at most ${maxInstances} ` +
      `images and ${maxPasses} forward/backward passes per request (images × steps for ` +
      `integrated_gradients, × samples for smoothgrad/gradient_shap, × windows for occlusion: ` +
      `169 at stride 2). gradient_shap uses the background set of the version's evaluation report.`,
    responses: { 200: json(ExplainResponseSchema, "Predictions with attributions"), ...errors },
  };
  return {
    byDefault: createRoute({
      ...common,
      path: "/{name}/explain",
      summary: "Explain the champion's predictions",
      request: { params: NameParamsSchema, query: ExplainQuerySchema, body },
    }),
    byVersion: createRoute({
      ...common,
      path: "/{name}/versions/{version}/explain",
      summary: "Explain a version's predictions",
      request: { params: VersionParamsSchema, query: ExplainQuerySchema, body },
    }),
    byAlias: createRoute({
      ...common,
      path: "/{name}/aliases/{alias}/explain",
      summary: "Explain the predictions of the version an alias points at",
      request: { params: AliasParamsSchema, query: ExplainQuerySchema, body },
    }),
  };
}

async function readReport(inf: Inference, name: string, version: number, file: string) {
  try {
    const v = await getModelVersion(inf.ctx, name, version);
    if (!v.runId) {
      throw notFound(`${name} v${version} has no tracking run, so no evaluation report`);
    }
    return await loadArtifact(inf.ctx, v.runId, file);
  } catch (err) {
    if (err instanceof TrackingInputError) {
      throw notFound(`${name} v${version} has no evaluation report (${file})`);
    }
    throw err;
  }
}

/** Router of the evaluation and explain routes; mount it at `/v1/models`. */
export function explainRoutes(
  inf: Inference,
  service: ExplainService,
  opts: ModelRoutesOptions = {},
): OpenAPIHono<AppEnv> {
  const images = imageOptions(opts);
  const app = createRouter();
  app.openapi(evaluationRoute, async (c) => {
    const p = c.req.valid("param");
    const bytes = await readReport(inf, p.name, p.version, "evaluation.json");
    return c.json(JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>, 200);
  });
  app.openapi(evaluationHtmlRoute, async (c) => {
    const p = c.req.valid("param");
    const bytes = await readReport(inf, p.name, p.version, "evaluation.html");
    return c.html(new TextDecoder().decode(bytes), 200);
  });

  const { maxInstances, maxPasses } = service.limits;
  const handle = async (c: Context<AppEnv>, name: string, ref: number | string | undefined) => {
    const q = (c.req as unknown as { valid(t: "query"): z.infer<typeof ExplainQuerySchema> })
      .valid("query");
    const batch = await readBatch(c, maxInstances, images);
    const r = await service.explain({
      name,
      ref,
      method: q.method,
      pixels: batch.pixels,
      count: batch.count,
      target: q.target,
      options: { steps: q.steps, samples: q.samples, stride: q.stride },
    });
    c.header("x-model-version", `${r.model.name}@${r.model.version}`);
    return c.json({
      model: { name: r.model.name, version: r.model.version },
      method: r.method,
      passes: r.passes,
      ms: r.ms,
      instances: r.instances.map((i) => ({
        class_id: i.classId,
        label: i.label,
        probability: i.probability,
        target: i.target,
        target_label: i.targetLabel,
        attribution: i.map,
        png: i.png,
        ...(i.completenessGap === undefined ? {} : { completeness_gap: i.completenessGap }),
      })),
    }, 200);
  };
  const routes = explainRoutesOf(maxInstances, maxPasses);
  app.openapi(routes.byDefault, (c) => handle(c, c.req.valid("param").name, undefined));
  app.openapi(routes.byVersion, (c) => {
    const p = c.req.valid("param");
    return handle(c, p.name, p.version);
  });
  app.openapi(routes.byAlias, (c) => {
    const p = c.req.valid("param");
    return handle(c, p.name, p.alias);
  });
  return app;
}

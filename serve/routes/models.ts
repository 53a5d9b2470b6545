/**
 * Model routes under `/v1/models`: list models, describe one (versions, aliases, signature,
 * metrics), and predict with the champion, a version or an alias. Prediction bodies are JSON
 * instances, `multipart/form-data` image files (`file`), or a raw `image/png` / `image/jpeg`.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Inference, VersionRef } from "../../lib/inference/mod.ts";
import { signatureSchema } from "../../lib/models/mod.ts";
import {
  getModel,
  listModels,
  listModelVersions,
  loadOnnxBytes,
  type ModelVersion,
} from "../../lib/registry/mod.ts";
import { imageOptions, type ModelRoutesOptions, readBatch } from "../batch_body.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema } from "../errors.ts";
import { createRouter } from "../router.ts";
import { json } from "../schemas/common.ts";
import {
  AliasParamsSchema,
  imagesBody,
  ModelDetailSchema,
  ModelSummarySchema,
  NameParamsSchema,
  PredictResponseSchema,
  SignatureSchema,
  VersionParamsSchema,
} from "../schemas/models.ts";

/** Where the model router is mounted by default. */
export const MODELS_BASE = "/v1/models";

/** Header carrying a client key for sticky A/B assignment (passed to the version resolver). */
const CLIENT_KEY_HEADER = "x-client-key";

const TAGS = ["models"];
const errorResponses = {
  400: json(
    ErrorBodySchema,
    "Invalid parameters or input (bad shape, NaN, out of range, bad image)",
  ),
  404: json(ErrorBodySchema, "Unknown model, version or alias"),
  413: json(
    ErrorBodySchema,
    "Body too large, or its images over the per-request pixel / decoded-bytes budget",
  ),
  415: json(ErrorBodySchema, "Unsupported content type"),
  503: json(ErrorBodySchema, "The model cannot be loaded"),
};

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags: TAGS,
  summary: "List registered models",
  responses: {
    200: json(z.object({ models: z.array(ModelSummarySchema) }).openapi("ModelList"), "Models"),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{name}",
  tags: TAGS,
  summary: "Describe a model: versions, aliases, signature and metrics",
  request: { params: NameParamsSchema },
  responses: { 200: json(ModelDetailSchema, "The model"), ...errorResponses },
});

/** Media type of ONNX files. */
const ONNX_CONTENT_TYPE = "application/octet-stream";

const onnxRoute = createRoute({
  method: "get",
  path: "/{name}/versions/{version}/model.onnx",
  tags: TAGS,
  summary: "Download a version's ONNX export (opset 13, NHWC input, softmax output, metadata)",
  request: { params: VersionParamsSchema },
  responses: {
    200: {
      description: "The ONNX model (content-addressed; the ETag is its sha256)",
      content: { [ONNX_CONTENT_TYPE]: { schema: z.string().openapi({ format: "binary" }) } },
    },
    404: json(ErrorBodySchema, "Unknown model or version, or a version without an ONNX file"),
    400: json(ErrorBodySchema, "Invalid parameters"),
  },
});

const PREDICT_DESCRIPTION = "Images are decoded (PNG/JPEG), converted to grayscale, inverted " +
  "when the background is light, cropped to the object, line drawings filled, resized so the longer " +
  "side is 28 keeping the aspect ratio and centred (by box) in 28×28, like Fashion-MNIST. JSON " +
  "instances are used as given.";

function predictRoutes(maxInstances: number) {
  const common = {
    method: "post" as const,
    tags: TAGS,
    description: PREDICT_DESCRIPTION,
    responses: {
      200: json(PredictResponseSchema, "One prediction per instance"),
      ...errorResponses,
    },
  };
  const body = imagesBody(
    maxInstances,
    "Images to classify: JSON instances, multipart files, or one raw image",
  );
  return {
    byDefault: createRoute({
      ...common,
      path: "/{name}/predict",
      summary: "Predict with the champion (or the version an A/B resolver picks)",
      request: { params: NameParamsSchema, body },
    }),
    byVersion: createRoute({
      ...common,
      path: "/{name}/versions/{version}/predict",
      summary: "Predict with a version",
      request: { params: VersionParamsSchema, body },
    }),
    byAlias: createRoute({
      ...common,
      path: "/{name}/aliases/{alias}/predict",
      summary: "Predict with the version an alias points at",
      request: { params: AliasParamsSchema, body },
    }),
  };
}

/** Router serving `/v1/models/*` from an {@link Inference}. */
export function modelRoutes(inf: Inference, opts: ModelRoutesOptions = {}): OpenAPIHono<AppEnv> {
  const maxInstances = opts.maxInstances ?? 256;
  const images = imageOptions(opts);
  const app = createRouter();

  app.openapi(listRoute, async (c) => {
    const models = await listModels(inf.ctx);
    const loaded = inf.pool.loaded();
    return c.json({
      models: models.map((m) => ({
        name: m.name,
        description: m.description,
        created_at: m.createdAt,
        latest_version: m.latestVersion,
        aliases: m.aliases,
        loaded_versions: loaded.filter((l) => l.name === m.name).map((l) => l.version).sort(),
        loaded: loaded.filter((l) => l.name === m.name).sort((a, b) => a.version - b.version)
          .map((l) => ({ version: l.version, runtime: l.runtime })),
      })),
    }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { name } = c.req.valid("param");
    const model = await getModel(inf.ctx, name);
    const versions = await listModelVersions(inf.ctx, name);
    const loaded = new Map(
      inf.pool.loaded().filter((l) => l.name === name).map((l) => [l.version, l.runtime]),
    );
    const head = versions.find((v) => v.version === model.aliases.champion) ?? versions.at(-1);
    return c.json({
      name,
      description: model.description,
      created_at: model.createdAt,
      aliases: model.aliases,
      signature: head ? signatureOf(head) : null,
      metrics: head?.metrics ?? {},
      versions: versions.map((v) => ({
        version: v.version,
        sha256: v.sha256,
        size: v.size,
        created_at: v.createdAt,
        created_by: v.createdBy,
        aliases: v.aliases,
        metrics: v.metrics,
        signature: signatureOf(v),
        run_id: v.runId,
        dataset_version: v.datasetVersion,
        loaded: loaded.has(v.version),
        runtime: loaded.get(v.version) ?? null,
        onnx_sha256: v.onnxSha256,
      })),
    }, 200);
  });

  app.openapi(onnxRoute, async (c) => {
    const { name, version } = c.req.valid("param");
    const { bytes, onnx: { sha256 } } = await loadOnnxBytes(inf.ctx, name, version);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": ONNX_CONTENT_TYPE,
      "content-disposition": `attachment; filename="${name}-v${version}.onnx"`,
      etag: `"${sha256}"`,
      "x-content-sha256": sha256,
    });
  });

  const handle = async (c: Context<AppEnv>, name: string, ref: VersionRef) => {
    const started = performance.now();
    const batch = await readBatch(c, maxInstances, images);
    const r = await inf.service.predict({
      model: name,
      ref,
      batch,
      requestId: c.get("requestId"),
      clientRequestId: c.get("clientRequestId"),
      clientKey: c.req.header(CLIENT_KEY_HEADER) || undefined,
      startedAt: started,
    });
    if (r.arm !== undefined) c.header("x-ab-arm", r.arm);
    c.header("x-model-version", `${r.model.name}@${r.model.version}`);
    return c.json({ predictions: r.predictions, model: r.model }, 200);
  };

  const routes = predictRoutes(maxInstances);
  app.openapi(
    routes.byDefault,
    (c) => handle(c, c.req.valid("param").name, { kind: "default" }),
  );
  app.openapi(routes.byVersion, (c) => {
    const p = c.req.valid("param");
    return handle(c, p.name, { kind: "version", version: p.version });
  });
  app.openapi(routes.byAlias, (c) => {
    const p = c.req.valid("param");
    return handle(c, p.name, { kind: "alias", alias: p.alias });
  });
  return app;
}

/** The version's signature as the API shows it (snake_case), null when it is malformed. */
function signatureOf(v: ModelVersion): z.infer<typeof SignatureSchema> | null {
  const r = signatureSchema.safeParse(v.signature);
  if (!r.success) return null;
  const { inputShape, normalization, labels, kind } = r.data;
  return { input_shape: inputShape, normalization, labels, kind };
}

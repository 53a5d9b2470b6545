/** zod/OpenAPI schemas of the model and prediction routes. */
import { z } from "@hono/zod-openapi";
import { checkedBy, orNull } from "./common.ts";
import { AliasSchema, ModelNameSchema } from "../../lib/registry/mod.ts";
import {
  DEFAULT_MAX_INSTANCES,
  IMAGE_PIXELS,
  IMAGE_SIDE,
  instancesBodySchema,
} from "../../lib/inference/mod.ts";

/** `{name}` path parameter. */
export const NameParamsSchema = z.object({
  name: checkedBy(ModelNameSchema).openapi({
    param: { name: "name", in: "path" },
    example: "fmnist",
  }),
});

/** `{name}/versions/{version}` path parameters. */
export const VersionParamsSchema = NameParamsSchema.extend({
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, "must be a positive integer version number")
    .transform(Number)
    .openapi({ param: { name: "version", in: "path" }, example: "1", type: "integer" }),
});

/** `{name}/aliases/{alias}` path parameters. */
export const AliasParamsSchema = NameParamsSchema.extend({
  alias: checkedBy(AliasSchema).openapi({
    param: { name: "alias", in: "path" },
    example: "champion",
  }),
});

/** JSON prediction body (validated strictly by the inference stage's checks). */
function predictJsonSchema(maxInstances: number = DEFAULT_MAX_INSTANCES) {
  const strict = instancesBodySchema(maxInstances);
  return z
    .object({
      // Each instance is checked once, by the strict check below (a fast loop); an element
      // schema of z.array(z.unknown()) made zod copy every pixel of every request first.
      instances: z
        .array(z.unknown().openapi({ type: "array", items: {} }))
        .min(1, "send at least one instance")
        .max(maxInstances, `send at most ${maxInstances} instances per request`)
        .openapi({
          description: `1–${maxInstances} images. Each is ${IMAGE_PIXELS} numbers in 0..1 ` +
            `(row-major ${IMAGE_SIDE}×${IMAGE_SIDE}, 0 = background, i.e. byte / 255) or ` +
            `${IMAGE_SIDE} rows of ${IMAGE_SIDE} such numbers.`,
          example: [Array.from({ length: IMAGE_PIXELS }, () => 0)],
        }),
    })
    .strict()
    .superRefine((body, ctx) => {
      const r = strict.safeParse(body);
      if (!r.success) {
        for (const i of r.error.issues.slice(0, 5)) {
          ctx.addIssue({ code: "custom", message: i.message, path: i.path });
        }
      }
    })
    .openapi("PredictInstances");
}

/** Multipart prediction body: one or more image files in the `file` field. */
const PredictFormSchema = z
  .object({
    file: z
      .union([z.instanceof(File), z.array(z.instanceof(File))])
      .openapi({
        type: "string",
        format: "binary",
        description: "PNG or JPEG photo(s) of a garment, any size and colour",
      }),
  })
  .openapi("PredictForm");

/** Raw image body (documentation only; decoded by the handler). */
const RawImageSchema = z.string().openapi({
  type: "string",
  format: "binary",
  description: "A PNG or JPEG image, any size and colour",
});

/** One prediction. */
const PredictionSchema = z
  .object({
    label: z.string().openapi({ example: "Trouser" }),
    class_id: z.number().int().min(0).openapi({ example: 1 }),
    probabilities: z.array(z.number()).openapi({ description: "indexed by class id" }),
  })
  .openapi("Prediction");

/** Prediction response. */
export const PredictResponseSchema = z
  .object({
    predictions: z.array(PredictionSchema),
    model: z.object({ name: z.string(), version: z.number().int() }),
  })
  .openapi("PredictResponse");

/** The runtime computing a loaded model version. */
export const RuntimeInfoSchema = z.object({
  kind: z.enum(["onnx", "tfjs"]),
  name: z.string().openapi({ example: "onnxruntime-node" }),
  version: z.string().openapi({ example: "1.30.0" }),
  backend: z.string().openapi({ description: "tfjs backend, or the ORT execution provider" }),
  threads: z.number().int().openapi({
    description: "threads one copy computes with: an ORT session's intra-op threads, or tfjs's",
    example: 2,
  }),
  workers: z.number().int().openapi({
    description: "worker threads each holding a copy (0: computed from the main thread)",
    example: 0,
  }),
}).openapi("RuntimeInfo");

/** Entry of `GET /v1/models`. */
export const ModelSummarySchema = z
  .object({
    name: z.string(),
    description: z.string(),
    created_at: z.string(),
    latest_version: z.number().int().nullable(),
    aliases: z.record(z.string(), z.number().int()),
    loaded_versions: z.array(z.number().int()),
    /** The loaded versions with the runtime computing each. */
    loaded: z.array(z.object({ version: z.number().int(), runtime: RuntimeInfoSchema })),
  })
  .openapi("ModelSummary");

/** Signature of a model version (what it expects and returns). */
export const SignatureSchema = z
  .object({
    input_shape: z.array(z.number().int()),
    normalization: z.object({ scale: z.number(), mean: z.number(), std: z.number() }),
    labels: z.array(z.string()),
    kind: z.string(),
  })
  .openapi("Signature");

/** One version in `GET /v1/models/{name}`. */
const ModelVersionInfoSchema = z
  .object({
    version: z.number().int(),
    sha256: z.string(),
    size: z.number().int(),
    created_at: z.string(),
    created_by: z.string(),
    aliases: z.array(z.string()),
    metrics: z.record(z.string(), z.number().nullable()),
    signature: orNull(SignatureSchema),
    run_id: z.string().nullable(),
    dataset_version: z.string().nullable(),
    loaded: z.boolean(),
    /** The runtime computing it when loaded. */
    runtime: orNull(RuntimeInfoSchema),
    /** sha256 of its ONNX export (`GET …/versions/{v}/model.onnx`); null when it has none. */
    onnx_sha256: z.string().nullable(),
  })
  .openapi("ModelVersionInfo");

/** `GET /v1/models/{name}`. */
export const ModelDetailSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    created_at: z.string(),
    aliases: z.record(z.string(), z.number().int()),
    /** Signature of the champion (else the latest version). */
    signature: orNull(SignatureSchema),
    /** Metrics of the champion (else the latest version). */
    metrics: z.record(z.string(), z.number().nullable()),
    versions: z.array(ModelVersionInfoSchema),
  })
  .openapi("ModelDetail");

/**
 * The request body of the routes that read images (predict, explain): JSON instances (at most
 * `maxInstances`), multipart files, or one raw PNG/JPEG.
 */
export function imagesBody(maxInstances: number, description: string) {
  return {
    description,
    required: false,
    content: {
      "application/json": { schema: predictJsonSchema(maxInstances) },
      "multipart/form-data": { schema: PredictFormSchema },
      "image/png": { schema: RawImageSchema },
      "image/jpeg": { schema: RawImageSchema },
    },
  };
}

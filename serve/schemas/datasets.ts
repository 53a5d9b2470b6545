/**
 * zod/OpenAPI schemas of the dataset routes' parameters, queries and responses. Responses are
 * snake_case: the schemas of `lib/data` and `lib/validate` with their keys in snake_case
 * ({@link snakeKeys}), and the `…Json` functions convert values the same way.
 */
import { z } from "@hono/zod-openapi";
import { type Manifest, manifestSchema } from "../../lib/data/mod.ts";
import {
  expectationResultSchema,
  type ValidationResult,
  validationResultSchema,
} from "../../lib/validate/mod.ts";
import { snakeKeys } from "./common.ts";
import { SCALE_MAX, SCALE_MIN } from "../png.ts";

/** Alias accepted wherever a version id is, meaning the newest ingested version. */
export const LATEST = "latest";

/**
 * Accepted version ids: 1–128 chars of `[A-Za-z0-9._-]` starting with a letter or digit and
 * without `..`, so no path separator or traversal can reach the store.
 */
const VERSION_RE = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Largest page of samples. */
const SAMPLES_MAX_LIMIT = 500;
/** Default page size of samples. */
const SAMPLES_DEFAULT_LIMIT = 20;

/**
 * A query parameter holding a decimal integer in `min..max` (no sign, exponent, hex or empty
 * value — `z.coerce.number()` would read `""` as 0), documented as an OpenAPI integer.
 */
export function intQuery(name: string, min: number, max: number, description: string) {
  return z
    .string()
    .regex(/^[0-9]{1,10}$/, `must be an integer in ${min}..${max}`)
    .transform(Number)
    .pipe(
      z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
    )
    .openapi({
      param: { name, in: "query" },
      type: "integer",
      minimum: min,
      maximum: max,
      description,
    });
}

const versionParam = z
  .string()
  .regex(VERSION_RE, "must be a dataset version id ([A-Za-z0-9._-], no '..') or 'latest'")
  .openapi({
    param: { name: "version", in: "path" },
    description: "dataset version id, or `latest`",
    example: LATEST,
  });

/** Path parameters `{version}`. */
export const VersionParamsSchema = z.object({ version: versionParam });

/** Split names. */
const SplitSchema = z.enum(["train", "test"]);

/** Path parameters of an image: `{version}`, `{split}` and `{file}` = `<index>.png`. */
export const ImageParamsSchema = z.object({
  version: versionParam,
  split: SplitSchema.openapi({ param: { name: "split", in: "path" }, example: "train" }),
  file: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,8})\.png$/, "must be <index>.png with a non-negative integer index")
    .openapi({
      param: { name: "file", in: "path" },
      description: "`<index>.png`, the image's 0-based index in the split",
      example: "0.png",
    }),
});

/** Query of an image: nearest-neighbour upscaling factor. */
export const ImageQuerySchema = z.object({
  scale: intQuery("scale", SCALE_MIN, SCALE_MAX, "nearest-neighbour upscaling factor")
    .optional()
    .default(1),
});

/** Query of the samples listing. */
export const SamplesQuerySchema = z.object({
  split: SplitSchema.default("train").openapi({
    param: { name: "split", in: "query" },
    example: "train",
  }),
  label: intQuery("label", 0, 9, "only samples of this class").optional(),
  offset: intQuery("offset", 0, 1_000_000_000, "matching samples to skip").optional().default(0),
  limit: intQuery("limit", 1, SAMPLES_MAX_LIMIT, "samples per page")
    .optional()
    .default(SAMPLES_DEFAULT_LIMIT),
  pixels: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((v) => v === "true" || v === "1")
    .openapi({
      param: { name: "pixels", in: "query" },
      description: "include the raw pixel values (row-major, 0..255) of each sample",
    }),
});

/** One sample in a listing. */
const SampleSchema = z
  .object({
    index: z.number().int().nonnegative(),
    label: z.number().int().min(0).max(9),
    label_name: z.string().openapi({ example: "Ankle boot" }),
    image_url: z.string().openapi({ example: "/v1/datasets/abc123/images/train/0.png" }),
    pixels: z.array(z.number().int().min(0).max(255)).optional(),
  })
  .openapi("Sample");

/** A page of samples. */
export const SamplesPageSchema = z
  .object({
    version: z.string(),
    split: SplitSchema,
    label: z.number().int().nullable(),
    offset: z.number().int(),
    limit: z.number().int(),
    total: z.number().int().openapi({ description: "samples matching split and label" }),
    rows: z.number().int(),
    cols: z.number().int(),
    items: z.array(SampleSchema),
  })
  .openapi("SamplesPage");

const result = validationResultSchema.shape;

/** Summary of a validation run shown with a dataset version (`lib/validate`, snake_case). */
export const ValidationSummarySchema = z
  .object({
    ...snakeKeys(
      validationResultSchema.pick({
        suite: true,
        success: true,
        startedAt: true,
        criticalFailures: true,
        warnings: true,
      }).shape,
    ),
    stats: z.object(snakeKeys(result.stats.shape)).openapi("ValidationStats"),
  })
  .openapi("ValidationSummary");

/** The summary fields of a validation result as the API answers them. */
export function validationSummaryJson(
  r: ValidationResult,
): z.infer<typeof ValidationSummarySchema> {
  const { suite, success, startedAt, criticalFailures, warnings } = r;
  return {
    ...snakeKeys({ suite, success, startedAt, criticalFailures, warnings }),
    stats: snakeKeys(r.stats),
  };
}

/**
 * The full validation result of a dataset version, with the recursive JSON fields of each
 * expectation (`observed`, `details`) widened to `unknown`, which the document generator cannot
 * expand.
 */
export const ValidationResultJsonSchema = z
  .object({
    ...snakeKeys(result),
    ...ValidationSummarySchema.shape,
    results: z.array(
      z.object({
        ...snakeKeys(expectationResultSchema.shape),
        observed: z.unknown().openapi({ description: "measured values (any JSON)" }),
        details: z.unknown().optional().openapi({ description: "supporting evidence (any JSON)" }),
      }).openapi("ExpectationResult"),
    ),
  })
  .openapi("ValidationResult");

/** A validation result as the API answers it. */
export function validationResultJson(
  r: ValidationResult,
): z.infer<typeof ValidationResultJsonSchema> {
  return { ...snakeKeys(r), ...validationSummaryJson(r), results: r.results.map(snakeKeys) };
}

/** A dataset version's manifest (`lib/data`'s `Manifest`, snake_case). */
export const ManifestJsonSchema = z.object(snakeKeys(manifestSchema.shape)).openapi("Manifest");

/** A manifest as the API answers it. */
export const manifestJson = (m: Manifest): z.infer<typeof ManifestJsonSchema> => snakeKeys(m);

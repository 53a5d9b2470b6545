/**
 * Dataset routes under `/v1/datasets`: versions, manifest + validation summary, validation
 * result (JSON and HTML), paged samples, PNG images and per-class statistics.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { LABEL_NAMES } from "../../lib/data/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema, notFound } from "../errors.ts";
import { encodeGrayPng } from "../png.ts";
import {
  ImageParamsSchema,
  ImageQuerySchema,
  LATEST,
  manifestJson,
  ManifestJsonSchema,
  SamplesPageSchema,
  SamplesQuerySchema,
  validationResultJson,
  ValidationResultJsonSchema,
  validationSummaryJson,
  ValidationSummarySchema,
  VersionParamsSchema,
} from "../schemas/datasets.ts";
import type { DatasetApi } from "../services/datasets.ts";
import { imagePixels, pageSamples } from "../services/samples.ts";
import { createRouter } from "../router.ts";
import { json, orNull } from "../schemas/common.ts";

/** Where the dataset router is mounted by default. */
export const DATASETS_BASE = "/v1/datasets";

const TAGS = ["datasets"];
const errors = {
  400: json(ErrorBodySchema, "Invalid parameters"),
  404: json(ErrorBodySchema, "Unknown version or resource"),
};
const ClassStatsSchema = z
  .object({
    version: z.string(),
    feature_set: z.string().openapi({
      description: "id of the feature set the statistics come from",
    }),
    classes: z.array(
      z.looseObject({ split: z.string(), label: z.number().int(), label_name: z.string() }),
    ).openapi({ description: "one row per split × label, with the feature means" }),
  })
  .openapi("ClassStats");

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags: TAGS,
  summary: "List dataset versions",
  responses: {
    200: json(
      z
        .object({
          latest: z.string().nullable(),
          versions: z.array(
            z.object({
              version: z.string(),
              name: z.string(),
              created_at: z.string(),
              total_bytes: z.number().int(),
              source: z.string(),
              counts: z.object({ train: z.number().int(), test: z.number().int() }).openapi({
                description: "images per split",
              }),
            }).openapi("VersionInfo"),
          ),
        })
        .openapi("VersionList"),
      "Versions, newest first",
    ),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{version}",
  tags: TAGS,
  summary: "Manifest and validation summary of a version",
  request: { params: VersionParamsSchema },
  responses: {
    200: json(
      z
        .object({
          version: z.string(),
          manifest: ManifestJsonSchema,
          validation: orNull(ValidationSummarySchema),
        })
        .openapi("DatasetVersion"),
      "The version",
    ),
    ...errors,
  },
});

const validationRoute = createRoute({
  method: "get",
  path: "/{version}/validation",
  tags: TAGS,
  summary: "Validation result of a version (JSON)",
  request: { params: VersionParamsSchema },
  responses: { 200: json(ValidationResultJsonSchema, "The full validation result"), ...errors },
});

const validationHtmlRoute = createRoute({
  method: "get",
  path: "/{version}/validation.html",
  tags: TAGS,
  summary: "Validation report of a version (HTML)",
  request: { params: VersionParamsSchema },
  responses: {
    200: { description: "The HTML report", content: { "text/html": { schema: z.string() } } },
    ...errors,
  },
});

const samplesRoute = createRoute({
  method: "get",
  path: "/{version}/samples",
  tags: TAGS,
  summary: "Page through samples of a split, optionally of one class",
  request: { params: VersionParamsSchema, query: SamplesQuerySchema },
  responses: { 200: json(SamplesPageSchema, "A page of samples"), ...errors },
});

const imageRoute = createRoute({
  method: "get",
  path: "/{version}/images/{split}/{file}",
  tags: TAGS,
  summary: "One image as an 8-bit grayscale PNG (`{file}` is `<index>.png`)",
  request: { params: ImageParamsSchema, query: ImageQuerySchema },
  responses: {
    200: { description: "The PNG", content: { "image/png": { schema: z.string() } } },
    ...errors,
  },
});

const statsRoute = createRoute({
  method: "get",
  path: "/{version}/stats",
  tags: TAGS,
  summary: "Per-class statistics of a version",
  request: { params: VersionParamsSchema },
  responses: { 200: json(ClassStatsSchema, "Per-class statistics"), ...errors },
});

/** Cache policy: content under a concrete version never changes; `latest` may move. */
function cacheControl(requested: string): string {
  return requested === LATEST ? "no-cache" : "public, max-age=31536000, immutable";
}

/** Options of {@link datasetRoutes}. */
export interface DatasetRoutesOptions {
  /** Path the router is mounted at, used to build image URLs (default {@link DATASETS_BASE}). */
  basePath?: string;
}

/** Router of the dataset routes, backed by `api`; mount it at {@link DATASETS_BASE}. */
export function datasetRoutes(
  api: DatasetApi,
  opts: DatasetRoutesOptions = {},
): OpenAPIHono<AppEnv> {
  const base = opts.basePath ?? DATASETS_BASE;
  const app = createRouter();

  app.openapi(listRoute, async (c) => c.json(await api.listVersions(), 200));

  app.openapi(getRoute, async (c) => {
    const { version } = c.req.valid("param");
    const id = await api.resolve(version);
    const [manifest, validation] = await Promise.all([api.manifest(id), api.validation(id)]);
    return c.json({
      version: id,
      manifest: manifestJson(manifest),
      validation: validation && validationSummaryJson(validation),
    }, 200);
  });

  app.openapi(validationRoute, async (c) => {
    const { version } = c.req.valid("param");
    const id = await api.resolve(version);
    const result = await api.validation(id);
    if (result === null) throw noValidation(id);
    return c.json(validationResultJson(result), 200);
  });

  app.openapi(validationHtmlRoute, async (c) => {
    const { version } = c.req.valid("param");
    const id = await api.resolve(version);
    const html = await api.validationHtml(id);
    if (html === null) throw noValidation(id);
    return c.html(html, 200);
  });

  app.openapi(samplesRoute, async (c) => {
    const { version } = c.req.valid("param");
    const q = c.req.valid("query");
    const id = await api.resolve(version);
    const set = (await api.dataset(id))[q.split];
    const page = pageSamples(set, q);
    const items = page.indices.map((index) => {
      const label = set.labels[index];
      return {
        index,
        label,
        label_name: LABEL_NAMES[label] ?? `class ${label}`,
        image_url: `${base}/${id}/images/${q.split}/${index}.png`,
        ...(q.pixels ? { pixels: Array.from(imagePixels(set, index)) } : {}),
      };
    });
    return c.json({
      version: id,
      split: q.split,
      label: q.label ?? null,
      offset: q.offset,
      limit: q.limit,
      total: page.total,
      rows: set.rows,
      cols: set.cols,
      items,
    }, 200);
  });

  app.openapi(imageRoute, async (c) => {
    const { version, split, file } = c.req.valid("param");
    const { scale } = c.req.valid("query");
    const index = Number.parseInt(file, 10);
    const id = await api.resolve(version);
    const set = (await api.dataset(id))[split];
    if (index >= set.count) {
      throw notFound(
        `no image ${index} in split ${split} of ${id}: it has ${set.count} images (0..${
          set.count - 1
        })`,
      );
    }
    const png = encodeGrayPng(imagePixels(set, index), set.rows, set.cols, scale);
    return c.body(png.slice().buffer, 200, {
      "content-type": "image/png",
      "cache-control": cacheControl(version),
    });
  });

  app.openapi(statsRoute, async (c) => {
    const { version } = c.req.valid("param");
    const id = await api.resolve(version);
    return c.json(await api.classStats(id), 200);
  });

  return app;
}

function noValidation(id: string) {
  return notFound(
    `dataset ${id} has no validation result; run the data pipeline (deno task pipeline:data)`,
  );
}

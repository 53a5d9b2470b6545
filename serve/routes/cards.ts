/**
 * Model cards under `/v1/models`: `GET /{name}/versions/{version}/card` answers the version's
 * generated model card (Mitchell et al. 2019 sections) as Markdown, built by `lib/docs` from the
 * registry, the tracking run, its evaluation report and the drift reference.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { collectModelCard, modelCardMarkdown } from "../../lib/docs/mod.ts";
import type { TrackingContext } from "../../lib/tracking/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema } from "../errors.ts";
import { createRouter } from "../router.ts";
import { VersionParamsSchema } from "../schemas/models.ts";

/** Content type of a model card. */
const CARD_CONTENT_TYPE = "text/markdown; charset=utf-8";

const cardRoute = createRoute({
  method: "get",
  path: "/{name}/versions/{version}/card",
  tags: ["models"],
  summary: "The version's model card (Markdown)",
  description: "Model details, intended use, training and evaluation data, metrics with " +
    "confidence intervals, per-class and per-slice results, calibration, explainability " +
    "examples, drift reference, ethical considerations and limitations, lineage and the " +
    "registry history, generated from what the workspace recorded.",
  request: { params: VersionParamsSchema },
  responses: {
    200: { description: "The card", content: { "text/markdown": { schema: z.string() } } },
    400: {
      description: "Invalid name or version",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    404: {
      description: "Unknown model or version",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
  },
});

/** Router of the model-card route; mount it at `/v1/models`. */
export function cardRoutes(ctx: TrackingContext): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.openapi(cardRoute, async (c) => {
    const { name, version } = c.req.valid("param");
    // Registry errors (unknown model or version) become 404/400 in the error middleware.
    const md = modelCardMarkdown(await collectModelCard(ctx, name, version));
    return c.body(md, 200, { "content-type": CARD_CONTENT_TYPE });
  });
  return app;
}

/**
 * API documentation: `GET /openapi.json` (generated from the route schemas) and `GET /docs`
 * (Swagger UI served from the local `swagger-ui-dist` package, no CDN).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { join } from "node:path";
import swaggerUiPath from "swagger-ui-dist/absolute-path.js";
import { SWAGGER_ASSETS, swaggerPage } from "../../lib/docs/mod.ts";
import type { AppEnv } from "../env.ts";
import { notFound } from "../errors.ts";

/** Path of the generated OpenAPI document. */
const OPENAPI_PATH = "/openapi.json";
/** Path of the Swagger UI page. */
const DOCS_PATH = "/docs";

const assetCache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/** Bytes of one Swagger UI asset, read once from the installed package. */
function readAsset(name: string): Promise<Uint8Array<ArrayBuffer>> {
  let p = assetCache.get(name);
  if (!p) {
    p = Deno.readFile(join(swaggerUiPath(), name));
    p.catch(() => assetCache.delete(name));
    assetCache.set(name, p);
  }
  return p;
}

/** API identity written into the OpenAPI document. */
export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
}

/**
 * Register `/openapi.json`, `/docs` and `/docs/assets/*` on the top-level app. The document is
 * generated per request from the app's registry, so routers mounted later are listed too.
 */
export function mountDocs(app: OpenAPIHono<AppEnv>, info: ApiInfo): void {
  app.get(OPENAPI_PATH, (c) => {
    // Generated here rather than with `app.doc31`, which answers a generator failure with a bare
    // `{}`: a failure now reaches the error handler (logged, uniform 500 body).
    const doc = app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: { title: info.title, version: info.version, description: info.description },
    });
    return c.json(doc, 200);
  });
  const html = swaggerPage({
    title: `${info.title} — API docs`,
    specUrl: OPENAPI_PATH,
    assetBase: `${DOCS_PATH}/assets`,
  });
  app.get(DOCS_PATH, (c) => c.html(html));
  app.get(`${DOCS_PATH}/assets/:name`, async (c) => {
    const name = c.req.param("name");
    const type = Object.hasOwn(SWAGGER_ASSETS, name) ? SWAGGER_ASSETS[name] : undefined;
    if (!type) throw notFound(`no documentation asset ${JSON.stringify(name)}`);
    const bytes = await readAsset(name);
    return c.body(bytes, 200, {
      "content-type": type,
      "cache-control": "public, max-age=86400",
    });
  });
}

/**
 * API documentation: `GET /openapi.json` (generated from the route schemas) and `GET /docs`
 * (Swagger UI served from the local `swagger-ui-dist` package, no CDN).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { join } from "node:path";
import swaggerUiPath from "swagger-ui-dist/absolute-path.js";
import type { AppEnv } from "../env.ts";
import { notFound } from "../errors.ts";

/** Path of the generated OpenAPI document. */
const OPENAPI_PATH = "/openapi.json";
/** Path of the Swagger UI page. */
const DOCS_PATH = "/docs";

/** Swagger UI files served under `/docs/assets/`, with their content types. */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

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

/** The Swagger UI page pointing at {@link OPENAPI_PATH}. */
function swaggerHtml(title: string): string {
  const esc = title.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${esc}</title>
  <link rel="stylesheet" href="${DOCS_PATH}/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/assets/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/assets/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "${OPENAPI_PATH}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    });
  </script>
</body>
</html>
`;
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
  const html = swaggerHtml(`${info.title} — API docs`);
  app.get(DOCS_PATH, (c) => c.html(html));
  app.get(`${DOCS_PATH}/assets/:name`, async (c) => {
    const name = c.req.param("name");
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!type) throw notFound(`no documentation asset ${JSON.stringify(name)}`);
    const bytes = await readAsset(name);
    return c.body(bytes, 200, {
      "content-type": type,
      "cache-control": "public, max-age=86400",
    });
  });
}

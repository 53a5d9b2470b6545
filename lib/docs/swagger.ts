/**
 * The Swagger UI page over an OpenAPI document, from the local `swagger-ui-dist` package (no CDN):
 * the service answers it at `/docs`, the documentation site publishes it as `api/swagger.html`.
 */
import { escapeHtml, scriptJson } from "../report/mod.ts";

/** The `swagger-ui-dist` files a page needs, with their content types. */
export const SWAGGER_ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/** Where a Swagger UI page finds its document and assets. */
export interface SwaggerPageOptions {
  /** Page title. */
  title: string;
  /** URL of the OpenAPI document (e.g. `/openapi.json`, or `openapi.json` beside the page). */
  specUrl: string;
  /** URL of the folder holding {@link SWAGGER_ASSETS} (e.g. `/docs/assets`, or `swagger`). */
  assetBase: string;
  /** A link shown above the UI (e.g. back to the site's API page). */
  back?: { href: string; text: string };
}

/** A Swagger UI page (no validator badge: nothing is fetched from outside). */
export function swaggerPage(o: SwaggerPageOptions): string {
  const a = escapeHtml(o.assetBase);
  const back = o.back
    ? `  <p style="font-family:sans-serif;margin:8px 16px"><a href="${escapeHtml(o.back.href)}">${
      escapeHtml(o.back.text)
    }</a></p>\n`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(o.title)}</title>
  <link rel="stylesheet" href="${a}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${a}/favicon-32x32.png" sizes="32x32">
</head>
<body>
${back}  <div id="swagger-ui"></div>
  <script src="${a}/swagger-ui-bundle.js"></script>
  <script src="${a}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: ${scriptJson(o.specUrl)},
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    });
  </script>
</body>
</html>
`;
}

/**
 * The demo page (the Streamlit role): `GET /demo` — draw a garment on a canvas or upload a photo,
 * pick a model (from `GET /v1/models`), and see the class probabilities as a plotly bar chart.
 * plotly.js is served from the local `plotly.js-dist-min` package (no CDN), under
 * `/demo/assets/plotly.min.js`; the page and its script live in `serve/demo/`.
 *
 * The analysis page: `GET /analysis` — test-set images with the predictions of one model version,
 * or two side by side, filtered by class, correctness or disagreement; a click shows the image's
 * attribution overlay by the chosen method (`POST …/explain`). Its script is
 * `/demo/assets/analysis.js`.
 *
 * The experiments UI (the MLflow UI role): `GET /ui` — experiments and a run table filtered on
 * params, metrics and tags; a run page with its curves (refreshed while it runs), params, lineage
 * and artifacts opened in place; runs compared (overlaid curves, param diff); the registry
 * (versions, aliases, audit log with gate evidence); tuning studies (history, importance,
 * parallel coordinates). Same data as `/v1/runs` and `/v1/models`. Script: `/demo/assets/experiments.js`.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { plotlyJsPath } from "../../lib/report/mod.ts";
import type { AppEnv } from "../env.ts";
import { notFound } from "../errors.ts";

/** Path of the demo page. */
const DEMO_PATH = "/demo";
/** Path of the analysis page. */
const ANALYSIS_PATH = "/analysis";
/** Path of the experiments UI (runs, compare, registry, tuning studies). */
const EXPERIMENTS_UI_PATH = "/ui";

const FILES: Record<string, { url: () => URL | string; type: string }> = {
  "demo.js": {
    url: () => new URL("../demo/demo.js", import.meta.url),
    type: "text/javascript; charset=utf-8",
  },
  "analysis.js": {
    url: () => new URL("../demo/analysis.js", import.meta.url),
    type: "text/javascript; charset=utf-8",
  },
  "experiments.js": {
    url: () => new URL("../demo/experiments.js", import.meta.url),
    type: "text/javascript; charset=utf-8",
  },
  "plotly.min.js": { url: () => plotlyJsPath(), type: "text/javascript; charset=utf-8" },
};

const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

function read(name: string, url: URL | string): Promise<Uint8Array<ArrayBuffer>> {
  let p = cache.get(name);
  if (!p) {
    p = Deno.readFile(url);
    p.catch(() => cache.delete(name));
    cache.set(name, p);
  }
  return p;
}

/** Register `/demo`, `/analysis` and `/demo/assets/*` on `app`. */
export function mountDemo(app: OpenAPIHono<AppEnv>): void {
  for (
    const [path, file] of [
      [DEMO_PATH, "demo.html"],
      [ANALYSIS_PATH, "analysis.html"],
      [EXPERIMENTS_UI_PATH, "experiments.html"],
    ]
  ) {
    app.get(path, async (c) => {
      const html = await read(file, new URL(`../demo/${file}`, import.meta.url));
      return c.body(html, 200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; " +
          "img-src 'self' blob: data:; script-src 'self' 'unsafe-eval'",
      });
    });
  }
  app.get(`${DEMO_PATH}/assets/:name`, async (c) => {
    const name = c.req.param("name");
    const f = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (!f) throw notFound(`no demo asset ${JSON.stringify(name)}`);
    const bytes = await read(name, f.url());
    return c.body(bytes, 200, { "content-type": f.type, "cache-control": "public, max-age=3600" });
  });
}

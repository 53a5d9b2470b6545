/** The plotly.js browser bundle (`npm:plotly.js-dist-min`), read once from node_modules. */
import { createRequire } from "node:module";

const DIST = "plotly.js-dist-min/plotly.min.js";
let cached: string | undefined;

/** Raised when the plotly.js bundle cannot be found on disk. */
export class PlotlyMissingError extends Error {
  override name = "PlotlyMissingError";
}

/** Absolute path of the plotly.js bundle in node_modules. @throws PlotlyMissingError */
export function plotlyJsPath(): string {
  try {
    return createRequire(import.meta.url).resolve(DIST);
  } catch (err) {
    throw new PlotlyMissingError(
      `cannot find ${DIST} in node_modules (${(err as Error).message}); ` +
        `run \`deno install\` in the repository root (plotly.js-dist-min is in deno.json imports)`,
    );
  }
}

/** Source text of the plotly.js bundle (cached after the first read). @throws PlotlyMissingError */
export function plotlyJs(): string {
  if (cached === undefined) {
    const path = plotlyJsPath();
    try {
      cached = Deno.readTextFileSync(path);
    } catch (err) {
      throw new PlotlyMissingError(`cannot read ${path}: ${(err as Error).message}`);
    }
  }
  return cached;
}

/**
 * A `<script>` element defining `window.Plotly` from the inlined bundle. The bundle is wrapped so
 * a page's CommonJS/AMD globals (`module`, `define`, e.g. require.js in Jupyter) cannot capture it.
 */
export function plotlyScriptTag(): string {
  const src = plotlyJs().replace(/<\/script/gi, "<\\/script");
  return `<script type="text/javascript">if (!window.Plotly) { (function (module, exports, define) {\n` +
    `${src}\n}).call(window); }</script>`;
}

/**
 * The service's OpenAPI document without starting a server: the full app (every route area) is
 * built over a workspace context with inference on the main thread, and `/openapi.json` is
 * answered in process. Used by `deno task docs` to render the API reference.
 */
import { createInference } from "../lib/inference/mod.ts";
import type { Logger } from "../lib/log/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import { createApp } from "./app.ts";
import { createDatasetApi } from "./services/lib_datasets.ts";

/** The OpenAPI document `GET /openapi.json` answers, built over `ctx`. */
export async function openApiDocument(ctx: Ctx, log: Logger): Promise<unknown> {
  const inference = createInference(ctx, { workers: 0 }, { log });
  try {
    const app = createApp({ log, datasets: createDatasetApi(ctx), tracking: ctx, inference });
    const res = await app.request("/openapi.json");
    if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
    return await res.json();
  } finally {
    await inference.close();
  }
}

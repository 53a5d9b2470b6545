/** One structured JSON access-log line per request. */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../lib/log/mod.ts";
import type { AppEnv } from "../env.ts";

/**
 * Middleware logging `http request` with method, path, route template, status, duration, response
 * size and (on predictions) the `model_version` that answered, once the response is ready: `info`
 * below 500, `error` for 5xx. Mount after {@link requestId} so the line carries `request_id`.
 */
export function accessLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const fields = {
      request_id: c.get("requestId"),
      client_request_id: c.get("clientRequestId"),
      method: c.req.method,
      path: c.req.path,
      route: c.req.routePath,
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      bytes: Number(c.res.headers.get("content-length") ?? NaN) || undefined,
      model_version: c.res.headers.get("x-model-version") ?? undefined,
    };
    if (status >= 500) log.error("http request", fields);
    else log.info("http request", fields);
  };
}

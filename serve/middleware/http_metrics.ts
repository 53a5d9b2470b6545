/** Prometheus request counters and latency histograms by route template and status. */
import type { MiddlewareHandler } from "hono";
import type { InferenceMetrics } from "../../lib/inference/mod.ts";
import type { AppEnv } from "../env.ts";

/**
 * Middleware observing `fmnist_http_requests_total` and `fmnist_http_request_duration_seconds`
 * labelled with the matched route template (e.g. `/v1/models/:name/predict`, so label values
 * stay bounded) or `unmatched`. Mount early so errors are counted with their final status.
 */
export function httpMetrics(metrics: InferenceMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const path = c.req.routePath;
      const route =
        !path || path === "*" || path === "/*" || c.res.status === 404 && path.endsWith("*")
          ? "unmatched"
          : path;
      const labels = { method: c.req.method, route, status: String(c.res.status) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    }
  };
}

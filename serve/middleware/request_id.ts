/** Request ids: echo a well-formed `x-request-id` header or generate one; expose it downstream. */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../lib/log/mod.ts";
import type { AppEnv } from "../env.ts";

/** Name of the request id header (request and response). */
export const REQUEST_ID_HEADER = "x-request-id";

const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming id when it is 1–128 chars of `[A-Za-z0-9._:-]`, else a fresh UUID. */
export function pickRequestId(incoming: string | undefined | null): string {
  return incoming && ACCEPTED.test(incoming) ? incoming : crypto.randomUUID();
}

/**
 * Middleware setting `c.var.requestId` and a request-scoped `c.var.log`, and the
 * `x-request-id` response header (also on error responses).
 */
export function requestId(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = pickRequestId(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", id);
    c.set("log", log.child({ request_id: id }));
    c.header(REQUEST_ID_HEADER, id);
    await next();
    if (c.res.headers.get(REQUEST_ID_HEADER) !== id) {
      try {
        c.res.headers.set(REQUEST_ID_HEADER, id);
      } catch {
        // Immutable headers (a proxied response): rebuild the response around the same body.
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(REQUEST_ID_HEADER, id);
      }
    }
  };
}

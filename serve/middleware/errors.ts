/** Handlers rendering every failure as the uniform JSON error shape. */
import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "../../lib/log/mod.ts";
import type { AppEnv } from "../env.ts";
import { errorBody, type ErrorCode, HttpError } from "../errors.ts";

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  503: "unavailable",
};

/** JSON 404 for routes that do not exist. */
export const notFoundHandler: NotFoundHandler<AppEnv> = (c) =>
  c.json(
    errorBody("not_found", `no route for ${c.req.method} ${c.req.path}; see /openapi.json`),
    404,
  );

/**
 * Error handler: {@link HttpError} → its status and body; Hono `HTTPException` (4xx from
 * built-in middleware, e.g. malformed JSON) → its status with a JSON body; anything else → 500
 * `internal`, logged with the request id (the message is not leaked to the client).
 */
export function errorHandler(log: Logger): ErrorHandler<AppEnv> {
  return (err, c) => {
    const reqLog = c.get("log") ?? log;
    if (err instanceof HttpError) {
      if (err.status >= 500) reqLog.error("request failed", { error: err, code: err.code });
      return c.json(err.body(), err.status);
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const code = CODE_BY_STATUS[status] ?? (status >= 500 ? "internal" : "bad_request");
      if (status >= 500) reqLog.error("request failed", { error: err });
      return c.json(errorBody(code, err.message || `request failed with status ${status}`), status);
    }
    reqLog.error("unhandled error", {
      error: err,
      stack: err instanceof Error ? err.stack : undefined,
    });
    return c.json(
      errorBody(
        "internal",
        `internal error (request id ${c.get("requestId") ?? "unknown"}); see the server log`,
      ),
      500,
    );
  };
}

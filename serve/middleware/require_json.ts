/** Reject request bodies that are not `application/json` with a JSON 415 (JSON-only routes). */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../errors.ts";

/** Middleware: POST/PUT/PATCH requests must send `content-type: application/json`. */
export function requireJson(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (["POST", "PUT", "PATCH"].includes(c.req.method)) {
      const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if (type !== "application/json") {
        throw new HttpError(
          415,
          "unsupported_media_type",
          `send the body as application/json (got ${JSON.stringify(type || "(none)")})`,
        );
      }
    }
    await next();
  };
}

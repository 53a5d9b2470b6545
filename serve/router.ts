/** Factory of routers: every router validates with zod and answers bad input with a JSON 400. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env.ts";
import { validationError } from "./errors.ts";

/**
 * A new {@link OpenAPIHono} router whose zod validation failures throw a 400
 * {@link HttpError} (rendered by the app's error handler as the uniform JSON error shape).
 * Route files build their routers with this so behaviour is the same when mounted anywhere.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target, result.error);
    },
  });
}

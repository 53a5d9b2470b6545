/**
 * API-key guard of the admin routes. The key comes from `FMNIST_ADMIN_KEY` (settings): unset →
 * every admin route answers 503 "admin disabled"; a missing or wrong key → 401. The key is read
 * from `x-admin-key` or `Authorization: Bearer <key>` and compared in constant time (sha256 of
 * both sides, then `timingSafeEqual`, so neither the content nor the length leaks by timing).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../errors.ts";

/** Header carrying the admin key (alternatively `Authorization: Bearer`). */
export const ADMIN_KEY_HEADER = "x-admin-key";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Whether `given` equals `expected`, in time independent of where they differ. */
export function keysMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Middleware requiring the admin key; see the module doc. */
export function adminAuth(key: string | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!key) {
      throw new HttpError(
        503,
        "unavailable",
        "admin disabled: set FMNIST_ADMIN_KEY (at least 16 characters) to enable admin routes",
      );
    }
    const auth = c.req.header("authorization");
    const given = c.req.header(ADMIN_KEY_HEADER) ??
      (auth?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim());
    if (!given || !keysMatch(given, key)) {
      c.header("www-authenticate", 'Bearer realm="fmnist-admin"');
      throw new HttpError(
        401,
        "unauthorized",
        `admin routes need the API key in the ${ADMIN_KEY_HEADER} header (or Authorization: ` +
          "Bearer); it was missing or wrong",
      );
    }
    await next();
  };
}

/**
 * Credential guard of `POST /v1/feedback`. Feedback labels drive A/B accuracy and promotion
 * evidence, so writing one needs a key: the feedback key (`FMNIST_FEEDBACK_KEY`, for labelling
 * tools that should not get admin powers) in `x-feedback-key`, or the admin key
 * (`FMNIST_ADMIN_KEY`) in `x-admin-key`; either may come as `Authorization: Bearer <key>`. Neither
 * key configured → 503 "feedback disabled"; a missing or wrong key → 401. The accepted key sets
 * `c.var.actor` (`feedback-key` / `admin-key`, plus `:<x-actor>` when the client names a person or
 * tool), which the audit trail records.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../errors.ts";
import { ADMIN_KEY_HEADER, keysMatch } from "./admin_key.ts";

/** Header carrying the feedback key. */
export const FEEDBACK_KEY_HEADER = "x-feedback-key";
/** Optional header naming who sends feedback (recorded after the key's name). */
export const ACTOR_HEADER = "x-actor";

const ACTOR_RE = /^[A-Za-z0-9._@:-]{1,64}$/;

/** Middleware requiring the feedback or admin key; see the module doc. */
export function feedbackAuth(keys: {
  feedbackKey?: string;
  adminKey?: string;
}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!keys.feedbackKey && !keys.adminKey) {
      throw new HttpError(
        503,
        "unavailable",
        "feedback disabled: set FMNIST_FEEDBACK_KEY (or FMNIST_ADMIN_KEY), at least 16 " +
          "characters, to accept labels",
      );
    }
    const bearer = c.req.header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const fromFeedback = c.req.header(FEEDBACK_KEY_HEADER) ?? bearer;
    const fromAdmin = c.req.header(ADMIN_KEY_HEADER) ?? bearer;
    let credential: string | undefined;
    if (keys.feedbackKey && fromFeedback && keysMatch(fromFeedback, keys.feedbackKey)) {
      credential = "feedback-key";
    } else if (keys.adminKey && fromAdmin && keysMatch(fromAdmin, keys.adminKey)) {
      credential = "admin-key";
    }
    if (!credential) {
      c.header("www-authenticate", 'Bearer realm="fmnist-feedback"');
      throw new HttpError(
        401,
        "unauthorized",
        `feedback needs a key: the feedback key in ${FEEDBACK_KEY_HEADER} or the admin key in ` +
          `${ADMIN_KEY_HEADER} (or Authorization: Bearer); it was missing or wrong`,
      );
    }
    const named = c.req.header(ACTOR_HEADER);
    if (named !== undefined && !ACTOR_RE.test(named)) {
      throw new HttpError(
        400,
        "invalid_input",
        `${ACTOR_HEADER} must be 1–64 characters of [A-Za-z0-9._@:-]`,
      );
    }
    c.set("actor", named ? `${credential}:${named}` : credential);
    await next();
  };
}

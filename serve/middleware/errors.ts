/**
 * Handlers rendering every failure as the uniform JSON error shape, and the one table that maps
 * the typed errors of `lib/` to HTTP statuses ({@link toHttpError}): routes let those errors
 * propagate and never translate them themselves.
 */
import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AbConfigError } from "../../lib/ab/mod.ts";
import {
  ChecksumMismatchError,
  DatasetUnavailableError,
  VersionNotFoundError,
} from "../../lib/data/mod.ts";
import { ExplainInputError } from "../../lib/explain/mod.ts";
import { FeaturesNotFoundError } from "../../lib/features/mod.ts";
import {
  ImageBudgetError,
  ImageInputError,
  ModelLoadError,
  ModelNotFoundError,
} from "../../lib/inference/mod.ts";
import type { Logger } from "../../lib/log/mod.ts";
import { UnknownPredictionError } from "../../lib/predlog/mod.ts";
import {
  AliasConflictError,
  RegistryInputError,
  RegistryNotFoundError,
} from "../../lib/registry/mod.ts";
import { RunNotFoundError, TrackingInputError } from "../../lib/tracking/mod.ts";
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

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/** How one typed error of `lib/` is answered. */
interface DomainErrorRule {
  type: ErrorClass;
  status: ContentfulStatusCode;
  code: ErrorCode;
  /** Words put before the error's message (default none). */
  prefix?: string;
}

/**
 * Every typed error of `lib/` that reaches a route, and its HTTP answer; the first rule whose
 * class the error is an instance of wins. Anything else is a 500 `internal`.
 */
const DOMAIN_ERRORS: readonly DomainErrorRule[] = [
  // 404: what was looked up does not exist
  { type: RegistryNotFoundError, status: 404, code: "not_found" },
  { type: ModelNotFoundError, status: 404, code: "not_found" },
  { type: RunNotFoundError, status: 404, code: "not_found" },
  { type: VersionNotFoundError, status: 404, code: "not_found" },
  { type: FeaturesNotFoundError, status: 404, code: "not_found" },
  { type: UnknownPredictionError, status: 404, code: "not_found" },
  // 400: the input parsed but makes no sense
  { type: RegistryInputError, status: 400, code: "invalid_input" },
  { type: TrackingInputError, status: 400, code: "invalid_input" },
  { type: ImageInputError, status: 400, code: "invalid_input" },
  { type: ExplainInputError, status: 400, code: "invalid_input" },
  { type: AbConfigError, status: 400, code: "invalid_input" },
  // 409, 413: the state moved, or the work is over its budget
  { type: AliasConflictError, status: 409, code: "conflict" },
  { type: ImageBudgetError, status: 413, code: "payload_too_large" },
  // 5xx: the service cannot answer now
  { type: ModelLoadError, status: 503, code: "unavailable" },
  { type: DatasetUnavailableError, status: 503, code: "unavailable" },
  {
    type: ChecksumMismatchError,
    status: 500,
    code: "internal",
    prefix: "the object store is corrupt: ",
  },
];

/**
 * The {@link HttpError} answering `err`: itself when it is one, its rule in the domain-error
 * table when it is a typed error of `lib/`, else undefined (an unexpected failure, a 500).
 */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  const rule = DOMAIN_ERRORS.find((r) => err instanceof r.type);
  if (!rule || !(err instanceof Error)) return undefined;
  return new HttpError(rule.status, rule.code, (rule.prefix ?? "") + err.message);
}

/** JSON 404 for routes that do not exist. */
export const notFoundHandler: NotFoundHandler<AppEnv> = (c) =>
  c.json(
    errorBody("not_found", `no route for ${c.req.method} ${c.req.path}; see /openapi.json`),
    404,
  );

/**
 * Error handler: {@link HttpError} and the typed errors of `lib/` ({@link toHttpError}) → their
 * status and body; Hono `HTTPException` (4xx from built-in middleware, e.g. malformed JSON) → its
 * status with a JSON body; anything else → 500 `internal`, logged with the request id (the
 * message is not leaked to the client).
 */
export function errorHandler(log: Logger): ErrorHandler<AppEnv> {
  return (err, c) => {
    const reqLog = c.get("log") ?? log;
    const http = toHttpError(err);
    if (http) {
      if (http.status >= 500) reqLog.error("request failed", { error: err, code: http.code });
      return c.json(http.body(), http.status);
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

/**
 * The uniform JSON error shape of the service, `{error: {code, message, details?}}`, and the
 * exception type routes throw to produce it.
 */
import { z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Machine-readable error codes used by the service. */
export type ErrorCode =
  | "bad_request"
  | "invalid_input"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "unavailable"
  | "unauthorized"
  | "conflict"
  | "internal";

/** OpenAPI/zod schema of every error response body. */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_input" }),
      message: z.string().openapi({ example: "query.limit: must be at most 500" }),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

/** Body of every error response. */
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Build an error response body. */
export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return details === undefined
    ? { error: { code, message } }
    : { error: { code, message, details } };
}

/** An error that maps to an HTTP status and a JSON error body; thrown by routes and services. */
export class HttpError extends Error {
  override name = "HttpError";
  /**
   * @param status HTTP status to answer with.
   * @param code machine-readable code.
   * @param message what failed and what to do, shown to the client.
   * @param details optional structured details (e.g. validation issues).
   */
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The JSON body for this error. */
  body(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

/** A 404 for a missing resource, naming what was looked up. */
export function notFound(message: string): HttpError {
  return new HttpError(404, "not_found", message);
}

/** A 400 for input that parsed but makes no sense (e.g. an index past the end of a split). */
export function badRequest(message: string, details?: unknown): HttpError {
  return new HttpError(400, "invalid_input", message, details);
}

/** One validation issue, as reported in `details.issues`. */
export interface ValidationIssue {
  /** Where the bad value came from: `param`, `query`, `json`, `header`, … */
  in: string;
  /** Dotted path of the field inside that source. */
  path: string;
  message: string;
}

/** Turn a zod error from validating `target` into a 400 {@link HttpError} naming each field. */
export function validationError(target: string, error: z.ZodError): HttpError {
  const issues: ValidationIssue[] = error.issues.map((i) => ({
    in: target,
    path: i.path.map(String).join("."),
    message: i.message,
  }));
  const summary = issues
    .map((i) => `${i.in}${i.path ? "." + i.path : ""}: ${i.message}`)
    .join("; ");
  return new HttpError(400, "invalid_input", `invalid request: ${summary}`, { issues });
}

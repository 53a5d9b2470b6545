/** Reject request bodies larger than a limit with a JSON 413. */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../errors.ts";

/** Default request body limit: 4 MiB (room for a batch of raw 28×28 images as JSON). */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Middleware rejecting bodies over `maxBytes` (by `content-length`, or while streaming when the
 * length is unknown) with a 413 `payload_too_large` error.
 */
export function bodyLimit(maxBytes: number = DEFAULT_MAX_BODY_BYTES): MiddlewareHandler<AppEnv> {
  if (!Number.isInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new HttpError(
        413,
        "payload_too_large",
        `request body exceeds ${maxBytes} bytes; send a smaller body`,
      );
    },
  });
}

/**
 * Request ids. Every request gets a fresh server-generated id (a UUID): it keys the prediction
 * logs and feedback, so it must be unique, and a client-chosen id is not (clients reuse ids, by
 * mistake or on purpose). A well-formed client `x-request-id` is kept as a correlation id beside
 * it (access log, `prediction_logs.client_request_id`).
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../lib/log/mod.ts";
import type { AppEnv } from "../env.ts";

/** Name of the request id header (request: the client's correlation id; response: ours). */
const REQUEST_ID_HEADER = "x-request-id";

/** Response header echoing the client's accepted correlation id, so a caller can match both. */
const CLIENT_REQUEST_ID_HEADER = "x-client-request-id";

const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming id when it is 1–128 chars of `[A-Za-z0-9._:-]`, else undefined. */
function acceptedClientId(incoming: string | undefined | null): string | undefined {
  return incoming && ACCEPTED.test(incoming) ? incoming : undefined;
}

/**
 * Middleware setting `c.var.requestId` (generated), `c.var.clientRequestId` (the client's
 * well-formed `x-request-id`, if any), a request-scoped `c.var.log` carrying both, and the
 * `x-request-id` response header with the server's id (also on error responses); an accepted client
 * id is echoed in `x-client-request-id`.
 */
export function requestId(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = crypto.randomUUID();
    const client = acceptedClientId(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", id);
    if (client !== undefined) c.set("clientRequestId", client);
    c.set(
      "log",
      log.child(
        client === undefined ? { request_id: id } : {
          request_id: id,
          client_request_id: client,
        },
      ),
    );
    c.header(REQUEST_ID_HEADER, id);
    if (client !== undefined) c.header(CLIENT_REQUEST_ID_HEADER, client);
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

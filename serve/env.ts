/** The Hono environment shared by every router and middleware of the service. */
import type { Logger } from "../lib/log/mod.ts";

/** Per-request variables set by the middleware. */
export interface AppVariables {
  /** The request id (echoed from `x-request-id` or generated). */
  requestId: string;
  /** A logger whose lines carry the request id. */
  log: Logger;
}

/** Hono `Env` of the service. */
export interface AppEnv {
  Variables: AppVariables;
}

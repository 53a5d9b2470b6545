/** Run an app on `Deno.serve` with graceful shutdown. */
import type { Logger } from "../lib/log/mod.ts";

/** Anything with a fetch handler (a Hono app). */
export interface FetchApp {
  fetch(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response | Promise<Response>;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** The interface actually bound (`127.0.0.1` unless another was chosen). */
  hostname: string;
  /** Stop accepting connections and wait for in-flight requests to finish. */
  shutdown(): Promise<void>;
  /** Resolves once the server has stopped. */
  finished: Promise<void>;
}

/** Interface bound when none is given: loopback only. */
const DEFAULT_HOST = "127.0.0.1";

/** Options of {@link startServer}. */
export interface StartOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /**
   * Interface to bind (default `127.0.0.1`: reachable from this machine only; listening on every
   * interface, `0.0.0.0`, is an explicit choice, e.g. `HOST=0.0.0.0` in compose.yaml).
   */
  hostname?: string;
  log: Logger;
}

/**
 * Start serving `app`; returns once the socket is bound.
 * @throws Deno.errors.AddrInUse when the port is taken.
 */
export function startServer(app: FetchApp, opts: StartOptions): RunningServer {
  const server = Deno.serve({
    port: opts.port,
    hostname: opts.hostname ?? DEFAULT_HOST,
    onListen: () => {}, // logged below as JSON instead of Deno's plain-text banner
    onError: (err) => {
      opts.log.error("unhandled server error", { error: err });
      return new Response(
        JSON.stringify({ error: { code: "internal", message: "internal error" } }),
        { status: 500, headers: { "content-type": "application/json" } },
      );
    },
  }, (req, info) => app.fetch(req, info));
  const addr = server.addr;
  const host = addr.hostname === "0.0.0.0" ? "127.0.0.1" : addr.hostname;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`;
  opts.log.info("listening", { url, host: addr.hostname, port: addr.port });
  return {
    url,
    port: addr.port,
    hostname: addr.hostname,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}

/** A static file server for a built site (`deno task docs -- serve`, the site test). */
import { Hono } from "hono";
import { serveStatic } from "hono/deno";

/** A running static server. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serve `root` on `hostname:port` (port 0: any free port); directories answer their
 * `index.html`, unknown paths 404.
 */
export function serveSite(
  root: string,
  opts: { port?: number; hostname?: string; signal?: AbortSignal } = {},
): Promise<StaticServer> {
  const app = new Hono();
  app.use("*", serveStatic({ root }));
  app.notFound((c) => c.text("not found", 404));
  return new Promise((resolve) => {
    const server = Deno.serve({
      port: opts.port ?? 0,
      hostname: opts.hostname ?? "127.0.0.1",
      signal: opts.signal,
      onListen: (addr) => {
        resolve({
          url: `http://${addr.hostname}:${addr.port}`,
          close: () => server.shutdown(),
        });
      },
    }, app.fetch);
  });
}

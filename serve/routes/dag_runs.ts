/**
 * DAG runs of the automation (lib/jobs), read from the metadata DB — whichever engine or
 * worker ran them:
 *
 * - `GET /v1/dag/runs?dag=&status=&limit=` — runs, newest first, with their step states
 * - `GET /v1/dag/runs/{id}` — one run
 * - `GET /runs` — the same as a page (a table per run: step, status, attempts, worker, time)
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { getRun, listRuns, RunNotFoundError } from "../../lib/jobs/mod.ts";
import type { Queryable } from "../../lib/db/mod.ts";
import { escapeHtml } from "../../lib/report/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema, notFound } from "../errors.ts";
import { createRouter } from "../router.ts";
import { json } from "../schemas/common.ts";
import {
  DagRunIdSchema,
  dagRunJson,
  DagRunListSchema,
  DagRunSchema,
  DagRunsQuerySchema,
} from "../schemas/dag_runs.ts";

const listRoute = createRoute({
  method: "get",
  path: "/v1/dag/runs",
  tags: ["automation"],
  summary: "DAG runs, newest first, with their step states",
  request: { query: DagRunsQuerySchema },
  responses: {
    200: json(DagRunListSchema, "Runs"),
    400: json(ErrorBodySchema, "Invalid parameters"),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/dag/runs/{id}",
  tags: ["automation"],
  summary: "One DAG run with its steps",
  request: { params: DagRunIdSchema },
  responses: {
    200: json(DagRunSchema, "The run"),
    400: json(ErrorBodySchema, "Invalid id"),
    404: json(ErrorBodySchema, "Unknown run"),
  },
});

function page(runs: Awaited<ReturnType<typeof listRuns>>): string {
  const rows = runs.map((r) => {
    const steps = r.steps.map((s) =>
      `<tr class="${s.status}"><td>${escapeHtml(s.step)}</td><td>${s.status}${
        s.cached ? " (cached)" : ""
      }</td><td>${s.attempts}</td><td>${escapeHtml(s.worker ?? "")}</td><td>${
        s.durationMs === null ? "" : (s.durationMs / 1000).toFixed(1) + " s"
      }</td><td>${escapeHtml(s.error ?? "")}</td></tr>`
    ).join("");
    return `<section><h2>${escapeHtml(r.dag)} <small>${escapeHtml(r.id)}</small> — ${r.status}</h2>
<p>${escapeHtml(r.trigger)} by ${escapeHtml(r.triggeredBy)} · ${r.engine} · created ${
      escapeHtml(r.createdAt)
    }${r.error ? ` · <b>${escapeHtml(r.error)}</b>` : ""}</p>
<table><tr><th>step</th><th>status</th><th>attempts</th><th>worker</th><th>time</th><th>error</th></tr>${steps}</table></section>`;
  }).join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>DAG runs</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 8px}.failed{background:#fdd}.running{background:#ffd}
.completed{background:#dfd}</style></head><body><h1>DAG runs</h1>
${rows || "<p>No DAG runs yet: <code>deno task dag run pipeline</code>.</p>"}</body></html>`;
}

/** The DAG-run routes on `db`. */
export function dagRunRoutes(db: Queryable): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    return c.json({ runs: (await listRuns(db, q)).map(dagRunJson) }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    try {
      return c.json(dagRunJson(await getRun(db, id)), 200);
    } catch (err) {
      if (err instanceof RunNotFoundError) throw notFound(err.message);
      throw err;
    }
  });
  app.get("/runs", async (c) => c.html(page(await listRuns(db, { limit: 50 }))));
  return app;
}

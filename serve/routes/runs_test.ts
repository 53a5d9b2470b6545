/**
 * The tracking and registry-audit routes over HTTP: a real server on port 0 in front of a fresh
 * database (PGlite; also Postgres when `FMNIST_TEST_DATABASE_URL` is set) holding runs logged
 * through `lib/tracking` and a model registered and gated through `lib/registry`.
 */
import assert from "node:assert/strict";
import type { Db } from "../../lib/db/mod.ts";
import { forEachDb } from "../../lib/db/testing.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { promoteIfBetter, registerModelVersion } from "../../lib/registry/mod.ts";
import { startRun, withRun } from "../../lib/tracking/mod.ts";
import { testTrackingContext } from "../../lib/tracking/testing.ts";
import { createApp } from "../app.ts";
import { errorHandler, notFoundHandler } from "../middleware/errors.ts";
import { createRouter } from "../router.ts";
import { startServer } from "../server.ts";
import type { DatasetApi } from "../services/datasets.ts";
import { RUNS_BASE, runsRoutes } from "./runs.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });

type Body = Record<string, unknown>;

async function withServer(
  db: Db,
  fn: (
    get: (path: string, status?: number) => Promise<Body>,
    ctx: Awaited<ReturnType<typeof testTrackingContext>>,
    url: string,
  ) => Promise<void>,
): Promise<void> {
  const ctx = await testTrackingContext(db);
  const app = createRouter();
  app.route(RUNS_BASE, runsRoutes(ctx));
  app.notFound(notFoundHandler);
  app.onError(errorHandler(silent));
  const server = startServer(app, { port: 0, hostname: "127.0.0.1", log: silent });
  const get = async (path: string, status = 200): Promise<Body> => {
    const res = await fetch(server.url + path);
    const text = await res.text();
    assert.equal(res.status, status, `${path}: ${text}`);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/, path);
    return JSON.parse(text);
  };
  try {
    await fn(get, ctx, server.url);
  } finally {
    await server.shutdown();
    await ctx.close();
  }
}

function errorOf(body: Body): { code: string; message: string } {
  return body.error as { code: string; message: string };
}

forEachDb("runs routes: list, detail, metric history, compare, best", async (db) => {
  await withServer(db, async (get, ctx) => {
    const ids: string[] = [];
    for (const [i, lr] of [1e-3, 3e-3, 1e-2].entries()) {
      ids.push(
        await withRun(ctx, {
          experiment: "cnn",
          params: { lr, arch: "m1" },
          tags: { seed: "1" },
          lineage: { datasetVersion: "ds-1", seed: 1, gitCommit: null, gitDirty: null },
          heartbeatMs: 0,
        }, async (run) => {
          for (let epoch = 0; epoch < 3; epoch++) {
            await run.logMetrics({ "val/accuracy": 0.5 + 0.1 * epoch + 0.01 * i }, epoch);
          }
          await run.logMetric("test_accuracy", [0.81, 0.86, 0.84][i], 3);
          await run.logArtifact("notes.txt", new TextEncoder().encode(`run ${i}`), "text/plain");
          return run.id;
        }),
      );
    }
    const other = await startRun(ctx, { experiment: "mlp", heartbeatMs: 0 });
    await other.logMetric("test_accuracy", 0.99, 0);
    await other.fail(new Error("diverged"));

    // List: newest first, filters, paging.
    const all = await get("/v1/runs");
    assert.equal((all.runs as Body[]).length, 4);
    assert.equal(all.limit, 50);
    const cnn = await get("/v1/runs?experiment=cnn&status=finished&limit=2&offset=1");
    const page = cnn.runs as Body[];
    assert.deepEqual(page.map((r) => r.id), [ids[1], ids[0]]);
    assert.equal(cnn.offset, 1);
    const failed = await get("/v1/runs?status=failed");
    assert.deepEqual((failed.runs as Body[]).map((r) => r.id), [other.id]);
    assert.match(String((failed.runs as Body[])[0].error), /diverged/);
    assert.equal(errorOf(await get("/v1/runs?status=done", 400)).code, "invalid_input");
    assert.match(errorOf(await get("/v1/runs?limit=0", 400)).message, /limit/);
    await get("/v1/runs?limit=abc", 400);
    await get("/v1/runs?offset=-1", 400);

    // Detail, by full id and by unique prefix.
    const detail = await get(`/v1/runs/${ids[2]}`);
    assert.equal(detail.status, "finished");
    assert.deepEqual(detail.params, { arch: "m1", lr: 1e-2 });
    assert.deepEqual(detail.tags, { seed: "1" });
    const metrics = detail.metrics as Record<string, Body>;
    assert.equal(metrics["val/accuracy"].count, 3);
    assert.ok(Math.abs((metrics["val/accuracy"].last as number) - 0.72) < 1e-9);
    assert.equal(metrics["val/accuracy"].last_step, 2);
    const artifact = (detail.artifacts as Body[])[0];
    assert.equal(artifact.name, "notes.txt");
    assert.equal(artifact.content_type, "text/plain");
    assert.equal(typeof artifact.created_at, "string");
    assert.equal((detail.lineage as Body).dataset_version, "ds-1");
    assert.equal((detail.lineage as Body).git_commit, null);
    assert.equal(detail.parent_id, null);
    assert.equal(typeof detail.started_at, "string");
    assert.equal(typeof detail.ended_at, "string");
    assert.equal((await get(`/v1/runs/${ids[2].slice(0, 12)}`)).id, ids[2]);
    const missing = await get("/v1/runs/00000000-0000-0000-0000-000000000000", 404);
    assert.equal(errorOf(missing).code, "not_found");
    await get("/v1/runs/not-an-id!", 400);

    // Metric history (a key with `/` is sent URL-encoded).
    const hist = await get(`/v1/runs/${ids[0]}/metrics/${encodeURIComponent("val/accuracy")}`);
    assert.equal(hist.run_id, ids[0]);
    const points = hist.points as Body[];
    assert.deepEqual(points.map((p) => p.step), [0, 1, 2]);
    assert.ok(Math.abs((points[2].value as number) - 0.7) < 1e-9);
    const noMetric = errorOf(await get(`/v1/runs/${ids[0]}/metrics/loss`, 404));
    assert.match(noMetric.message, /val\/accuracy/);
    await get(`/v1/runs/00000000-0000-0000-0000-000000000000/metrics/loss`, 404);

    // Compare.
    const cmp = await get(`/v1/runs/compare?ids=${ids[0]},${ids[2]}`);
    assert.deepEqual((cmp.runs as Body[]).map((r) => r.id), [ids[0], ids[2]]);
    const lrRow = (cmp.params as Body[]).find((p) => p.key === "lr")!;
    assert.deepEqual(lrRow.values, [1e-3, 1e-2]);
    assert.equal(lrRow.differs, true);
    assert.equal((cmp.params as Body[]).find((p) => p.key === "arch")!.differs, false);
    assert.match(errorOf(await get(`/v1/runs/compare?ids=${ids[0]}`, 400)).message, /two/);
    await get(`/v1/runs/compare`, 400);
    await get(`/v1/runs/compare?ids=${ids[0]},ffffffff-0000-0000-0000-000000000000`, 404);

    // Best run: failed runs do not count; mode flips the order.
    const best = await get("/v1/experiments/cnn/best?metric=test_accuracy");
    assert.equal((best.run as Body).id, ids[1]);
    assert.equal(best.value, 0.86);
    assert.equal(best.mode, "max");
    const worst = await get("/v1/experiments/cnn/best?metric=test_accuracy&mode=min");
    assert.equal((worst.run as Body).id, ids[0]);
    await get("/v1/experiments/mlp/best?metric=test_accuracy", 404);
    await get("/v1/experiments/cnn/best?metric=nope", 404);
    await get("/v1/experiments/cnn/best", 400);
    await get("/v1/experiments/cnn/best?metric=test_accuracy&mode=median", 400);
  });
});

forEachDb("registry events route: audit log with gate decisions", async (db) => {
  await withServer(db, async (get, ctx) => {
    const bytes = (n: number) => new TextEncoder().encode(`model-${n}`);
    const v1 = await registerModelVersion(ctx, { name: "fmnist", artifact: bytes(1), actor: "t" });
    const v2 = await registerModelVersion(ctx, { name: "fmnist", artifact: bytes(2), actor: "t" });
    const labels = Array.from({ length: 60 }, (_, i) => i % 10);
    await promoteIfBetter(ctx, {
      name: "fmnist",
      challenger: v1.version.version,
      testLabels: labels,
      challengerPreds: labels.map((l, i) => (i < 30 ? l : (l + 1) % 10)),
      actor: "t",
    });
    await promoteIfBetter(ctx, {
      name: "fmnist",
      challenger: v2.version.version,
      testLabels: labels,
      challengerPreds: labels,
      championPreds: labels.map((l, i) => (i < 30 ? l : (l + 1) % 10)),
      actor: "t",
    });

    const body = await get("/v1/registry/models/fmnist/events");
    assert.equal(body.model, "fmnist");
    const events = body.events as Body[];
    const kinds = events.map((e) => e.kind);
    assert.deepEqual(kinds.filter((k) => k === "register").length, 2);
    const gates = events.filter((e) => e.kind === "gate");
    assert.equal(gates.length, 2);
    const first = gates[0].gate as Body;
    assert.equal(first.outcome, "promoted_no_champion");
    const second = gates[1].gate as Body;
    assert.equal(second.outcome, "promoted");
    assert.equal(second.champion, 1);
    assert.equal(second.challenger, 2);
    assert.equal(second.b, 0);
    assert.equal(second.c, 30);
    assert.ok((second.p_value as number) < 0.05);
    assert.equal(second.event_id, gates[1].id);
    assert.equal(second.challenger_accuracy, 1);
    assert.ok("from_version" in gates[1] && !("fromVersion" in gates[1]));
    assert.equal(events.find((e) => e.kind === "alias_set")?.to_version, 1);
    assert.ok(events.filter((e) => e.kind !== "gate").every((e) => e.gate === null));

    const onlyGates = await get("/v1/registry/models/fmnist/events?kind=gate&limit=1");
    assert.deepEqual((onlyGates.events as Body[]).map((e) => e.id), [gates[0].id]);
    assert.match(errorOf(await get("/v1/registry/models/nope/events", 404)).message, /fmnist/);
    await get("/v1/registry/models/bad%20name/events", 400);
    await get("/v1/registry/models/fmnist/events?kind=deleted", 400);
  });
});

forEachDb("createApp mounts the runs routes and documents them", async (db) => {
  const ctx = await testTrackingContext(db);
  const unusedDatasets = {} as DatasetApi; // the dataset routes are not called here
  const app = createApp({ log: silent, datasets: unusedDatasets, tracking: ctx });
  const server = startServer(app, { port: 0, hostname: "127.0.0.1", log: silent });
  try {
    const run = await startRun(ctx, { experiment: "e", heartbeatMs: 0 });
    await run.finish();
    const res = await fetch(`${server.url}/v1/runs/${run.id}`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await res.json()).id, run.id);
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    for (
      const path of [
        "/v1/runs",
        "/v1/runs/compare",
        "/v1/runs/{id}",
        "/v1/runs/{id}/metrics/{key}",
        "/v1/runs/{id}/artifacts/{name}",
        "/v1/experiments/{name}/best",
        "/v1/registry/models/{name}/events",
      ]
    ) {
      assert.ok(doc.paths[path]?.get, `${path} documented`);
    }
  } finally {
    await server.shutdown();
    await ctx.close();
  }
});

forEachDb("runs routes: parent and tag filters, artifacts served with their type", async (db) => {
  await withServer(db, async (get, ctx, url) => {
    const parent = await startRun(ctx, {
      experiment: "tune",
      heartbeatMs: 0,
      tags: { "tune.role": "study" },
    });
    const child = await startRun(ctx, {
      experiment: "tune",
      heartbeatMs: 0,
      parentId: parent.id,
      tags: { "tune.role": "trial" },
    });
    await child.logArtifact("report.html", new TextEncoder().encode("<h1>r</h1>"), "text/html");
    await child.finish();
    await parent.finish();
    const ids = (b: Body) => (b.runs as { id: string }[]).map((r) => r.id);
    assert.deepEqual(ids(await get(`/v1/runs?parent=${parent.id}`)), [child.id]);
    assert.deepEqual(ids(await get("/v1/runs?tag=tune.role%3Dstudy")), [parent.id]);
    assert.deepEqual(ids(await get("/v1/runs?tag=tune.role")).sort(), [parent.id, child.id].sort());
    assert.deepEqual(ids(await get("/v1/runs?tag=tune.role%3Dnone")), []);

    const missing = await get(`/v1/runs/${child.id}/artifacts/nope.txt`, 404);
    assert.match(errorOf(missing).message, /no artifact "nope.txt"; it logged: report.html/);
    assert.equal(errorOf(await get(`/v1/runs/${parent.id}/artifacts/x`, 404)).code, "not_found");
    const res = await fetch(`${url}/v1/runs/${child.id}/artifacts/report.html`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html");
    assert.equal(res.headers.get("content-security-policy"), "sandbox allow-scripts");
    assert.equal(await res.text(), "<h1>r</h1>");
  });
});

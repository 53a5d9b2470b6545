/**
 * One JSON casing across the HTTP API: snake_case.
 *
 * - The OpenAPI document of the whole service (every route area mounted) is walked: every
 *   property name of every schema (requests and responses, components and inline) and every
 *   path and query parameter must be snake_case, so a camelCase field cannot come back.
 * - The answers of the JSON routes, over a workspace with models, runs, a gate decision, an A/B
 *   experiment with feedback and a DAG-free automation, are validated against the document with
 *   undocumented fields forbidden: what the service answers is what the document says.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { promoteIfBetter } from "../lib/registry/mod.ts";
import { startRun } from "../lib/tracking/mod.ts";
import { pixels, type Serving, startServing } from "./serving_testing.ts";

const KEY = "casing-admin-key-0123456789";
const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

let s: Serving;
let doc: Obj;

before(async () => {
  s = await startServing({ adminKey: KEY, feedbackKey: KEY });
  const res = await fetch(`${s.url}/openapi.json`);
  assert.equal(res.status, 200);
  doc = await res.json();
});
after(async () => {
  await s?.close();
});

const isObj = (v: Json | undefined): v is Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Every property name of every schema under `node`, with where it was found. */
function propertyNames(node: Json, where: string, out: { name: string; where: string }[]): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => propertyNames(v, `${where}[${i}]`, out));
    return;
  }
  if (!isObj(node)) return;
  for (const [k, v] of Object.entries(node)) {
    // Example and default values are data, not schema.
    if (k === "example" || k === "examples" || k === "default") continue;
    if (k === "properties" && isObj(v)) {
      for (const name of Object.keys(v)) out.push({ name, where: `${where}.properties` });
    }
    propertyNames(v, `${where}.${k}`, out);
  }
}

/** Every path and query parameter of every operation, with where it was found. */
function parameterNames(d: Obj): { name: string; where: string }[] {
  const out: { name: string; where: string }[] = [];
  for (const [path, ops] of Object.entries(d.paths as Obj)) {
    for (const [method, op] of Object.entries(ops as Obj)) {
      for (const p of ((op as Obj).parameters ?? []) as Obj[]) {
        if (p.in === "path" || p.in === "query") {
          out.push({ name: String(p.name), where: `${method.toUpperCase()} ${path} (${p.in})` });
        }
      }
    }
  }
  return out;
}

test("OpenAPI document: every property and parameter name is snake_case", () => {
  const names: { name: string; where: string }[] = [];
  propertyNames(doc.components ?? null, "components", names);
  propertyNames(doc.paths, "paths", names);
  names.push(...parameterNames(doc));
  const distinct = new Set(names.map((n) => n.name));
  // The walk saw the whole API (a walk that finds nothing would pass vacuously).
  assert.ok(distinct.size > 150, `only ${distinct.size} names found`);
  for (const known of ["created_at", "run_id", "p_value", "started_at", "min_samples", "limit"]) {
    assert.ok(distinct.has(known), `${known} is in the document`);
  }
  const bad = names.filter((n) => !SNAKE.test(n.name)).map((n) => `${n.name} at ${n.where}`);
  assert.deepEqual(bad, [], `names that are not snake_case:\n${bad.join("\n")}`);
});

test("the casing check flags a camelCase property and a camelCase query parameter", () => {
  const names: { name: string; where: string }[] = [];
  propertyNames({ schema: { properties: { createdAt: {}, ok_name: {} } } }, "x", names);
  const d = { paths: { "/a": { get: { parameters: [{ in: "query", name: "pageSize" }] } } } };
  names.push(...parameterNames(d));
  assert.deepEqual(names.filter((n) => !SNAKE.test(n.name)).map((n) => n.name), [
    "createdAt",
    "pageSize",
  ]);
});

/**
 * `schema` with every object that lists its properties closed to others (OpenAPI's default is
 * open), so an undocumented field fails validation. Objects inside `allOf` stay open.
 */
function closed(schema: Json, inAllOf = false): Json {
  if (Array.isArray(schema)) return schema.map((v) => closed(v, inAllOf));
  if (!isObj(schema)) return schema;
  const out: Obj = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === "example" || k === "default" ? v : closed(v, k === "allOf");
  }
  if (isObj(out.properties) && out.additionalProperties === undefined && !inAllOf) {
    out.additionalProperties = false;
  }
  return out;
}

/** Validates bodies against the document's response schemas (undocumented fields rejected). */
function responseValidator() {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  const components = closed(doc.components ?? {}) as Obj;
  return (method: string, path: string, status: number, body: unknown) => {
    const op = ((doc.paths as Obj)[path] as Obj | undefined)?.[method] as Obj | undefined;
    assert.ok(op, `${method.toUpperCase()} ${path} is documented`);
    const res = (op.responses as Obj)[String(status)] as Obj | undefined;
    assert.ok(res, `${method.toUpperCase()} ${path} documents ${status}`);
    const schema = ((res.content as Obj)["application/json"] as Obj).schema;
    const validate = ajv.compile({ ...(closed(schema) as Obj), components });
    assert.ok(
      validate(body),
      `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(validate.errors)}\n` +
        JSON.stringify(body).slice(0, 2000),
    );
  };
}

test("JSON answers match their documented (snake_case) schemas, with no other field", async () => {
  const check = responseValidator();
  const admin = { "content-type": "application/json", "x-admin-key": KEY };
  const call = async (
    method: string,
    url: string,
    docPath: string,
    status: number,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const res = await fetch(`${s.url}${url}`, {
      method: method.toUpperCase(),
      headers: init.headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    assert.equal(res.status, status, `${method} ${url}: ${text}`);
    check(method, docPath, status, JSON.parse(text));
    return { body: JSON.parse(text), headers: res.headers };
  };

  // A finished run with a metric and an artifact, a child run, and a gate decision.
  const run = await startRun(s.ctx, {
    experiment: "casing",
    params: { learningRate: 0.01 },
    lineage: { datasetVersion: "ds", seed: 1 },
    heartbeatMs: 0,
  });
  await run.logMetric("val_accuracy", 0.5, 0);
  await run.logArtifact("notes.txt", new TextEncoder().encode("x"), "text/plain");
  await run.finish();
  const child = await startRun(s.ctx, { experiment: "casing", parentId: run.id, heartbeatMs: 0 });
  await child.finish();
  const labels = Array.from({ length: 40 }, (_, i) => i % 10);
  await promoteIfBetter(s.ctx, {
    name: "fmnist",
    challenger: 2,
    testLabels: labels,
    challengerPreds: labels,
    championPreds: labels.map((l, i) => (i < 20 ? l : (l + 1) % 10)),
    actor: "casing",
  });

  await call("get", "/v1/runs", "/v1/runs", 200);
  await call("get", `/v1/runs/${run.id}`, "/v1/runs/{id}", 200);
  await call("get", `/v1/runs/${run.id}/metrics/val_accuracy`, "/v1/runs/{id}/metrics/{key}", 200);
  await call("get", `/v1/runs/compare?ids=${run.id},${child.id}`, "/v1/runs/compare", 200);
  await call(
    "get",
    "/v1/experiments/casing/best?metric=val_accuracy",
    "/v1/experiments/{name}/best",
    200,
  );
  const events = await call(
    "get",
    "/v1/registry/models/fmnist/events",
    "/v1/registry/models/{name}/events",
    200,
  );
  assert.ok(events.body.events.some((e: { gate: unknown }) => e.gate !== null), "a gate event");
  await call("get", "/v1/models", "/v1/models", 200);
  await call("get", "/v1/models/fmnist", "/v1/models/{name}", 200);
  await call("get", "/v1/models/fmnist/drift", "/v1/models/{name}/drift", 200);
  await call("get", "/v1/dag/runs", "/v1/dag/runs", 200);
  await call("get", "/healthz", "/healthz", 200);
  const ready = await fetch(`${s.url}/readyz`);
  check("get", "/readyz", ready.status, await ready.json());
  await call("get", "/v1/datasets", "/v1/datasets", 200);

  // An A/B experiment with a prediction and its feedback, then the analysis and the decision.
  await call("put", "/v1/admin/ab/fmnist", "/v1/admin/ab/{name}", 200, {
    headers: admin,
    body: {
      arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", version: 2, weight: 1 }],
      design: { min_samples: 5, guardrails: { latency_p99_slack_ms: 50 } },
    },
  });
  await call("get", "/v1/admin/ab/fmnist", "/v1/admin/ab/{name}", 200, { headers: admin });
  const predicted = await fetch(`${s.url}/v1/models/fmnist/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-client-key": "casing-user" },
    body: JSON.stringify({ instances: [pixels(3)] }),
  });
  check("post", "/v1/models/{name}/predict", 200, await predicted.json());
  const requestId = predicted.headers.get("x-request-id")!;
  await call("post", "/v1/feedback", "/v1/feedback", 201, {
    headers: admin,
    body: { request_id: requestId, label: 3 },
  });
  await call("get", "/v1/experiments/ab/fmnist", "/v1/experiments/ab/{name}", 200);
  await call("post", "/v1/experiments/ab/fmnist/decide", "/v1/experiments/ab/{name}/decide", 200, {
    headers: admin,
    body: {},
  });
  await call("post", "/v1/admin/models/fmnist/promote", "/v1/admin/models/{name}/promote", 200, {
    headers: admin,
    body: { version: 2, reason: "casing test", expected_version: 2 },
  });

  // Errors have the one documented shape too.
  await call("get", "/v1/runs?limit=0", "/v1/runs", 400);
  await call("get", "/v1/registry/models/nope/events", "/v1/registry/models/{name}/events", 404);
});

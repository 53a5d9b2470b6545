/**
 * End-to-end tests of the service over HTTP: a real server on port 0 in a temp state dir holding
 * the real Fashion-MNIST (ingested once from the Debian package) and its validation run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseSettings } from "../lib/config/mod.ts";
import {
  type Dataset,
  type ImageSet,
  ingest,
  LABEL_NAMES,
  loadDataset,
  saveDatasetVersion,
} from "../lib/data/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import { type Ctx, openContext } from "../lib/workspace/mod.ts";
import { featuresStep } from "../lib/features/mod.ts";
import { validateStep } from "../lib/validate/mod.ts";
import { createApp } from "./app.ts";
import { decodeGrayPng } from "./png.ts";
import { type RunningServer, startServer } from "./server.ts";
import { createDatasetApi } from "./services/lib_datasets.ts";

const SOURCE = "/usr/share/datasets/fashion-mnist";

let stateDir: string;
let ctx: Ctx;
let server: RunningServer;
let data: Dataset;
const logLines: Record<string, unknown>[] = [];

before(async () => {
  stateDir = await Deno.makeTempDir({ prefix: "fmnist-serve-" });
  const silent = createLogger({}, { level: "warn", sink: () => {} });
  ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: stateDir, FMNIST_SOURCE: SOURCE }), {
    manifestDir: join(stateDir, "manifests"),
    log: silent,
  });
  await ingest(ctx);
  data = await loadDataset(ctx);
  await validateStep(ctx, data);
  await featuresStep(ctx, data);
  const log = createLogger({}, {
    level: "info",
    sink: (line) => logLines.push(JSON.parse(line)),
  });
  const app = createApp({ log, datasets: createDatasetApi(ctx), maxBodyBytes: 1024 });
  server = startServer(app, { port: 0, hostname: "127.0.0.1", log });
});

after(async () => {
  await server?.shutdown();
  await ctx?.close();
  if (stateDir) await Deno.remove(stateDir, { recursive: true });
});

async function get(path: string, init?: RequestInit): Promise<Response> {
  return await fetch(server.url + path, init);
}

async function getJson(path: string, status = 200): Promise<Record<string, unknown>> {
  const res = await get(path);
  const body = await res.text();
  assert.equal(res.status, status, `${path}: ${body}`);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return JSON.parse(body);
}

/** Assert `path` answers `status` with the uniform error shape; returns the error. */
async function expectError(
  path: string,
  status: number,
  init?: RequestInit,
): Promise<{ code: string; message: string; details?: unknown }> {
  const res = await get(path, init);
  const text = await res.text();
  assert.equal(res.status, status, `${path}: ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/, path);
  const body = JSON.parse(text);
  assert.equal(typeof body.error.code, "string");
  assert.ok(body.error.message.length > 0);
  return body.error;
}

test("GET /healthz answers ok with a generated request id", async () => {
  const res = await get("/healthz");
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, "ok");
  assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
});

test("the server's request id is returned; a well-formed client id is logged beside it", async () => {
  const res = await get("/v1/datasets", { headers: { "x-request-id": "trace-42.a" } });
  await res.body?.cancel();
  const id = res.headers.get("x-request-id") ?? "";
  assert.match(id, /^[0-9a-f-]{36}$/, "a server-generated id, not the client's");
  assert.equal(res.headers.get("x-client-request-id"), "trace-42.a", "the client's id echoed");
  const line = logLines.find((l) => l.client_request_id === "trace-42.a");
  assert.ok(line, "access log line carries the client's id");
  assert.equal(line.request_id, id);
  assert.equal(line.msg, "http request");
  assert.equal(line.method, "GET");
  assert.equal(line.path, "/v1/datasets");
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration_ms, "number");

  const bad = await get("/healthz", { headers: { "x-request-id": "bad id with spaces" } });
  await bad.body?.cancel();
  assert.match(bad.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(bad.headers.get("x-client-request-id"), null);
  const badLine = logLines.find((l) => l.request_id === bad.headers.get("x-request-id"));
  assert.ok(badLine);
  assert.equal(badLine.client_request_id, undefined, "a malformed client id is not kept");
});

test("GET /v1/datasets lists the ingested version as latest", async () => {
  const body = await getJson("/v1/datasets");
  assert.equal(body.latest, data.version);
  const versions = body.versions as {
    version: string;
    counts: unknown;
    name: string;
    created_at: string;
    total_bytes: number;
  }[];
  assert.equal(versions.length, 1);
  assert.ok(versions[0].total_bytes > 0);
  assert.ok(!Number.isNaN(Date.parse(versions[0].created_at)));
  assert.equal(versions[0].version, data.version);
  assert.equal(versions[0].name, "fashion-mnist");
  assert.deepEqual(versions[0].counts, { train: 60000, test: 10000 });
});

test("GET /v1/datasets/{version} gives manifest and validation summary, for id and latest", async () => {
  const byId = await getJson(`/v1/datasets/${data.version}`);
  const latest = await getJson("/v1/datasets/latest");
  assert.deepEqual(byId, latest);
  assert.equal(byId.version, data.version);
  const manifest = byId.manifest as {
    version: string;
    content: { files: unknown[] };
    created_at: string;
  };
  assert.equal(manifest.version, data.version);
  assert.ok(!Number.isNaN(Date.parse(manifest.created_at)));
  assert.equal(manifest.content.files.length, 4);
  const v = byId.validation as {
    success: boolean;
    started_at: string;
    stats: { evaluated: number; critical_failed: number };
    critical_failures: string[];
  };
  assert.equal(v.success, true);
  assert.ok(!Number.isNaN(Date.parse(v.started_at)));
  assert.equal(v.stats.critical_failed, 0);
  assert.deepEqual(v.critical_failures, []);
  assert.ok(v.stats.evaluated > 0);
  // A unique prefix and the dataset name resolve to the same version.
  assert.equal((await getJson(`/v1/datasets/${data.version.slice(0, 10)}`)).version, data.version);
  assert.equal((await getJson("/v1/datasets/fashion-mnist")).version, data.version);
});

test("GET validation (JSON) and validation.html (HTML report)", async () => {
  const result = await getJson("/v1/datasets/latest/validation");
  assert.equal(result.subject, data.version);
  assert.equal(result.success, true);
  assert.equal(result.schema_version, 1);
  assert.equal(typeof result.duration_ms, "number");
  const results = result.results as { id: string; duration_ms: number }[];
  assert.ok(results.every((r) => typeof r.duration_ms === "number"));
  assert.ok(results.some((r) => r.id === "image_shape"), JSON.stringify(results.map((r) => r.id)));

  const res = await get(`/v1/datasets/${data.version}/validation.html`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/html/);
  const html = await res.text();
  assert.match(html, /<html/i);
  assert.ok(html.includes("image_shape"));
});

test("GET samples pages a split, filters by label and can include pixels", async () => {
  const page = await getJson("/v1/datasets/latest/samples?split=test&offset=5&limit=3&pixels=true");
  assert.equal(page.total, 10000);
  assert.equal(page.rows, 28);
  const items = page.items as {
    index: number;
    label: number;
    label_name: string;
    image_url: string;
    pixels: number[];
  }[];
  assert.deepEqual(items.map((i) => i.index), [5, 6, 7]);
  for (const it of items) {
    assert.equal(it.label, data.test.labels[it.index]);
    assert.equal(it.label_name, LABEL_NAMES[it.label]);
    assert.deepEqual(it.pixels, [
      ...data.test.images.subarray(it.index * 784, (it.index + 1) * 784),
    ]);
    assert.equal(it.image_url, `/v1/datasets/${data.version}/images/test/${it.index}.png`);
  }

  const bags = await getJson("/v1/datasets/latest/samples?split=train&label=8&offset=10&limit=500");
  assert.equal(bags.total, 6000);
  const bagItems = bags.items as { index: number; label: number; pixels?: number[] }[];
  assert.equal(bagItems.length, 500);
  const expected: number[] = [];
  for (let i = 0, seen = 0; i < data.train.count && expected.length < 500; i++) {
    if (data.train.labels[i] === 8 && seen++ >= 10) expected.push(i);
  }
  assert.deepEqual(bagItems.map((i) => i.index), expected);
  assert.ok(bagItems.every((i) => i.label === 8 && i.pixels === undefined));

  const past = await getJson("/v1/datasets/latest/samples?offset=60000");
  assert.deepEqual(past.items, []);
});

test("GET images/{split}/{index}.png decodes to the dataset's pixels, upscaled by scale", async () => {
  for (const [split, index] of [["train", 0], ["train", 59999], ["test", 1234]] as const) {
    const res = await get(`/v1/datasets/latest/images/${split}/${index}.png`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    const img = decodeGrayPng(new Uint8Array(await res.arrayBuffer()));
    assert.equal(img.width, 28);
    assert.equal(img.height, 28);
    assert.deepEqual(img.pixels, data[split].images.subarray(index * 784, (index + 1) * 784));
  }
  const res = await get(`/v1/datasets/${data.version}/images/test/7.png?scale=3`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("cache-control") ?? "", /immutable/);
  const img = decodeGrayPng(new Uint8Array(await res.arrayBuffer()));
  assert.equal(img.width, 84);
  const src = data.test.images.subarray(7 * 784, 8 * 784);
  for (let y = 0; y < 84; y++) {
    for (let x = 0; x < 84; x++) {
      assert.equal(img.pixels[y * 84 + x], src[Math.floor(y / 3) * 28 + Math.floor(x / 3)]);
    }
  }
});

test("GET stats gives per-class statistics of both splits", async () => {
  const body = await getJson("/v1/datasets/latest/stats");
  assert.equal(body.version, data.version);
  assert.equal(typeof body.feature_set, "string");
  const classes = body.classes as {
    split: string;
    label: number;
    label_name: string;
    count: number;
  }[];
  assert.equal(classes.length, 20);
  for (const c of classes) {
    assert.equal(c.label_name, LABEL_NAMES[c.label]);
    assert.equal(c.count, c.split === "train" ? 6000 : 1000);
  }
});

test("bad versions and traversal attempts are 4xx JSON, never reaching the store", async () => {
  for (
    const path of [
      "/v1/datasets/..%2F..%2Fetc%2Fpasswd",
      "/v1/datasets/..%2F",
      "/v1/datasets/a%2F..%2Fb/samples",
      "/v1/datasets/..%5Cwin/stats",
      "/v1/datasets/.hidden",
      "/v1/datasets/x%00y",
      `/v1/datasets/${"a".repeat(200)}`,
    ]
  ) {
    const err = await expectError(path, 400);
    assert.equal(err.code, "invalid_input", path);
    assert.match(err.message, /version/, path);
  }
  // fetch normalizes `..` and `%2E%2E` segments away; whatever path arrives must be a 4xx JSON.
  for (
    const path of [
      "/v1/datasets/../../etc/passwd",
      "/v1/datasets/%2e%2e/%2e%2e/etc",
      "/v1/datasets/%2E%2E",
    ]
  ) {
    const res = await get(path);
    const text = await res.text();
    assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    assert.ok(JSON.parse(text).error, path);
  }
  const unknown = await expectError("/v1/datasets/0123456789abcdef/stats", 404);
  assert.equal(unknown.code, "not_found");
  assert.match(unknown.message, /no dataset version matches|pipeline:data/);
  await expectError("/v1/datasets/no-such-dataset", 404);
});

test("out-of-range and malformed query parameters are 400 naming the field", async () => {
  const cases: [string, string][] = [
    ["/v1/datasets/latest/samples?limit=0", "limit"],
    ["/v1/datasets/latest/samples?limit=501", "limit"],
    ["/v1/datasets/latest/samples?limit=abc", "limit"],
    ["/v1/datasets/latest/samples?offset=-1", "offset"],
    ["/v1/datasets/latest/samples?offset=1e3", "offset"],
    ["/v1/datasets/latest/samples?label=10", "label"],
    ["/v1/datasets/latest/samples?label=-1", "label"],
    ["/v1/datasets/latest/samples?label=", "label"],
    ["/v1/datasets/latest/samples?split=validation", "split"],
    ["/v1/datasets/latest/samples?pixels=maybe", "pixels"],
    ["/v1/datasets/latest/images/train/1.png?scale=0", "scale"],
    ["/v1/datasets/latest/images/train/1.png?scale=17", "scale"],
    ["/v1/datasets/latest/images/train/-1.png", "file"],
    ["/v1/datasets/latest/images/train/1.jpg", "file"],
    ["/v1/datasets/latest/images/train/01.png", "file"],
    ["/v1/datasets/latest/images/valid/1.png", "split"],
  ];
  for (const [path, field] of cases) {
    const err = await expectError(path, 400);
    assert.equal(err.code, "invalid_input", path);
    assert.ok(err.message.includes(field), `${path}: ${err.message}`);
    const issues = (err.details as { issues: { path: string }[] }).issues;
    assert.ok(issues.some((i) => i.path === field), path);
  }
  const past = await expectError("/v1/datasets/latest/images/test/10000.png", 404);
  assert.match(past.message, /10000 images/);
});

test("unknown routes and methods are JSON 404; oversized bodies are JSON 413", async () => {
  assert.equal((await expectError("/nope", 404)).code, "not_found");
  assert.equal((await expectError("/v1/datasets/latest/unknown", 404)).code, "not_found");
  assert.equal((await expectError("/v1/datasets", 404, { method: "POST" })).code, "not_found");
  const big = await expectError("/v1/datasets", 413, { method: "POST", body: "x".repeat(5000) });
  assert.equal(big.code, "payload_too_large");
});

test("GET /openapi.json lists every route; /docs serves Swagger UI from local files", async () => {
  const doc = await getJson("/openapi.json");
  assert.equal(doc.openapi, "3.1.0");
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  for (
    const p of [
      "/healthz",
      "/v1/datasets",
      "/v1/datasets/{version}",
      "/v1/datasets/{version}/validation",
      "/v1/datasets/{version}/validation.html",
      "/v1/datasets/{version}/samples",
      "/v1/datasets/{version}/images/{split}/{file}",
      "/v1/datasets/{version}/stats",
    ]
  ) {
    assert.ok(paths[p]?.get, `missing GET ${p} in ${Object.keys(paths).join(", ")}`);
  }
  const res = await get("/docs");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(html.includes("/openapi.json"));
  assert.ok(!/https?:\/\//.test(html), "no external (CDN) URLs");
  const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(srcs.length >= 3);
  for (const src of srcs) {
    const asset = await get(src);
    assert.equal(asset.status, 200, src);
    assert.ok((await asset.arrayBuffer()).byteLength > 100, src);
  }
  await expectError("/docs/assets/package.json", 404);
  await expectError("/docs/assets/..%2F..%2Fdeno.json", 404);
});

function head(set: ImageSet, n: number): ImageSet {
  const px = set.rows * set.cols;
  return { ...set, count: n, images: set.images.slice(0, n * px), labels: set.labels.slice(0, n) };
}

test("a derived version without validation or features: 404s that say what to run", async () => {
  const small = await saveDatasetVersion(ctx, {
    train: head(data.train, 50),
    test: head(data.test, 20),
  }, { name: "fashion-mnist-tiny" });
  const list = await getJson("/v1/datasets");
  assert.equal(list.latest, data.version, "latest prefers the fashion-mnist dataset");
  assert.equal((list.versions as unknown[]).length, 2);

  const detail = await getJson(`/v1/datasets/${small.version}`);
  assert.equal(detail.validation, null);
  assert.equal((await getJson("/v1/datasets/fashion-mnist-tiny")).version, small.version);
  const v = await expectError(`/v1/datasets/${small.version}/validation`, 404);
  assert.match(v.message, /no validation result.*pipeline:data/);
  await expectError(`/v1/datasets/${small.version}/validation.html`, 404);
  const st = await expectError(`/v1/datasets/${small.version}/stats`, 404);
  assert.match(st.message, /features step/);

  const page = await getJson(`/v1/datasets/${small.version}/samples?split=test&limit=500`);
  assert.equal(page.total, 20);
  assert.equal((page.items as unknown[]).length, 20);
  await expectError(`/v1/datasets/${small.version}/images/train/50.png`, 404);
  const res = await get(`/v1/datasets/${small.version}/images/train/49.png`);
  const img = decodeGrayPng(new Uint8Array(await res.arrayBuffer()));
  assert.deepEqual(img.pixels, data.train.images.subarray(49 * 784, 50 * 784));
});

test("an unexpected error is a JSON 500 that hides the message and logs it with the request id", async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: "info", sink: (l) => lines.push(JSON.parse(l)) });
  const app = createApp({ log, datasets: createDatasetApi(ctx) });
  app.get("/boom", () => {
    throw new Error("secret internals");
  });
  const s = startServer(app, { port: 0, hostname: "127.0.0.1", log });
  try {
    const res = await fetch(`${s.url}/boom`, { headers: { "x-request-id": "boom-1" } });
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.error.code, "internal");
    assert.ok(!body.error.message.includes("secret"));
    const id = res.headers.get("x-request-id") ?? "";
    assert.match(body.error.message, new RegExp(id));
    const logged = lines.find((l) => l.msg === "unhandled error");
    assert.ok(logged);
    assert.equal(logged.request_id, id);
    assert.equal(logged.client_request_id, "boom-1");
    assert.equal((logged.error as { message: string }).message, "secret internals");
    const access = lines.find((l) => l.msg === "http request" && l.request_id === id);
    assert.equal(access?.level, "error");
    assert.equal(access?.status, 500);
  } finally {
    await s.shutdown();
  }
});

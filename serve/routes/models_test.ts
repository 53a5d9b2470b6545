/**
 * The model routes over real HTTP (server on port 0) with a real model: the real dataset is
 * ingested into a temp state dir and a quick CNN trained and registered once (champion, v1);
 * a seeded untrained CNN is registered as v2 for routing and promotion checks.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { parseSettings } from "../../lib/config/mod.ts";
import { type Dataset, ingest, loadDataset } from "../../lib/data/mod.ts";
import { engineInfo, initEngine } from "../../lib/engine/mod.ts";
import { featuresStep } from "../../lib/features/mod.ts";
import {
  createInference,
  type Inference,
  MemorySink,
  preprocessGray,
  resolveRuntime,
} from "../../lib/inference/mod.ts";
import {
  gatherNormalized,
  onnxMetadata,
  OnnxSession,
  onnxTemperature,
  readArtifactManifest,
} from "../../lib/models/mod.ts";
import { garmentCutoutPng, garmentPhotoJpeg } from "../../lib/inference/photos_testing.ts";
import { registerSeededModel } from "../../lib/inference/testing.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { type Ctx, openContext } from "../../lib/workspace/mod.ts";
import { getModelVersion, setAlias } from "../../lib/registry/mod.ts";
import { RECIPES, registerCandidate, trainCandidate } from "../../lib/train/mod.ts";
import { createApp } from "../app.ts";
import { type RunningServer, startServer } from "../server.ts";
import { createDatasetApi } from "../services/lib_datasets.ts";
import { metricValue } from "./metrics_testing.ts";

const SOURCE = "/usr/share/datasets/fashion-mnist";
const silent = createLogger({}, { level: "error", sink: () => {} });
let stateDir: string;
let ctx: Ctx;
let data: Dataset;
let inf: Inference;
let server: RunningServer;
const sink = new MemorySink();

before(async () => {
  await initEngine({ backend: "wasm" });
  stateDir = await Deno.makeTempDir({ prefix: "fmnist-models-" });
  ctx = await openContext(
    parseSettings({ FMNIST_STATE_DIR: stateDir, FMNIST_SOURCE: SOURCE, FMNIST_BACKEND: "wasm" }),
    { manifestDir: join(stateDir, "manifests"), log: silent },
  );
  const ing = await ingest(ctx);
  data = await loadDataset(ctx, ing.version);
  await featuresStep(ctx, data);
  const r = RECIPES.quick;
  const cand = await trainCandidate(ctx, {
    experiment: "serve-test",
    model: r.model,
    train: r.train,
    limit: r.limit,
  });
  const reg = await registerCandidate(ctx, { name: "fmnist", candidate: cand });
  assert.equal(reg.champion, 1);
  assert.equal(await registerSeededModel(ctx, "fmnist", 11, "staging"), 2);
  inf = createInference(ctx, { aliasTtlSeconds: 0.2, maxWaitMs: 5, processMetrics: false }, {
    log: silent,
    sink,
  });
  const app = createApp({
    log: silent,
    datasets: createDatasetApi(ctx),
    inference: inf,
    maxBodyBytes: 2 * 1024 * 1024,
  });
  server = startServer(app, { port: 0, hostname: "127.0.0.1", log: silent });
});

after(async () => {
  await server?.shutdown();
  await inf?.close();
  await ctx?.close();
  if (stateDir) await Deno.remove(stateDir, { recursive: true });
});

/** Test image `i` as 784 values in 0..1. */
function flat(i: number): number[] {
  return Array.from(data.test.images.subarray(i * 784, (i + 1) * 784), (b) => b / 255);
}

function nested(i: number): number[][] {
  const f = flat(i);
  return Array.from({ length: 28 }, (_, r) => f.slice(r * 28, r * 28 + 28));
}

async function post(path: string, body: BodyInit, type = "application/json"): Promise<Response> {
  return await fetch(server.url + path, {
    method: "POST",
    headers: { "content-type": type },
    body,
  });
}

async function predictJson(path: string, instances: unknown[]) {
  const res = await post(path, JSON.stringify({ instances }));
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json() as {
    predictions: { label: string; class_id: number; probabilities: number[] }[];
    model: { name: string; version: number };
  };
}

async function metrics(): Promise<string> {
  return await (await fetch(server.url + "/metrics")).text();
}

test("models: list and describe (versions, aliases, signature, metrics)", async () => {
  const list = await (await fetch(server.url + "/v1/models")).json();
  const m = list.models.find((x: { name: string }) => x.name === "fmnist");
  assert.deepEqual(m.aliases, { champion: 1, staging: 2 });
  assert.equal(m.latest_version, 2);
  const detail = await (await fetch(server.url + "/v1/models/fmnist")).json();
  assert.deepEqual(detail.versions.map((v: { version: number }) => v.version), [1, 2]);
  assert.deepEqual(detail.signature.input_shape, [28, 28, 1]);
  assert.equal(detail.signature.labels[1], "Trouser");
  assert.ok(detail.metrics.test_accuracy > 0.5);
  const missing = await fetch(server.url + "/v1/models/nope");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "not_found");
});

test("predict: JSON flat and 28×28 nested give the same, accurate answers", async () => {
  const n = 64;
  const idx = Array.from({ length: n }, (_, i) => i);
  const a = await predictJson("/v1/models/fmnist/predict", idx.map(flat));
  const b = await predictJson("/v1/models/fmnist/predict", idx.map(nested));
  assert.deepEqual(a.model, { name: "fmnist", version: 1 });
  assert.equal(a.predictions.length, n);
  assert.deepEqual(b.predictions, a.predictions);
  let correct = 0;
  a.predictions.forEach((p, i) => {
    assert.equal(p.probabilities.length, 10);
    assert.ok(Math.abs(p.probabilities.reduce((s, v) => s + v, 0) - 1) < 1e-3);
    assert.equal(p.class_id, p.probabilities.indexOf(Math.max(...p.probabilities)));
    if (p.class_id === data.test.labels[i]) correct++;
  });
  assert.ok(correct / n > 0.55, `accuracy ${correct}/${n}`);
  // Every instance reached the prediction sink with the request's id and a hash.
  const recs = sink.records.filter((r) => r.model === "fmnist");
  assert.ok(recs.length >= 2 * n);
  assert.match(recs[0].inputHash, /^[0-9a-f]{64}$/);
  assert.ok(recs.every((r) => r.requestId && r.latencyMs >= 0));
});

test("predict: routing by version and alias; unknown ones are 404", async () => {
  const x = [flat(0)];
  assert.equal((await predictJson("/v1/models/fmnist/versions/2/predict", x)).model.version, 2);
  assert.equal((await predictJson("/v1/models/fmnist/versions/1/predict", x)).model.version, 1);
  assert.equal(
    (await predictJson("/v1/models/fmnist/aliases/staging/predict", x)).model.version,
    2,
  );
  assert.equal(
    (await predictJson("/v1/models/fmnist/aliases/champion/predict", x)).model.version,
    1,
  );
  for (
    const path of [
      "/v1/models/fmnist/versions/9/predict",
      "/v1/models/fmnist/aliases/nope/predict",
      "/v1/models/unknown/predict",
    ]
  ) {
    const r = await post(path, JSON.stringify({ instances: x }));
    assert.equal(r.status, 404, path);
    assert.equal((await r.json()).error.code, "not_found");
  }
  const loaded = (await (await fetch(server.url + "/v1/models")).json()).models[0].loaded_versions;
  assert.deepEqual(loaded, [1, 2]);
});

test("predict: a promotion (alias move) is picked up without restart", async () => {
  const x = [flat(1)];
  assert.equal((await predictJson("/v1/models/fmnist/predict", x)).model.version, 1);
  await setAlias(ctx, { name: "fmnist", alias: "champion", version: 2, reason: "test" });
  try {
    const deadline = Date.now() + 10_000;
    let version = 1;
    while (version !== 2 && Date.now() < deadline) {
      version = (await predictJson("/v1/models/fmnist/predict", x)).model.version;
      if (version !== 2) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(version, 2, "the new champion must serve within 10 s");
  } finally {
    await setAlias(ctx, { name: "fmnist", alias: "champion", version: 1, reason: "test" });
  }
  const deadline = Date.now() + 10_000;
  let version = 2;
  while (version !== 1 && Date.now() < deadline) {
    version = (await predictJson("/v1/models/fmnist/predict", x)).model.version;
    if (version !== 1) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(version, 1);
});

test("predict: images (raw JPEG photo, multipart PNG cut-out) agree with the clean images", async () => {
  const n = 12;
  const clean = Array.from(
    { length: n },
    (_, i) =>
      Array.from(
        preprocessGray(Float32Array.from(data.test.images.subarray(i * 784, (i + 1) * 784)), 28, 28)
          .pixels,
      ),
  );
  const ref = await predictJson("/v1/models/fmnist/predict", clean);
  let agreeJpeg = 0, agreePng = 0;
  const form = new FormData();
  for (let i = 0; i < n; i++) {
    const img = data.test.images.slice(i * 784, (i + 1) * 784);
    const res = await post(
      "/v1/models/fmnist/predict",
      garmentPhotoJpeg(img, { seed: i }),
      "image/jpeg",
    );
    assert.equal(res.status, 200, await res.clone().text());
    const j = await res.json();
    assert.equal(j.predictions.length, 1);
    if (j.predictions[0].class_id === ref.predictions[i].class_id) agreeJpeg++;
    form.append("file", new File([garmentCutoutPng(img)], `g${i}.png`, { type: "image/png" }));
  }
  const res = await fetch(server.url + "/v1/models/fmnist/predict", { method: "POST", body: form });
  assert.equal(res.status, 200, await res.clone().text());
  const mp = await res.json();
  assert.equal(mp.predictions.length, n);
  mp.predictions.forEach((p: { class_id: number }, i: number) => {
    if (p.class_id === ref.predictions[i].class_id) agreePng++;
  });
  assert.ok(agreeJpeg >= n - 2, `JPEG photos agree on ${agreeJpeg}/${n}`);
  assert.ok(agreePng >= n - 2, `PNG cut-outs agree on ${agreePng}/${n}`);
});

test("predict: concurrent requests are micro-batched; tensors do not leak; cache hits", async () => {
  // Warm both versions first so their weights are counted in the baseline.
  await predictJson("/v1/models/fmnist/versions/2/predict", [flat(2)]);
  const before = tf.memory().numTensors;
  const batchesBefore = metricValue(await metrics(), "fmnist_batch_size_count");
  const instancesBefore = metricValue(await metrics(), "fmnist_batch_size_sum");
  const total = 300;
  const results = await Promise.all(Array.from({ length: total }, (_, i) => {
    const x = flat(100 + i);
    const path = i % 3 === 0 ? "/v1/models/fmnist/versions/2/predict" : "/v1/models/fmnist/predict";
    return predictJson(path, [x]);
  }));
  assert.equal(results.length, total);
  const text = await metrics();
  const batches = metricValue(text, "fmnist_batch_size_count") - batchesBefore;
  const instances = metricValue(text, "fmnist_batch_size_sum") - instancesBefore;
  assert.equal(instances, total, "every instance went through a batch exactly once");
  assert.ok(batches < total / 2, `${total} requests ran in ${batches} batches`);
  // Bucket "le=1" counts batches of a single instance: most batches must hold more.
  assert.equal(tf.memory().numTensors, before, "no tensors leaked");
  assert.equal(metricValue(text, "fmnist_tf_tensors"), before);

  const hitsBefore = metricValue(text, "fmnist_cache_hits_total", { backend: "lru" });
  const again = await predictJson("/v1/models/fmnist/predict", [flat(101)]);
  assert.deepEqual(again.predictions[0], results[1].predictions[0]);
  const hits = metricValue(await metrics(), "fmnist_cache_hits_total", { backend: "lru" });
  assert.equal(hits - hitsBefore, 1);
  assert.ok(sink.records.some((r) => r.cached));
});

test("predict: bad input answers 4xx JSON naming the problem", async () => {
  const x = flat(0);
  const cases: [BodyInit, string, number, RegExp][] = [
    [JSON.stringify({ instances: [x.slice(1)] }), "application/json", 400, /got an array of 783/],
    [
      JSON.stringify({ instances: [[...x.slice(1), 1.5]] }),
      "application/json",
      400,
      /1\.5 is outside 0\.\.1/,
    ],
    [
      JSON.stringify({ instances: [[...x.slice(1), "NaN"]] }),
      "application/json",
      400,
      /must be numbers/,
    ],
    [`{"instances": [[${x.slice(1).join(",")}, NaN]]}`, "application/json", 400, /JSON|json/],
    [JSON.stringify({ instances: [] }), "application/json", 400, /at least one/],
    [
      JSON.stringify({ instances: [nested(0).slice(1)] }),
      "application/json",
      400,
      /got an array of 27/,
    ],
    [
      JSON.stringify({ instances: [[...nested(0).slice(1), [1, 2]]] }),
      "application/json",
      400,
      /row of 28/,
    ],
    [JSON.stringify({ instances: [x], extra: 1 }), "application/json", 400, /extra|Unrecognized/i],
    [JSON.stringify([x]), "application/json", 400, /instances|object/],
    ["hello", "text/plain", 415, /./],
    ["not a png", "image/png", 400, /not a PNG or JPEG/],
    [new Uint8Array(3 * 1024 * 1024), "image/jpeg", 413, /exceeds/],
  ];
  for (const [body, type, status, re] of cases) {
    const res = await post("/v1/models/fmnist/predict", body, type);
    assert.equal(
      res.status,
      status,
      `${type} ${String(body).slice(0, 40)}: ${await res.clone().text()}`,
    );
    const j = await res.json();
    assert.match(j.error.message, re);
  }
  const badForm = await post(
    "/v1/models/fmnist/predict",
    "--x\r\nnonsense",
    "multipart/form-data; boundary=x",
  );
  assert.ok(badForm.status >= 400 && badForm.status < 500, `bad multipart: ${badForm.status}`);
  const badVersion = await post(
    "/v1/models/fmnist/versions/0/predict",
    JSON.stringify({ instances: [x] }),
  );
  assert.equal(badVersion.status, 400);
});

test("ops: readyz, metrics by route and status, OpenAPI lists the model routes", async () => {
  const ready = await fetch(server.url + "/readyz");
  assert.equal(ready.status, 200);
  const r = await ready.json();
  assert.equal(r.ready, true);
  assert.ok(r.checks.models.loaded >= 1);
  const text = await metrics();
  assert.ok(
    metricValue(text, "fmnist_http_requests_total", {
      route: "/v1/models/:name/predict",
      status: "200",
    }) > 0,
  );
  assert.ok(metricValue(text, "fmnist_http_requests_total", { status: "400" }) > 0);
  assert.ok(metricValue(text, "fmnist_predictions_total", { model: "fmnist", version: "1" }) > 0);
  assert.equal(metricValue(text, "fmnist_models_loaded"), 2);
  const doc = await (await fetch(server.url + "/openapi.json")).json();
  for (
    const p of [
      "/v1/models",
      "/v1/models/{name}",
      "/v1/models/{name}/predict",
      "/v1/models/{name}/versions/{version}/predict",
      "/v1/models/{name}/aliases/{alias}/predict",
      "/readyz",
      "/metrics",
    ]
  ) assert.ok(doc.paths[p], `OpenAPI lists ${p}`);
  const body = doc.paths["/v1/models/{name}/predict"].post.requestBody.content;
  assert.deepEqual(Object.keys(body).sort(), [
    "application/json",
    "image/jpeg",
    "image/png",
    "multipart/form-data",
  ]);
});

test("runtime: ONNX Runtime (main thread and workers) answers as tfjs; readyz, /v1/models and model.onnx report it", async () => {
  const ort = await resolveRuntime("onnx", { tfjsVersion: tf.version.tfjs });
  const setups = [
    createInference(ctx, { workers: 0, processMetrics: false }, { log: silent, runtime: ort }),
    createInference(ctx, { workers: 1, processMetrics: false }, { log: silent, runtime: ort }),
  ];
  const servers = setups.map((i) =>
    startServer(createApp({ log: silent, datasets: createDatasetApi(ctx), inference: i }), {
      port: 0,
      hostname: "127.0.0.1",
      log: silent,
    })
  );
  try {
    const idx = Array.from({ length: 48 }, (_, i) => i * 7);
    for (
      const path of ["/v1/models/fmnist/versions/1/predict", "/v1/models/fmnist/versions/2/predict"]
    ) {
      const ref = await predictJson(path, idx.map(flat));
      for (const s of servers) {
        const res = await fetch(s.url + path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ instances: idx.map(flat) }),
        });
        assert.equal(res.status, 200, await res.clone().text());
        const got = (await res.json()).predictions as typeof ref.predictions;
        got.forEach((p, i) => {
          assert.equal(p.class_id, ref.predictions[i].class_id);
          p.probabilities.forEach((v, c) =>
            assert.ok(Math.abs(v - ref.predictions[i].probabilities[c]) <= 1e-5, `${path} #${i}`)
          );
        });
      }
    }
    for (const s of servers) {
      const ready = await (await fetch(s.url + "/readyz")).json();
      assert.equal(ready.runtime.kind, "onnx");
      assert.equal(ready.runtime.name, "onnxruntime-node");
      assert.ok(ready.loaded.length >= 2);
      for (const l of ready.loaded) {
        assert.equal(l.runtime.version, ort.version);
        // Main thread: ORT's default (one per core); in workers, one thread per session.
        const main = s === servers[0];
        assert.equal(l.runtime.threads, main ? navigator.hardwareConcurrency : 1);
        assert.equal(l.runtime.workers, main ? 0 : 1);
      }
      const list = await (await fetch(s.url + "/v1/models")).json();
      const m = list.models.find((x: { name: string }) => x.name === "fmnist");
      assert.deepEqual(m.loaded.map((l: { runtime: { kind: string } }) => l.runtime.kind), [
        "onnx",
        "onnx",
      ]);
      for (const l of m.loaded) assert.ok(l.runtime.threads >= 1 && l.runtime.workers >= 0);
    }
    // The tfjs service reports tfjs.
    const tfReady = await (await fetch(server.url + "/readyz")).json();
    assert.equal(tfReady.runtime.kind, "tfjs");
    // The engine reports ONNX Runtime beside tfjs once it is loaded.
    assert.equal(engineInfo().onnxRuntime?.version, ort.version);
    const detail = await (await fetch(server.url + "/v1/models/fmnist")).json();
    assert.equal(detail.versions[0].runtime?.kind ?? "tfjs", "tfjs");

    // v1 was registered through registerCandidate: its export is downloadable and verified.
    const res = await fetch(server.url + "/v1/models/fmnist/versions/1/model.onnx");
    assert.equal(res.status, 200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const sha = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(res.headers.get("x-content-sha256"), sha);
    assert.equal(detail.versions[0].onnx_sha256, sha);
    assert.equal(onnxMetadata(bytes).model_version, "1");
    assert.equal(onnxMetadata(bytes).model_name, "fmnist");
    // It computes what the service serves for v1: the temperature fitted at evaluation is in
    // the graph (a bare ORT session on the file, normalized as its metadata says).
    const { signature } = await readArtifactManifest(
      ctx.store,
      (await getModelVersion(ctx, "fmnist", 1)).sha256,
    );
    assert.ok(signature.temperature !== undefined && signature.temperature !== 1);
    assert.equal(onnxTemperature(bytes), signature.temperature);
    const probe = Array.from({ length: 64 }, (_, i) => i * 13);
    const served = (await predictJson("/v1/models/fmnist/versions/1/predict", probe.map(flat)))
      .predictions.flatMap((p) => p.probabilities);
    const session = await OnnxSession.create(bytes, { threads: 1 });
    try {
      const norm = JSON.parse(onnxMetadata(bytes).normalization);
      const got = await session.run(gatherNormalized(data.test, probe, norm), probe.length);
      let maxDiff = 0;
      got.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - served[i]))));
      assert.ok(maxDiff <= 1e-5, `model.onnx vs served: max |Δp| ${maxDiff}`);
    } finally {
      await session.release();
    }
    // v2 (registered directly, without an export) has none.
    const none = await fetch(server.url + "/v1/models/fmnist/versions/2/model.onnx");
    assert.equal(none.status, 404);
    assert.match((await none.json()).error.message, /has no ONNX file/);
    const doc = await (await fetch(server.url + "/openapi.json")).json();
    assert.ok(doc.paths["/v1/models/{name}/versions/{version}/model.onnx"]);
  } finally {
    for (const s of servers) await s.shutdown();
    for (const i of setups) await i.close();
  }
});

/**
 * Inference in worker threads against the in-process path on the same registered models:
 * same probabilities, concurrency with two workers (flat tensor memory per worker), alias moves
 * reaching the workers, crash → 503-class error → recovery, and shutdown.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseSettings } from "../config/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { createLogger } from "../log/mod.ts";
import { childLogRecords } from "../log/testing.ts";
import { type Ctx, openContext } from "../workspace/mod.ts";
import { setAlias } from "../registry/mod.ts";
import { InferenceUnavailableError, ModelLoadError } from "./errors.ts";
import { IMAGE_PIXELS } from "./instances.ts";
import {
  checkReadiness,
  createInference,
  type Inference,
  inferenceOptionsFromEnv,
} from "./setup.ts";
import { registerSeededModel } from "./testing.ts";
import { AUTO_WORKERS_MAX, InferenceWorkers, resolveWorkerCount } from "./workers.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });
let stateDir: string;
let ctx: Ctx;
/** In-process reference. */
let ref: Inference;

before(async () => {
  await initEngine({ backend: "wasm" });
  stateDir = await Deno.makeTempDir({ prefix: "fmnist-workers-" });
  ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: stateDir }), {
    manifestDir: join(stateDir, "manifests"),
    log: silent,
  });
  assert.equal(await registerSeededModel(ctx, "w", 5, "champion"), 1);
  assert.equal(await registerSeededModel(ctx, "w", 6, "staging"), 2);
  ref = createInference(ctx, { workers: 0, processMetrics: false }, { log: silent });
});

after(async () => {
  await ref?.close();
  await ctx?.close();
  if (stateDir) await Deno.remove(stateDir, { recursive: true });
});

/** `n` pseudo-random images in 0..1, seeded. */
function images(n: number, seed: number): Float32Array {
  const x = new Float32Array(n * IMAGE_PIXELS);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = (s >>> 24) / 255;
  }
  return x;
}

function one(x: Float32Array, i: number): Float32Array {
  return x.slice(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
}

async function probs(
  inf: Inference,
  pixels: Float32Array,
  refSpec: { kind: "default" } | { kind: "version"; version: number } = { kind: "default" },
) {
  const r = await inf.service.predict({
    model: "w",
    ref: refSpec,
    batch: { count: pixels.length / IMAGE_PIXELS, pixels },
    requestId: "t",
  });
  return { version: r.model.version, p: r.predictions.map((q) => q.probabilities) };
}

function maxDiff(a: number[][], b: number[][]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

test("workers: same probabilities as in process (both versions, split batches)", async () => {
  const inf = createInference(ctx, {
    workers: 2,
    lruEntries: 0,
    maxBatch: 16,
    processMetrics: false,
  }, { log: silent });
  try {
    const x = images(40, 1);
    for (const v of [1, 2]) {
      const want = await probs(ref, x, { kind: "version", version: v });
      const got = await probs(inf, x, { kind: "version", version: v });
      assert.equal(got.p.length, 40);
      const d = maxDiff(got.p, want.p);
      assert.ok(d < 1e-5, `v${v}: max |Δp| = ${d}`);
    }
    // The two versions really differ (the comparison above can fail).
    const [a, b] = [
      await probs(inf, one(x, 0)),
      await probs(inf, one(x, 0), { kind: "version", version: 2 }),
    ];
    assert.ok(maxDiff(a.p, b.p) > 1e-4);
    assert.ok(inf.workers && inf.workers.size === 2);
    assert.equal(ref.workers, undefined);
    await inf.workers.ready();
    const ready = await checkReadiness(inf);
    assert.deepEqual(ready.checks.workers, { ok: true, ready: 2, size: 2 });
    assert.equal(ready.ready, true);
    assert.equal((await checkReadiness(ref)).checks.workers, undefined);
  } finally {
    await inf.close();
  }
});

test("workers: concurrent load on 2 workers — right answers, both used, memory flat", async () => {
  const inf = createInference(ctx, {
    workers: 2,
    lruEntries: 0,
    maxBatch: 8,
    maxWaitMs: 1,
    processMetrics: false,
  }, { log: silent });
  try {
    const workers = inf.workers!;
    const x = images(60, 2);
    const want = (await probs(ref, x)).p;
    await probs(inf, one(x, 0)); // load + warm
    await workers.ready();
    const baseline = await workers.stats();
    assert.equal(baseline.length, 2);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        Array.from({ length: 120 }, (_, k) => probs(inf, one(x, (k + round) % 60))),
      );
      results.forEach((r, k) => {
        const d = maxDiff(r.p, [want[(k + round) % 60]]);
        assert.ok(d < 1e-5, `request ${k}: max |Δp| = ${d}`);
      });
      const now = await workers.stats();
      now.forEach((s, i) => {
        assert.equal(s.numTensors, baseline[i].numTensors, `worker ${i} tensors after ${round}`);
        assert.equal(s.numBytes, baseline[i].numBytes, `worker ${i} bytes after ${round}`);
        assert.equal(s.inFlight, 0);
      });
    }
    const stats = await workers.stats();
    for (const s of stats) {
      assert.ok(s.computed > 5, `worker ${s.index} computed only ${s.computed} batches`);
      assert.equal(s.models.length, 1);
    }
    const batches = stats.reduce((n, s) => n + s.computed, 0);
    assert.ok(batches < 360 / 2, `360 requests ran in ${batches} batches (micro-batching)`);
  } finally {
    await inf.close();
  }
});

test("workers: an alias move is picked up and the old version leaves the workers", async () => {
  const inf = createInference(ctx, {
    workers: 2,
    lruEntries: 0,
    aliasTtlSeconds: 0.1,
    processMetrics: false,
  }, { log: silent });
  try {
    const x = images(3, 3);
    const v1 = await probs(ref, x, { kind: "version", version: 1 });
    const v2 = await probs(ref, x, { kind: "version", version: 2 });
    const before = await probs(inf, x);
    assert.equal(before.version, 1);
    assert.ok(maxDiff(before.p, v1.p) < 1e-5);
    await inf.workers!.ready();
    const shas = Object.fromEntries(inf.pool.loaded().map((l) => [l.version, l.sha256]));
    await setAlias(ctx, { name: "w", alias: "champion", version: 2, reason: "test" });
    let after = before;
    const deadline = Date.now() + 10_000;
    while (after.version !== 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      after = await probs(inf, x);
    }
    assert.equal(after.version, 2);
    assert.ok(maxDiff(after.p, v2.p) < 1e-5);
    // v1 is pinned by no alias now: unloaded from the pool and from every worker.
    const newSha = inf.pool.loaded().find((l) => l.version === 2)!.sha256;
    assert.deepEqual(inf.pool.loaded().map((l) => l.version), [2]);
    assert.deepEqual(inf.workers!.loadedKeys(), [newSha]);
    for (const s of await inf.workers!.stats()) {
      assert.deepEqual(s.models, [newSha], `worker ${s.index} models`);
      assert.ok(!s.models.includes(shas[1]));
    }
  } finally {
    await setAlias(ctx, { name: "w", alias: "champion", version: 1, reason: "test reset" });
    await inf.close();
  }
});

test("workers: a crash fails in-flight batches (503 class), then the worker is replaced", async () => {
  const inf = createInference(ctx, { workers: 1, lruEntries: 0, processMetrics: false }, {
    log: silent,
  });
  try {
    const x = images(4, 4);
    const want = await probs(ref, x);
    assert.ok(maxDiff((await probs(inf, x)).p, want.p) < 1e-5);
    inf.workers!.crash(0); // dies while computing the next batch
    const failed = await probs(inf, x).then(() => null, (e) => e);
    assert.ok(failed instanceof InferenceUnavailableError, String(failed));
    assert.ok(failed instanceof ModelLoadError, "maps to HTTP 503 like other load errors");
    assert.match(failed.message, /worker 0 failed .*crash drill.*retry/);
    // Recovery: the next requests wait for the replacement, which reloads the model.
    const again = await probs(inf, x);
    assert.ok(maxDiff(again.p, want.p) < 1e-5);
    const [s] = await inf.workers!.stats();
    assert.equal(s.restarts, 1);
    assert.equal(s.models.length, 1);
    // An idle worker dying is replaced too; requests meanwhile wait for it, not fail. (Wait until
    // it has died — the replacement is counted — so the next request cannot reach the old worker
    // before it gets the crash message: on a loaded machine that takes more than a few ms.)
    inf.workers!.crash(0, "now");
    const restarts = () => inf.metrics.registry.metrics();
    for (
      let i = 0;
      i < 500 && !/^fmnist_inference_worker_restarts_total 2$/m.test(await restarts());
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(maxDiff((await probs(inf, x)).p, want.p) < 1e-5);
    assert.equal((await inf.workers!.stats())[0].restarts, 2);
    // Operators see both replacements, and how long requests queued, in /metrics.
    const text = await inf.metrics.registry.metrics();
    assert.match(text, /^fmnist_inference_worker_restarts_total 2$/m);
    const waits = text.match(/^fmnist_batch_queue_wait_seconds_count\{[^}]*\} (\d+)$/m);
    assert.ok(waits && Number(waits[1]) >= 3, `queue-wait samples: ${waits?.[0]}`);
  } finally {
    await inf.close();
  }
});

/** Poll `cond` every 20 ms until it holds or `ms` passed. */
async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** Threads of this process running Web Workers (Linux names them `worker-N`). */
function workerThreads(): number {
  let n = 0;
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      if (/^worker-\d+$/.test(Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).trim())) n++;
    } catch { /* thread exited meanwhile */ }
  }
  return n;
}

test("workers: close fails in-flight batches promptly; no worker thread is left", async () => {
  // Earlier tests' terminated workers may still be exiting.
  await waitFor(() => workerThreads() === 0, 3000);
  const threadsBefore = workerThreads();
  const inf = createInference(ctx, { workers: 2, lruEntries: 0, processMetrics: false }, {
    log: silent,
  });
  await probs(inf, images(1, 5));
  await inf.workers!.ready();
  assert.equal(workerThreads(), threadsBefore + 2);
  // ~1,300 images: hundreds of ms of compute, so batches are running when we close.
  const pending = Array.from({ length: 20 }, (_, i) => probs(inf, images(64, 10 + i)));
  await new Promise((r) => setTimeout(r, 30));
  const closedAt = performance.now();
  await inf.close();
  const settled = await Promise.allSettled(pending);
  assert.ok(performance.now() - closedAt < 2000, "in-flight work settled promptly");
  const rejected = settled.filter((r) => r.status === "rejected");
  // 503 class all: in-flight batches (InferenceUnavailableError), requests not yet admitted
  // (the pool is closed).
  for (const r of rejected) assert.ok(r.reason instanceof ModelLoadError, String(r.reason));
  assert.ok(
    rejected.some((r) => r.reason instanceof InferenceUnavailableError),
    `some batches were still in flight at close (${rejected.length} rejected)`,
  );
  assert.equal(inf.workers!.readyCount, 0);
  await assert.rejects(() => probs(inf, images(1, 6)), ModelLoadError);
  const ready = await checkReadiness(inf);
  assert.equal(ready.checks.workers?.ok, false);
  assert.equal(ready.ready, false);
  inf.workers!.close(); // idempotent
  await waitFor(() => workerThreads() === threadsBefore, 3000);
  assert.equal(workerThreads(), threadsBefore, "every worker thread exited");
});

test("workers: counts from settings and the environment", () => {
  assert.equal(resolveWorkerCount(0, "wasm"), 0);
  assert.equal(resolveWorkerCount(3, "wasm"), 3);
  assert.equal(
    resolveWorkerCount("auto", "wasm"),
    Math.min(AUTO_WORKERS_MAX, navigator.hardwareConcurrency),
  );
  assert.equal(resolveWorkerCount("auto", "tensorflow"), 0);
  assert.equal(inferenceOptionsFromEnv({}).workers, "auto");
  assert.equal(inferenceOptionsFromEnv({ FMNIST_INFER_WORKERS: "0" }).workers, 0);
  assert.equal(inferenceOptionsFromEnv({ FMNIST_INFER_WORKERS: " 3 " }).workers, 3);
  assert.throws(
    () => inferenceOptionsFromEnv({ FMNIST_INFER_WORKERS: "many" }),
    /FMNIST_INFER_WORKERS="many": must be "auto" or a whole number/,
  );
  assert.throws(() => inferenceOptionsFromEnv({ FMNIST_INFER_WORKERS: "999" }), /workers/);
  assert.throws(
    () => new InferenceWorkers({ workers: 0, backend: "wasm", log: silent }),
    /workers must be an integer in 1\.\.64/,
  );
});

test("an inference worker logs at its pool's level: quiet at warn, 'engine ready' at info", async () => {
  const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  const script = (level: string) => `
import { createLogger } from ${mod("../log/mod.ts")};
import { InferenceWorkers } from ${mod("./workers.ts")};
const workers = new InferenceWorkers({
  workers: 1,
  backend: "wasm",
  log: createLogger({}, { level: ${JSON.stringify(level)} }),
});
await workers.ready();
workers.close();
`;
  const quiet = await childLogRecords(script("warn"));
  assert.deepEqual(quiet.map((r) => r.msg), [], "nothing below warn from the worker");
  const ready = (await childLogRecords(script("info"))).filter((r) => r.msg === "engine ready");
  assert.equal(ready.length, 1);
  assert.equal(ready[0].worker, "inference");
});

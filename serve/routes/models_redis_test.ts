/**
 * The prediction cache on a real Redis over HTTP: hits are served from Redis, and when Redis
 * dies requests still answer 200 while `fmnist_cache_errors_total` counts the bypass. Uses a
 * `redis-server` started here on a free port (and `FMNIST_TEST_REDIS_URL` when CI sets one).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freeLoopbackPort, parseSettings } from "../../lib/config/mod.ts";
import { initEngine } from "../../lib/engine/mod.ts";
import { createInference, type Inference } from "../../lib/inference/mod.ts";
import { registerSeededModel } from "../../lib/inference/testing.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { type Ctx, openContext } from "../../lib/workspace/mod.ts";
import { createApp } from "../app.ts";
import { type RunningServer, startServer } from "../server.ts";
import { createDatasetApi } from "../services/lib_datasets.ts";
import { metricValue } from "./metrics_testing.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });
let stateDir: string;
let ctx: Ctx;

async function startRedis(): Promise<{ url: string; proc: Deno.ChildProcess }> {
  const port = freeLoopbackPort();
  const proc = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return { url: `redis://127.0.0.1:${port}`, proc };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  proc.kill("SIGKILL");
  throw new Error("redis-server did not start within 10 s; is it installed (Debian redis-server)?");
}

/**
 * Wait (up to 10 s) until `/readyz` reports the cache connected, as a load balancer waits for
 * readiness before sending traffic (the models check is left out: this test loads the model on
 * its first request instead of warming it at start-up). The Redis client connects in the
 * background and fails commands fast until it has (no offline queue), so a request sent straight
 * after start-up bypasses the cache: under CI load the first predict used to beat the connection
 * ("Stream isn't writeable"), and the test failed.
 */
async function untilCacheReady(server: RunningServer): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await fetch(`${server.url}/readyz`);
    const j = await r.json();
    if (j.checks?.cache?.ok === true) return;
    if (Date.now() > deadline) {
      throw new Error(`the cache was not ready within 10 s: ${JSON.stringify(j.checks)}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * Send input `seed` again until it is served from the cache (up to 10 s); every answer must equal
 * `expected`. The cache write is not awaited by requests, and a command that outlives the 100 ms
 * timeout is a counted bypass by design, so a repeat may miss while the write is in flight or after
 * the machine stalled; a cache that never serves the input fails the test. Returns the metrics text.
 */
async function untilHit(server: RunningServer, seed: number, expected: unknown): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await predict(server, seed);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), expected);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    if (metricValue(text, "fmnist_cache_hits_total", { backend: "redis" }) >= 1) return text;
    if (Date.now() > deadline) {
      const cache = text.split("\n").filter((l) => l.startsWith("fmnist_cache")).join("; ");
      throw new Error(`a repeated input was not served from Redis within 10 s (${cache})`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

function serve(redisUrl: string): { inf: Inference; server: RunningServer } {
  const inf = createInference(ctx, { redisUrl, processMetrics: false }, { log: silent });
  const app = createApp({ log: silent, datasets: createDatasetApi(ctx), inference: inf });
  return { inf, server: startServer(app, { port: 0, hostname: "127.0.0.1", log: silent }) };
}

function body(seed: number): string {
  const x = Array.from({ length: 784 }, (_, i) => ((i * 7919 + seed * 104729) % 256) / 255);
  return JSON.stringify({ instances: [x] });
}

async function predict(server: RunningServer, seed: number): Promise<Response> {
  return await fetch(`${server.url}/v1/models/tiny/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body(seed),
  });
}

before(async () => {
  await initEngine({ backend: "wasm" });
  stateDir = await Deno.makeTempDir({ prefix: "fmnist-redis-" });
  ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: stateDir }), {
    manifestDir: join(stateDir, "manifests"),
    log: silent,
  });
  await registerSeededModel(ctx, "tiny", 3, "champion");
});

after(async () => {
  await ctx?.close();
  if (stateDir) await Deno.remove(stateDir, { recursive: true });
});

test("redis cache: a repeated input is a hit; Redis down → still 200, bypass counted", async () => {
  const redis = await startRedis();
  const { inf, server } = serve(redis.url);
  let killed = false;
  try {
    await untilCacheReady(server);
    const first = await predict(server, 1);
    assert.equal(first.status, 200);
    const a = await first.json();
    let text = await untilHit(server, 1, a);
    assert.equal(metricValue(text, "fmnist_cache_hits_total", { backend: "redis" }), 1);
    assert.equal((await (await fetch(`${server.url}/readyz`)).json()).checks.cache.ok, true);

    redis.proc.kill("SIGKILL");
    await redis.proc.status;
    killed = true;
    for (let i = 0; i < 5; i++) {
      const r = await predict(server, 100 + i);
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal((await r.json()).predictions.length, 1);
    }
    const again = await predict(server, 1); // was cached, now computed again
    assert.deepEqual(await again.json(), a);
    text = await (await fetch(`${server.url}/metrics`)).text();
    const errors = metricValue(text, "fmnist_cache_errors_total", { backend: "redis", op: "get" });
    assert.ok(errors >= 6, `cache get errors counted: ${errors}`);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    const rj = await ready.json();
    assert.equal(rj.checks.cache.ok, false);
    assert.equal(rj.checks.models.ok, true);
  } finally {
    await server.shutdown();
    await inf.close();
    if (!killed) {
      redis.proc.kill("SIGKILL");
      await redis.proc.status;
    }
  }
});

test("redis cache: works against the CI Redis (FMNIST_TEST_REDIS_URL) when set", {
  skip: !Deno.env.get("FMNIST_TEST_REDIS_URL") && "FMNIST_TEST_REDIS_URL is not set",
}, async () => {
  const { inf, server } = serve(Deno.env.get("FMNIST_TEST_REDIS_URL")!);
  try {
    await untilCacheReady(server);
    const seed = Math.floor(Math.random() * 1e9);
    const a = await (await predict(server, seed)).json();
    const text = await untilHit(server, seed, a);
    assert.equal(metricValue(text, "fmnist_cache_hits_total", { backend: "redis" }), 1);
  } finally {
    await server.shutdown();
    await inf.close();
  }
});

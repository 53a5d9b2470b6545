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

/** Keys in the Redis at `url` (`DBSIZE`, spoken in RESP over a plain TCP connection). */
async function redisKeys(url: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(url).port) });
  try {
    await conn.write(new TextEncoder().encode("*1\r\n$6\r\nDBSIZE\r\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    const reply = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    const m = /^:(\d+)\r\n/.exec(reply);
    if (!m) throw new Error(`unexpected DBSIZE reply ${JSON.stringify(reply)}`);
    return Number(m[1]);
  } finally {
    conn.close();
  }
}

/** Wait (up to 10 s) until the Redis at `url` holds at least one key. */
async function untilStored(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await redisKeys(url)) < 1) {
    if (Date.now() > deadline) {
      throw new Error("the prediction was not cached in Redis within 10 s");
    }
    await new Promise((r) => setTimeout(r, 20));
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
    const first = await predict(server, 1);
    assert.equal(first.status, 200);
    const a = await first.json();
    // The cache write is not awaited by requests: wait until it has landed in Redis (a fixed
    // 50 ms sleep was too short under CI load, and the second predict then missed).
    await untilStored(redis.url);
    const second = await predict(server, 1);
    assert.equal(second.status, 200);
    assert.deepEqual(await second.json(), a);
    let text = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(text, "fmnist_cache_hits_total", { backend: "redis" }), 1);
    assert.equal(
      metricValue(text, "fmnist_cache_errors_total", { backend: "redis", op: "get" }),
      0,
    );
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
    const seed = Math.floor(Math.random() * 1e9);
    const a = await (await predict(server, seed)).json();
    await new Promise((r) => setTimeout(r, 50));
    const b = await (await predict(server, seed)).json();
    assert.deepEqual(b, a);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(text, "fmnist_cache_hits_total", { backend: "redis" }), 1);
  } finally {
    await server.shutdown();
    await inf.close();
  }
});

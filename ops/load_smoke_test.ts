/**
 * The Locust smoke scenario (bench/load/locustfile.py through bench/load.ts `runLoad`) against a
 * real service for a few seconds: every task type runs, nothing fails, and the summary and
 * Locust's CSV/HTML reports are written.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runLoad } from "../bench/load.ts";
import { seedState, startApp } from "./stack_testing.ts";
import { freeLoopbackPort } from "../lib/config/mod.ts";

test("load smoke: Locust drives every task against the service with zero failures", async () => {
  const seeded = await seedState();
  const out = await Deno.makeTempDir({ prefix: "fmnist-ops-load-" });
  const feedbackKey = crypto.randomUUID();
  const app = await startApp(seeded, freeLoopbackPort(), {
    LOG_LEVEL: "warn",
    FMNIST_FEEDBACK_KEY: feedbackKey,
  });
  try {
    const s = await runLoad({
      scenario: "smoke",
      users: 3,
      duration: "8s",
      host: app.url,
      outDir: out,
      feedbackKey,
    });
    assert.equal(s.failures, 0, Deno.readTextFileSync(`${out}/locust_failures.csv`));
    assert.ok(s.requests > 5, `only ${s.requests} requests`);
    assert.ok(s.p99_ms >= s.p50_ms && s.p50_ms > 0);
    assert.ok(s.rss_bytes.start && s.rss_bytes.end, "RSS read from /metrics");
    assert.equal(typeof s.tensors.end, "number");
    const names = Deno.readTextFileSync(`${out}/locust_stats.csv`);
    const tasks = ["POST predict (json)", "POST predict (png upload)", "GET /v1/models"];
    for (const n of [...tasks, "POST /v1/feedback"]) {
      assert.ok(names.includes(n), `${n} never ran`);
    }
    assert.ok(Deno.statSync(`${out}/locust.html`).size > 1000);
  } finally {
    await app.proc.stop();
    await Deno.remove(seeded, { recursive: true }).catch(() => {});
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
});

/**
 * Distribution on the real engine: two `deno task worker` processes share the BullMQ queue
 * (Redis), the metadata DB (Postgres) and the object store (one state dir). A `pipeline` DAG run
 * (tiny training settings) is spread over both; the worker running `train` is killed (SIGKILL)
 * mid-job; after its lock expires the job is retried by the other worker, the run completes
 * once, and the model is registered once. Needs `FMNIST_TEST_DATABASE_URL` (CI sets it; a CI run
 * without it fails) and Redis (`FMNIST_TEST_REDIS_URL`, else a throwaway redis-server).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { automationSettings, BullmqEngine, DAGS, getRun, parseDagParams } from "../lib/jobs/mod.ts";
import { testDatabase, testRedis } from "../lib/jobs/testing.ts";
import { parseSettings } from "../lib/config/mod.ts";
import { testDatabaseUrl } from "../lib/db/testing.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";

const WORKER = new URL("./worker.ts", import.meta.url).pathname;

test(
  "worker: two processes share the queue; a killed worker's job is retried by the other; the run completes once",
  {
    skip: !testDatabaseUrl() && !Deno.env.get("CI") && "FMNIST_TEST_DATABASE_URL is not set",
  },
  async () => {
    const db = (await testDatabase())!;
    const redis = await testRedis();
    const dir = await Deno.makeTempDir({ prefix: "fmnist-workers-" });
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      FMNIST_STATE_DIR: dir,
      FMNIST_BACKEND: "wasm",
      FMNIST_THREADS: "1",
      LOG_LEVEL: "warn",
      FMNIST_LOG_FORMAT: "json",
      FMNIST_AUTOMATION_QUEUE: `t${crypto.randomUUID().slice(0, 8)}`,
      FMNIST_JOB_ATTEMPTS: "3",
      FMNIST_JOB_BACKOFF_MS: "200",
      FMNIST_JOB_LOCK_MS: "10000",
    };
    const ctx = await openContext(parseSettings(env), {
      manifestDir: join(dir, "manifests"),
      log: createLogger({}, { level: "error", sink: () => {} }),
    });
    const workers = new Map<number, Deno.ChildProcess>();
    const spawn = async () => {
      const p = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", WORKER, "--data-dir", join(dir, "manifests")],
        env,
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      workers.set(p.pid, p);
      const reader = p.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes(" ready on queue ")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`a worker exited before it was ready: ${text}`);
        text += value;
      }
      // Keep draining its output.
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
    };
    const settings = automationSettings(env);
    const engine = new BullmqEngine(ctx, settings, redis.url);
    try {
      await Promise.all([spawn(), spawn()]);
      const params = parseDagParams({
        recipe: "quick",
        limit: 1000,
        resamples: 10,
        behaviour: "off",
      });
      const runId = await engine.submit(DAGS.pipeline, params, {
        trigger: "manual",
        triggeredBy: "worker_test",
      });
      const seen = new Set<string>();
      let killed: string | null = null;
      const deadline = Date.now() + 15 * 60_000;
      let run = await getRun(ctx.db, runId);
      while (run.status !== "completed" && run.status !== "failed") {
        assert.ok(Date.now() < deadline, `run still ${run.status}: ${JSON.stringify(run.steps)}`);
        for (const s of run.steps) if (s.worker) seen.add(s.worker);
        const train = run.steps.find((s) => s.step === "train")!;
        if (!killed && train.status === "running" && train.worker) {
          const pid = Number(train.worker.split(":").at(-1));
          const p = workers.get(pid);
          assert.ok(p, `train runs on ${train.worker}, not one of our workers`);
          // Kill it at once, without a chance to clean up. (Waiting first "to get into the
          // training loop" would race the step's end: on a fast machine the quick recipe's train
          // step takes a few seconds in all. Killing mid-epoch is resume_test's subject.)
          p.kill("SIGKILL");
          await p.status;
          workers.delete(pid);
          killed = train.worker;
        }
        await new Promise((r) => setTimeout(r, 250));
        run = await getRun(ctx.db, runId);
      }
      assert.equal(run.status, "completed", JSON.stringify(run, null, 1));
      assert.ok(killed, "the train step was never seen running");
      for (const s of run.steps) if (s.worker) seen.add(s.worker);
      assert.ok(seen.size >= 2, `steps ran on ${[...seen].join(", ")}`);
      const train = run.steps.find((s) => s.step === "train")!;
      assert.equal(train.attempts, 2, "the killed attempt and the retry");
      assert.notEqual(train.worker, killed);
      assert.ok(run.steps.every((s) => s.status === "completed"));
      const register = run.steps.find((s) => s.step === "register")!;
      assert.equal(register.attempts, 1);
      const versions = await ctx.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM registry_versions WHERE model = 'fmnist'`,
      );
      assert.equal(Number(versions[0].n), 1, "registered once");
      const runs = await ctx.db.query<{ n: string }>(`SELECT count(*) AS n FROM dag_runs`);
      assert.equal(Number(runs[0].n), 1);
      assert.deepEqual(run.outcome && (run.outcome as { version: number }).version, 1);
    } finally {
      for (const p of workers.values()) {
        p.kill("SIGTERM");
        await p.status;
      }
      await engine.close();
      await ctx.close();
      await db.close();
      await redis.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

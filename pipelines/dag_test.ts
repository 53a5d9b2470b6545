/**
 * `deno task dag` on the embedded engine: usage and settings errors exit 2 with a message; a run
 * whose step keeps failing exits 1, shows the failed step with its attempts, and is listed by
 * `status --json`. (Each call opens the workspace — PGlite — so the cases are few.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "./dag.ts";

async function capture(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  const err = console.error;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await f(), out: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = err;
  }
}

test("dag: usage and settings errors exit 2; a failing run exits 1 and is listed by status", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-dag-cli-" });
  const env = {
    FMNIST_STATE_DIR: dir,
    LOG_LEVEL: "error",
    FMNIST_LOG_FORMAT: "json",
    FMNIST_JOB_ATTEMPTS: "2",
    FMNIST_JOB_BACKOFF_MS: "1",
  };
  try {
    let r = await capture(() => main(["bogus"], env));
    assert.equal(r.code, 2);
    assert.match(r.out, /unknown command "bogus"/);
    r = await capture(() => main(["run", "data"], { ...env, FMNIST_SCHEDULE_DATA: "daily" }));
    assert.equal(r.code, 2);
    assert.match(r.out, /FMNIST_SCHEDULE_DATA: must be a cron expression/);

    r = await capture(() => main(["run", "data", "--source", `${dir}/missing`], env));
    assert.equal(r.code, 1);
    assert.match(r.out, /data {2}failed/);
    assert.match(r.out, /ingest {4}failed {4}2 attempts, error: source directory/);

    r = await capture(() => main(["status", "--json"], env));
    assert.equal(r.code, 0);
    const runs = JSON.parse(r.out);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, "failed");
    assert.equal(runs[0].trigger, "manual");
    assert.equal(runs[0].steps[0].attempts, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

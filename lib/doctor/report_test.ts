import assert from "node:assert/strict";
import { test } from "node:test";
import { freeLoopbackPort, parseSettings } from "../config/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { registerSeededModel } from "../inference/testing.ts";
import { createLogger } from "../log/mod.ts";
import { openContext } from "../workspace/mod.ts";
import { listModelVersions } from "../registry/mod.ts";
import {
  checkDeno,
  checkPrometheus,
  checkRedis,
  doctorExitCode,
  formatDoctor,
  runDoctor,
} from "./mod.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });

test("checkDeno: the pinned version is ok, an older one fails, a newer one warns", () => {
  assert.equal(checkDeno("2.9.6", "2.9.6").status, "ok");
  const old = checkDeno("2.9.6", "2.7.1");
  assert.equal(old.status, "fail");
  assert.match(old.hint ?? "", /deno@2\.9\.6/);
  assert.equal(checkDeno("2.9.6", "2.10.0").status, "warn");
});

test("checkRedis / checkPrometheus: unset is skipped, unreachable fails with a hint, up is ok", async () => {
  assert.equal((await checkRedis(undefined)).status, "skip");
  const redis = await checkRedis(`redis://127.0.0.1:${freeLoopbackPort()}`, 500);
  assert.equal(redis.status, "fail");
  assert.match(redis.hint ?? "", /REDIS_URL/);

  assert.equal((await checkPrometheus(undefined)).status, "skip");
  assert.equal(
    (await checkPrometheus(`http://127.0.0.1:${freeLoopbackPort()}`, 500)).status,
    "fail",
  );
  let ready = 503;
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) => new Response("", { status: new URL(req.url).pathname === "/-/ready" ? ready : 404 }),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const starting = await checkPrometheus(url);
    assert.equal(starting.status, "fail");
    assert.match(starting.detail, /503/);
    ready = 200;
    assert.equal((await checkPrometheus(url)).status, "ok");
  } finally {
    ac.abort();
    await server.finished;
  }
});

test("runDoctor: a healthy workspace passes; a champion whose artifact is gone fails", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-doctor-" });
  await initEngine({ backend: "wasm" });
  const settings = parseSettings({ FMNIST_STATE_DIR: stateDir, FMNIST_BACKEND: "wasm" });
  const ctx = await openContext(settings, { manifestDir: `${stateDir}/manifests`, log: silent });
  try {
    const empty = await runDoctor(settings, ctx);
    assert.equal(empty.find((c) => c.name === "champion")?.status, "warn");
    assert.equal(doctorExitCode(empty), 0);

    await registerSeededModel(ctx, "fmnist", 1, "champion");
    const checks = await runDoctor(settings, ctx);
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    assert.equal(by.champion.status, "ok", by.champion.detail);
    assert.match(by.champion.detail, /fmnist@1/);
    assert.equal(by.migrations.status, "ok");
    assert.equal(by.database.status, "ok");
    assert.equal(by["state dir"].status, "ok");
    assert.equal(by.backend.status, "ok");
    assert.match(by.backend.detail, /^wasm/);
    assert.equal(doctorExitCode(checks), 0);
    assert.match(formatDoctor(checks), /all checks passed/);

    const [v] = await listModelVersions(ctx, "fmnist");
    await ctx.store.delete(v.artifactKey);
    const broken = await runDoctor(settings, ctx);
    const champion = broken.find((c) => c.name === "champion")!;
    assert.equal(champion.status, "fail");
    assert.match(champion.hint ?? "", /champion alias/);
    assert.equal(doctorExitCode(broken), 1);
    assert.match(formatDoctor(broken), /FAIL {2}champion[\s\S]*fix: [\s\S]*1 check\(s\) failed/);
  } finally {
    await ctx.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});

test("runDoctor: a workspace that cannot open fails the database check and skips the champion", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-doctor-" });
  try {
    const settings = parseSettings({
      FMNIST_STATE_DIR: stateDir,
      FMNIST_BACKEND: "wasm",
      DATABASE_URL: `postgres://x:y@127.0.0.1:${freeLoopbackPort()}/none`,
    });
    const checks = await runDoctor(settings, { error: new Error("connect ECONNREFUSED") });
    const db = checks.find((c) => c.name === "database")!;
    assert.equal(db.status, "fail");
    assert.match(db.hint ?? "", /DATABASE_URL/);
    assert.equal(checks.find((c) => c.name === "champion")?.status, "skip");
    assert.equal(doctorExitCode(checks), 1);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

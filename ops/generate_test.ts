/** The committed generated ops files match their sources (`deno task ops:generate`). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { generatedFiles, staleFiles } from "./generate.ts";
import { opsPath, requireBinary, runProgram } from "./testing.ts";
import { freeLoopbackPort } from "../lib/config/mod.ts";

test("generated ops files are up to date (run deno task ops:generate)", () => {
  assert.deepEqual(staleFiles(), []);
});

test("the compose nginx.conf passes nginx -t (with the replicas' names resolvable)", async () => {
  const work = await Deno.makeTempDir({ prefix: "fmnist-ops-nginx-t-" });
  try {
    // nginx -t resolves upstream names: point app-1/app-2 at loopback for the check only.
    const conf = generatedFiles()["nginx/nginx.conf"]
      .replace(/app-(\d):8000/g, "127.0.0.$1:8000")
      .replace("listen 80;", `listen 127.0.0.1:${freeLoopbackPort()};`)
      .replace("worker_processes auto;", `worker_processes 1;\npid ${work}/nginx.pid;`);
    assert.match(Deno.readTextFileSync(opsPath("nginx/nginx.conf")), /server app-2:8000/);
    Deno.writeTextFileSync(`${work}/nginx.conf`, conf);
    const r = await runProgram(requireBinary("nginx"), [
      "-t",
      "-p",
      work,
      "-c",
      `${work}/nginx.conf`,
      "-g",
      `error_log ${work}/error.log;`,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

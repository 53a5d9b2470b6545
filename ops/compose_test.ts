/**
 * Docker is not available here, so the stack's files are checked statically: `compose.yaml`
 * against the Compose specification's JSON schema (vendored, ops/compose/NOTICE.md), every file
 * it mounts or builds from exists, references between services and volumes resolve, and the
 * Dockerfile keeps its promises (pinned base, cached dependency layer, non-root, healthcheck).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv2019 } from "ajv/dist/2019.js";
import { parse } from "yaml";
import { opsPath, repoPath } from "./testing.ts";

type Service = {
  command?: string[];
  build?: string | { context: string; dockerfile?: string };
  volumes?: (string | { type: string; source: string })[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: unknown;
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

function validator() {
  const schema = JSON.parse(Deno.readTextFileSync(opsPath("compose/vendor/compose-spec.json")));
  // Used unmodified on disk; the file still carries draft-04 `id` keywords (plain labels here),
  // which ajv's draft-2019 mode refuses: drop them in memory.
  delete schema.$schema;
  const dropIds = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(dropIds);
    if (node === null || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    if (typeof o.id === "string") delete o.id;
    Object.values(o).forEach(dropIds);
  };
  dropIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}

function loadCompose(text = Deno.readTextFileSync(repoPath("compose.yaml"))): Compose {
  return parse(text, { merge: true }) as Compose;
}

test("compose.yaml is valid against the Compose specification schema", () => {
  const validate = validator();
  const ok = validate(loadCompose());
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
});

test("the schema rejects a broken compose file (the check can fail)", () => {
  const validate = validator();
  const text = Deno.readTextFileSync(repoPath("compose.yaml"));
  assert.equal(
    validate(loadCompose(text.replace("restart: unless-stopped", "restart: [x]"))),
    false,
  );
  assert.equal(validate(loadCompose(text + "\nservicez: {}\n")), false);
});

test("the stack has every piece, and every mounted or built file exists", () => {
  const compose = loadCompose();
  const services = compose.services;
  for (
    const s of [
      "nginx",
      "app-1",
      "app-2",
      "postgres",
      "minio",
      "minio-init",
      "redis",
      "prometheus",
      "alertmanager",
      "grafana",
      "loki",
      "alloy",
      "scheduler",
      "worker",
    ]
  ) assert.ok(services[s], `service ${s} missing`);
  // The automation runs the entry points of the same image.
  assert.deepEqual(services.scheduler.command, ["run", "-A", "pipelines/scheduler.ts"]);
  assert.equal(services.worker.command?.[2], "pipelines/worker.ts");
  for (const [name, svc] of Object.entries(services)) {
    for (const v of svc.volumes ?? []) {
      const source = typeof v === "string" ? v.split(":")[0] : v.source;
      if (source.startsWith("./")) {
        assert.ok(
          (() => {
            try {
              Deno.statSync(repoPath(source.slice(2)));
              return true;
            } catch {
              return false;
            }
          })(),
          `${name}: mounted ${source} does not exist`,
        );
      } else if (!source.startsWith("/")) {
        assert.ok(
          compose.volumes && source in compose.volumes,
          `${name}: volume ${source} undeclared`,
        );
      }
    }
    const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
    for (const d of deps) assert.ok(services[d], `${name} depends on unknown ${d}`);
    if (svc.build) {
      const ctx = typeof svc.build === "string" ? svc.build : svc.build.context;
      Deno.statSync(repoPath(`${ctx === "." ? "" : ctx + "/"}Dockerfile`));
    }
  }
  // Prometheus scrapes exactly the app replicas of the stack.
  const prom = parse(Deno.readTextFileSync(opsPath("prometheus/prometheus.yml")));
  const targets: string[] =
    prom.scrape_configs.find((s: { job_name: string }) => s.job_name === "fmnist").static_configs[0]
      .targets;
  assert.deepEqual(targets.map((t) => t.split(":")[0]), ["app-1", "app-2"]);
  // nginx proxies to the same replicas.
  const nginx = Deno.readTextFileSync(opsPath("nginx/nginx.conf"));
  for (const t of targets) assert.match(nginx, new RegExp(`server ${t} `));
});

test("Dockerfile: pinned base, dependency layer before the code, non-root, /healthz check", () => {
  const df = Deno.readTextFileSync(repoPath("Dockerfile"));
  const denoVersion = Deno.readTextFileSync(repoPath(".ci/run")).match(/deno@([\d.]+)/)?.[1];
  assert.match(df, new RegExp(`^FROM denoland/deno:${denoVersion?.replaceAll(".", "\\.")}$`, "m"));
  const install = df.indexOf("RUN deno install --frozen");
  assert.ok(install > 0 && install < df.indexOf("COPY lib/"), "deno install before the code");
  assert.match(df, /^USER deno$/m);
  assert.match(df, /HEALTHCHECK[\s\S]*\/healthz/);
  assert.match(df, /VOLUME \["\/state"\]/);
  for (const m of df.matchAll(/^COPY (\S+) /gm)) {
    for (const src of m[1].split(" ")) Deno.statSync(repoPath(src.replace(/\/$/, "")));
  }
});

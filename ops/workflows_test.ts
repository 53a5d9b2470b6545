/**
 * The GitHub Actions workflows, checked statically (`act` cannot run here): each file under
 * `.github/workflows/` is valid against the vendored workflow JSON schema (ops/workflows/NOTICE.md),
 * and each keeps its promise — `ci.yml` runs exactly `.ci/run` and uploads the coverage report
 * `.ci/run` writes, `nightly.yml` runs the full pipeline on a schedule and uploads its reports,
 * `release.yml` runs on tags, pushes the image and deploys the docs site to Pages.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { opsPath, repoPath } from "./testing.ts";

type Step = { name?: string; run?: string; uses?: string; with?: Record<string, unknown> };
type Workflow = {
  on: Record<string, unknown>;
  jobs: Record<string, { steps?: Step[]; permissions?: Record<string, string> }>;
};

const NAMES = ["ci.yml", "nightly.yml", "release.yml"];

function validator() {
  const schema = JSON.parse(
    Deno.readTextFileSync(opsPath("workflows/vendor/github-workflow.json")),
  );
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}

function load(name: string): Workflow {
  return parse(Deno.readTextFileSync(repoPath(`.github/workflows/${name}`))) as Workflow;
}

const steps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((j) => j.steps ?? []);

test("every workflow is valid against the GitHub workflow schema", () => {
  const validate = validator();
  const files = [...Deno.readDirSync(repoPath(".github/workflows"))].map((e) => e.name).sort();
  assert.deepEqual(files, NAMES);
  for (const name of files) {
    assert.ok(validate(load(name)), `${name}: ${JSON.stringify(validate.errors, null, 2)}`);
  }
});

test("the schema rejects broken workflows (the check can fail)", () => {
  const validate = validator();
  const ci = load("ci.yml");
  assert.equal(validate({ ...ci, jobs: { test: { steps: [{ run: "x" }] } } }), false, "no runs-on");
  assert.equal(validate({ ...ci, on: { pushh: {} } }), false, "unknown event");
  assert.equal(validate({ ...ci, jobs: { test: { "runs-on": "x", stepz: [] } } }), false);
});

test("ci.yml mirrors .ci/run and uploads the coverage it writes", () => {
  const ci = load("ci.yml");
  const runs = steps(ci).filter((s) => s.run).map((s) => s.run!.trim());
  assert.ok(runs.includes("bash .ci/run"));
  assert.ok(!runs.some((r) => /deno (test|fmt|lint|task)/.test(r)), "no step repeats .ci/run");
  const upload = steps(ci).find((s) => s.uses?.startsWith("actions/upload-artifact@"));
  assert.ok(upload, "coverage is uploaded");
  const script = Deno.readTextFileSync(repoPath(".ci/run"));
  for (const path of String(upload.with?.path).trim().split("\n")) {
    assert.ok(script.includes(path.trim()), `.ci/run writes ${path}`);
  }
  assert.match(script, /deno task test --coverage=/);
  assert.match(script, /FMNIST_MIN_LINE_COVERAGE/);
});

test("nightly.yml runs the full pipeline on a schedule and uploads its reports", () => {
  const w = load("nightly.yml");
  assert.ok(Array.isArray(w.on.schedule) && (w.on.schedule as unknown[]).length > 0);
  assert.ok(steps(w).some((s) => /deno task (dag run pipeline|pipeline)\b/.test(s.run ?? "")));
  assert.ok(steps(w).some((s) => s.uses?.startsWith("actions/upload-artifact@")));
});

test("release.yml: on a tag, pushes the image and deploys the docs site", () => {
  const w = load("release.yml");
  assert.deepEqual(Object.keys(w.on), ["push"]);
  assert.ok((w.on.push as { tags: string[] }).tags.length > 0);
  const all = steps(w);
  const push = all.find((s) => s.uses?.startsWith("docker/build-push-action@"));
  assert.equal(push?.with?.push, true);
  assert.ok(all.some((s) => s.run?.includes("deno task docs")));
  assert.ok(all.some((s) => s.uses?.startsWith("actions/deploy-pages@")));
  assert.equal(w.jobs.pages.permissions?.pages, "write");
  assert.ok(Deno.statSync(repoPath("Dockerfile")).isFile);
});

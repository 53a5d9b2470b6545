import assert from "node:assert/strict";
import { test } from "node:test";
import { envSchema } from "../config/mod.ts";
import { configEntries, configReferenceMarkdown, settingsDocComments } from "./mod.ts";

test("the configuration reference lists every setting with its default and meaning", async () => {
  const entries = await configEntries();
  const workspace = entries.filter((e) => e.section === "Workspace").map((e) => e.name);
  assert.deepEqual(workspace, Object.keys(envSchema.shape));
  for (const name of ["FMNIST_INFER_WORKERS", "FMNIST_DRIFT_WINDOW", "FMNIST_AUTOMATION_ENGINE"]) {
    assert.ok(entries.some((e) => e.name === name), name);
  }
  assert.equal(new Set(entries.map((e) => e.name)).size, entries.length, "each variable once");
  const undocumented = entries.filter((e) => !e.description).map((e) => e.name);
  assert.deepEqual(undocumented, [], "write a doc comment above these keys in their schema");
  const port = entries.find((e) => e.name === "PORT");
  assert.equal(port?.default, "8000");
  assert.equal(port?.constraint, "1 … 65535");
  const level = entries.find((e) => e.name === "LOG_LEVEL");
  assert.match(level?.constraint ?? "", /one of `debug`, `info`, `warn`, `error`/);
  const md = configReferenceMarkdown(entries);
  assert.match(md, /^\| `FMNIST_STATE_DIR` \| string \| `\.fmnist` \|/m);
  assert.equal(md.split("\n").filter((l) => l.startsWith("| `")).length, entries.length);
  assert.match(md, /^## Inference service$/m);
});

/** `FMNIST_*` names in the code that are not variables a user sets, and why. */
const NOT_SETTINGS: Record<string, string> = {
  FMNIST_INK_MEAN: "a constant of lib/inference/image.ts, not an environment variable",
  FMNIST_PLOTLY_JS: "internal: the notebook runner sets it for the kernels it starts",
  FMNIST_TEST_DATABASE_URL: "test harness: the Postgres CI starts (.ci/services.sh)",
  FMNIST_TEST_REDIS_URL: "test harness: the Redis CI starts (.ci/services.sh)",
};

async function* codeFiles(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !["node_modules", "vendor", "fixtures"].includes(e.name)) {
      yield* codeFiles(new URL(`${e.name}/`, dir));
    } else if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      yield new URL(e.name, dir);
    }
  }
}

test("every FMNIST_ variable the code reads is in the configuration reference", async () => {
  const documented = new Set((await configEntries()).map((e) => e.name));
  const named = new Map<string, string>();
  for (const dir of ["lib", "serve", "pipelines", "bench", "ops"]) {
    for await (const file of codeFiles(new URL(`../../${dir}/`, import.meta.url))) {
      for (const m of (await Deno.readTextFile(file)).matchAll(/\bFMNIST_[A-Z0-9_]+/g)) {
        // `FMNIST_REMOTE_S3_…`-style prefixes in messages are not names.
        if (!m[0].endsWith("_")) named.set(m[0], file.pathname.split("/").slice(-2).join("/"));
      }
    }
  }
  assert.ok(named.size > 40, `only ${named.size} names found`);
  const missing = [...named].filter(([n]) => !documented.has(n) && !(n in NOT_SETTINGS))
    .map(([n, where]) => `${n} (${where})`);
  assert.deepEqual(missing, [], "add these to an exported env schema with a doc comment");
  const stale = Object.keys(NOT_SETTINGS).filter((n) => documented.has(n) || !named.has(n));
  assert.deepEqual(stale, [], "NOT_SETTINGS names that are documented or no longer in the code");
});

test("doc comments are read from the named schema's source, one or several lines", () => {
  const src = `export const envSchema = z.object({
  /** One line. */
  A: z.string(),
  B: z.string(),
  /**
   * Two
   * lines.
   */
  C_D: z.number(),
});`;
  assert.deepEqual([...settingsDocComments(src)], [["A", "One line."], ["C_D", "Two lines."]]);
  const other = `export const otherEnvSchema = z.object({\n  /** Other. */\n  X: z.string(),\n});`;
  assert.deepEqual([...settingsDocComments(other, "otherEnvSchema")], [["X", "Other."]]);
  assert.deepEqual([...settingsDocComments(other)], []);
});

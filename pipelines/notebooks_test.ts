import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import {
  listNotebooks,
  notebookHygiene,
  readNotebook,
  REPO_ROOT,
  runNotebooks,
} from "../lib/notebooks/mod.ts";
import { createLogger } from "../lib/log/mod.ts";

const NOTEBOOKS = join(REPO_ROOT, "notebooks");

test("committed notebooks have no outputs and no execution counts", async () => {
  const paths = await listNotebooks(NOTEBOOKS);
  assert.ok(paths.length > 0, "notebooks/ has notebooks");
  for (const path of paths) {
    assert.deepEqual(
      notebookHygiene(await readNotebook(path)),
      [],
      `${path} must be committed cleared`,
    );
  }
});

test("every notebook type-checks and runs headlessly with small settings", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-notebooks-" });
  try {
    const result = await runNotebooks({
      notebooksDir: NOTEBOOKS,
      stateDir,
      env: { FMNIST_NB_SMALL: "1" },
      log: createLogger({}, { level: "warn" }),
    });
    assert.deepEqual(result.failures, [], result.failures.map((f) => f.message).join("\n\n"));
    const paths = await listNotebooks(NOTEBOOKS);
    assert.equal(result.runs.length, paths.length);
    for (const run of result.runs) {
      const executed = await readNotebook(run.output);
      const code = executed.cells.filter((c) => c.cell_type === "code" && c.source.trim());
      assert.ok(
        code.every((c) => typeof c.execution_count === "number"),
        `${run.output} fully executed`,
      );
      const html = await Deno.readTextFile(run.html ?? "");
      assert.ok(html.length > 0 && html.includes("<html"), `${run.html} exported`);
    }
    const index = JSON.parse(await Deno.readTextFile(result.index ?? ""));
    assert.equal(index.notebooks.length, paths.length);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

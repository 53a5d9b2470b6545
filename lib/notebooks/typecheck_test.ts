import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { cellAt, notebookToTs, REPO_ROOT, serializeNotebook, typeCheckNotebook } from "./mod.ts";
import { codeCell, makeNotebook, markdownCell } from "./testing.ts";

test("notebookToTs keeps cell order, resolves relative imports and maps lines to cells", () => {
  const nb = makeNotebook([
    codeCell('import { barChart } from "../lib/report/mod.ts";\nimport { z } from "zod";', [
      "no-output",
    ]),
    markdownCell("text"),
    codeCell('const m = await import("./local.ts");\nconsole.log(barChart, z, m);'),
    codeCell("   "),
  ]);
  const { source, spans } = notebookToTs(nb, "/repo/notebooks");
  assert.ok(source.includes('from "file:///repo/lib/report/mod.ts"'));
  assert.ok(source.includes('import("file:///repo/notebooks/local.ts")'));
  assert.ok(source.includes('from "zod"'));
  assert.deepEqual(spans.map((s) => [s.cell, s.lines]), [[0, 2], [2, 2]]);
  const lines = source.split("\n");
  assert.equal(lines[spans[1].startLine], "console.log(barChart, z, m);");
  assert.deepEqual(cellAt(spans, spans[1].startLine + 1), { cell: 2, line: 2 });
  assert.equal(cellAt(spans, 1), null);
});

test("typeCheckNotebook passes typed cells and reports errors with their cell", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-nbcheck-" });
  try {
    const nbDir = join(REPO_ROOT, "notebooks");
    const good = makeNotebook([
      codeCell('import { barChart } from "../lib/report/mod.ts";', ["no-output"]),
      codeCell(
        'const fig = barChart({ categories: ["a"], series: [{ name: "s", values: [1] }] });\nfig.data.length',
      ),
    ]);
    const bad = makeNotebook([
      codeCell('import { barChart } from "../lib/report/mod.ts";', ["no-output"]),
      markdownCell("m"),
      codeCell(
        'const ok = 1;\nconst fig = barChart({ categories: ["a"], series: [{ name: "s", values: ["one"] }] });',
      ),
    ]);
    // The notebooks are read from a temp copy, but their relative imports resolve from notebooks/.
    const goodPath = join(dir, "good.ipynb");
    const badPath = join(dir, "bad.ipynb");
    await Deno.writeTextFile(goodPath, serializeNotebook(good));
    await Deno.writeTextFile(badPath, serializeNotebook(bad));
    const okRes = await typeCheckNotebook(goodPath, {
      outDir: join(dir, "check"),
      kernelCwd: nbDir,
    });
    assert.equal(okRes.ok, true, okRes.diagnostics);
    assert.equal(okRes.file, join(dir, "check", "good.ts"));
    const badRes = await typeCheckNotebook(badPath, {
      outDir: join(dir, "check"),
      kernelCwd: nbDir,
    });
    assert.equal(badRes.ok, false);
    assert.match(badRes.diagnostics, /TS2322/);
    assert.match(badRes.diagnostics, /\[cell 2, line 2\]/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

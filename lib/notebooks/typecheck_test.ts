import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import {
  cellAt,
  notebookToTs,
  REPO_ROOT,
  serializeNotebook,
  typeCheckNotebook,
  typeCheckNotebooks,
} from "./mod.ts";
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

test("typeCheckNotebooks checks several in one run; a failure is reported on its own notebook", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-nbcheck-" });
  try {
    const opts = { outDir: join(dir, "check"), kernelCwd: join(REPO_ROOT, "notebooks") };
    // The same top-level name in two notebooks: each is its own module, so no clash.
    const a = makeNotebook([codeCell("const x: number = 1;\nx")]);
    const b = makeNotebook([codeCell('const x: string = "b";\nx')]);
    const bad = makeNotebook([
      markdownCell("m"),
      codeCell("const y: number = 1;\nconst z: string = y;"),
    ]);
    const paths = ["a", "b", "bad"].map((n) => join(dir, `${n}.ipynb`));
    for (const [i, nb] of [a, b, bad].entries()) {
      await Deno.writeTextFile(paths[i], serializeNotebook(nb));
    }
    const good = await typeCheckNotebooks(paths.slice(0, 2), opts);
    assert.deepEqual(good.map((r) => [r.notebook, r.ok, r.diagnostics]), [
      [paths[0], true, ""],
      [paths[1], true, ""],
    ]);
    const all = await typeCheckNotebooks(paths, opts);
    assert.deepEqual(all.map((r) => r.ok), [true, true, false]);
    assert.match(all[2].diagnostics, /TS2322/);
    assert.match(all[2].diagnostics, /\[cell 1, line 2\]/);
    assert.equal(all[2].file, join(dir, "check", "bad.ts"));
    await assert.rejects(
      typeCheckNotebooks([paths[0], join(dir, "other", "a.ipynb")], opts),
      /share a file name/,
    );
    assert.deepEqual(await typeCheckNotebooks([], opts), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

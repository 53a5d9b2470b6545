import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type Notebook,
  NotebookRunError,
  readNotebook,
  REPO_ROOT,
  runNotebook,
  serializeNotebook,
} from "./mod.ts";
import { codeCell, makeNotebook, markdownCell } from "./testing.ts";
import { createLogger } from "../log/mod.ts";

const quietLog = createLogger({}, { level: "error" });
// Test notebooks live in temp dirs; their kernels run in notebooks/ so deno.json is found.
const cwd = join(REPO_ROOT, "notebooks");
const reportMod = pathToFileURL(join(REPO_ROOT, "lib/report/mod.ts")).href;

async function writeNb(dir: string, name: string, nb: Notebook): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, serializeNotebook(nb));
  return path;
}

function outputsOf(nb: Notebook, cell: number): Record<string, unknown>[] {
  return nb.cells[cell].outputs ?? [];
}

/** nbformat stores multi-line strings as arrays of lines. */
function multiline(v: unknown): string {
  return Array.isArray(v) ? v.join("") : String(v);
}

function streamText(outs: Record<string, unknown>[]): string {
  return outs.filter((o) => o.output_type === "stream").map((o) => multiline(o.text)).join("");
}

test("runNotebook captures outputs printed after awaits, late timers and figures", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-nb-" });
  try {
    const path = await writeNb(
      dir,
      "capture.ipynb",
      makeNotebook([
        markdownCell("# capture"),
        codeCell(`import { barChart, displayFigure } from "${reportMod}";`, ["no-output"]),
        codeCell(
          'await new Promise((r) => setTimeout(r, 30));\nconsole.log("after await");\n' +
            'await new Promise((r) => setTimeout(r, 30));\nconsole.log("after second await");',
        ),
        codeCell('setTimeout(() => console.log("late timer"), 200);\nconsole.log("scheduled");'),
        codeCell(
          'await displayFigure(barChart({ categories: ["a", "b"], series: [{ name: "n", values: [3, 4] }] }));',
        ),
        codeCell('console.log("small=" + Deno.env.get("FMNIST_NB_SMALL"));'),
      ]),
    );
    const stateDir = join(dir, "state");
    const run = await runNotebook(path, {
      stateDir,
      env: { FMNIST_NB_SMALL: "1" },
      log: quietLog,
      cwd,
    });
    assert.equal(run.output, join(stateDir, "notebooks", "capture.ipynb"));
    assert.deepEqual(run.cells.map((c) => c.index), [1, 2, 3, 4, 5]);
    const nb = await readNotebook(run.output);
    assert.equal(streamText(outputsOf(nb, 2)), "after await\nafter second await\n");
    assert.match(streamText(outputsOf(nb, 3)), /scheduled\n(.|\n)*late timer\n/);
    const fig = outputsOf(nb, 4).find((o) => o.output_type === "display_data");
    const data = fig?.data as Record<string, unknown>;
    assert.ok(data["application/vnd.plotly.v1+json"], "plotly mime present");
    assert.match(multiline(data["text/html"]), /window\.Plotly/);
    // No output travels as a multi-megabyte kernel message: the Deno kernel delivers those late
    // (after idle) or with an invalid HMAC signature under load. plotly.js (4.8 MB) used to be
    // inlined into the first figure; the HTML export now carries it once in its <head>.
    for (const [i, cell] of nb.cells.entries()) {
      const size = JSON.stringify(cell.outputs ?? []).length;
      assert.ok(size < 256 * 1024, `cell ${i} outputs are ${size} bytes (limit 256 KiB)`);
    }
    assert.equal(streamText(outputsOf(nb, 5)), "small=1\n");
    assert.ok(nb.cells.slice(1).every((c) => typeof c.execution_count === "number"));
    // HTML export with the figure and the inlined plotly.js
    const html = await Deno.readTextFile(run.html ?? "");
    assert.ok(html.includes("fmnist-plot") && html.includes("plotly.js v3.7.0"));
    assert.equal(html.split("plotly.js v3.7.0").length - 1, 1, "plotly.js inlined exactly once");
    assert.ok(
      html.indexOf("plotly.js v3.7.0") < html.indexOf("</head>"),
      "plotly.js is loaded in <head>, before the figures run",
    );
    assert.ok(html.includes("after second await"));
    // Jupyter wrote only under the state dir
    for (const d of ["config", "data", "runtime"]) {
      assert.ok((await Deno.stat(join(stateDir, "jupyter", d))).isDirectory);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("runNotebook fails naming the cell on an error, and on a silent untagged cell", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-nb-" });
  try {
    const failing = await writeNb(
      dir,
      "failing.ipynb",
      makeNotebook([
        codeCell('console.log("fine");'),
        markdownCell("between"),
        codeCell('await Promise.resolve();\nthrow new Error("boom in cell");'),
        codeCell('console.log("never runs");'),
      ]),
    );
    const stateDir = join(dir, "state");
    await assert.rejects(runNotebook(failing, { stateDir, log: quietLog, cwd }), (e: unknown) => {
      assert.ok(e instanceof NotebookRunError);
      assert.equal(e.cell, 2);
      assert.equal(e.kind, "error");
      assert.match(
        e.message,
        /notebook failing\.ipynb failed at cell 2 \(error\): Error: boom in cell/,
      );
      assert.equal(e.output, join(stateDir, "notebooks", "failing.failed.ipynb"));
      return true;
    });
    const partial = await readNotebook(join(stateDir, "notebooks", "failing.failed.ipynb"));
    assert.equal(streamText(outputsOf(partial, 0)), "fine\n");
    assert.deepEqual(outputsOf(partial, 3), []);
    await assert.rejects(Deno.stat(join(stateDir, "notebooks", "failing.html")));

    const silent = await writeNb(
      dir,
      "silent.ipynb",
      makeNotebook([
        codeCell("const quiet = 1;", ["no-output"]),
        codeCell("const alsoQuiet = quiet + 1;"),
      ]),
    );
    await assert.rejects(
      runNotebook(silent, { stateDir, log: quietLog, cwd, html: false }),
      (e: unknown) => {
        assert.ok(e instanceof NotebookRunError);
        assert.equal(e.cell, 1);
        assert.equal(e.kind, "no-output");
        assert.match(e.message, /produced no output.*tag the cell 'no-output'/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("runNotebook rejects a file that is not a notebook", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-nb-" });
  try {
    const path = join(dir, "broken.ipynb");
    await Deno.writeTextFile(path, "{not json");
    await assert.rejects(
      runNotebook(path, { stateDir: join(dir, "state"), log: quietLog, cwd }),
      (e: unknown) =>
        e instanceof NotebookRunError && e.kind === "bad-notebook" &&
        /broken\.ipynb/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  clearOutputs,
  describeHygiene,
  NotebookFormatError,
  notebookHygiene,
  parseNotebook,
  serializeNotebook,
} from "./mod.ts";
import { codeCell, makeNotebook, markdownCell } from "./testing.ts";

test("parseNotebook joins line-array sources and rejects non-notebooks clearly", () => {
  const nb = parseNotebook(JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [{
      cell_type: "code",
      source: ["a\n", "b"],
      metadata: {},
      outputs: [],
      execution_count: null,
    }],
  }));
  assert.equal(nb.cells[0].source, "a\nb");
  assert.throws(
    () => parseNotebook("{", "x.ipynb"),
    (e: unknown) =>
      e instanceof NotebookFormatError && /x\.ipynb is not valid JSON/.test(e.message),
  );
  assert.throws(
    () => parseNotebook('{"nbformat": 3, "cells": []}', "old.ipynb"),
    /old\.ipynb is not an nbformat 4 notebook/,
  );
});

test("notebookHygiene flags outputs and execution counts; clearOutputs fixes both", () => {
  const dirty = makeNotebook([
    markdownCell("# t"),
    {
      ...codeCell("1"),
      outputs: [{ output_type: "stream", name: "stdout", text: "1" }],
      execution_count: 3,
    },
    codeCell("2"),
    { ...codeCell("3"), execution_count: 1 },
  ]);
  assert.deepEqual(notebookHygiene(dirty), [
    { cell: 1, problem: "outputs" },
    { cell: 1, problem: "execution_count" },
    { cell: 3, problem: "execution_count" },
  ]);
  assert.match(
    describeHygiene("nb/x.ipynb", notebookHygiene(dirty)) ?? "",
    /x\.ipynb is committed with outputs: cell 1 has outputs; cell 1 has execution count/,
  );
  const clean = clearOutputs(dirty);
  assert.deepEqual(notebookHygiene(clean), []);
  assert.equal(describeHygiene("x.ipynb", []), null);
  assert.equal(clean.cells[1].source, "1");
});

test("serializeNotebook round-trips with sorted keys and line-array sources", () => {
  const nb = makeNotebook([codeCell("x\ny\n", ["no-output"]), markdownCell("")]);
  const text = serializeNotebook(nb);
  const raw = JSON.parse(text);
  assert.deepEqual(raw.cells[0].source, ["x\n", "y\n"]);
  assert.deepEqual(raw.cells[1].source, []);
  assert.deepEqual(Object.keys(raw), ["cells", "metadata", "nbformat", "nbformat_minor"]);
  assert.ok(text.endsWith("}\n"));
  assert.deepEqual(parseNotebook(text), nb);
});

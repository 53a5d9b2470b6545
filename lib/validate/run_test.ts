import assert from "node:assert/strict";
import { test } from "node:test";
import pl from "nodejs-polars";
import { ValidationFailedError } from "./errors.ts";
import { renderValidationHtml } from "./html.ts";
import { runSuite } from "./run.ts";
import { expectNoMissingValues, tableSuite } from "./table_expectations.ts";
import type { Suite } from "./types.ts";
import { validationResultSchema } from "./types.ts";

const suite: Suite<{ version: string; xs: number[] }> = {
  name: "demo",
  expectations: [
    {
      id: "positive",
      description: "all values are positive",
      severity: "critical",
      check: ({ xs }) => ({ success: xs.every((x) => x > 0), observed: { min: Math.min(...xs) } }),
    },
    {
      id: "small",
      description: "all values are < 10",
      severity: "warning",
      check: ({ xs }) => ({ success: xs.every((x) => x < 10), observed: { max: Math.max(...xs) } }),
    },
    {
      id: "throws",
      description: "a check that crashes <script>",
      severity: "warning",
      check: () => {
        throw new RangeError("boom & bust");
      },
    },
  ],
};

test("runSuite aggregates outcomes, severities and check errors into valid JSON", async () => {
  const seen: string[] = [];
  const ok = await runSuite({ version: "v1", xs: [1, 20] }, suite, {
    onProgress: (done, total, r) => seen.push(`${done}/${total}:${r.id}`),
  });
  assert.deepEqual(seen, ["1/3:positive", "2/3:small", "3/3:throws"]);
  assert.equal(ok.subject, "v1");
  assert.equal(ok.success, true, "only warnings failed");
  assert.deepEqual(ok.warnings, ["small", "throws"]);
  assert.deepEqual(ok.criticalFailures, []);
  assert.deepEqual(ok.stats, {
    evaluated: 3,
    passed: 1,
    failed: 2,
    criticalFailed: 0,
    warningFailed: 2,
  });
  assert.equal(ok.results[2].error, "RangeError: boom & bust");
  // The result round-trips through JSON and its schema.
  assert.deepEqual(validationResultSchema.parse(JSON.parse(JSON.stringify(ok))), ok);

  const bad = await runSuite({ version: "v2", xs: [-1, 2] }, suite);
  assert.equal(bad.success, false);
  assert.deepEqual(bad.criticalFailures, ["positive"]);
  assert.deepEqual(bad.results[0].observed, { min: -1 });
  const err = new ValidationFailedError(bad, "validation/v2/report.html");
  assert.deepEqual(err.failed, ["positive"]);
  assert.match(err.message, /v2 failed: critical expectation\(s\) positive/);
  assert.match(err.message, /validation\/v2\/report\.html/);
});

test("renderValidationHtml is self-contained and escapes content", async () => {
  const r = await runSuite({ version: "v<1>", xs: [-1, 20] }, suite);
  const html = renderValidationHtml(r);
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /FAILED/);
  assert.match(html, /v&lt;1&gt;/);
  assert.match(html, /a check that crashes &lt;script&gt;/);
  assert.match(html, /boom &amp; bust/);
  assert.doesNotMatch(html, /<script|<link|src=|href=/);
  for (const id of ["positive", "small", "throws"]) {
    assert.match(html, new RegExp(`<code>${id}</code>`));
  }
  const twoChecks = { ...suite, expectations: suite.expectations.slice(0, 2) };
  const pass = renderValidationHtml(await runSuite({ version: "v", xs: [1, 2] }, twoChecks));
  assert.match(pass, /class="verdict ok">passed</);
});

test("table expectations catch nulls, NaN and Infinity, and wrong shape", async () => {
  const good = pl.DataFrame({ a: [1.5, 2.5, 3.5], b: [1, 2, 3] });
  const r = await runSuite({ version: "t", frame: good }, tableSuite("tbl", 3, ["a", "b"]));
  assert.equal(r.success, true);
  const bad = pl.DataFrame({ a: [1.5, Number.NaN, Infinity], b: [1, null, 3] });
  const out = await expectNoMissingValues().check({ version: "t", frame: bad });
  assert.equal(out.success, false);
  assert.deepEqual(out.details, {
    a: { nulls: 0, nonFinite: 2, exampleRows: [1, 2] },
    b: { nulls: 1, nonFinite: 0, exampleRows: [] },
  });
  const shape = await runSuite({ version: "t", frame: good }, tableSuite("tbl", 4, ["a", "c"]));
  assert.deepEqual(shape.criticalFailures, ["table_shape"]);
  assert.deepEqual(shape.results[0].details, { expectedRows: 4, missingColumns: ["c"] });
});

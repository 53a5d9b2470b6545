import assert from "node:assert/strict";
import type { Dataset } from "../data/mod.ts";
import { forEachDb } from "../db/testing.ts";
import { withStepCtx } from "../steps/testing.ts";
import { craftDataset, craftSet, uniquePixel } from "./fixtures.ts";
import {
  listValidationRuns,
  loadValidationResult,
  SuiteConfigError,
  validateStep,
  ValidationFailedError,
} from "./mod.ts";

const config = {
  rows: 4,
  cols: 4,
  numClasses: 3,
  intensityBands: [[0, 1], [0, 1], [0, 1]],
};

forEachDb("validateStep stores JSON + HTML, records a summary and skips reruns", async (db) => {
  await withStepCtx(db, async (ctx) => {
    const ds: Dataset = { ...craftDataset(), version: "ds-ok" };
    const first = await validateStep(ctx, ds, { config });
    assert.equal(first.success, true);
    assert.equal(first.skipped, false);
    assert.deepEqual(first.criticalFailures, []);
    assert.equal(first.stats.evaluated, 8);
    assert.match(first.resultKey, /^validation\/ds-ok\/[0-9a-f]{16}\/result\.json$/);
    const stored = await loadValidationResult(ctx, first.resultKey);
    assert.equal(stored.subject, "ds-ok");
    assert.equal(stored.results.length, 8);
    const html = new TextDecoder().decode(await ctx.store.get(first.reportKey));
    assert.match(html, /Validation report: fashion-mnist-dataset/);

    const again = await validateStep(ctx, ds, { config });
    assert.equal(again.skipped, true);
    assert.equal(again.resultKey, first.resultKey);
    const rows = await listValidationRuns(db, "ds-ok");
    assert.equal(rows.length, 1, "a skipped rerun records nothing new");
    assert.equal(rows[0].success, true);

    // A different config is a different validation.
    const stricter = await validateStep(ctx, ds, { config: { ...config, maxExamples: 3 } });
    assert.equal(stricter.skipped, false);
    assert.notEqual(stricter.resultKey, first.resultKey);
    assert.equal((await listValidationRuns(db, "ds-ok")).length, 2);

    await assert.rejects(
      () => validateStep(ctx, ds, { config: { ...config, numClasses: 0 } }),
      SuiteConfigError,
    );
  });
});

forEachDb("validateStep fails on a critical expectation but keeps the report", async (db) => {
  await withStepCtx(db, async (ctx) => {
    const base = craftDataset();
    // Test images 0 and 2 are copies of train images 5 and 7: leakage (critical).
    const test = craftSet(
      Array.from(base.test.labels),
      (
        i,
        j,
      ) => (i === 0 ? uniquePixel(5, j) : i === 2 ? uniquePixel(7, j) : uniquePixel(i + 9000, j)),
    );
    const ds: Dataset = { version: "ds-leaky", train: base.train, test };
    const expectFailure = (e: unknown) => {
      assert.ok(e instanceof ValidationFailedError);
      assert.deepEqual(e.failed, ["train_test_leakage"]);
      assert.match(e.message, /train_test_leakage/);
      const leak = e.result.results.find((r) => r.id === "train_test_leakage");
      assert.deepEqual(leak?.observed, {
        leakedTestImages: 2,
        labelConflicts: 2,
        labelsAgree: false,
      });
      return true;
    };
    await assert.rejects(() => validateStep(ctx, ds, { config }), expectFailure);
    const rows = await listValidationRuns(db, "ds-leaky");
    assert.equal(rows.length, 1);
    assert.equal(rows[0].success, false);
    assert.deepEqual(rows[0].criticalFailures, ["train_test_leakage"]);
    assert.ok(await ctx.store.stat(rows[0].reportKey));
    // Idempotent: the recorded failing run is reused and fails the same way.
    await assert.rejects(() => validateStep(ctx, ds, { config }), expectFailure);
    assert.equal((await listValidationRuns(db, "ds-leaky")).length, 1);
    // Downgrading the finding to a warning lets the pipeline continue.
    const relaxed = await validateStep(ctx, ds, {
      config: { ...config, severities: { train_test_leakage: "warning" } },
    });
    assert.equal(relaxed.success, true);
    // Exact copies are near-duplicates too, so that warning fires as well.
    assert.deepEqual(relaxed.warnings, ["train_test_leakage", "near_duplicates"]);
  });
});

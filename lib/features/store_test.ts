import assert from "node:assert/strict";
import pl from "nodejs-polars";
import type { Dataset } from "../data/mod.ts";
import { forEachDb } from "../db/testing.ts";
import { withStepCtx } from "../steps/testing.ts";
import { craftDataset } from "../validate/fixtures.ts";
import {
  computeImageFeatures,
  FeatureParamsError,
  FeaturesNotFoundError,
  featuresStep,
  getFeatureSet,
  getImageFeatures,
  getSplit,
  loadClassStats,
  loadFeatures,
  stratifiedSplit,
} from "./mod.ts";

forEachDb("featuresStep stores a feature set that loads back and is idempotent", async (db) => {
  await withStepCtx(db, async (ctx) => {
    const ds: Dataset = { ...craftDataset({ trainPerClass: 20, testPerClass: 5 }), version: "fx" };
    await assert.rejects(() => loadFeatures(ctx, "fx"), FeaturesNotFoundError);
    await assert.rejects(() => featuresStep(ctx, ds, { valFraction: 2 }), FeatureParamsError);

    const first = await featuresStep(ctx, ds, { valFraction: 0.2, seed: 5 });
    assert.equal(first.skipped, false);
    assert.equal(first.rows, 75);
    assert.deepEqual(first.counts, { train: 48, val: 12, test: 15 });
    const again = await featuresStep(ctx, ds, { valFraction: 0.2, seed: 5 });
    assert.equal(again.skipped, true);
    assert.equal(again.id, first.id);

    // The Parquet table matches a direct computation.
    const frame = await loadFeatures(ctx, "fx");
    assert.equal(frame.height, 75);
    const direct = computeImageFeatures(ds.test);
    const testRows = frame.filter(pl.col("split").eq(pl.lit("test")));
    assert.deepEqual(
      testRows.getColumn("mean_intensity").toArray(),
      Array.from(direct.mean_intensity),
    );
    assert.deepEqual(testRows.getColumn("bbox_width").toArray(), Array.from(direct.bbox_width));

    // The stored split is the seeded one.
    const split = await getSplit(ctx, "fx");
    const expected = stratifiedSplit(ds.train.labels, { valFraction: 0.2, seed: 5 });
    assert.deepEqual(split.val, expected.val);
    assert.deepEqual(split.train, expected.train);

    const stats = await loadClassStats(ctx, "fx");
    assert.deepEqual(stats.getColumn("count").toArray(), [5, 5, 5, 20, 20, 20]);

    // Features of given images come from the DB, in the order asked for.
    const val0 = split.val[0];
    const rows = await getImageFeatures(ctx, "fx", "train", [val0, 1, 9999]);
    assert.deepEqual(rows.map((r) => [r.imageIndex, r.subset]), [[val0, "val"], [
      1,
      split.val.includes(1) ? "val" : "train",
    ]]);
    assert.equal(rows[0].label, ds.train.labels[val0]);
    const trainDirect = computeImageFeatures(ds.train);
    assert.equal(rows[0].features.symmetry_h, trainDirect.symmetry_h[val0]);
    assert.equal(rows[0].features.bbox_top, trainDirect.bbox_top[val0]);
    assert.deepEqual(await getImageFeatures(ctx, "fx", "test", []), []);

    // Another seed is another feature set; the newest is the default, the old one by id.
    const other = await featuresStep(ctx, ds, { valFraction: 0.2, seed: 6 });
    assert.notEqual(other.id, first.id);
    assert.equal((await getFeatureSet(ctx, "fx")).id, other.id);
    assert.deepEqual((await getSplit(ctx, "fx", { id: first.id })).val, expected.val);

    // Losing an output object makes the step run again and re-register cleanly.
    await ctx.store.delete(first.imagesKey);
    const rerun = await featuresStep(ctx, ds, { valFraction: 0.2, seed: 5 });
    assert.equal(rerun.skipped, false);
    const count = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM image_features WHERE feature_set_id = $1`,
      [first.id],
    );
    assert.equal(count[0].n, 75);
  });
});

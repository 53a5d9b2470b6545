/** Features of the real Fashion-MNIST train/test splits, asserted against measured values. */
import assert from "node:assert/strict";
import { test } from "node:test";
import pl from "nodejs-polars";
import { DEBIAN_DIR } from "../data/mod.ts";
import { readDebianDataset } from "../data/testing.ts";
import { runSuite, tableSuite } from "../validate/mod.ts";
import {
  classStats,
  featureFrame,
  normalizationStats,
  stratifiedSplit,
  TABLE_COLUMNS,
} from "./mod.ts";

const available = await Deno.stat(DEBIAN_DIR).then((s) => s.isDirectory, () => false);
const skip = available ? false : `real data not installed in ${DEBIAN_DIR}`;

const r3 = (xs: unknown[]) => xs.map((x) => Math.round(Number(x) * 1000) / 1000);

test("real Fashion-MNIST: normalization, split and per-class features", { skip }, async () => {
  const ds = await readDebianDataset();
  assert.ok(ds);
  // The well-known normalization constants (0.2860, 0.3530), exactly.
  const norm = normalizationStats(ds.train);
  assert.equal(norm.pixels, 47_040_000);
  assert.ok(Math.abs(norm.mean - 0.2860405969887955) < 1e-15);
  assert.ok(Math.abs(norm.std - 0.3530242445149226) < 1e-15);

  const split = stratifiedSplit(ds.train.labels, { valFraction: 0.1, seed: 42 });
  assert.equal(split.val.length, 6000);
  const perClass = new Array(10).fill(0);
  for (const i of split.val) perClass[ds.train.labels[i]]++;
  assert.deepEqual(perClass, new Array(10).fill(600));

  const frame = featureFrame(ds, split);
  assert.equal(frame.height, 70_000);
  const check = await runSuite(
    { version: "debian", frame },
    tableSuite("t", 70_000, TABLE_COLUMNS),
  );
  assert.equal(check.success, true, JSON.stringify(check.criticalFailures));

  const train = classStats(frame).filter(pl.col("split").eq(pl.lit("train")));
  assert.deepEqual(train.getColumn("count").toArray(), new Array(10).fill(6000));
  const col = (c: string) => r3(train.getColumn(c).toArray());
  // Trousers (1) are narrow, sandals (5) and sneakers (7) flat and wide, bags and boots less
  // left–right symmetric than garments.
  assert.deepEqual(col("bbox_width"), [
    21.748,
    11.678,
    21.208,
    14.684,
    20.107,
    27.818,
    21.472,
    27.858,
    25.567,
    27.722,
  ]);
  assert.deepEqual(col("bbox_height"), [
    27.788,
    27.949,
    27.799,
    27.93,
    27.832,
    16.133,
    27.723,
    13.44,
    23.367,
    21.121,
  ]);
  assert.deepEqual(col("ink_ratio"), [
    0.533,
    0.331,
    0.608,
    0.393,
    0.565,
    0.253,
    0.578,
    0.287,
    0.535,
    0.435,
  ]);
  assert.deepEqual(col("symmetry_h"), [
    0.875,
    0.788,
    0.879,
    0.844,
    0.888,
    0.435,
    0.854,
    0.614,
    0.844,
    0.46,
  ]);
});

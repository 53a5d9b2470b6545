import assert from "node:assert/strict";
import { test } from "node:test";
import type { Dataset, ImageSet } from "../data/mod.ts";
import type { ValidationResult } from "../validate/mod.ts";
import {
  classBalanceChart,
  classIntensityHeatmap,
  classMeanImages,
  classSampleGrid,
  countByClass,
  meanIntensities,
  pixelIntensityHistogram,
  sectionBundle,
  validationSection,
} from "./mod.ts";

const NAMES = ["zero", "one", "two"];

/** `count` 4×4 images; image i has label i % 3 and every pixel equal to 10 * label + i. */
function tinySet(count: number): ImageSet {
  const images = new Uint8Array(count * 16);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 3;
    images.fill(10 * labels[i] + i, i * 16, (i + 1) * 16);
  }
  return { count, rows: 4, cols: 4, images, labels };
}

const ds: Dataset = { version: "v1", train: tinySet(9), test: tinySet(6) };

test("countByClass and classBalanceChart count labels per split", () => {
  assert.deepEqual(countByClass(ds.train, 3), [3, 3, 3]);
  const fig = classBalanceChart(ds, NAMES);
  assert.deepEqual(fig.data.map((t) => [t.name, t.y]), [["train (9)", [3, 3, 3]], ["test (6)", [
    2,
    2,
    2,
  ]]]);
  assert.throws(() => classBalanceChart(ds, ["only", "two"]), /label 2 of image 2 has no name/);
});

test("classSampleGrid takes the first images of each class in order, one row per class", () => {
  const fig = classSampleGrid(ds.train, NAMES, { perClass: 2 });
  const z = fig.data[0].z as (number | null)[][];
  // row 0 (class zero): images 0 and 3; row 1 (class one): images 1 and 4
  assert.equal(z[0][0], 0);
  assert.equal(z[0][4 + 2], 3);
  assert.equal(z[6][0], 11);
  assert.equal(z[6][6], 14);
  assert.deepEqual((fig.layout.yaxis as Record<string, unknown>).ticktext, NAMES);
  assert.throws(
    () => classSampleGrid(ds.train, NAMES, { perClass: 4 }),
    /class "zero" has only 3 images/,
  );
});

test("classMeanImages averages pixels per class over the limit", () => {
  const fig = classMeanImages(ds.train, NAMES, { limit: 6, columns: 3 });
  const z = fig.data[0].z as (number | null)[][];
  // class zero over images 0 and 3: mean (0 + 3) / 2 = 1.5 -> 2; class two: images 2, 5 -> (22 + 25) / 2
  assert.equal(z[0][0], 2);
  assert.equal(z[0][2 * (4 + 8)], Math.round((22 + 25) / 2));
  assert.equal((fig.layout.annotations as unknown[]).length, 3);
});

test("pixel intensity histogram and mean intensities use the first `limit` images", () => {
  const fig = pixelIntensityHistogram(ds, { limit: 3, bins: 4 });
  assert.equal(fig.data.length, 2);
  // first 3 train images have intensities 0, 11, 22: all in the first bin of [0, 64)
  assert.deepEqual(fig.data[0].y, [1, 0, 0, 0]);
  assert.equal(fig.data[0].name, "train (3 images)");
  assert.equal((fig.layout.yaxis as Record<string, unknown>).type, "log");
  assert.deepEqual(Array.from(meanIntensities(ds.train, 3)), [0, 11, 22]);
  const heat = classIntensityHeatmap(ds.train, NAMES, { bins: 4, max: 40 });
  // class one: images 1, 4, 7 -> means 11, 14, 17: all in bin [10, 20)
  assert.deepEqual((heat.data[0].z as number[][])[1], [0, 1, 0, 0]);
  assert.deepEqual(heat.data[0].y, NAMES);
});

test("validationSection summarizes outcomes with a status badge and a table", () => {
  const result: ValidationResult = {
    schemaVersion: 1,
    suite: "fashion-mnist",
    subject: "abcdef0123456789",
    success: true,
    startedAt: "2024-01-01T00:00:00.000Z",
    durationMs: 12,
    stats: { evaluated: 2, passed: 1, failed: 1, criticalFailed: 0, warningFailed: 1 },
    criticalFailures: [],
    warnings: ["near_duplicates"],
    results: [
      {
        id: "image_shape",
        description: "",
        severity: "critical",
        success: true,
        observed: { rows: 28 },
        durationMs: 1.2,
      },
      {
        id: "near_duplicates",
        description: "",
        severity: "warning",
        success: false,
        observed: 42,
        durationMs: 9.7,
      },
    ],
  };
  const section = validationSection(result);
  assert.equal(section.status, "warn");
  const table = section.blocks.find((b) => b.kind === "table");
  assert.ok(table && table.kind === "table");
  assert.deepEqual(table.table.rows, [
    ["image_shape", "critical", "passed", '{"rows":28}', 1],
    ["near_duplicates", "warning", "FAILED", "42", 10],
  ]);
  const bundle = sectionBundle(section);
  assert.match(bundle["text/html"], /<span class="badge warn">warn<\/span>/);
  assert.match(
    bundle["text/plain"],
    /1 of 2 expectations passed on abcdef012345; warnings: near_duplicates/,
  );
});

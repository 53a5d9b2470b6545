/**
 * The dataset suite on the real Fashion-MNIST files (Debian `dataset-fashion-mnist`), asserting
 * what was measured: exact class balance, no blank images, no exact duplicates within or across
 * splits, no near-duplicates at 4-bit quantization, and the per-class mean intensities.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEBIAN_DIR } from "../data/mod.ts";
import { readDebianDataset } from "../data/testing.ts";
import {
  datasetSuite,
  findCrossDuplicates,
  findDuplicates,
  parseSuiteConfig,
  runSuite,
} from "./mod.ts";

const available = await Deno.stat(DEBIAN_DIR).then((s) => s.isDirectory, () => false);
const skip = available ? false : `real data not installed in ${DEBIAN_DIR}`;

test(
  "dataset suite on real Fashion-MNIST: passes, no duplicates or leakage",
  { skip },
  async () => {
    const ds = await readDebianDataset();
    assert.ok(ds);
    const r = await runSuite(ds, datasetSuite(parseSuiteConfig()));
    assert.equal(r.success, true, JSON.stringify(r.criticalFailures));
    assert.deepEqual(r.warnings, []);
    const obs = Object.fromEntries(r.results.map((x) => [x.id, x.observed]));
    assert.deepEqual(obs.image_shape, {
      train: {
        count: 60000,
        rows: 28,
        cols: 28,
        dtype: "uint8",
        pixelBytes: 47040000,
        labels: 60000,
      },
      test: {
        count: 10000,
        rows: 28,
        cols: 28,
        dtype: "uint8",
        pixelBytes: 7840000,
        labels: 10000,
      },
    });
    assert.deepEqual(obs.pixel_range, {
      train: { min: 0, max: 255, blankImages: 0, blankExamples: [] },
      test: { min: 0, max: 255, blankImages: 0, blankExamples: [] },
    });
    assert.deepEqual(obs.class_balance, {
      train: {
        counts: Array(10).fill(6000),
        expectedPerClass: 6000,
        maxRelativeDeviation: 0,
        worstClass: null,
      },
      test: {
        counts: Array(10).fill(1000),
        expectedPerClass: 1000,
        maxRelativeDeviation: 0,
        worstClass: null,
      },
    });
    const empty = {
      groups: 0,
      redundantImages: 0,
      fraction: 0,
      conflictingLabelGroups: 0,
      examples: [],
    };
    assert.deepEqual(obs.duplicates_within_split, { train: empty, test: empty });
    assert.deepEqual(obs.train_test_leakage, {
      leakedTestImages: 0,
      labelConflicts: 0,
      labelsAgree: true,
    });
    assert.deepEqual(obs.near_duplicates, {
      dropBits: 4,
      train: { groups: 0, redundantImages: 0, examples: [] },
      test: { groups: 0, redundantImages: 0, examples: [] },
      crossSplit: { testImagesInTrain: 0, labelConflicts: 0, examples: [] },
    });
    const means = obs.class_intensity_bands as { train: number[]; test: number[] };
    const r3 = (xs: number[]) => xs.map((x) => Math.round(x * 1000) / 1000);
    assert.deepEqual(r3(means.train), [
      0.326,
      0.223,
      0.377,
      0.259,
      0.385,
      0.137,
      0.332,
      0.168,
      0.354,
      0.301,
    ]);
    assert.deepEqual(r3(means.test), [
      0.328,
      0.223,
      0.374,
      0.26,
      0.391,
      0.136,
      0.333,
      0.169,
      0.353,
      0.3,
    ]);

    // Coarser quantization does find look-alikes: at 2 bits per pixel one pair of trousers in
    // train; at 1 bit (binary silhouettes) 23 train groups and 4 test images matching train.
    const two = findDuplicates(ds.train, 6);
    assert.deepEqual(two.groups, [[31061, 56201]]);
    assert.deepEqual([...two.groups[0]].map((i) => ds.train.labels[i]), [1, 1]);
    assert.equal(findDuplicates(ds.train, 7).groups.length, 23);
    const cross1 = findCrossDuplicates(ds.train, ds.test, 7);
    assert.equal(cross1.matches.length, 4);
    assert.equal(cross1.labelConflicts, 2);
  },
);

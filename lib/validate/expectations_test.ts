import assert from "node:assert/strict";
import { test } from "node:test";
import type { Dataset } from "../data/mod.ts";
import { parseSuiteConfig, SuiteConfigError } from "./config.ts";
import {
  datasetSuite,
  expectClassBalance,
  expectClassIntensityBands,
  expectFewNearDuplicates,
  expectImageShape,
  expectLabelDomain,
  expectNoDuplicatesWithinSplit,
  expectNoTrainTestLeakage,
  expectPixelRange,
} from "./expectations.ts";
import { balancedLabels, craftDataset, craftSet, uniquePixel } from "./fixtures.ts";
import type { Expectation, ExpectationOutcome, JsonValue } from "./types.ts";

async function check(e: Expectation<Dataset>, ds: Dataset): Promise<ExpectationOutcome> {
  return await e.check(ds);
}

function field(v: JsonValue | undefined, ...path: string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = v;
  for (const p of path) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

test("image_shape passes on consistent data and names each structural problem", async () => {
  const ok = craftDataset();
  assert.equal((await check(expectImageShape(4, 4), ok)).success, true);
  const wrongSize = await check(expectImageShape(28, 28), ok);
  assert.equal(wrongSize.success, false);
  assert.match(JSON.stringify(wrongSize.details), /train: images are 4×4, expected 28×28/);

  const truncated: Dataset = {
    ...ok,
    test: {
      ...ok.test,
      images: ok.test.images.subarray(0, 20),
      labels: ok.test.labels.subarray(1),
    },
  };
  const r = await check(expectImageShape(4, 4), truncated);
  assert.equal(r.success, false);
  const problems = JSON.stringify(r.details);
  assert.match(problems, /test: 20 pixel bytes for 12 images/);
  assert.match(problems, /test: 11 labels for 12 images/);

  const wrongDtype: Dataset = {
    ...ok,
    train: { ...ok.train, images: new Uint16Array(ok.train.images) as unknown as Uint8Array },
  };
  const d = await check(expectImageShape(4, 4), wrongDtype);
  assert.equal(d.success, false);
  assert.match(JSON.stringify(d.details), /pixel dtype .*Uint16Array.*expected uint8/);
});

test("pixel_range flags blank images with their indices", async () => {
  const ok = craftDataset();
  const r = await check(expectPixelRange(5), ok);
  assert.equal(r.success, true);
  assert.equal(field(r.observed, "train", "blankImages"), 0);
  const blank = craftSet([0, 1, 2, 0], (i, j) => (i === 1 || i === 3 ? 0 : uniquePixel(i, j)));
  const bad = await check(expectPixelRange(5), { ...ok, test: blank });
  assert.equal(bad.success, false);
  assert.equal(field(bad.observed, "test", "blankImages"), 2);
  assert.deepEqual(field(bad.observed, "test", "blankExamples"), [1, 3]);
  assert.equal(field(bad.observed, "test", "min"), 0);
});

test("label_domain reports out-of-range labels", async () => {
  const ok = craftDataset();
  assert.equal((await check(expectLabelDomain(3, 5), ok)).success, true);
  const labels = balancedLabels(3, 2);
  labels[4] = 7;
  const bad = await check(expectLabelDomain(3, 5), { ...ok, train: craftSet(labels, uniquePixel) });
  assert.equal(bad.success, false);
  assert.equal(field(bad.observed, "train", "outOfDomain"), 1);
  assert.deepEqual(field(bad.observed, "train", "examples"), [{ index: 4, label: 7 }]);
});

test("class_balance holds within tolerance and fails beyond it", async () => {
  const ok = craftDataset({ trainPerClass: 10 });
  const pass = await check(expectClassBalance(3, 0.1), ok);
  assert.equal(pass.success, true);
  assert.deepEqual(field(pass.observed, "train", "counts"), [10, 10, 10]);
  // 11/10/9 → max deviation 10 %: inside a 10 % tolerance, outside a 5 % one.
  const skew = [...Array(11).fill(0), ...Array(10).fill(1), ...Array(9).fill(2)];
  const ds = { ...ok, train: craftSet(skew, uniquePixel) };
  assert.equal((await check(expectClassBalance(3, 0.1), ds)).success, true);
  const fail = await check(expectClassBalance(3, 0.05), ds);
  assert.equal(fail.success, false);
  assert.equal(field(fail.observed, "train", "maxRelativeDeviation"), 0.1);
  // A missing class is maximally unbalanced.
  const missing = { ...ok, test: craftSet([0, 1, 0, 1], uniquePixel) };
  const m = await check(expectClassBalance(3, 0.5), missing);
  assert.equal(m.success, false);
  assert.equal(field(m.observed, "test", "worstClass"), 2);
});

test("duplicates_within_split counts redundant copies and label conflicts", async () => {
  const ok = craftDataset();
  const clean = await check(expectNoDuplicatesWithinSplit(0, 5), ok);
  assert.equal(clean.success, true);
  assert.equal(field(clean.observed, "train", "groups"), 0);
  // images 2, 5, 9 identical (copies of 2); 4 and 7 identical.
  const src = (i: number) => (i === 5 || i === 9 ? 2 : i === 7 ? 4 : i);
  const labels = balancedLabels(3, 4);
  labels[9] = (labels[2] + 1) % 3; // one copy relabelled → conflicting group
  const train = craftSet(labels, (i, j) => uniquePixel(src(i), j));
  const r = await check(expectNoDuplicatesWithinSplit(0.1, 5), { ...ok, train });
  assert.equal(field(r.observed, "train", "groups"), 2);
  assert.equal(field(r.observed, "train", "redundantImages"), 3);
  assert.equal(field(r.observed, "train", "conflictingLabelGroups"), 1);
  assert.deepEqual(
    (field(r.observed, "train", "examples") as { indices: number[] }[]).map((g) => g.indices),
    [[2, 5, 9], [4, 7]],
  );
  // 3 redundant of 12 = 25 % > 10 % tolerance.
  assert.equal(r.success, false);
  assert.equal(
    (await check(expectNoDuplicatesWithinSplit(0.25, 5), { ...ok, train })).success,
    true,
  );
});

test("train_test_leakage finds test images copied from train and compares labels", async () => {
  const ok = craftDataset();
  const clean = await check(expectNoTrainTestLeakage(0, 5), ok);
  assert.equal(clean.success, true);
  assert.equal(field(clean.observed, "leakedTestImages"), 0);
  // test 1 = train 4 (same label), test 3 = train 6 (different label).
  const testLabels = balancedLabels(3, 2);
  testLabels[1] = ok.train.labels[4];
  testLabels[3] = (ok.train.labels[6] + 1) % 3;
  const test = craftSet(
    testLabels,
    (i, j) => i === 1 ? uniquePixel(4, j) : i === 3 ? uniquePixel(6, j) : uniquePixel(i + 5000, j),
  );
  const r = await check(expectNoTrainTestLeakage(0, 5), { ...ok, test });
  assert.equal(r.success, false);
  assert.equal(field(r.observed, "leakedTestImages"), 2);
  assert.equal(field(r.observed, "labelConflicts"), 1);
  assert.equal(field(r.observed, "labelsAgree"), false);
  const ex = field(r.details, "examples") as {
    testIndex: number;
    trainIndices: number[];
    labelsAgree: boolean;
  }[];
  assert.deepEqual(ex.map((e) => [e.testIndex, e.trainIndices, e.labelsAgree]), [
    [1, [4], true],
    [3, [6], false],
  ]);
  assert.equal((await check(expectNoTrainTestLeakage(2, 5), { ...ok, test })).success, true);
});

test("near_duplicates matches images differing only in low bits", async () => {
  // Coarse patterns: image i has pixel j = 16 · ((5i + 3j) mod 16), distinct for i < 16.
  const coarse = (i: number, j: number) => 16 * ((5 * i + 3 * j) % 16);
  const clean: Dataset = {
    version: "v",
    train: craftSet(balancedLabels(3, 2), coarse),
    test: craftSet(balancedLabels(3, 2), (i, j) => coarse(i + 6, j)),
  };
  assert.equal((await check(expectFewNearDuplicates(4, 0, 5), clean)).success, true);
  // train image 3 becomes image 0 with every pixel's low 4 bits changed.
  const train = craftSet(
    balancedLabels(3, 2),
    (i, j) => (i === 3 ? coarse(0, j) + (j % 16) : coarse(i, j)),
  );
  const ds = { ...clean, train };
  const exact = await check(expectNoDuplicatesWithinSplit(0, 5), ds);
  assert.equal(field(exact.observed, "train", "groups"), 0);
  const near = await check(expectFewNearDuplicates(4, 0, 5), ds);
  assert.equal(near.success, false);
  assert.deepEqual(field(near.observed, "train", "examples"), [[0, 3]]);
  // Test image 2 = train image 1 up to low bits → a cross-split near-duplicate.
  const test = craftSet(
    balancedLabels(3, 2),
    (i, j) => (i === 2 ? coarse(1, j) + 3 : coarse(i + 6, j)),
  );
  const cross = await check(expectFewNearDuplicates(4, 0, 5), { ...clean, test });
  assert.equal(cross.success, false);
  assert.equal(field(cross.observed, "crossSplit", "testImagesInTrain"), 1);
});

test("class_intensity_bands passes inside bands and catches inverted images", async () => {
  const mk = (invert: boolean) => {
    const labels = balancedLabels(2, 3);
    // class 0 mean 0.2, class 1 mean 0.6 (pixel 51 / 153 of 255)
    return craftSet(labels, (i) => {
      const v = labels[i] === 0 ? 51 : 153;
      return invert ? 255 - v : v;
    });
  };
  const bands: [number, number][] = [[0.15, 0.25], [0.55, 0.65]];
  const ok: Dataset = { version: "v", train: mk(false), test: mk(false) };
  const r = await check(expectClassIntensityBands(bands), ok);
  assert.equal(r.success, true);
  assert.deepEqual(field(r.observed, "train"), [0.2, 0.6]);
  const bad = await check(expectClassIntensityBands(bands), { ...ok, test: mk(true) });
  assert.equal(bad.success, false);
  assert.deepEqual(field(bad.details, "outside"), [
    { split: "test", label: 0, mean: 0.8, band: [0.15, 0.25] },
    { split: "test", label: 1, mean: 0.4, band: [0.55, 0.65] },
  ]);
});

test("suite config fills defaults, rejects bad fields and applies severity overrides", () => {
  const cfg = parseSuiteConfig({});
  assert.equal(cfg.numClasses, 10);
  assert.equal(cfg.intensityBands.length, 10);
  assert.throws(
    () => parseSuiteConfig({ numClasses: 3 }),
    (e: unknown) => e instanceof SuiteConfigError && /intensityBands/.test(e.message),
  );
  assert.throws(() => parseSuiteConfig({ classBalanceTolerance: -1 }), /classBalanceTolerance/);
  assert.throws(
    () => parseSuiteConfig({ intensityBands: Array(10).fill([0.5, 0.1]) }),
    /low <= high/,
  );
  const suite = datasetSuite(parseSuiteConfig({ severities: { train_test_leakage: "warning" } }));
  const sev = Object.fromEntries(suite.expectations.map((e) => [e.id, e.severity]));
  assert.deepEqual(sev, {
    image_shape: "critical",
    pixel_range: "critical",
    label_domain: "critical",
    class_balance: "critical",
    duplicates_within_split: "warning",
    train_test_leakage: "warning",
    near_duplicates: "warning",
    class_intensity_bands: "critical",
  });
});

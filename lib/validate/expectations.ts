/**
 * Expectations over a {@link Dataset}: structure (shape, dtype, pixel range, labels), balance,
 * duplicates within and across splits, and per-class intensity bands. Each factory returns a
 * declarative {@link Expectation}; {@link datasetSuite} assembles them from a config.
 */
import type { Dataset, ImageSet, SplitName } from "../data/mod.ts";
import type { DatasetSuiteConfig } from "./config.ts";
import { findCrossDuplicates, findDuplicates } from "./duplicates.ts";
import { imageStats } from "./image_stats.ts";
import type { Expectation, JsonValue, Severity, Suite } from "./types.ts";

const SPLITS: readonly SplitName[] = ["train", "test"];

function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function firstIndices(set: ImageSet, pred: (i: number) => boolean, max: number): {
  count: number;
  examples: number[];
} {
  let count = 0;
  const examples: number[] = [];
  for (let i = 0; i < set.count; i++) {
    if (!pred(i)) continue;
    count++;
    if (examples.length < max) examples.push(i);
  }
  return { count, examples };
}

/** Every split has `rows`×`cols` uint8 images, non-empty, with one label per image. */
export function expectImageShape(
  rows: number,
  cols: number,
  severity: Severity = "critical",
): Expectation<Dataset> {
  return {
    id: "image_shape",
    description: `every image is ${rows}×${cols} uint8 and every split has one label per image`,
    severity,
    check(ds) {
      const problems: string[] = [];
      const observed: Record<string, JsonValue> = {};
      for (const split of SPLITS) {
        const s = ds[split];
        const dtype = s.images instanceof Uint8Array ? "uint8" : Object.prototype.toString.call(
          s.images,
        );
        const labelDtype = s.labels instanceof Uint8Array ? "uint8" : "other";
        observed[split] = {
          count: s.count,
          rows: s.rows,
          cols: s.cols,
          dtype,
          pixelBytes: s.images.length,
          labels: s.labels.length,
        };
        if (s.count <= 0) problems.push(`${split}: no images`);
        if (s.rows !== rows || s.cols !== cols) {
          problems.push(`${split}: images are ${s.rows}×${s.cols}, expected ${rows}×${cols}`);
        }
        if (dtype !== "uint8") problems.push(`${split}: pixel dtype ${dtype}, expected uint8`);
        if (labelDtype !== "uint8") problems.push(`${split}: label dtype is not uint8`);
        if (s.images.length !== s.count * s.rows * s.cols) {
          problems.push(
            `${split}: ${s.images.length} pixel bytes for ${s.count} images of ${s.rows}×${s.cols}`,
          );
        }
        if (s.labels.length !== s.count) {
          problems.push(`${split}: ${s.labels.length} labels for ${s.count} images`);
        }
      }
      return { success: problems.length === 0, observed, details: { problems } };
    },
  };
}

/** Pixels lie in 0..255 and no image is blank (all pixels zero). */
export function expectPixelRange(
  maxExamples: number,
  severity: Severity = "critical",
): Expectation<Dataset> {
  return {
    id: "pixel_range",
    description: "pixels lie in 0..255 (uint8) and no image is blank",
    severity,
    check(ds) {
      const observed: Record<string, JsonValue> = {};
      let ok = true;
      for (const split of SPLITS) {
        const s = ds[split];
        const st = imageStats(s);
        let mn = 255, mx = 0;
        for (let i = 0; i < st.min.length; i++) {
          if (st.min[i] < mn) mn = st.min[i];
          if (st.max[i] > mx) mx = st.max[i];
        }
        const blank = firstIndices(s, (i) => st.max[i] === 0, maxExamples);
        const inRange = s.images instanceof Uint8Array;
        if (!inRange || blank.count > 0) ok = false;
        observed[split] = {
          min: st.min.length ? mn : null,
          max: st.min.length ? mx : null,
          blankImages: blank.count,
          blankExamples: blank.examples,
        };
      }
      return { success: ok, observed };
    },
  };
}

/** Every label is an integer class id in 0..numClasses−1. */
export function expectLabelDomain(
  numClasses: number,
  maxExamples: number,
  severity: Severity = "critical",
): Expectation<Dataset> {
  return {
    id: "label_domain",
    description: `labels are class ids 0..${numClasses - 1}`,
    severity,
    check(ds) {
      const observed: Record<string, JsonValue> = {};
      let ok = true;
      for (const split of SPLITS) {
        const s = ds[split];
        const bad = firstIndices(s, (i) => s.labels[i] >= numClasses, maxExamples);
        const distinct = [...new Set(s.labels)].sort((a, b) => a - b);
        if (bad.count > 0) ok = false;
        observed[split] = {
          distinct,
          outOfDomain: bad.count,
          examples: bad.examples.map((i) => ({ index: i, label: s.labels[i] })),
        };
      }
      return { success: ok, observed };
    },
  };
}

/** Label counts of a split (labels outside 0..numClasses−1 are ignored). */
export function classCounts(set: ImageSet, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < set.count; i++) {
    const l = set.labels[i];
    if (l < numClasses) counts[l]++;
  }
  return counts;
}

/** Each class's share of each split is within `tolerance` (relative) of 1/numClasses. */
export function expectClassBalance(
  numClasses: number,
  tolerance: number,
  severity: Severity = "critical",
): Expectation<Dataset> {
  return {
    id: "class_balance",
    description: `each class holds 1/${numClasses} of each split within ±${
      round(tolerance * 100, 2)
    } % (relative)`,
    severity,
    check(ds) {
      const observed: Record<string, JsonValue> = {};
      let ok = true;
      for (const split of SPLITS) {
        const s = ds[split];
        const counts = classCounts(s, numClasses);
        const expected = s.count / numClasses;
        let worst = 0;
        let worstClass = -1;
        counts.forEach((c, k) => {
          const dev = expected > 0 ? Math.abs(c - expected) / expected : 1;
          if (dev > worst) [worst, worstClass] = [dev, k];
        });
        if (worst > tolerance) ok = false;
        observed[split] = {
          counts,
          expectedPerClass: round(expected, 3),
          maxRelativeDeviation: round(worst),
          worstClass: worstClass >= 0 ? worstClass : null,
        };
      }
      return { success: ok, observed };
    },
  };
}

/** Exact duplicate images within each split stay below `maxFraction` of the split. */
export function expectNoDuplicatesWithinSplit(
  maxFraction: number,
  maxExamples: number,
  severity: Severity = "warning",
): Expectation<Dataset> {
  return {
    id: "duplicates_within_split",
    description: `redundant exact-duplicate images are at most ${
      round(maxFraction * 100, 4)
    } % of each split`,
    severity,
    check(ds) {
      const observed: Record<string, JsonValue> = {};
      let ok = true;
      for (const split of SPLITS) {
        const s = ds[split];
        const d = findDuplicates(s);
        if (d.redundant > maxFraction * s.count) ok = false;
        observed[split] = {
          groups: d.groups.length,
          redundantImages: d.redundant,
          fraction: round(d.redundant / Math.max(s.count, 1)),
          conflictingLabelGroups: d.conflictingGroups,
          examples: d.groups.slice(0, maxExamples).map((g) => ({
            indices: g,
            labels: g.map((i) => s.labels[i]),
          })),
        };
      }
      return { success: ok, observed };
    },
  };
}

/** At most `maxLeaked` test images also occur (byte-identical) in train. */
export function expectNoTrainTestLeakage(
  maxLeaked: number,
  maxExamples: number,
  severity: Severity = "critical",
): Expectation<Dataset> {
  return {
    id: "train_test_leakage",
    description: `at most ${maxLeaked} test images also occur in train (exact copies)`,
    severity,
    check(ds) {
      const c = findCrossDuplicates(ds.train, ds.test);
      return {
        success: c.matches.length <= maxLeaked,
        observed: {
          leakedTestImages: c.matches.length,
          labelConflicts: c.labelConflicts,
          labelsAgree: c.labelConflicts === 0,
        },
        details: {
          examples: c.matches.slice(0, maxExamples).map((m) => ({
            testIndex: m.index,
            trainIndices: m.matches,
            testLabel: ds.test.labels[m.index],
            trainLabels: m.matches.map((i) => ds.train.labels[i]),
            labelsAgree: m.labelsAgree,
          })),
        },
      };
    },
  };
}

/**
 * Near-duplicates (identical after dropping `dropBits` low bits per pixel) within each split and
 * across train/test stay below `maxFraction` of each split.
 */
export function expectFewNearDuplicates(
  dropBits: number,
  maxFraction: number,
  maxExamples: number,
  severity: Severity = "warning",
): Expectation<Dataset> {
  return {
    id: "near_duplicates",
    description: `images identical after quantizing pixels to ${8 - dropBits} bits are at most ${
      round(maxFraction * 100, 4)
    } % of each split (within and across)`,
    severity,
    check(ds) {
      const observed: Record<string, JsonValue> = { dropBits };
      let ok = true;
      for (const split of SPLITS) {
        const s = ds[split];
        const d = findDuplicates(s, dropBits);
        if (d.redundant > maxFraction * s.count) ok = false;
        observed[split] = {
          groups: d.groups.length,
          redundantImages: d.redundant,
          examples: d.groups.slice(0, maxExamples),
        };
      }
      const c = findCrossDuplicates(ds.train, ds.test, dropBits);
      if (c.matches.length > maxFraction * ds.test.count) ok = false;
      observed.crossSplit = {
        testImagesInTrain: c.matches.length,
        labelConflicts: c.labelConflicts,
        examples: c.matches.slice(0, maxExamples).map((m) => ({
          testIndex: m.index,
          trainIndices: m.matches,
        })),
      };
      return { success: ok, observed };
    },
  };
}

/** Mean pixel intensity (in [0, 1]) of each class in each split lies within its band. */
export function expectClassIntensityBands(
  bands: ReadonlyArray<readonly [number, number]>,
  severity: Severity = "critical",
): Expectation<Dataset> {
  return {
    id: "class_intensity_bands",
    description: "each class's mean pixel intensity (0..1) lies in its configured band",
    severity,
    check(ds) {
      const observed: Record<string, JsonValue> = {};
      const outside: JsonValue[] = [];
      for (const split of SPLITS) {
        const s = ds[split];
        const st = imageStats(s);
        const size = s.rows * s.cols * 255;
        const sums = new Array<number>(bands.length).fill(0);
        const counts = new Array<number>(bands.length).fill(0);
        for (let i = 0; i < st.sum.length; i++) {
          const l = s.labels[i];
          if (l >= bands.length) continue;
          sums[l] += st.sum[i] / size;
          counts[l]++;
        }
        const means = sums.map((x, k) => (counts[k] > 0 ? round(x / counts[k]) : null));
        means.forEach((m, k) => {
          const [lo, hi] = bands[k];
          if (m !== null && (m < lo || m > hi)) {
            outside.push({ split, label: k, mean: m, band: [lo, hi] });
          }
        });
        observed[split] = means;
      }
      return {
        success: outside.length === 0,
        observed,
        details: { outside, bands: bands.map(([a, b]) => [a, b]) },
      };
    },
  };
}

/**
 * The dataset suite built from a config. Severities (overridable per id in the config):
 * shape, pixel range, label domain, class balance, leakage and intensity bands are critical —
 * each failure means the data cannot be trusted for training or for an honest test score;
 * within-split exact duplicates and near-duplicates are warnings — they waste a little capacity
 * but do not invalidate results.
 */
export function datasetSuite(cfg: DatasetSuiteConfig): Suite<Dataset> {
  const sev = (id: string, dflt: Severity): Severity => cfg.severities[id] ?? dflt;
  return {
    name: cfg.name,
    expectations: [
      expectImageShape(cfg.rows, cfg.cols, sev("image_shape", "critical")),
      expectPixelRange(cfg.maxExamples, sev("pixel_range", "critical")),
      expectLabelDomain(cfg.numClasses, cfg.maxExamples, sev("label_domain", "critical")),
      expectClassBalance(
        cfg.numClasses,
        cfg.classBalanceTolerance,
        sev("class_balance", "critical"),
      ),
      expectNoDuplicatesWithinSplit(
        cfg.maxDuplicateFraction,
        cfg.maxExamples,
        sev("duplicates_within_split", "warning"),
      ),
      expectNoTrainTestLeakage(
        cfg.maxLeakedImages,
        cfg.maxExamples,
        sev("train_test_leakage", "critical"),
      ),
      expectFewNearDuplicates(
        cfg.nearDuplicateDropBits,
        cfg.maxNearDuplicateFraction,
        cfg.maxExamples,
        sev("near_duplicates", "warning"),
      ),
      expectClassIntensityBands(cfg.intensityBands, sev("class_intensity_bands", "critical")),
    ],
  };
}

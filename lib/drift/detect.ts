/**
 * Drift detectors on a current batch against a reference profile, and the overall verdict.
 *
 * Detectors (each yields one family p-value):
 * - `features`: KS per image feature (lib/features), corrected (Bonferroni by default);
 * - `labels`: chi-square homogeneity of predicted-class counts (label / prior shift);
 * - `bbsd`: black-box shift detection, KS per softmax dimension, corrected;
 * - `mmd`: MMD² permutation test on PCA-reduced penultimate embeddings;
 * - `classifier`: domain classifier (logistic regression) on the same embeddings, held-out AUC.
 *
 * **Verdict rule.** A detector fires when its family p-value, Bonferroni-corrected across the
 * five detectors (p × 5), is ≤ α (default 0.05) — so on clean data the chance that *any*
 * detector fires is ≤ α whatever the batch size. **Large batches** (≥ `largeSample` rows,
 * default 1,000) must also show a practically relevant effect (the Evidently rule; KS flags
 * everything on large samples): normalised Wasserstein-1 (W1 / reference std) ≥ 0.1 on a
 * rejected feature or softmax dimension, Jensen–Shannon distance ≥ 0.1 between the predicted-class
 * distributions, held-out AUC ≥ 0.55; MMD and the classifier test compare capped subsamples, so
 * their size (and power) does not grow with the batch. The verdict is `drift` when any detector
 * fires.
 */
import { z } from "zod";
import { mulberry32 } from "../features/mod.ts";
import { classifierTest } from "./classifier.ts";
import { mmdTest, type Rows } from "./mmd.ts";
import {
  type BatchView,
  classCounts,
  type Profile,
  profileRows,
  sampleIndices,
} from "./profile.ts";
import { column, pickRows } from "./outputs.ts";
import {
  adjustPValues,
  chiSquareTwoSample,
  type Correction,
  jensenShannon,
  ksTwoSample,
  meanStd,
  wasserstein1,
} from "./stats.ts";

/** Detector names, in report order. */
export const DETECTORS = ["features", "labels", "bbsd", "mmd", "classifier"] as const;
/** One detector name. */
export type DetectorName = typeof DETECTORS[number];

/** Detection options (zod-validated; defaults documented in the module doc). */
export const detectOptionsSchema = z.object({
  alpha: z.number().gt(0).lt(1).default(0.05),
  correction: z.enum(["bonferroni", "fdr_bh"]).default("bonferroni"),
  /** From this many current rows on, an effect-size threshold must also be met. */
  largeSample: z.number().int().min(2).default(1000),
  wassersteinThreshold: z.number().min(0).default(0.1),
  jsThreshold: z.number().min(0).max(1).default(0.1),
  aucThreshold: z.number().min(0.5).max(1).default(0.55),
  /** Rows per side of the MMD test (subsampled beyond). */
  mmdRows: z.number().int().min(4).max(2000).default(250),
  mmdPermutations: z.number().int().min(19).max(10_000).default(100),
  /** Rows per side of the classifier test. */
  classifierRows: z.number().int().min(8).max(5000).default(500),
  /** Detectors to run (default all). */
  detectors: z.array(z.enum(DETECTORS)).min(1).default([...DETECTORS]),
  seed: z.number().int().default(0),
});
/** Options as callers write them. */
export type DetectOptionsInput = z.input<typeof detectOptionsSchema>;
/** Options with defaults. */
export type DetectOptions = z.output<typeof detectOptionsSchema>;

/** One elementary test of a detector family (a feature, a softmax dimension…). */
export interface TestDetail {
  name: string;
  statistic: number;
  pValue: number;
  /** p-value corrected within the family. */
  adjusted: number;
  /** Effect size (normalised W1 for KS families). */
  effect?: number;
  drift: boolean;
}

/** One detector's outcome. */
export interface DetectorResult {
  detector: DetectorName;
  /** What the statistic is (e.g. `min adjusted KS p`, `MMD²`, `AUC`). */
  statisticName: string;
  statistic: number;
  /** Family p-value (before the across-detector Bonferroni). */
  pValue: number;
  /** pValue × number of detectors, capped at 1. */
  adjusted: number;
  /** Effect size and its threshold, when the large-sample rule applies to this detector. */
  effect?: { name: string; value: number; threshold: number; applies: boolean };
  drift: boolean;
  details: TestDetail[];
}

/** The verdict on one batch. */
export interface DriftReport {
  verdict: "drift" | "no drift";
  drift: boolean;
  /** The rule, in words. */
  rule: string;
  alpha: number;
  count: number;
  largeSample: boolean;
  /** Share of image features whose corrected KS test rejects (the Evidently share rule). */
  driftedFeatureShare: number;
  detectors: DetectorResult[];
}

/** Raised when a batch cannot be tested (too small, shapes differ from the profile). */
export class DriftInputError extends Error {
  override name = "DriftInputError";
}

/** Per-column KS family with within-family correction and normalised W1 effect sizes. */
function ksFamily(
  ref: Rows,
  cur: Rows,
  names: readonly string[],
  o: DetectOptions,
  large: boolean,
): { p: number; effect: number; details: TestDetail[] } {
  const raw = names.map((name, j) => {
    const a = column(ref, j), b = column(cur, j);
    const ks = ksTwoSample(a, b);
    const sd = meanStd(a).std;
    const w = wasserstein1(a, b);
    const effect = sd > 0 ? w / sd : (w > 0 ? Infinity : 0);
    return { name, statistic: ks.statistic, pValue: ks.pValue, effect };
  });
  const adj = adjustPValues(raw.map((r) => r.pValue), o.correction as Correction);
  const details = raw.map((r, j) => ({
    ...r,
    adjusted: adj[j],
    drift: adj[j] <= o.alpha && (!large || r.effect >= o.wassersteinThreshold),
  }));
  // Family p: the smallest corrected p among tests passing the effect gate (all when not large).
  const eligible = details.filter((d) => !large || d.effect >= o.wassersteinThreshold);
  const p = eligible.length ? Math.min(...eligible.map((d) => d.adjusted)) : 1;
  return { p, effect: Math.max(...details.map((d) => d.effect)), details };
}

/** Test a batch against a profile; see the module doc for the rule. */
export function detectDrift(
  profile: Profile,
  batch: BatchView,
  input: DetectOptionsInput = {},
): DriftReport {
  const o = detectOptionsSchema.parse(input);
  if (batch.count < 8) throw new DriftInputError(`a batch needs ≥ 8 images, got ${batch.count}`);
  const refF = profileRows(profile.sample.features);
  const refP = profileRows(profile.sample.probs);
  const refE = profileRows(profile.sample.embeddings);
  if (batch.features.dim !== refF.dim || batch.probs.dim !== refP.dim) {
    throw new DriftInputError(
      `batch has ${batch.features.dim} features / ${batch.probs.dim} classes, the profile ` +
        `${refF.dim} / ${refP.dim}`,
    );
  }
  const large = batch.count >= o.largeSample;
  const m = o.detectors.length;
  const rand = mulberry32(o.seed);
  const results: DetectorResult[] = [];
  const finish = (
    r: Omit<DetectorResult, "adjusted" | "drift">,
  ): DetectorResult => {
    const adjusted = Math.min(1, r.pValue * m);
    const gate = r.effect && r.effect.applies ? r.effect.value >= r.effect.threshold : true;
    return { ...r, adjusted, drift: adjusted <= o.alpha && gate };
  };
  let share = 0;
  for (const det of o.detectors) {
    if (det === "features") {
      const f = ksFamily(refF, batch.features, profile.featureNames, o, large);
      share = f.details.filter((d) => d.drift).length / f.details.length;
      results.push(finish({
        detector: det,
        statisticName: `min corrected KS p over ${f.details.length} features`,
        statistic: f.p,
        pValue: f.p,
        effect: {
          name: "max normalised W1",
          value: f.effect,
          threshold: o.wassersteinThreshold,
          applies: large,
        },
        details: f.details,
      }));
    } else if (det === "bbsd") {
      const f = ksFamily(refP, batch.probs, profile.labels.map((l) => `p(${l})`), o, large);
      results.push(finish({
        detector: det,
        statisticName: `min corrected KS p over ${f.details.length} softmax dims`,
        statistic: f.p,
        pValue: f.p,
        effect: {
          name: "max normalised W1",
          value: f.effect,
          threshold: o.wassersteinThreshold,
          applies: large,
        },
        details: f.details,
      }));
    } else if (det === "labels") {
      const cur = classCounts(batch.probs);
      const chi = chiSquareTwoSample(profile.classCounts, cur);
      const js = jensenShannon(profile.classCounts, cur);
      results.push(finish({
        detector: det,
        statisticName: "chi-square (predicted classes)",
        statistic: chi.statistic,
        pValue: chi.pValue,
        effect: {
          name: "Jensen–Shannon distance",
          value: js,
          threshold: o.jsThreshold,
          applies: large,
        },
        details: profile.labels.map((name, c) => ({
          name,
          statistic: cur[c] / batch.count,
          pValue: NaN,
          adjusted: NaN,
          effect: profile.classCounts[c] / profile.referenceCount,
          drift: false,
        })),
      }));
    } else if (det === "mmd") {
      const a = pickRows(refE, sampleIndices(refE.count, o.mmdRows, rand));
      const b = pickRows(batch.embeddings, sampleIndices(batch.count, o.mmdRows, rand));
      const r = mmdTest(a, b, { permutations: o.mmdPermutations, random: rand });
      results.push(finish({
        detector: det,
        statisticName: `MMD² (RBF σ=${r.sigma.toPrecision(3)}, ${r.permutations} permutations)`,
        statistic: r.statistic,
        pValue: r.pValue,
        details: [],
      }));
    } else {
      const n = Math.min(o.classifierRows, batch.count);
      const a = pickRows(refE, sampleIndices(refE.count, n, rand));
      const b = pickRows(batch.embeddings, sampleIndices(batch.count, n, rand));
      const r = classifierTest(a, b, { random: rand });
      results.push(finish({
        detector: det,
        statisticName: `held-out ROC AUC (${r.heldOut.reference}+${r.heldOut.current} rows)`,
        statistic: r.statistic,
        pValue: r.pValue,
        effect: { name: "AUC", value: r.statistic, threshold: o.aucThreshold, applies: large },
        details: [],
      }));
    }
  }
  const drift = results.some((r) => r.drift);
  return {
    verdict: drift ? "drift" : "no drift",
    drift,
    rule: `drift when any of ${m} detectors has family p × ${m} ≤ ${o.alpha}` +
      (large
        ? ` and (batch ≥ ${o.largeSample}) its effect size passes its threshold ` +
          `(W1/sd ≥ ${o.wassersteinThreshold}, JS ≥ ${o.jsThreshold}, AUC ≥ ${o.aucThreshold})`
        : ""),
    alpha: o.alpha,
    count: batch.count,
    largeSample: large,
    driftedFeatureShare: share,
    detectors: results,
  };
}

/**
 * Suite configuration (tolerances, bands, severities) validated with zod. Defaults encode what
 * was measured on Fashion-MNIST (Debian `dataset-fashion-mnist` 0.0~git20200523): 6000/1000
 * images per class, no exact or near duplicates within or across splits, per-class mean
 * intensities listed in {@link DEFAULT_INTENSITY_BANDS}.
 */
import { zodErrorText } from "../config/mod.ts";
import { z } from "zod";
import { severitySchema } from "./types.ts";

const band = z
  .tuple([z.number().min(0).max(1), z.number().min(0).max(1)])
  .refine(([lo, hi]) => lo <= hi, "band must be [low, high] with low <= high");

/**
 * Allowed range of each class's mean pixel intensity (in [0, 1]), indexed by label. Measured
 * train means are 0.326 0.223 0.377 0.259 0.385 0.137 0.332 0.168 0.354 0.301 (test within
 * 0.006 of these); the bands are those ±20 %, wide enough for a re-sourced copy yet narrow
 * enough to catch inverted or rescaled images (an inverted class lands near 1 − mean).
 */
export const DEFAULT_INTENSITY_BANDS: ReadonlyArray<readonly [number, number]> = [
  [0.26, 0.39],
  [0.18, 0.27],
  [0.30, 0.45],
  [0.21, 0.31],
  [0.31, 0.46],
  [0.11, 0.17],
  [0.27, 0.40],
  [0.13, 0.20],
  [0.28, 0.42],
  [0.24, 0.36],
];

/** Schema of the dataset suite configuration; every field has a default. */
export const datasetSuiteConfigSchema = z.object({
  name: z.string().min(1).default("fashion-mnist-dataset"),
  rows: z.number().int().positive().default(28),
  cols: z.number().int().positive().default(28),
  numClasses: z.number().int().min(2).max(256).default(10),
  /** Each class's share of a split may deviate from 1/numClasses by at most this fraction of it. */
  classBalanceTolerance: z.number().min(0).max(1).default(0.1),
  /** Most redundant exact-duplicate copies allowed within one split, as a fraction of it. */
  maxDuplicateFraction: z.number().min(0).max(1).default(0.001),
  /** Most test images allowed to also occur in train (exact copies). */
  maxLeakedImages: z.number().int().min(0).default(0),
  /** Low bits dropped per pixel before comparing images for near-duplicates. */
  nearDuplicateDropBits: z.number().int().min(1).max(7).default(4),
  /** Most redundant near-duplicate copies allowed within a split, as a fraction of it. */
  maxNearDuplicateFraction: z.number().min(0).max(1).default(0.001),
  /** Per-class mean intensity bands; length must equal `numClasses`. */
  intensityBands: z.array(band).default(() =>
    DEFAULT_INTENSITY_BANDS.map(([a, b]): [number, number] => [a, b])
  ),
  /** How many example indices/groups a finding keeps for the report. */
  maxExamples: z.number().int().min(0).max(1000).default(10),
  /** Severity overrides by expectation id. */
  severities: z.record(z.string(), severitySchema).default({}),
}).refine(
  (c) => c.intensityBands.length === c.numClasses,
  { message: "intensityBands must have one [low, high] band per class", path: ["intensityBands"] },
);

/** Validated dataset suite configuration. */
export type DatasetSuiteConfig = z.infer<typeof datasetSuiteConfigSchema>;

/** Raised for an invalid suite configuration; lists each bad field. */
export class SuiteConfigError extends Error {
  override name = "SuiteConfigError";
}

/**
 * Parse a (partial) suite configuration, filling defaults.
 * @throws SuiteConfigError naming each invalid field.
 */
export function parseSuiteConfig(raw: unknown = {}): DatasetSuiteConfig {
  const r = datasetSuiteConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const lines = zodErrorText(r.error);
    throw new SuiteConfigError(
      `invalid validation suite config:\n${lines}\nFix these fields or omit them to use the defaults.`,
    );
  }
  return r.data;
}

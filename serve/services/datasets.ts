/**
 * What the dataset routes need from the data layer, as one interface. The routes only parse
 * input and shape output; {@link createDatasetApi} implements this on `lib/` (with a per-version
 * in-process cache of loaded datasets).
 */
import type { Dataset, Manifest } from "../../lib/data/mod.ts";
import type { ValidationResult } from "../../lib/validate/mod.ts";
import type { ClassStatRow } from "./class_stats.ts";

/** One dataset version in the listing (as the API answers it: snake_case). */
export interface VersionSummary {
  version: string;
  name: string;
  /** ISO-8601. */
  created_at: string;
  total_bytes: number;
  source: string;
  /** Images per split. */
  counts: { train: number; test: number };
}

/** The dataset versions known to the store. */
export interface VersionList {
  /** Version id `latest` resolves to, or null when nothing was ingested. */
  latest: string | null;
  /** One entry per version (its manifest summary), newest first. */
  versions: VersionSummary[];
}

/** Per-class statistics of a version (as the API answers them: snake_case). */
export interface ClassStats {
  version: string;
  /** Id of the feature set the statistics were computed from. */
  feature_set: string;
  /** One row per split × label. */
  classes: ClassStatRow[];
}

/** Data access used by the dataset routes. Methods taking `version` expect a concrete id. */
export interface DatasetApi {
  /** All versions. */
  listVersions(): Promise<VersionList>;
  /** The concrete id of `version` (`latest` or an id). @throws HttpError 404 when unknown. */
  resolve(version: string): Promise<string>;
  /** The manifest of a version. */
  manifest(version: string): Promise<Manifest>;
  /** The stored validation result of a version, or null when it was never validated. */
  validation(version: string): Promise<ValidationResult | null>;
  /** The stored HTML validation report of a version, or null when there is none. */
  validationHtml(version: string): Promise<string | null>;
  /** The loaded images and labels of a version (cached in the process). */
  dataset(version: string): Promise<Dataset>;
  /** Per-class statistics of a version. */
  classStats(version: string): Promise<ClassStats>;
}

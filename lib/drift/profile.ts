/**
 * The reference profile of a model version: what "normal" inputs look like to the detectors,
 * computed from the data the model was validated on. It holds a seeded random sample of the
 * reference images' features (lib/features), softmax outputs, confidences and PCA-reduced
 * penultimate embeddings, the PCA itself, and the predicted-class counts over all reference
 * images. It is JSON (zod-validated on load) and stored content-addressed in the object store.
 */
import type * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { ImageSet } from "../data/mod.ts";
import { FEATURE_COLUMNS, mulberry32 } from "../features/mod.ts";
import type { Signature } from "../models/mod.ts";
import type { Rows } from "./mmd.ts";
import { featureRows, modelOutputs, pickRows } from "./outputs.ts";
import { fitPca, type Pca, projectPca } from "./pca.ts";

const rowsSchema = z.object({
  count: z.number().int().min(0),
  dim: z.number().int().min(1),
  data: z.array(z.number()),
}).refine((r) => r.data.length === r.count * r.dim, "data length must be count × dim");

/** Format tag of stored profiles. */
export const PROFILE_FORMAT = "fmnist-drift-profile/v1";

/** A stored reference profile (see the module doc). */
export const profileSchema = z.object({
  format: z.literal(PROFILE_FORMAT),
  model: z.object({
    name: z.string(),
    version: z.number().int().positive(),
    sha256: z.string(),
  }),
  createdAt: z.string(),
  /** Where the reference images came from, e.g. `fashion-mnist <version> validation split`. */
  source: z.string(),
  /** Reference images the class counts cover. */
  referenceCount: z.number().int().positive(),
  seed: z.number().int(),
  labels: z.array(z.string()).min(2),
  featureNames: z.array(z.string()),
  /** Predicted-class counts over all reference images. */
  classCounts: z.array(z.number().int().min(0)),
  /** The sampled reference rows. */
  sample: z.object({
    features: rowsSchema,
    probs: rowsSchema,
    /** PCA projections of the penultimate embeddings. */
    embeddings: rowsSchema,
  }),
  pca: z.object({
    dim: z.number().int(),
    k: z.number().int(),
    mean: z.array(z.number()),
    components: z.array(z.array(z.number())),
    explainedVariance: z.array(z.number()),
  }),
});
/** A reference profile. */
export type Profile = z.infer<typeof profileSchema>;

/** Options of {@link buildProfile}. */
export interface ProfileOptions {
  model: { name: string; version: number; sha256: string };
  signature: Pick<Signature, "normalization" | "labels">;
  /** Description of the reference images. */
  source: string;
  /** Reference rows kept for the tests (default 2,000). */
  sampleSize?: number;
  /** PCA components of the embeddings (default 16). */
  pcaDim?: number;
  seed?: number;
}

/** Store rows compactly: float32 precision is plenty for the tests. */
function toJsonRows(r: Rows): z.infer<typeof rowsSchema> {
  return { count: r.count, dim: r.dim, data: Array.from(r.data, (v) => Math.fround(v)) };
}

/** Rows of a parsed profile as typed arrays. */
export function profileRows(r: z.infer<typeof rowsSchema>): Rows {
  return { count: r.count, dim: r.dim, data: Float64Array.from(r.data) };
}

/** A seeded sample of `k` distinct indices out of `n` (all when k ≥ n), ascending. */
export function sampleIndices(n: number, k: number, rand: () => number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  if (k >= n) return idx;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, k).sort();
}

/** Predicted-class counts of a probability matrix. */
export function classCounts(probs: Rows): number[] {
  const counts = new Array<number>(probs.dim).fill(0);
  for (let i = 0; i < probs.count; i++) {
    let best = 0;
    for (let c = 1; c < probs.dim; c++) {
      if (probs.data[i * probs.dim + c] > probs.data[i * probs.dim + best]) best = c;
    }
    counts[best]++;
  }
  return counts;
}

/**
 * Build the reference profile of `model` from reference images `set` (e.g. the validation split
 * the model was selected on): one forward pass over every image, then a seeded sample.
 */
export function buildProfile(model: tf.LayersModel, set: ImageSet, opts: ProfileOptions): Profile {
  if (set.count < 20) throw new Error(`a reference profile needs ≥ 20 images, got ${set.count}`);
  const seed = opts.seed ?? 0;
  const out = modelOutputs(model, set, opts.signature.normalization);
  const features = featureRows(set);
  const idx = sampleIndices(set.count, opts.sampleSize ?? 2000, mulberry32(seed));
  const emb = pickRows(out.embeddings, idx);
  const pca: Pca = fitPca(emb, Math.min(opts.pcaDim ?? 16, emb.dim, emb.count - 1));
  return {
    format: PROFILE_FORMAT,
    model: opts.model,
    createdAt: new Date().toISOString(),
    source: opts.source,
    referenceCount: set.count,
    seed,
    labels: opts.signature.labels,
    featureNames: [...FEATURE_COLUMNS],
    classCounts: classCounts(out.probs),
    sample: {
      features: toJsonRows(pickRows(features, idx)),
      probs: toJsonRows(pickRows(out.probs, idx)),
      embeddings: toJsonRows(projectPca(pca, emb)),
    },
    pca,
  };
}

/** What the detectors see of a current batch (same layout as the profile's sample). */
export interface BatchView {
  count: number;
  features: Rows;
  probs: Rows;
  /** PCA-projected embeddings. */
  embeddings: Rows;
}

/** Look at a batch of images through a profile's lenses (features, model outputs, PCA). */
export function viewBatch(
  model: tf.LayersModel,
  profile: Profile,
  set: ImageSet,
  normalization: Signature["normalization"],
): BatchView {
  const out = modelOutputs(model, set, normalization);
  return {
    count: set.count,
    features: featureRows(set),
    probs: out.probs,
    embeddings: projectPca(profile.pca, out.embeddings),
  };
}

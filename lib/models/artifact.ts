/**
 * Model artifacts: tfjs layers model (topology + weights) plus a signature (input shape,
 * normalization, label names) and metrics, stored content-addressed in the object store.
 * An artifact's id is the sha256 of its manifest, so equal models share one artifact.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { getContent, type ObjectStore, putContent } from "../storage/mod.ts";
import { LABEL_NAMES } from "../data/mod.ts";
// Registers custom layers (SeededDropout) so every deserialized model can be rebuilt.
import "./seeded_dropout.ts";

/** What a model expects as input and what its outputs mean. */
export const signatureSchema = z.object({
  /** Input tensor shape without the batch axis, e.g. `[28, 28, 1]` or `[784]`. */
  inputShape: z.array(z.number().int().positive()).min(1),
  /** Pixel bytes are mapped with `(byte * scale - mean) / std`. */
  normalization: z.object({
    scale: z.number().positive(),
    mean: z.number(),
    std: z.number().positive(),
  }),
  /** Label names indexed by class id. */
  labels: z.array(z.string()).min(2),
  /** Model family, e.g. `cnn`, `logreg`, `mlp`, `knn`. */
  kind: z.string().min(1),
  /**
   * Temperature fitted on the validation split (temperature scaling): serving divides the
   * logits by it, i.e. returns `softmax(log p / T)`. Absent: 1 (uncalibrated).
   */
  temperature: z.number().positive().finite().optional(),
});
/** A model signature. */
export type Signature = z.infer<typeof signatureSchema>;

/** Default signature of a Fashion-MNIST image model with `inputShape` and [0,1] scaling. */
export function defaultSignature(inputShape: number[], kind: string): Signature {
  return {
    inputShape,
    normalization: { scale: 1 / 255, mean: 0, std: 1 },
    labels: [...LABEL_NAMES],
    kind,
  };
}

const manifestSchema = z.object({
  format: z.literal("fmnist-model/v1"),
  modelTopology: z.record(z.string(), z.unknown()),
  weightSpecs: z.array(
    z.object({
      name: z.string(),
      shape: z.array(z.number()),
      dtype: z.string(),
    }).passthrough(),
  ),
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  signature: signatureSchema,
  metrics: z.record(z.string(), z.number()),
  config: z.record(z.string(), z.unknown()),
});
/** The stored artifact manifest. */
export type ArtifactManifest = z.infer<typeof manifestSchema>;

/** Reference to a stored artifact. */
export interface ArtifactRef {
  /** sha256 of the manifest (the artifact id). */
  sha256: string;
  /** Object key of the manifest. */
  key: string;
  /** Size of weights + manifest in bytes. */
  size: number;
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out;
}

/** Serialize a model's topology and weights (no store involved). */
export async function serializeModel(
  model: tf.LayersModel,
): Promise<
  {
    modelTopology: Record<string, unknown>;
    weightSpecs: tf.io.WeightsManifestEntry[];
    weights: Uint8Array;
  }
> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    captured = artifacts;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  if (!captured?.modelTopology || !captured.weightSpecs || !captured.weightData) {
    throw new Error("model serialization produced no topology/weights; is it a built LayersModel?");
  }
  return {
    modelTopology: captured.modelTopology as Record<string, unknown>,
    weightSpecs: captured.weightSpecs,
    weights: concatBuffers(captured.weightData as ArrayBuffer | ArrayBuffer[]),
  };
}

/** Rebuild a model from serialized topology and weights. */
export function deserializeModel(
  modelTopology: Record<string, unknown>,
  weightSpecs: tf.io.WeightsManifestEntry[],
  weights: Uint8Array,
): Promise<tf.LayersModel> {
  const buf = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology, weightSpecs, weightData: buf as ArrayBuffer }),
  );
}

/**
 * Save `model` with its signature, metrics and config to the store. Idempotent: the same model,
 * signature, metrics and config give the same artifact id.
 */
export async function saveModelArtifact(
  store: ObjectStore,
  model: tf.LayersModel,
  meta: {
    signature: Signature;
    metrics?: Record<string, number>;
    config?: Record<string, unknown>;
  },
): Promise<ArtifactRef> {
  const ser = await serializeModel(model);
  const w = await putContent(store, ser.weights);
  const manifest: ArtifactManifest = {
    format: "fmnist-model/v1",
    modelTopology: ser.modelTopology,
    weightSpecs: ser.weightSpecs.map((s) => ({ ...s })),
    weightsSha256: w.sha256,
    signature: signatureSchema.parse(meta.signature),
    metrics: meta.metrics ?? {},
    config: meta.config ?? {},
  };
  const m = await putContent(store, new TextEncoder().encode(JSON.stringify(manifest)));
  return { sha256: m.sha256, key: m.key, size: m.size + w.size };
}

/** Read an artifact's manifest (hash-verified). */
export async function readArtifactManifest(
  store: ObjectStore,
  sha256: string,
): Promise<ArtifactManifest> {
  const bytes = await getContent(store, sha256);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`model artifact ${sha256} is not JSON; it may not be a model artifact id`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `model artifact ${sha256} has an invalid manifest: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

/** Load a stored model with its manifest. */
export async function loadModelArtifact(
  store: ObjectStore,
  sha256: string,
): Promise<{ model: tf.LayersModel; manifest: ArtifactManifest }> {
  const manifest = await readArtifactManifest(store, sha256);
  const weights = await getContent(store, manifest.weightsSha256);
  const model = await deserializeModel(
    manifest.modelTopology,
    manifest.weightSpecs as tf.io.WeightsManifestEntry[],
    weights,
  );
  return { model, manifest };
}

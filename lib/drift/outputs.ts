/**
 * What the drift detectors look at for a set of images: the per-image features of the features
 * stage, and a model's softmax outputs and penultimate-layer embeddings (one forward pass).
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import { computeImageFeatures, FEATURE_COLUMNS } from "../features/mod.ts";
import { gatherNormalized, inputTensor, modelInputShape, type Signature } from "../models/mod.ts";
import type { Rows } from "./mmd.ts";

/** Per-image features (`count × FEATURE_COLUMNS.length`, table order). */
export function featureRows(set: ImageSet): Rows {
  const f = computeImageFeatures(set);
  const dim = FEATURE_COLUMNS.length;
  const data = new Float64Array(set.count * dim);
  FEATURE_COLUMNS.forEach((col, j) => {
    const v = f[col];
    for (let i = 0; i < set.count; i++) data[i * dim + j] = v[i];
  });
  return { count: set.count, dim, data };
}

/** Softmax outputs and penultimate-layer activations of a model over a set of images. */
export interface ModelOutputs {
  /** `count × classes` probabilities. */
  probs: Rows;
  /** `count × embedDim` activations of the layer feeding the classifier layer. */
  embeddings: Rows;
}

/**
 * A model that returns [penultimate activations, probabilities] for `model` (a tfjs layers
 * classifier whose last layer maps embeddings to class probabilities). Dispose it after use; it
 * shares weights with `model`.
 */
export function embeddingModel(model: tf.LayersModel): tf.LayersModel {
  const last = model.layers[model.layers.length - 1];
  const inner = last.input;
  if (Array.isArray(inner)) {
    throw new Error(`model ${model.name}: the last layer has several inputs; no single embedding`);
  }
  return tf.model({ inputs: model.inputs, outputs: [inner, model.outputs[0]] });
}

/**
 * Run `model` (see {@link embeddingModel}) over the images of `set` in batches. Leaves no tensors
 * behind.
 */
export function modelOutputs(
  model: tf.LayersModel,
  set: ImageSet,
  normalization: Signature["normalization"],
  batchSize = 256,
): ModelOutputs {
  const shape = modelInputShape(model);
  const both = embeddingModel(model);
  const n = set.count;
  let probs: Float64Array | undefined, emb: Float64Array | undefined;
  let classes = 0, dim = 0;
  let buf: Float32Array = new Float32Array(batchSize * set.rows * set.cols);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const idx = Array.from({ length: end - start }, (_, i) => start + i);
    buf = gatherNormalized(set, idx, normalization, buf);
    const [e, p] = tf.tidy(() => {
      const out = both.predict(inputTensor(buf, end - start, shape)) as tf.Tensor[];
      return [out[0].reshape([end - start, -1]), out[1]];
    });
    if (!probs || !emb) {
      classes = p.shape[1] as number;
      dim = e.shape[1] as number;
      probs = new Float64Array(n * classes);
      emb = new Float64Array(n * dim);
    }
    probs.set(p.dataSync(), start * classes);
    emb.set(e.dataSync(), start * dim);
    p.dispose();
    e.dispose();
  }
  return {
    probs: { count: n, dim: classes, data: probs ?? new Float64Array(0) },
    embeddings: { count: n, dim, data: emb ?? new Float64Array(0) },
  };
}

/** Rows `idx` of `r`, copied. */
export function pickRows(r: Rows, idx: ArrayLike<number>): Rows {
  const out = new Float64Array(idx.length * r.dim);
  for (let i = 0; i < idx.length; i++) {
    out.set(r.data.subarray(idx[i] * r.dim, (idx[i] + 1) * r.dim), i * r.dim);
  }
  return { count: idx.length, dim: r.dim, data: out };
}

/** Column `j` of `r`. */
export function column(r: Rows, j: number): Float64Array {
  const out = new Float64Array(r.count);
  for (let i = 0; i < r.count; i++) out[i] = r.data[i * r.dim + j];
  return out;
}

/** Images `idx` of `set`, copied (labels too). */
export function pickImages(set: ImageSet, idx: ArrayLike<number>): ImageSet {
  const size = set.rows * set.cols;
  const images = new Uint8Array(idx.length * size);
  const labels = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    images.set(set.images.subarray(idx[i] * size, (idx[i] + 1) * size), i * size);
    labels[i] = set.labels[idx[i]];
  }
  return { count: idx.length, rows: set.rows, cols: set.cols, images, labels };
}

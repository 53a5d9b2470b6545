/**
 * k-nearest-neighbour classifier (the classic non-neural baseline) with distances computed as
 * one matrix product per chunk on the active tfjs backend: ‖a−b‖² = ‖a‖² − 2a·b + ‖b‖².
 * No suitable npm k-NN scales to 60k×784 (ml-knn builds a k-d tree, which degrades to brute force
 * in 784 dimensions and runs in plain JS), hence our own.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { ImageSet } from "../data/mod.ts";
import type { Signature } from "./artifact.ts";
import { gatherNormalized } from "./input.ts";
import type { Probabilities } from "./predict.ts";

/** k-NN settings. */
export const knnConfigSchema = z.object({
  /** Neighbours that vote [5]. */
  k: z.number().int().min(1).max(100).default(5),
  /** `distance`: votes weighted by 1/distance; `uniform`: one vote each [distance]. */
  weights: z.enum(["uniform", "distance"]).default("distance"),
  /** Test images per distance chunk [256]. */
  chunk: z.number().int().min(1).max(4096).default(256),
}).strict();
/** k-NN settings as written by callers. */
export type KnnConfigInput = z.input<typeof knnConfigSchema>;

/** A fitted k-NN model (holds the training matrix on the backend; call `dispose`). */
export interface KnnModel {
  readonly k: number;
  readonly classes: number;
  /** Class probabilities (vote shares) of images of `set` at `indices` (all when omitted). */
  predict(set: ImageSet, indices?: ArrayLike<number>): Probabilities;
  dispose(): void;
}

/** "Fit" a k-NN model: keep the (normalized) training images and their labels. */
export function fitKnn(
  train: ImageSet,
  indices: ArrayLike<number> | undefined,
  normalization: Signature["normalization"],
  config: KnnConfigInput = {},
  classes = 10,
): KnnModel {
  const cfg = knnConfigSchema.parse(config);
  const d = train.rows * train.cols;
  const n = indices ? indices.length : train.count;
  if (n < cfg.k) throw new Error(`k-NN needs at least k=${cfg.k} training images, got ${n}`);
  const pixels = gatherNormalized(train, indices, normalization);
  const [xt, xNorm] = tf.tidy(() => {
    const x = tf.tensor2d(pixels, [n, d]);
    return [tf.transpose(x), tf.sum(tf.square(x), 1).reshape([1, n])];
  });
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = train.labels[indices ? indices[i] : i];
  return {
    k: cfg.k,
    classes,
    predict(set, idx) {
      if (set.rows * set.cols !== d) {
        throw new Error(`k-NN was fitted on ${d} pixels, got ${set.rows * set.cols}`);
      }
      const m = idx ? idx.length : set.count;
      const probs = new Float32Array(m * classes);
      let buf: Float32Array = new Float32Array(cfg.chunk * d);
      for (let s = 0; s < m; s += cfg.chunk) {
        const e = Math.min(m, s + cfg.chunk);
        const sub = idx
          ? Array.prototype.slice.call(idx, s, e) as number[]
          : Array.from({ length: e - s }, (_, i) => s + i);
        buf = gatherNormalized(set, sub, normalization, buf);
        const { values, indices: nn } = tf.tidy(() => {
          const q = tf.tensor2d(buf.subarray(0, (e - s) * d), [e - s, d]);
          const qNorm = tf.sum(tf.square(q), 1, true);
          // negative squared distance; top-k of it = k nearest
          const negD2 = tf.sub(tf.sub(tf.mul(tf.matMul(q, xt), 2), qNorm), xNorm);
          return tf.topk(negD2, cfg.k, false);
        });
        const dist = values.dataSync();
        const near = nn.dataSync();
        values.dispose();
        nn.dispose();
        for (let i = 0; i < e - s; i++) {
          const row = probs.subarray((s + i) * classes, (s + i + 1) * classes);
          let total = 0;
          for (let j = 0; j < cfg.k; j++) {
            const dd = Math.sqrt(Math.max(0, -dist[i * cfg.k + j]));
            const w = cfg.weights === "distance" ? 1 / (dd + 1e-6) : 1;
            row[labels[near[i * cfg.k + j]]] += w;
            total += w;
          }
          for (let c = 0; c < classes; c++) row[c] /= total;
        }
      }
      return { count: m, classes, probs };
    },
    dispose() {
      xt.dispose();
      xNorm.dispose();
    },
  };
}

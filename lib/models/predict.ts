/** Batched inference over image sets. */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import type { Signature } from "./artifact.ts";
import { gatherNormalized, inputTensor, modelInputShape } from "./input.ts";

/** Class probabilities for a set of images. */
export interface Probabilities {
  /** Number of images. */
  count: number;
  /** Number of classes. */
  classes: number;
  /** `count * classes` probabilities, row-major. */
  probs: Float32Array;
}

/**
 * Run `model` over the images at `indices` of `set` (all when omitted) in batches and return
 * the class probabilities. Leaves no tensors behind.
 */
export function predictProbabilities(
  model: tf.LayersModel,
  set: ImageSet,
  opts: {
    indices?: ArrayLike<number>;
    normalization: Signature["normalization"];
    batchSize?: number;
  },
): Probabilities {
  const shape = modelInputShape(model);
  const n = opts.indices ? opts.indices.length : set.count;
  const classes = (model.outputs[0].shape[1] as number) ?? 10;
  const probs = new Float32Array(n * classes);
  for (const b of normalizedBatches(set, opts)) {
    const out = tf.tidy(() => model.predict(inputTensor(b.pixels, b.size, shape)) as tf.Tensor);
    probs.set(out.dataSync() as Float32Array, b.start * classes);
    out.dispose();
  }
  return { count: n, classes, probs };
}

/** One batch drawn by {@link normalizedBatches}. */
export interface NormalizedBatch {
  /** Position of its first image among the images drawn (its first output row). */
  start: number;
  /** Images in it. */
  size: number;
  /** Their normalized pixels (a buffer reused by the next batch). */
  pixels: Float32Array;
}

/**
 * The images at `indices` of `set` (all when omitted), normalized, in batches of `batchSize`
 * (default 512). One buffer serves every batch: read a batch before drawing the next.
 */
export function* normalizedBatches(
  set: ImageSet,
  opts: {
    indices?: ArrayLike<number>;
    normalization: Signature["normalization"];
    batchSize?: number;
  },
): Generator<NormalizedBatch> {
  const n = opts.indices ? opts.indices.length : set.count;
  const bs = opts.batchSize ?? 512;
  let buf: Float32Array = new Float32Array(bs * set.rows * set.cols);
  for (let start = 0; start < n; start += bs) {
    const end = Math.min(n, start + bs);
    const idx = opts.indices
      ? Array.prototype.slice.call(opts.indices, start, end) as number[]
      : Array.from({ length: end - start }, (_, i) => start + i);
    buf = gatherNormalized(set, idx, opts.normalization, buf);
    yield { start, size: end - start, pixels: buf };
  }
}

/** Arg-max class of each row of `p`. */
export function argmaxClasses(p: Probabilities): Int32Array {
  const out = new Int32Array(p.count);
  for (let i = 0; i < p.count; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < p.classes; c++) {
      const v = p.probs[i * p.classes + c];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Turning pixel bytes into model input tensors according to a model signature. */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import type { Signature } from "./artifact.ts";

/**
 * Copy the images at `indices` (all when omitted) of `set` into a normalized Float32Array,
 * `(byte * scale - mean) / std`, image after image. `out` is reused when large enough.
 */
export function gatherNormalized(
  set: ImageSet,
  indices: ArrayLike<number> | undefined,
  norm: Signature["normalization"],
  out?: Float32Array,
): Float32Array {
  const size = set.rows * set.cols;
  const n = indices ? indices.length : set.count;
  const buf = out && out.length >= n * size
    ? out.subarray(0, n * size)
    : new Float32Array(n * size);
  const a = norm.scale / norm.std;
  const b = -norm.mean / norm.std;
  for (let i = 0; i < n; i++) {
    const src = (indices ? indices[i] : i) * size;
    if (src < 0 || src + size > set.images.length) {
      throw new RangeError(
        `image index ${indices ? indices[i] : i} out of range 0..${set.count - 1}`,
      );
    }
    const dst = i * size;
    for (let j = 0; j < size; j++) buf[dst + j] = set.images[src + j] * a + b;
  }
  return buf;
}

/** Make an input tensor of shape `[n, ...inputShape]` from normalized pixels. */
export function inputTensor(
  pixels: Float32Array,
  n: number,
  inputShape: readonly number[],
): tf.Tensor {
  return tf.tensor(pixels.subarray(0, n * inputShape.reduce((a, b) => a * b, 1)), [
    n,
    ...inputShape,
  ]);
}

/** The input shape (without batch axis) a layers model declares. */
export function modelInputShape(model: tf.LayersModel): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d === null || d === undefined)) {
    throw new Error(
      `model ${model.name} has an undefined input dimension: ${JSON.stringify(shape)}`,
    );
  }
  return shape as number[];
}

/**
 * One forward pass of a loaded image classifier over packed 0..1 inputs, shared by the
 * in-process model pool and the inference workers so both compute exactly the same way.
 */
import * as tf from "@tensorflow/tfjs";
import type { OnnxSession, Signature } from "../models/mod.ts";
import { IMAGE_PIXELS } from "./instances.ts";
import type { InputMap } from "./worker_protocol.ts";

/**
 * The affine map from 0..1 inputs (byte / 255) to what a model with `normalization` expects:
 * `(byte * scale - mean) / std` = `x * (255 * scale / std) - mean / std`.
 */
export function inputMapOf(normalization: Signature["normalization"]): InputMap {
  const n = normalization;
  return { scale: (255 * n.scale) / n.std, shift: -n.mean / n.std };
}

function isIdentity(map: InputMap): boolean {
  return Math.abs(map.scale - 1) < 1e-9 && map.shift === 0;
}

/** `inputs` (0..1) mapped for the model (a copy), or `inputs` itself under the identity map. */
function mapInputs(map: InputMap, inputs: Float32Array, count: number): Float32Array {
  const x = inputs.subarray(0, count * IMAGE_PIXELS);
  if (isIdentity(map)) return x;
  const mapped = new Float32Array(count * IMAGE_PIXELS);
  for (let i = 0; i < mapped.length; i++) mapped[i] = x[i] * map.scale + map.shift;
  return mapped;
}

/**
 * Probabilities (`count × outputs`) of an ONNX Runtime session for `count` packed 784-pixel
 * inputs in 0..1: the same input mapping as {@link forwardBatch}, then the exported graph.
 */
export function forwardOnnx(
  session: OnnxSession,
  map: InputMap,
  inputs: Float32Array,
  count: number,
): Promise<Float32Array> {
  return session.run(mapInputs(map, inputs, count), count);
}

/**
 * Probabilities (`count × outputs`) of `model` for `count` packed 784-pixel inputs in 0..1.
 * `inputs` is read, never written; no tensor outlives the call.
 */
export function forwardBatch(
  model: tf.LayersModel,
  inputShape: readonly number[],
  map: InputMap,
  inputs: Float32Array,
  count: number,
): Float32Array {
  const x = mapInputs(map, inputs, count);
  const out = tf.tidy(() => model.predict(tf.tensor(x, [count, ...inputShape]))) as tf.Tensor;
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/**
 * Offline prediction on the inference runtime (`FMNIST_INFER_RUNTIME`): evaluation, the
 * promotion gate's behavioural suite and champion re-scoring run an in-memory tfjs classifier
 * through the same runtime choice as the service. Under ONNX Runtime the model is exported to
 * ONNX in memory (the temperature, if any, in its graph), checked against tfjs on a probe batch,
 * and run in an ORT session; under tfjs it runs on the current tfjs backend.
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import {
  applyTemperature,
  exportOnnx,
  inputTensor,
  modelInputShape,
  normalizedBatches,
  ONNX_MAX_ABS_DIFF,
  OnnxSession,
  type Probabilities,
  type Signature,
} from "../models/mod.ts";
import {
  type InferRuntime,
  onnxRuntimeInfo,
  type RuntimeInfo,
  tfjsRuntimeInfo,
} from "./runtime.ts";

/** A classifier opened on a runtime: normalized images in, probabilities out. */
export interface Predictor {
  /** The runtime computing it. */
  readonly runtime: RuntimeInfo;
  /** Values per image in the output. */
  readonly classes: number;
  /**
   * Probabilities (`count × classes`, the temperature applied when one was given) for `count`
   * normalized images packed in `inputs` (as {@link normalizedBatches} draws them).
   */
  run(inputs: Float32Array, count: number): Promise<Float32Array>;
  /** Free the runtime's resources (not the tfjs model, which the caller owns). */
  close(): Promise<void>;
}

/** Options of {@link openPredictor}. */
export interface PredictorOptions {
  /** The runtime (default: tfjs on the current backend). */
  runtime?: InferRuntime;
  /** Temperature of the served probabilities (default 1: the model's own softmax). */
  temperature?: number;
  /** ONNX Runtime intra-op threads (0 = ORT's default, one per core). */
  threads?: number;
}

/** Probe inputs in the model's normalized space: blobs of several sizes, places, brightnesses. */
function probeInputs(count: number, size: number): Float32Array {
  const x = new Float32Array(count * size);
  for (let i = 0; i < count; i++) {
    const cx = 7 + (i * 5) % 14, cy = 7 + (i * 3) % 14, r = 3 + (i % 7), b = 0.5 + (i % 5) * 0.6;
    for (let p = 0; p < size; p++) {
      const d = ((p % 28 - cx) ** 2 + (Math.floor(p / 28) - cy) ** 2) / (r * r);
      x[i * size + p] = b * Math.exp(-d) - 0.8;
    }
  }
  return x;
}

function tfjsRun(model: tf.LayersModel, shape: readonly number[], x: Float32Array, n: number) {
  const out = tf.tidy(() => model.predict(inputTensor(x, n, shape)) as tf.Tensor);
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/**
 * Open `model` (a tfjs classifier; the caller keeps owning it) on `opts.runtime`.
 * @throws Error when its ONNX export does not match tfjs on the probe batch (max |Δp| > 1e-5).
 */
export async function openPredictor(
  model: tf.LayersModel,
  opts: PredictorOptions = {},
): Promise<Predictor> {
  const shape = modelInputShape(model);
  const classes = model.outputs[0].shape[1] as number;
  const t = opts.temperature ?? 1;
  const scaled = (p: Float32Array) => (t === 1 ? p : applyTemperature(p, classes, t));
  if (opts.runtime?.kind !== "onnx") {
    return {
      runtime: tfjsRuntimeInfo(),
      classes,
      run: (x, n) => Promise.resolve(scaled(tfjsRun(model, shape, x, n))),
      close: () => Promise.resolve(),
    };
  }
  const bytes = exportOnnx(model, {
    modelName: model.name,
    labels: Array.from({ length: classes }, (_, c) => String(c)),
    normalization: { scale: 1, mean: 0, std: 1 },
    ...(t === 1 ? {} : { temperature: t }),
  });
  const session = await OnnxSession.create(bytes, { threads: opts.threads, ort: opts.runtime.ort });
  try {
    const n = 32;
    const x = probeInputs(n, shape.reduce((a, b) => a * b, 1));
    const want = scaled(tfjsRun(model, shape, x, n));
    const got = await session.run(x, n);
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]));
    if (!(max <= ONNX_MAX_ABS_DIFF)) {
      throw new Error(`the ONNX export of ${model.name} differs from tfjs (max |Δp| ${max})`);
    }
  } catch (err) {
    await session.release();
    throw err;
  }
  return {
    runtime: onnxRuntimeInfo(session.version, opts.threads ?? 0),
    classes,
    run: (x, count) => session.run(x, count),
    close: () => session.release(),
  };
}

/** {@link Probabilities} with the runtime that computed them. */
export interface SetProbabilities extends Probabilities {
  runtime: RuntimeInfo;
}

/**
 * Probabilities of `model` over the images at `indices` of `set` (all when omitted), in batches,
 * on `opts.runtime` (tfjs by default, exactly as `predictProbabilities` computes).
 */
export async function predictImageSet(
  model: tf.LayersModel,
  set: ImageSet,
  opts: PredictorOptions & {
    normalization: Signature["normalization"];
    indices?: ArrayLike<number>;
    batchSize?: number;
  },
): Promise<SetProbabilities> {
  const p = await openPredictor(model, opts);
  try {
    const n = opts.indices ? opts.indices.length : set.count;
    const probs = new Float32Array(n * p.classes);
    for (const b of normalizedBatches(set, opts)) {
      probs.set(await p.run(b.pixels, b.size), b.start * p.classes);
    }
    return { count: n, classes: p.classes, probs, runtime: p.runtime };
  } finally {
    await p.close();
  }
}

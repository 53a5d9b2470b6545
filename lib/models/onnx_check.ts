/**
 * The equivalence check of an ONNX export against the tfjs model it came from: the same images,
 * the same normalization, the same temperature (tfjs's probabilities scaled as the service scales
 * them), probabilities compared element by element and arg-max by arg-max.
 */
import type * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import type { Signature } from "./artifact.ts";
import { gatherNormalized } from "./input.ts";
import { OnnxSession, type OnnxSessionOptions } from "./onnx_runtime.ts";
import { argmaxClasses, predictProbabilities } from "./predict.ts";
import { applyTemperature } from "./temperature.ts";

/** Largest max-abs probability difference an export may show. */
export const ONNX_MAX_ABS_DIFF = 1e-5;

/** What {@link checkOnnxEquivalence} measured. */
export interface OnnxEquivalence {
  /** Images compared. */
  images: number;
  /** Largest |p_onnx − p_tfjs| over every image and class. */
  maxAbsDiff: number;
  /** Images whose arg-max class differs. */
  argmaxMismatches: number;
  /** The tolerance applied. */
  tolerance: number;
  /** `maxAbsDiff ≤ tolerance` and no arg-max mismatch. */
  ok: boolean;
}

/** Raised when an export does not compute what its tfjs model computes. */
export class OnnxEquivalenceError extends Error {
  override name = "OnnxEquivalenceError";
  constructor(readonly result: OnnxEquivalence, what: string) {
    super(
      `the ONNX export of ${what} differs from its tfjs model on ${result.images} images: ` +
        `max |Δp| ${result.maxAbsDiff.toExponential(2)} (limit ${result.tolerance}), ` +
        `${result.argmaxMismatches} arg-max mismatches`,
    );
  }
}

/**
 * Run the tfjs `model` and the ONNX `onnxBytes` over the images of `set` (all, or `indices`)
 * and compare their probabilities. With `temperature` (the version's), tfjs's probabilities are
 * scaled by it first, as the service serves them: the export must compute the same.
 */
export async function checkOnnxEquivalence(
  model: tf.LayersModel,
  onnxBytes: Uint8Array,
  set: ImageSet,
  opts: {
    normalization: Signature["normalization"];
    temperature?: number;
    indices?: ArrayLike<number>;
    tolerance?: number;
    batchSize?: number;
    session?: OnnxSessionOptions;
  },
): Promise<OnnxEquivalence> {
  const tolerance = opts.tolerance ?? ONNX_MAX_ABS_DIFF;
  const bs = opts.batchSize ?? 1000;
  const ref = predictProbabilities(model, set, {
    indices: opts.indices,
    normalization: opts.normalization,
    batchSize: bs,
  });
  const t = opts.temperature ?? 1;
  if (t !== 1) ref.probs = applyTemperature(ref.probs, ref.classes, t);
  const session = await OnnxSession.create(onnxBytes, opts.session);
  try {
    if (session.outputs !== ref.classes) {
      throw new Error(`the ONNX model outputs ${session.outputs} classes, tfjs ${ref.classes}`);
    }
    const n = ref.count;
    const probs = new Float32Array(n * ref.classes);
    let buf: Float32Array = new Float32Array(0);
    for (let start = 0; start < n; start += bs) {
      const end = Math.min(n, start + bs);
      const idx = Array.from(
        { length: end - start },
        (_, i) => (opts.indices ? opts.indices[start + i] : start + i),
      );
      buf = gatherNormalized(set, idx, opts.normalization, buf);
      probs.set(await session.run(buf, end - start), start * ref.classes);
    }
    let maxAbsDiff = 0;
    for (let i = 0; i < probs.length; i++) {
      const d = Math.abs(probs[i] - ref.probs[i]);
      if (!(d <= maxAbsDiff)) maxAbsDiff = Number.isNaN(d) ? Infinity : d;
    }
    const a = argmaxClasses(ref);
    const b = argmaxClasses({ count: n, classes: ref.classes, probs });
    let argmaxMismatches = 0;
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) argmaxMismatches++;
    return {
      images: n,
      maxAbsDiff,
      argmaxMismatches,
      tolerance,
      ok: maxAbsDiff <= tolerance && argmaxMismatches === 0,
    };
  } finally {
    await session.release();
  }
}

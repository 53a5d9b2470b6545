/**
 * The function attributions differentiate: the target-class logit of a tfjs classifier as a
 * function of 0..1 pixels. Normalization happens inside the graph, so attributions live in pixel
 * space; a final softmax Dense layer is evaluated without its softmax (the logit, not the
 * saturating probability). Sequential models can also be split at their last Conv2D (Grad-CAM).
 */
import * as tf from "@tensorflow/tfjs";
import type { Signature } from "../models/mod.ts";

/** Pixels per Fashion-MNIST image. */
export const PIXELS = 784;

/** Raised for models or requests an explainer cannot handle. */
export class ExplainInputError extends Error {
  override name = "ExplainInputError";
}

type Fn = (x: tf.Tensor) => tf.Tensor;

function applyLayer(layer: tf.layers.Layer, x: tf.Tensor): tf.Tensor {
  return layer.apply(x, { training: false }) as tf.Tensor;
}

function isSoftmaxDense(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === "Dense" && layer.getConfig().activation === "softmax";
}

/** Logit pieces of a model: `head(features(x))` are the logits. */
export class Scorer {
  readonly model: tf.LayersModel;
  readonly inputShape: number[];
  readonly classes: number;
  readonly #scale: number;
  readonly #shift: number;
  readonly #body: Fn;

  constructor(model: tf.LayersModel, signature: Signature) {
    const size = signature.inputShape.reduce((a, b) => a * b, 1);
    if (size !== PIXELS) {
      throw new ExplainInputError(
        `explanations need a 28×28 image model; this one takes ${
          JSON.stringify(signature.inputShape)
        }`,
      );
    }
    this.model = model;
    this.inputShape = signature.inputShape;
    const n = signature.normalization;
    this.#scale = (255 * n.scale) / n.std;
    this.#shift = -n.mean / n.std;
    const last = model.layers[model.layers.length - 1];
    this.classes = (model.outputs[0].shape.at(-1) as number) ?? 10;
    if (isSoftmaxDense(last)) {
      let penult: Fn;
      if (model instanceof tf.Sequential) {
        const layers = model.layers.slice(0, -1);
        penult = (x) => layers.reduce((h, l) => applyLayer(l, h), x);
      } else {
        const sub = tf.model({ inputs: model.inputs, outputs: last.input as tf.SymbolicTensor });
        penult = (x) => sub.apply(x, { training: false }) as tf.Tensor;
      }
      this.#body = (x) => {
        const [kernel, bias] = last.getWeights();
        return tf.add(tf.matMul(penult(x) as tf.Tensor2D, kernel as tf.Tensor2D), bias);
      };
    } else {
      this.#body = (x) =>
        tf.log(tf.maximum(model.apply(x, { training: false }) as tf.Tensor, 1e-12));
    }
  }

  /** Model input from `[B, 784]` pixels in 0..1. */
  input(pixels: tf.Tensor): tf.Tensor {
    const b = pixels.shape[0];
    return tf.add(tf.mul(pixels, this.#scale), this.#shift).reshape([b, ...this.inputShape]);
  }

  /** Logits `[B, classes]` of `[B, 784]` pixels. */
  logits(pixels: tf.Tensor): tf.Tensor2D {
    return this.#body(this.input(pixels)) as tf.Tensor2D;
  }

  /** Target logit per row (`targets` is `[B]` int32). */
  static pick(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor1D {
    return tf.sum(tf.mul(logits, tf.oneHot(targets as tf.Tensor1D, logits.shape[1] as number)), 1);
  }

  /**
   * Split at the last Conv2D layer (Sequential models): `features(pixels)` are its activations,
   * `head(a)` the logits from them.
   * @throws ExplainInputError when the model is not Sequential or has no Conv2D.
   */
  convSplit(): { layer: string; features: (pixels: tf.Tensor) => tf.Tensor4D; head: Fn } {
    const m = this.model;
    if (!(m instanceof tf.Sequential)) {
      throw new ExplainInputError("gradcam needs a sequential CNN (m1, bn_cnn)");
    }
    const idx = m.layers.findLastIndex((l) => l.getClassName() === "Conv2D");
    if (idx < 0) throw new ExplainInputError(`model ${m.name} has no Conv2D layer for gradcam`);
    const pre = m.layers.slice(0, idx + 1);
    const post = m.layers.slice(idx + 1);
    const last = post[post.length - 1];
    const linearLast = isSoftmaxDense(last);
    return {
      layer: m.layers[idx].name,
      features: (p) => pre.reduce((h, l) => applyLayer(l, h), this.input(p)) as tf.Tensor4D,
      head: (a) => {
        const hidden = (linearLast ? post.slice(0, -1) : post).reduce(
          (h, l) => applyLayer(l, h),
          a,
        );
        if (!linearLast) return tf.log(tf.maximum(hidden, 1e-12));
        const [kernel, bias] = last.getWeights();
        return tf.add(tf.matMul(hidden as tf.Tensor2D, kernel as tf.Tensor2D), bias);
      },
    };
  }
}

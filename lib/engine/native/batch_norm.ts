/**
 * Batch normalisation on oneDNN for the `native` path, forward (training and inference) and
 * backward, on the tensors' bytes in the wasm heap.
 *
 * tfjs-layers trains `BatchNormalization` through composed ops — `moments` (Mean, Sub, Square,
 * Mean), `FusedBatchNorm`, and on the way back their gradients (Tile, Mul, Sum, Sub, ... over the
 * whole activation) — about twenty full-size passes per layer and step. Here one oneDNN forward
 * call gives the output and the batch statistics, and one backward call gives the gradients of
 * the input, the scale and the offset:
 *
 * - `OneDnnBatchNormTraining` (inputs `x`, `scale`, `offset`; attr `epsilon`): outputs `y`, the
 *   batch `mean` and the (biased) batch `variance`, as `tf.moments` gives them. Its gradient
 *   (registered with tfjs) runs `OneDnnBatchNormGrad` and adds the terms of `mean` and
 *   `variance` when a loss uses them (never in the layer, whose moving averages are updates).
 * - `FusedBatchNorm` (inference with given statistics: the layer in inference mode, `tf.batchNorm`)
 *   as oneDNN's global-statistics forward; shapes it does not bind go to the stock wasm kernel.
 *
 * {@link installBatchNormLayer} makes the stock `BatchNormalization` layer train through
 * `OneDnnBatchNormTraining` while that kernel is registered for the active backend (the `native`
 * kernel set), and through its own code otherwise. The layer class, its config, its weights
 * (gamma, beta, moving mean, moving variance) and its moving-average update are tfjs-layers' —
 * saved models are the same files on every path.
 */
import * as tf from "@tensorflow/tfjs";
import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  registerGradient,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32 } from "../kernels/wasm_ops.ts";
import { DNNL, type OneDnn, type Primitive } from "./onednn.ts";

/** The training-mode forward kernel (outputs `y`, `mean`, `variance`). */
const BN_TRAINING_KERNEL = "OneDnnBatchNormTraining";
/** Its gradient kernel (outputs `dx`, `dscale`, `doffset`). */
const BN_GRAD_KERNEL = "OneDnnBatchNormGrad";
/** Kernels this module registers for `wasm`. */
export const BATCH_NORM_KERNEL_NAMES = [
  BN_TRAINING_KERNEL,
  BN_GRAD_KERNEL,
  "FusedBatchNorm",
] as const;

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}
type Ptr = Deno.PointerValue;

function ptr(backend: BackendWasm, t: TensorInfo): Ptr {
  return Deno.UnsafePointer.of(heapF32(backend, t));
}

/** oneDNN `[N, C, H, W]` dims (laid out `nhwc`) of a rank-4 NHWC or rank-2 `[N, C]` tensor. */
function nchw(shape: readonly number[]): number[] | null {
  if (shape.length === 4) return [shape[0], shape[3], shape[1], shape[2]];
  if (shape.length === 2) return [shape[0], shape[1], 1, 1];
  return null;
}

const { useGlobalStats, useScale, useShift } = DNNL.bnorm;

function bnForward(dnn: OneDnn, dims: number[], eps: number, flags: number, prop: number) {
  return dnn.primitive(`bnorm|${dims}|${eps}|${flags}|${prop}`, () => {
    const desc = new Uint8Array(DNNL.size.bnormDesc);
    dnn.check(
      dnn.sym.dnnl_batch_normalization_forward_desc_init(
        desc,
        prop,
        dnn.md(dims, DNNL.tag.nhwc),
        eps,
        flags,
      ),
      "batch_normalization_forward_desc_init",
    );
    const { src, dst, mean, variance, scale, shift } = DNNL.arg;
    const params = [...(flags & useScale ? [scale] : []), ...(flags & useShift ? [shift] : [])];
    return {
      desc,
      // Global statistics: mean and variance are inputs; otherwise outputs.
      args: flags & useGlobalStats
        ? [src, mean, variance, ...params, dst]
        : [src, ...params, dst, mean, variance],
    };
  });
}

function bnBackward(dnn: OneDnn, dims: number[], eps: number): Primitive {
  const flags = useScale | useShift;
  return dnn.primitive(`bnormBwd|${dims}|${eps}`, () => {
    const desc = new Uint8Array(DNNL.size.bnormDesc);
    const md = dnn.md(dims, DNNL.tag.nhwc);
    dnn.check(
      dnn.sym.dnnl_batch_normalization_backward_desc_init(
        desc,
        DNNL.prop.backward,
        md,
        md,
        eps,
        flags,
      ),
      "batch_normalization_backward_desc_init",
    );
    const a = DNNL.arg;
    return {
      desc,
      hint: bnForward(dnn, dims, eps, flags, DNNL.prop.forwardTraining),
      // oneDNN 2.6 asks for the shift too (it does not change the gradients).
      args: [
        a.src,
        a.mean,
        a.variance,
        a.diffDst,
        a.scale,
        a.shift,
        a.diffSrc,
        a.diffScale,
        a.diffShift,
      ],
    };
  });
}

/** Throw unless the primitive's argument `index` holds exactly `channels` floats. */
function expectChannels(prim: Primitive, index: number, channels: number): void {
  if (prim.bytes[index] !== 4 * channels) {
    throw new Error(
      `oneDNN batch normalisation (${prim.impl}): argument ${prim.args[index]} holds ` +
        `${prim.bytes[index]} bytes, expected ${4 * channels}`,
    );
  }
}

function trainingForward(dnn: OneDnn) {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo[] => {
    const { x, scale, offset } = inputs;
    const dims = nchw(x.shape);
    if (!dims || x.dtype !== "float32") {
      throw new Error(`${BN_TRAINING_KERNEL}: needs a float32 NHWC or [N, C] input`);
    }
    const c = dims[1];
    const prim = bnForward(
      dnn,
      dims,
      attrs.epsilon as number,
      useScale | useShift,
      DNNL.prop.forwardTraining,
    );
    expectChannels(prim, 1, c);
    const y = backend.makeOutput(x.shape, "float32");
    const mean = backend.makeOutput([c], "float32");
    const variance = backend.makeOutput([c], "float32");
    const p = (t: TensorInfo) => ptr(backend, t);
    prim.run([p(x), p(scale), p(offset), p(y), p(mean), p(variance)]);
    return [y, mean, variance];
  };
}

function trainingBackward(dnn: OneDnn) {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo[] => {
    const { dy, x, scale, offset, mean, variance } = inputs;
    const dims = nchw(x.shape);
    if (!dims) throw new Error(`${BN_GRAD_KERNEL}: needs an NHWC or [N, C] input`);
    const c = dims[1];
    const prim = bnBackward(dnn, dims, attrs.epsilon as number);
    expectChannels(prim, 7, c);
    const dx = backend.makeOutput(x.shape, "float32");
    const dscale = backend.makeOutput([c], "float32");
    const doffset = backend.makeOutput([c], "float32");
    const p = (t: TensorInfo) => ptr(backend, t);
    prim.run([
      p(x),
      p(mean),
      p(variance),
      p(dy),
      p(scale),
      p(offset),
      p(dx),
      p(dscale),
      p(doffset),
    ]);
    return [dx, dscale, doffset];
  };
}

/** `FusedBatchNorm` with given statistics; what oneDNN does not bind goes to `fallback`. */
function inferenceForward(dnn: OneDnn, fallback: KernelFunc) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, mean, variance, offset, scale } = inputs;
    const dims = nchw(x.shape);
    const perChannel = (t: TensorInfo | undefined) =>
      !t || (t.dtype === "float32" && t.shape.length === 1 && t.shape[0] === dims?.[1]);
    if (
      !dims || x.dtype !== "float32" || !mean || !variance ||
      ![mean, variance, offset, scale].every(perChannel)
    ) {
      return fallback(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    }
    const flags = useGlobalStats | (scale ? useScale : 0) | (offset ? useShift : 0);
    const eps = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
    const prim = bnForward(dnn, dims, eps, flags, DNNL.prop.forwardInference);
    const y = backend.makeOutput(x.shape, "float32");
    const p = (t: TensorInfo) => ptr(backend, t);
    prim.run([
      p(x),
      p(mean),
      p(variance),
      ...(scale ? [p(scale)] : []),
      ...(offset ? [p(offset)] : []),
      p(y),
    ]);
    return y;
  };
}

/**
 * The oneDNN batch-normalisation kernel configs for `wasm`; `fallback(name)` is the stock kernel
 * that serves what oneDNN is not given. Registers the training kernel's gradient (once).
 */
export function batchNormKernels(
  dnn: OneDnn,
  fallback: (name: string) => KernelFunc,
): KernelConfig[] {
  registerTrainingGradient();
  const funcs: Record<(typeof BATCH_NORM_KERNEL_NAMES)[number], unknown> = {
    [BN_TRAINING_KERNEL]: trainingForward(dnn),
    [BN_GRAD_KERNEL]: trainingBackward(dnn),
    FusedBatchNorm: inferenceForward(dnn, fallback("FusedBatchNorm")),
  };
  return BATCH_NORM_KERNEL_NAMES.map((kernelName) => ({
    kernelName,
    backendName: "wasm",
    kernelFunc: funcs[kernelName] as KernelFunc,
  }));
}

let gradientRegistered = false;

/**
 * The gradient of {@link BN_TRAINING_KERNEL}: oneDNN's backward for `y`; when a loss also uses
 * the batch statistics, their terms `dmean / M + dvariance · 2 (x − mean) / M` (M elements per
 * channel) are added with tf ops.
 */
function registerTrainingGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  registerGradient({
    kernelName: BN_TRAINING_KERNEL,
    inputsToSave: ["x", "scale", "offset"],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dMean, dVariance] = dys as tf.Tensor[];
      const [x, scale, offset, mean, variance] = saved;
      const [dxNorm, dScale, dOffset] = tf.engine().runKernel(
        BN_GRAD_KERNEL,
        { dy, x, scale, offset, mean, variance },
        attrs,
      ) as tf.Tensor[];
      const usesStats = [dMean, dVariance].some((t) =>
        t && (t.dataSync() as Float32Array).some((v) => v !== 0)
      );
      const dx = usesStats
        ? tf.tidy(() => {
          const m = util.sizeFromShape(x.shape) / x.shape[x.rank - 1];
          const centred = tf.sub(x, mean);
          return tf.add(
            dxNorm,
            tf.add(tf.div(dMean, m), tf.mul(centred, tf.mul(dVariance, 2 / m))),
          );
        })
        : dxNorm;
      return { x: () => dx, scale: () => dScale, offset: () => dOffset };
    },
  });
}

/** A batch normalisation in training mode: the output and the batch statistics. */
export interface BatchNormTraining {
  y: tf.Tensor;
  /** Per-channel batch mean, `[C]`. */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance (as `tf.moments`), `[C]`. */
  variance: tf.Tensor1D;
}

/** Whether {@link BN_TRAINING_KERNEL} serves these tensors on the active backend. */
export function nativeBatchNormServes(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): boolean {
  if (!getKernel(BN_TRAINING_KERNEL, tf.getBackend())) return false;
  const c = x.shape[x.rank - 1];
  return (x.rank === 4 || x.rank === 2) && x.dtype === "float32" && x.size > 0 &&
    [gamma, beta].every((t) => t.rank === 1 && t.shape[0] === c && t.dtype === "float32");
}

/**
 * Batch normalisation with batch statistics over every axis but the last (channels), scale
 * `gamma` and offset `beta`: oneDNN where {@link nativeBatchNormServes}, else tfjs's composed ops
 * exactly as tfjs-layers trains (`tf.moments`, then `tf.batchNorm`).
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon = 1e-3,
): BatchNormTraining {
  if (nativeBatchNormServes(x, gamma, beta)) {
    const [y, mean, variance] = tf.engine().runKernel(
      BN_TRAINING_KERNEL,
      { x, scale: gamma, offset: beta },
      { epsilon },
    ) as tf.Tensor[];
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  return tf.tidy(() => {
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/** The parts of tfjs-layers' `BatchNormalization` the training override reads. */
interface LayerVariableLike {
  read(): tf.Tensor;
  write(value: tf.Tensor): unknown;
}
interface BatchNormLayerLike {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: LayerVariableLike;
  beta?: LayerVariableLike;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
}
type LayerCall = (
  this: BatchNormLayerLike,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor | tf.Tensor[];

let layerInstalled = false;

/** tfjs-layers' moving-average update, `v ← v − (v − value)(1 − momentum)`, op for op. */
function movingAverage(variable: LayerVariableLike, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

/**
 * Make tfjs-layers' `BatchNormalization` train (`training: true`) through
 * {@link batchNormTraining} where the oneDNN kernel serves the input (channels-last, rank 4 or
 * 2, with scale and offset), updating the moving mean and variance exactly as the layer does.
 * Everything else — inference, other axes, other backends — runs the layer's own code.
 * Idempotent.
 */
export function installBatchNormLayer(): void {
  if (layerInstalled) return;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap["BatchNormalization"];
  const proto = (entry?.[0] as unknown as { prototype: { call: LayerCall } } | undefined)
    ?.prototype;
  if (!proto || typeof proto.call !== "function") {
    throw new Error("engine: tfjs-layers' BatchNormalization class is not registered");
  }
  const original = proto.call;
  proto.call = function (this: BatchNormLayerLike, inputs, kwargs) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
    const gamma = this.gamma, beta = this.beta;
    if (
      !kwargs?.training || !x || !this.scale || !this.center || !gamma || !beta ||
      (this.axis !== -1 && this.axis !== x.rank - 1)
    ) return original.call(this, inputs, kwargs);
    const g = gamma.read(), b = beta.read();
    if (!nativeBatchNormServes(x, g, b)) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, g, b, this.epsilon);
      movingAverage(this.movingMean, mean, this.momentum);
      movingAverage(this.movingVariance, variance, this.momentum);
      return y;
    });
  };
  layerInstalled = true;
}

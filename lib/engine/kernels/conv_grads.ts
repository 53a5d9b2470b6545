/**
 * Convolution gradient kernels for the tfjs `wasm` backend, composed from XNNPACK convolutions
 * (regular conv) or computed directly on the wasm heap (depthwise conv).
 *
 * - `Conv2DBackpropFilter` (missing in tfjs-backend-wasm 4.22): the filter gradient is a forward
 *   convolution of `x` (batch and channel axes swapped) with `dy` as the filter, dilated by the
 *   stride.
 * - `Conv2DBackpropInput` (stock kernel is a naive loop): the input gradient is a forward
 *   convolution of `dy` (zero-stuffed when strided) with the flipped, transposed filter.
 * - `DepthwiseConv2dNativeBackpropFilter` / `…Input` (both missing): direct loops on the heap.
 */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32, release, reshape, runStock, transpose } from "./wasm_ops.ts";

type Pad = backend_util.ExplicitPadding | "valid" | "same" | number;
type Rounding = "floor" | "round" | "ceil" | undefined;
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}

function requireNHWC(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== "NHWC") {
    throw new Error(
      `engine: wasm ${kernel} supports only NHWC (channelsLast) data; got ${String(dataFormat)}. ` +
        `Use dataFormat "channelsLast" in conv layers.`,
    );
  }
}

function explicitPad(top: number, bottom: number, left: number, right: number) {
  return [[0, 0], [top, bottom], [left, right], [0, 0]] as backend_util.ExplicitPadding;
}

/** Filter gradient of a 2-D convolution as one forward XNNPACK convolution. */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  requireNHWC("Conv2DBackpropFilter", attrs.dataFormat);
  const filterShape = attrs.filterShape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as number | [number, number],
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    false,
    "channelsLast",
  );
  const [fh, fw] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  let bottom = fh + (ho - 1) * sh - info.inHeight - top;
  let right = fw + (wo - 1) * sw - info.inWidth - left;
  // Rows/columns the strided windows never reach: crop them instead of a negative pad.
  let xc = x;
  const cropped = bottom < 0 || right < 0;
  if (cropped) {
    const h = info.inHeight + Math.min(bottom, 0), w = info.inWidth + Math.min(right, 0);
    xc = runStock(backend, "Slice", { x }, {
      begin: [0, 0, 0, 0],
      size: [info.batchSize, h, w, info.inChannels],
    });
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const xT = transpose(backend, xc, [3, 1, 2, 0]); // [Ci, H, W, N]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
  const out = runStock(backend, "Conv2D", { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: explicitPad(top, bottom, left, right),
    dataFormat: "NHWC",
    dilations: [sh, sw],
  }); // [Ci, fh, fw, Co]
  const dw = transpose(backend, out, [1, 2, 0, 3]);
  release(backend, xT, dyT, out);
  if (cropped) release(backend, xc);
  return dw;
}

/** Input gradient of a 2-D convolution as one forward XNNPACK convolution. */
function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  requireNHWC("Conv2DBackpropInput", attrs.dataFormat);
  const inputShape = attrs.inputShape as [number, number, number, number];
  const filterShape = filter.shape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    attrs.strides as number | [number, number],
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    false,
    "channelsLast",
  );
  const [fh, fw] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
  const top = fh - 1 - info.padInfo.top, left = fw - 1 - info.padInfo.left;
  // dy zero-stuffed to stride 1 has height ho*sh; choose the bottom pad so the output is inHeight.
  const bottom = info.inHeight - ho * sh + info.padInfo.top;
  const right = info.inWidth - wo * sw + info.padInfo.left;
  if (top < 0 || left < 0 || bottom + sh - 1 < 0 || right + sw - 1 < 0) {
    return runStock(backend, "Conv2DBackpropInput", inputs, attrs);
  }
  const temps: TensorInfo[] = [];
  let dyS = dy;
  let bottomPad = bottom, rightPad = right;
  if (sh > 1 || sw > 1) {
    const [n, , , co] = dy.shape;
    const r6 = reshape(backend, dy, [n, ho, 1, wo, 1, co]);
    const padded = runStock(backend, "PadV2", { x: r6 }, {
      paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
      constantValue: 0,
    });
    dyS = reshape(backend, padded, [n, ho * sh, wo * sw, co]);
    temps.push(r6, padded, dyS);
    if (bottom < 0 || right < 0) {
      // Drop trailing stuffed zeros that the output never reads.
      const h = ho * sh + Math.min(bottom, 0), w = wo * sw + Math.min(right, 0);
      dyS = runStock(backend, "Slice", { x: dyS }, { begin: [0, 0, 0, 0], size: [n, h, w, co] });
      temps.push(dyS);
      bottomPad = Math.max(bottom, 0);
      rightPad = Math.max(right, 0);
    }
  }
  const flipped = runStock(backend, "Reverse", { x: filter }, { dims: [0, 1] });
  const fT = transpose(backend, flipped, [0, 1, 3, 2]); // [fh, fw, Co, Ci]
  const dx = runStock(backend, "Conv2D", { x: dyS, filter: fT }, {
    strides: [1, 1],
    pad: explicitPad(top, bottomPad, left, rightPad),
    dataFormat: "NHWC",
    dilations: [1, 1],
  });
  release(backend, flipped, fT, ...temps);
  return dx;
}

function depthwiseInfo(
  xShape: number[],
  filterShape: number[],
  attrs: NamedAttrMap,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations ?? 1) as number | [number, number],
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    true,
    "channelsLast",
  );
}

/**
 * Visit every (input element, filter element, output element) triple of a depthwise conv.
 * `visit(xOffset, wOffset, yOffset)` is called for taps that fall inside the input.
 */
function forEachDepthwiseTap(
  info: backend_util.Conv2DInfo,
  visit: (xo: number, wo: number, yo: number) => void,
): void {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
  } = info;
  const mult = outChannels / inChannels;
  const top = info.padInfo.top, left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      for (let yc = 0; yc < outWidth; yc++) {
        const yBase = ((b * outHeight + yr) * outWidth + yc) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const xr = yr * strideHeight + kh * dilationHeight - top;
          if (xr < 0 || xr >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const xcol = yc * strideWidth + kw * dilationWidth - left;
            if (xcol < 0 || xcol >= inWidth) continue;
            const xBase = ((b * inHeight + xr) * inWidth + xcol) * inChannels;
            const wBase = (kh * filterWidth + kw) * inChannels * mult;
            for (let c = 0; c < inChannels; c++) {
              for (let m = 0; m < mult; m++) {
                visit(xBase + c, wBase + c * mult + m, yBase + c * mult + m);
              }
            }
          }
        }
      }
    }
  }
}

/** Filter gradient of a depthwise 2-D convolution, computed on the wasm heap. */
function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = depthwiseInfo(x.shape, filterShape, attrs);
  const out = backend.makeOutput(filterShape, "float32");
  const xv = heapF32(backend, x), dyv = heapF32(backend, dy), dw = heapF32(backend, out);
  dw.fill(0);
  forEachDepthwiseTap(info, (xo, wo, yo) => {
    dw[wo] += xv[xo] * dyv[yo];
  });
  return out;
}

/** Input gradient of a depthwise 2-D convolution, computed on the wasm heap. */
function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = depthwiseInfo(inputShape, filter.shape, attrs);
  const out = backend.makeOutput(inputShape, "float32");
  const wv = heapF32(backend, filter), dyv = heapF32(backend, dy), dx = heapF32(backend, out);
  dx.fill(0);
  forEachDepthwiseTap(info, (xo, wo, yo) => {
    dx[xo] += wv[wo] * dyv[yo];
  });
  return out;
}

const k = (f: (a: KernelArgs) => TensorInfo) => f as unknown as KernelFunc;

/** Kernel configs this module provides for the `wasm` backend. */
export const convGradKernels: KernelConfig[] = [
  { kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: k(conv2DBackpropFilter) },
  { kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: k(conv2DBackpropInput) },
  {
    kernelName: "DepthwiseConv2dNativeBackpropFilter",
    backendName: "wasm",
    kernelFunc: k(depthwiseBackpropFilter),
  },
  {
    kernelName: "DepthwiseConv2dNativeBackpropInput",
    backendName: "wasm",
    kernelFunc: k(depthwiseBackpropInput),
  },
];

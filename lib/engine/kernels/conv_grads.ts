/**
 * Convolution gradient kernels for the tfjs `wasm` backend, composed from XNNPACK convolutions
 * (regular conv) or computed directly on the wasm heap (depthwise conv).
 *
 * - `Conv2DBackpropFilter` (missing in tfjs-backend-wasm 4.22): im2col (taps as slices of the
 *   transposed, padded `x`) and one XNNPACK GEMM with `dy`. (The first version, a forward
 *   convolution of `x` with `dy` as a filter dilated by the stride, is kept for profiles.)
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

/**
 * Filter gradient of a 2-D convolution by im2col + one XNNPACK GEMM:
 * `x` is transposed once to `[Ci, N, H, W]` and zero-padded; each filter tap `(kh, kw)` is a
 * (strided) slice `[Ci, N, Ho, Wo]` of it, written one after another into `colT`
 * `[fh·fw·Ci, N·Ho·Wo]`; then `dW = colT · dy[N·Ho·Wo, Co]`, already in the filter layout
 * `[fh, fw, Ci, Co]`.
 */
function conv2DBackpropFilterIm2col({ inputs, backend, attrs }: KernelArgs): TensorInfo {
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
  const [fh, fw, ci, co] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
  const n = info.batchSize;
  const top = info.padInfo.top, left = info.padInfo.left;
  // Padded extent the taps read: rows top-padded .. (ho-1)*sh + fh.
  const bottom = Math.max(0, (ho - 1) * sh + fh - info.inHeight - top);
  const right = Math.max(0, (wo - 1) * sw + fw - info.inWidth - left);
  const m = n * ho * wo;
  const temps: TensorInfo[] = [];
  const xT = transpose(backend, x, [3, 0, 1, 2]); // [Ci, N, H, W]
  temps.push(xT);
  let xp = xT;
  if (top || bottom || left || right) {
    xp = runStock(backend, "PadV2", { x: xT }, {
      paddings: [[0, 0], [0, 0], [top, bottom], [left, right]],
      constantValue: 0,
    });
    temps.push(xp);
  }
  const colT = backend.makeOutput([fh * fw * ci, m], "float32");
  temps.push(colT);
  const tapSize = ci * m;
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const tap = sh === 1 && sw === 1
        ? runStock(backend, "Slice", { x: xp }, {
          begin: [0, 0, kh, kw],
          size: [ci, n, ho, wo],
        })
        : runStock(backend, "StridedSlice", { x: xp }, {
          begin: [0, 0, kh, kw],
          end: [ci, n, kh + (ho - 1) * sh + 1, kw + (wo - 1) * sw + 1],
          strides: [1, 1, sh, sw],
          beginMask: 0,
          endMask: 0,
          ellipsisMask: 0,
          newAxisMask: 0,
          shrinkAxisMask: 0,
        });
      // Views are taken after the slice allocated (the heap may have grown).
      heapF32(backend, colT).set(heapF32(backend, tap), (kh * fw + kw) * tapSize);
      release(backend, tap);
    }
  }
  // dy as the right operand: a fresh copy, so the XNNPACK operator cache (keyed by the right
  // operand's data id) never sees the caller's dy under a second shape.
  const dy2 = backend.makeOutput([m, co], "float32");
  heapF32(backend, dy2).set(heapF32(backend, dy));
  temps.push(dy2);
  const out = runStock(backend, "BatchMatMul", { a: colT, b: dy2 }, {
    transposeA: false,
    transposeB: false,
  }); // [K, Co]
  const dw = reshape(backend, out, filterShape);
  release(backend, out, ...temps);
  return dw;
}

/**
 * Largest patch size `fh·fw·Ci` for which {@link conv2DBackpropFilter} uses im2col + GEMM.
 * Measured (batch 128, one core): for few input channels (first layer, Ci = 1, K = 9) im2col
 * is 1.2–1.6× faster (memory-bound either way); for Ci = 32 (K = 288) the dilated convolution
 * runs at 19–27 GFLOP/s vs 15–19 for the GEMM, whose `[M, Co]` right operand XNNPACK repacks.
 */
const IM2COL_MAX_PATCH = 64;

/** Filter gradient of a 2-D convolution: im2col for small patches, else the dilated conv. */
function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const f = args.attrs.filterShape as number[];
  return f[0] * f[1] * f[2] <= IM2COL_MAX_PATCH
    ? conv2DBackpropFilterIm2col(args)
    : conv2DBackpropFilterDilated(args);
}

/**
 * Filter gradient of a 2-D convolution as one forward XNNPACK convolution of `x` with `dy` as a
 * dilated filter (the engine's first version; alone it serves the `engine-v1` kernel set).
 */
function conv2DBackpropFilterDilated({ inputs, backend, attrs }: KernelArgs): TensorInfo {
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

/** The engine's first `Conv2DBackpropFilter` (dilated forward conv), for before/after profiles. */
export const conv2DBackpropFilterDilatedKernel: KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: k(conv2DBackpropFilterDilated),
};

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

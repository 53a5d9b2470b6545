/**
 * oneDNN kernels for the tfjs `wasm` backend: the heavy training kernels run natively, on the
 * tensors' bytes in the wasm heap (zero-copy: oneDNN gets pointers into the wasm memory), while
 * the many small element-wise kernels stay on wasm.
 *
 * Served: `Conv2D`, `FusedConv2D` (bias + ReLU as a oneDNN post-op), `Conv2DBackpropInput`,
 * `Conv2DBackpropFilter`, `BatchMatMul` / `_FusedMatMul` (transposes as strides; bias + ReLU),
 * `MaxPool` / `MaxPoolGrad` (forward recomputed with a workspace, then the backward primitive),
 * `AvgPool` / `AvgPoolGrad` (padding excluded from the forward average and included in the
 * gradient's divisor — both as tfjs computes them on cpu and wasm). Shapes or attributes
 * outside what is bound (NCHW data, dilations, other fused activations, broadcast batches) go to
 * the fallback kernel (the engine's wasm kernel).
 */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32 } from "../kernels/wasm_ops.ts";
import { dims, DNNL, type OneDnn, type Primitive } from "./onednn.ts";

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}
type Fallback = (args: KernelArgs) => TensorInfo;
type Pad = backend_util.ExplicitPadding | "valid" | "same" | number;
type Rounding = "floor" | "round" | "ceil" | undefined;
type Ptr = Deno.PointerValue;

/** Pointer to a tensor's first byte in the wasm heap (taken after every allocation). */
function ptr(backend: BackendWasm, t: TensorInfo): Ptr {
  return Deno.UnsafePointer.of(heapF32(backend, t));
}

const isNHWC = (f: unknown) => f === undefined || f === "NHWC" || f === "channelsLast";
const unitDilation = (d: unknown) =>
  d === undefined || d === 1 || (Array.isArray(d) && d.every((v) => v === 1));

/** Per-call scratch bytes owned by a cached primitive (pooling workspace, recomputed output). */
const scratch = new Map<string, Uint8Array>();
function scratchPtr(key: string, bytes: number): Ptr {
  let buf = scratch.get(key);
  if (!buf || buf.byteLength < bytes) scratch.set(key, buf = new Uint8Array(Math.max(bytes, 4096)));
  return Deno.UnsafePointer.of(buf);
}

interface ConvGeom {
  n: number;
  h: number;
  w: number;
  ci: number;
  fh: number;
  fw: number;
  co: number;
  ho: number;
  wo: number;
  strides: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
  key: string;
}

function convGeom(
  xShape: number[],
  filterShape: number[],
  attrs: NamedAttrMap,
): ConvGeom {
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    false,
    "channelsLast",
  );
  const [n, h, w, ci] = xShape;
  const [fh, fw, , co] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  // oneDNN checks ho = (h + top + bottom - fh) / sh + 1 exactly: derive bottom/right from ho.
  const bottom = (ho - 1) * sh + fh - h - top;
  const right = (wo - 1) * sw + fw - w - left;
  return {
    n,
    h,
    w,
    ci,
    fh,
    fw,
    co,
    ho,
    wo,
    strides: dims([sh, sw]),
    padL: dims([top, left]),
    padR: dims([bottom, right]),
    key: `${xShape}|${filterShape}|${sh},${sw}|${top},${left},${bottom},${right}`,
  };
}

/**
 * Layouts oneDNN is given: filters `any` (it picks the blocked layout its jit / brgemm
 * convolutions need; reordered from/to the tfjs `[fh, fw, Ci, Co]` layout per call, a small
 * copy), activations `nhwc` as tfjs holds them (`any` there would add two large copies per call;
 * it measured no faster).
 */
const FILTER_TAG: number = DNNL.tag.any;
const ACT_TAG: number = DNNL.tag.nhwc;

function convMds(dnn: OneDnn, g: ConvGeom) {
  const src = [g.n, g.ci, g.h, g.w], wei = [g.co, g.ci, g.fh, g.fw], dst = [g.n, g.co, g.ho, g.wo];
  return {
    src: dnn.md(src, ACT_TAG),
    wei: dnn.md(wei, FILTER_TAG),
    dst: dnn.md(dst, ACT_TAG),
    plain: (arg: { src: number; wei: number; dst: number }) =>
      new Map([
        [arg.src, dnn.md(src, DNNL.tag.nhwc)],
        [arg.wei, dnn.md(wei, DNNL.tag.hwio)],
        [arg.dst, dnn.md(dst, DNNL.tag.nhwc)],
      ]),
  };
}

/** Forward convolution primitive (optionally with bias and a ReLU post-op). */
function convForward(dnn: OneDnn, g: ConvGeom, bias: boolean, relu: boolean): Primitive {
  return dnn.primitive(`conv|${g.key}|${bias}|${relu}`, () => {
    const desc = new Uint8Array(DNNL.size.convDesc);
    const md = convMds(dnn, g);
    dnn.check(
      dnn.sym.dnnl_convolution_forward_desc_init(
        desc,
        DNNL.prop.forwardTraining,
        DNNL.alg.convDirect,
        md.src,
        md.wei,
        bias ? dnn.md([g.co], DNNL.tag.a) : dnn.none(),
        md.dst,
        g.strides,
        g.padL,
        g.padR,
      ),
      "convolution_forward_desc_init",
    );
    const { src, weights, dst } = DNNL.arg;
    return {
      desc,
      relu,
      args: bias ? [src, weights, DNNL.arg.bias, dst] : [src, weights, dst],
      plain: md.plain({ src, wei: weights, dst }),
    };
  });
}

function makeConv2D(dnn: OneDnn, fallback: Fallback, fused: boolean) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs;
    const bias = fused ? inputs.bias : undefined;
    const activation = fused ? (attrs.activation as string | undefined) ?? "linear" : "linear";
    if (
      !isNHWC(attrs.dataFormat) || !unitDilation(attrs.dilations) ||
      (activation !== "linear" && activation !== "relu") ||
      (bias && util.sizeFromShape(bias.shape) !== filter.shape[3]) ||
      x.dtype !== "float32"
    ) return fallback(args);
    const g = convGeom(x.shape, filter.shape, attrs);
    const prim = convForward(dnn, g, !!bias, activation === "relu");
    const out = backend.makeOutput([g.n, g.ho, g.wo, g.co], "float32");
    prim.run(
      bias
        ? [ptr(backend, x), ptr(backend, filter), ptr(backend, bias), ptr(backend, out)]
        : [ptr(backend, x), ptr(backend, filter), ptr(backend, out)],
    );
    return out;
  };
}

function makeConvBackpropInput(dnn: OneDnn, fallback: Fallback) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs;
    if (!isNHWC(attrs.dataFormat) || !unitDilation(attrs.dilations)) return fallback(args);
    const g = convGeom(attrs.inputShape as number[], filter.shape, attrs);
    const prim = dnn.primitive(`convBwdData|${g.key}`, () => {
      const desc = new Uint8Array(DNNL.size.convDesc);
      const md = convMds(dnn, g);
      dnn.check(
        dnn.sym.dnnl_convolution_backward_data_desc_init(
          desc,
          DNNL.alg.convDirect,
          md.src,
          md.wei,
          md.dst,
          g.strides,
          g.padL,
          g.padR,
        ),
        "convolution_backward_data_desc_init",
      );
      return {
        desc,
        hint: convForward(dnn, g, false, false),
        args: [DNNL.arg.diffDst, DNNL.arg.weights, DNNL.arg.diffSrc],
        plain: md.plain({ src: DNNL.arg.diffSrc, wei: DNNL.arg.weights, dst: DNNL.arg.diffDst }),
      };
    });
    const dx = backend.makeOutput([g.n, g.h, g.w, g.ci], "float32");
    prim.run([ptr(backend, dy), ptr(backend, filter), ptr(backend, dx)]);
    return dx;
  };
}

function makeConvBackpropFilter(dnn: OneDnn, fallback: Fallback) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs;
    if (!isNHWC(attrs.dataFormat) || !unitDilation(attrs.dilations)) return fallback(args);
    const g = convGeom(x.shape, attrs.filterShape as number[], attrs);
    const prim = dnn.primitive(`convBwdWeights|${g.key}`, () => {
      const desc = new Uint8Array(DNNL.size.convDesc);
      const md = convMds(dnn, g);
      dnn.check(
        dnn.sym.dnnl_convolution_backward_weights_desc_init(
          desc,
          DNNL.alg.convDirect,
          md.src,
          md.wei,
          dnn.none(),
          md.dst,
          g.strides,
          g.padL,
          g.padR,
        ),
        "convolution_backward_weights_desc_init",
      );
      return {
        desc,
        hint: convForward(dnn, g, false, false),
        args: [DNNL.arg.src, DNNL.arg.diffDst, DNNL.arg.diffWeights],
        plain: md.plain({ src: DNNL.arg.src, wei: DNNL.arg.diffWeights, dst: DNNL.arg.diffDst }),
      };
    });
    const dw = backend.makeOutput([g.fh, g.fw, g.ci, g.co], "float32");
    prim.run([ptr(backend, x), ptr(backend, dy), ptr(backend, dw)]);
    return dw;
  };
}

/** `[B, rows, cols]` descriptor of a (possibly transposed) batch of matrices. */
function matMd(
  dnn: OneDnn,
  batch: number,
  rows: number,
  cols: number,
  transposed: boolean,
): Uint8Array {
  return transposed
    ? dnn.mdStrides([batch, rows, cols], [rows * cols, 1, rows])
    : dnn.mdStrides([batch, rows, cols], [rows * cols, cols, 1]);
}

function makeMatMul(dnn: OneDnn, fallback: Fallback, fused: boolean) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const bias = fused ? inputs.bias : undefined;
    const activation = fused ? (attrs.activation as string | undefined) ?? "linear" : "linear";
    const ta = !!attrs.transposeA, tb = !!attrs.transposeB;
    const ra = a.shape.length, rb = b.shape.length;
    const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
    const ba = util.sizeFromShape(batchA), bb = util.sizeFromShape(batchB);
    const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
    const sameBatch = util.arraysEqual(batchA, batchB);
    if (
      a.dtype !== "float32" || b.dtype !== "float32" ||
      (activation !== "linear" && activation !== "relu") ||
      (bias && util.sizeFromShape(bias.shape) !== n) ||
      !(sameBatch || bb === 1 || ba === 1)
    ) return fallback(args);
    const batch = Math.max(ba, bb);
    const outBatch = sameBatch ? batchA : (ba >= bb ? batchA : batchB);
    const key = `mm|${ba},${bb},${m},${k},${n}|${ta},${tb}|${!!bias}|${activation}`;
    const prim = dnn.primitive(key, () => {
      const desc = new Uint8Array(DNNL.size.matmulDesc);
      dnn.check(
        dnn.sym.dnnl_matmul_desc_init(
          desc,
          matMd(dnn, ba, m, k, ta),
          matMd(dnn, bb, k, n, tb),
          bias ? dnn.md([1, 1, n], DNNL.tag.abc) : dnn.none(),
          dnn.md([batch, m, n], DNNL.tag.abc),
        ),
        "matmul_desc_init",
      );
      const { src, weights, dst } = DNNL.arg;
      return {
        desc,
        relu: activation === "relu",
        args: bias ? [src, weights, DNNL.arg.bias, dst] : [src, weights, dst],
      };
    });
    const out = backend.makeOutput([...outBatch, m, n], "float32");
    prim.run(
      bias
        ? [ptr(backend, a), ptr(backend, b), ptr(backend, bias), ptr(backend, out)]
        : [ptr(backend, a), ptr(backend, b), ptr(backend, out)],
    );
    return out;
  };
}

interface PoolGeom {
  src: number[];
  dst: number[];
  strides: BigInt64Array;
  kernel: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
  key: string;
}

function poolGeom(xShape: number[], attrs: NamedAttrMap): PoolGeom {
  const info = backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as "valid" | "same" | number,
    attrs.dimRoundingMode as Rounding,
  );
  const [n, h, w, c] = xShape;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { outHeight: ho, outWidth: wo } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const bottom = (ho - 1) * sh + fh - h - top;
  const right = (wo - 1) * sw + fw - w - left;
  return {
    src: [n, c, h, w],
    dst: [n, c, ho, wo],
    strides: dims([sh, sw]),
    kernel: dims([fh, fw]),
    padL: dims([top, left]),
    padR: dims([bottom, right]),
    key: `${xShape}|${fh},${fw}|${sh},${sw}|${top},${left},${bottom},${right}`,
  };
}

function poolForward(dnn: OneDnn, g: PoolGeom, alg: number, training: boolean): Primitive {
  return dnn.primitive(`pool|${alg}|${training}|${g.key}`, () => {
    const desc = new Uint8Array(DNNL.size.poolDesc);
    dnn.check(
      dnn.sym.dnnl_pooling_v2_forward_desc_init(
        desc,
        training ? DNNL.prop.forwardTraining : DNNL.prop.forwardInference,
        alg,
        dnn.md(g.src, DNNL.tag.nhwc),
        dnn.md(g.dst, DNNL.tag.nhwc),
        g.strides,
        g.kernel,
        dims([0, 0]),
        g.padL,
        g.padR,
      ),
      "pooling_forward_desc_init",
    );
    const ws = training && alg === DNNL.alg.poolMax;
    const { src, dst, workspace } = DNNL.arg;
    return { desc, args: ws ? [src, dst, workspace] : [src, dst] };
  });
}

function poolBackward(dnn: OneDnn, g: PoolGeom, alg: number): Primitive {
  return dnn.primitive(`poolBwd|${alg}|${g.key}`, () => {
    const desc = new Uint8Array(DNNL.size.poolDesc);
    dnn.check(
      dnn.sym.dnnl_pooling_v2_backward_desc_init(
        desc,
        alg,
        dnn.md(g.src, DNNL.tag.nhwc),
        dnn.md(g.dst, DNNL.tag.nhwc),
        g.strides,
        g.kernel,
        dims([0, 0]),
        g.padL,
        g.padR,
      ),
      "pooling_backward_desc_init",
    );
    const { diffDst, diffSrc, workspace } = DNNL.arg;
    return {
      desc,
      hint: poolForward(dnn, g, alg, true),
      args: alg === DNNL.alg.poolMax ? [diffDst, workspace, diffSrc] : [diffDst, diffSrc],
    };
  });
}

const nhwcShape = (nchw: number[]) => [nchw[0], nchw[2], nchw[3], nchw[1]];

function makePool(dnn: OneDnn, fallback: Fallback, alg: number) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype !== "float32" || x.shape.length !== 4) return fallback(args);
    const g = poolGeom(x.shape, attrs);
    const prim = poolForward(dnn, g, alg, false);
    const out = backend.makeOutput(nhwcShape(g.dst), "float32");
    prim.run([ptr(backend, x), ptr(backend, out)]);
    return out;
  };
}

function makeMaxPoolGrad(dnn: OneDnn) {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { dy, input } = inputs;
    const g = poolGeom(input.shape, attrs);
    // tfjs passes no argmax: recompute the forward pass with a workspace (first maximum of
    // each window, like the cpu backend), then route dy through it.
    const fwd = poolForward(dnn, g, DNNL.alg.poolMax, true);
    const bwd = poolBackward(dnn, g, DNNL.alg.poolMax);
    const dx = backend.makeOutput(input.shape, "float32");
    const ws = scratchPtr(`ws|${g.key}`, fwd.bytes[2]);
    fwd.run([ptr(backend, input), scratchPtr(`y|${g.key}`, fwd.bytes[1]), ws]);
    bwd.run([ptr(backend, dy), ws, ptr(backend, dx)]);
    return dx;
  };
}

function makeAvgPoolGrad(dnn: OneDnn) {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { dy, input } = inputs;
    const g = poolGeom(input.shape, attrs);
    // tfjs (cpu and wasm) averages over the in-bounds pixels forward but spreads dy over the whole
    // window backward (padding included); the native path keeps that, so every path trains alike.
    const bwd = poolBackward(dnn, g, DNNL.alg.poolAvgIncludePad);
    const dx = backend.makeOutput(input.shape, "float32");
    bwd.run([ptr(backend, dy), ptr(backend, dx)]);
    return dx;
  };
}

/** Names of the kernels {@link nativeKernels} serves. */
export const NATIVE_KERNEL_NAMES = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
  "BatchMatMul",
  "_FusedMatMul",
  "MaxPool",
  "MaxPoolGrad",
  "AvgPool",
  "AvgPoolGrad",
] as const;

/**
 * The oneDNN kernel configs for the `wasm` backend. `fallback(name)` is the kernel that serves
 * what oneDNN is not given (the engine's or the stock wasm kernel).
 */
export function nativeKernels(
  dnn: OneDnn,
  fallback: (name: string) => KernelFunc,
): KernelConfig[] {
  const fb = (name: string): Fallback => {
    const f = fallback(name) as unknown as Fallback;
    return (args) => f(args);
  };
  const funcs: Record<(typeof NATIVE_KERNEL_NAMES)[number], (a: KernelArgs) => TensorInfo> = {
    Conv2D: makeConv2D(dnn, fb("Conv2D"), false),
    FusedConv2D: makeConv2D(dnn, fb("FusedConv2D"), true),
    Conv2DBackpropInput: makeConvBackpropInput(dnn, fb("Conv2DBackpropInput")),
    Conv2DBackpropFilter: makeConvBackpropFilter(dnn, fb("Conv2DBackpropFilter")),
    BatchMatMul: makeMatMul(dnn, fb("BatchMatMul"), false),
    _FusedMatMul: makeMatMul(dnn, fb("_FusedMatMul"), true),
    MaxPool: makePool(dnn, fb("MaxPool"), DNNL.alg.poolMax),
    MaxPoolGrad: makeMaxPoolGrad(dnn),
    AvgPool: makePool(dnn, fb("AvgPool"), DNNL.alg.poolAvgExcludePad),
    AvgPoolGrad: makeAvgPoolGrad(dnn),
  };
  return NATIVE_KERNEL_NAMES.map((kernelName) => ({
    kernelName,
    backendName: "wasm",
    kernelFunc: funcs[kernelName] as unknown as KernelFunc,
  }));
}

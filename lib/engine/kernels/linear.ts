/**
 * Matrix-shaped kernels for the tfjs `wasm` backend that keep XNNPACK on its fast path:
 *
 * - `BatchMatMul` with a transposed operand: the stock kernel leaves XNNPACK's fast path; here
 *   the operand is transposed once and the plain product is taken.
 * - `Sum` / `Mean` over the leading axes (bias and BatchNorm gradients): the stock kernel
 *   transposes the input, then reduces; here it is one pass over `x` viewed as `[M, C]` rows on
 *   the wasm heap. (Not a matrix product with a ones row: the stock XNNPACK matmul caches its
 *   operator by the right operand's data id and aborts when one tensor is seen with two shapes.)
 */
import {
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32, release, runStock, transpose } from "./wasm_ops.ts";

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function batchMatMul({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) return runStock(backend, "BatchMatMul", inputs, attrs);
  const temps: TensorInfo[] = [];
  let a2 = a, b2 = b;
  if (transposeA) temps.push(a2 = transpose(backend, a, swapLastTwo(a.shape.length)));
  if (transposeB) temps.push(b2 = transpose(backend, b, swapLastTwo(b.shape.length)));
  const out = runStock(backend, "BatchMatMul", { a: a2, b: b2 }, {
    transposeA: false,
    transposeB: false,
  });
  release(backend, ...temps);
  return out;
}

/** The number of leading axes `axes` covers when it is exactly `0..k-1` (k < rank), else 0. */
function leadingAxes(axis: number | number[], shape: number[]): number {
  const axes = util.parseAxisParam(axis, shape).sort((p, q) => p - q);
  if (axes.length === 0 || axes.length >= shape.length) return 0;
  return axes.every((ax, i) => ax === i) ? axes.length : 0;
}

function reduceLeading(kernel: "Sum" | "Mean") {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { x } = inputs;
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const k = x.dtype === "float32" ? leadingAxes(axis, x.shape) : 0;
    if (k === 0) return runStock(backend, kernel, inputs, attrs);
    const m = util.sizeFromShape(x.shape.slice(0, k));
    const rest = x.shape.slice(k);
    const c = util.sizeFromShape(rest);
    const out = backend.makeOutput(keepDims ? [...Array(k).fill(1), ...rest] : rest, "float32");
    const xv = heapF32(backend, x), ov = heapF32(backend, out);
    const acc = new Float64Array(c);
    for (let i = 0; i < m; i++) {
      const base = i * c;
      for (let j = 0; j < c; j++) acc[j] += xv[base + j];
    }
    const scale = kernel === "Mean" ? 1 / m : 1;
    for (let j = 0; j < c; j++) ov[j] = acc[j] * scale;
    return out;
  };
}

const asKernel = (f: (a: KernelArgs) => TensorInfo) => f as unknown as KernelFunc;

/** Kernel configs this module provides for the `wasm` backend. */
export const linearKernels: KernelConfig[] = [
  { kernelName: "BatchMatMul", backendName: "wasm", kernelFunc: asKernel(batchMatMul) },
  { kernelName: "Sum", backendName: "wasm", kernelFunc: asKernel(reduceLeading("Sum")) },
  { kernelName: "Mean", backendName: "wasm", kernelFunc: asKernel(reduceLeading("Mean")) },
];

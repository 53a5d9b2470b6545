/**
 * `Tile` for the tfjs `wasm` backend by block copies. The stock kernel computes a source index
 * per output element in C++; BatchNorm's gradient tiles `[1, 1, 1, C]` statistics up to the
 * activation shape `[N, H, W, C]` several times per layer and step, which made `Tile` the top
 * kernel (~40 %) of a BatchNorm CNN training step. Here the output is built in place, innermost
 * axis first: each row is copied `reps[i]` times with `copyWithin` (memmove) — a handful of large
 * copies for broadcasts. Cases that would need many small copies go to the stock kernel.
 */
import {
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32, runStock } from "./wasm_ops.ts";

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}

/** Above this many `copyWithin` calls the stock per-element kernel is used. */
const MAX_COPIES = 4096;

/** Number of block copies {@link tile} needs for `shape` tiled by `reps`. */
function tileCopies(shape: readonly number[], reps: readonly number[]): number {
  let copies = 0;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (reps[i] > 1) copies += util.sizeFromShape(shape.slice(0, i)) * reps[i];
  }
  return copies;
}

function tile({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x } = inputs;
  const reps = attrs.reps as number[];
  const shape = x.shape;
  if (
    x.dtype !== "float32" || reps.length !== shape.length ||
    tileCopies(shape, reps) > MAX_COPIES || util.sizeFromShape(shape) === 0
  ) {
    return runStock(backend, "Tile", inputs, attrs);
  }
  const outShape = shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, "float32");
  const o = heapF32(backend, out);
  o.set(heapF32(backend, x));
  // Invariant: axes > i are already tiled; the data is compact at the front of `o`.
  let inner = 1; // size of one element of axis i, axes after i tiled
  for (let i = shape.length - 1; i >= 0; i--) {
    const r = reps[i];
    const len = shape[i] * inner; // row length before tiling axis i
    if (r > 1) {
      const rows = util.sizeFromShape(shape.slice(0, i));
      for (let j = rows - 1; j >= 0; j--) {
        const src = j * len, dst = j * len * r;
        if (dst !== src) o.copyWithin(dst, src, src + len);
        for (let t = 1; t < r; t++) o.copyWithin(dst + t * len, dst, dst + len);
      }
    }
    inner = len * r;
  }
  return out;
}

/** Kernel configs this module provides for the `wasm` backend. */
export const tileKernels: KernelConfig[] = [
  { kernelName: "Tile", backendName: "wasm", kernelFunc: tile as unknown as KernelFunc },
];

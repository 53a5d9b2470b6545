/**
 * `MaxPoolGrad` for the tfjs `wasm` backend, computed on the wasm heap.
 *
 * The stock 4.22 kernel starts its running max at the smallest positive float instead of −∞
 * (windows whose values are all ≤ 0 get no gradient) and routes ties to the last maximum. This
 * one starts at −∞ and routes each window's gradient to its first maximum, like the `cpu`
 * backend and TensorFlow.
 */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32 } from "./wasm_ops.ts";

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}

function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as "valid" | "same" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: ch,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
    filterHeight,
    filterWidth,
  } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const dx = backend.makeOutput(input.shape, "float32");
  const xv = heapF32(backend, input), dyv = heapF32(backend, dy), dxv = heapF32(backend, dx);
  dxv.fill(0);
  const best = new Float32Array(ch);
  const bestAt = new Int32Array(ch);
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      const r0 = yr * strideHeight - top;
      const rs = Math.max(0, r0), re = Math.min(inHeight, r0 + filterHeight);
      for (let yc = 0; yc < outWidth; yc++) {
        const c0 = yc * strideWidth - left;
        const cs = Math.max(0, c0), ce = Math.min(inWidth, c0 + filterWidth);
        if (rs >= re || cs >= ce) continue;
        best.fill(-Infinity);
        bestAt.fill(-1);
        for (let r = rs; r < re; r++) {
          for (let c = cs; c < ce; c++) {
            const base = ((b * inHeight + r) * inWidth + c) * ch;
            for (let k = 0; k < ch; k++) {
              const v = xv[base + k];
              if (v > best[k] || bestAt[k] < 0) {
                best[k] = v;
                bestAt[k] = base + k;
              }
            }
          }
        }
        const yBase = ((b * outHeight + yr) * outWidth + yc) * ch;
        for (let k = 0; k < ch; k++) dxv[bestAt[k]] += dyv[yBase + k];
      }
    }
  }
  return dx;
}

/** Kernel configs this module provides for the `wasm` backend. */
export const poolGradKernels: KernelConfig[] = [
  {
    kernelName: "MaxPoolGrad",
    backendName: "wasm",
    kernelFunc: maxPoolGrad as unknown as KernelFunc,
  },
];

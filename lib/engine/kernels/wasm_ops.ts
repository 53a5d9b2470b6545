/**
 * Helpers for writing tfjs `wasm` kernels out of other `wasm` kernels: call the stock kernel
 * functions (captured before we override any), allocate outputs, read/write the wasm heap and
 * free temporaries.
 */
import { getKernel, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** Inputs of a kernel call, by name. */
export type KernelInputs = Record<string, TensorInfo>;

/** A kernel function as registered in the tfjs kernel registry. */
type StockKernelFunc = (
  args: { inputs: KernelInputs; backend: BackendWasm; attrs: NamedAttrMap },
) => TensorInfo | TensorInfo[];

const stock = new Map<string, StockKernelFunc>();

/**
 * Capture the stock `wasm` kernel `name` (call before overriding it). Returns false when the
 * kernel is not registered, so callers can fail clearly.
 */
export function captureStockKernel(name: string): boolean {
  if (stock.has(name)) return true;
  const k = getKernel(name, "wasm");
  if (!k) return false;
  stock.set(name, k.kernelFunc as unknown as StockKernelFunc);
  return true;
}

/** Run the stock `wasm` kernel `name`; the result is a fresh tensor info the caller owns. */
export function runStock(
  backend: BackendWasm,
  name: string,
  inputs: KernelInputs,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const f = stock.get(name);
  if (!f) throw new Error(`engine: stock wasm kernel ${name} was not captured before use`);
  const out = f({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`engine: kernel ${name} returned several outputs`);
  return out;
}

/** Free tensor infos created inside a kernel (reference-counted, like tfjs does). */
export function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** `Reshape` without copying (shares the data id, bumps its reference count). */
export function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return runStock(backend, "Reshape", { x }, { shape });
}

/** `Transpose` by the stock kernel. */
export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runStock(backend, "Transpose", { x }, { perm });
}

/** A float32 view of a tensor's bytes on the wasm heap (valid until the next allocation). */
export function heapF32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

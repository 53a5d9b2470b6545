/**
 * `Identity` and same-dtype `Cast` for the tfjs `wasm` backend without a copy. tfjs's engine
 * clones (runs `Identity` on) every tensor it saves for the backward pass, and the ReLU gradient
 * casts a float32 mask to float32; the stock wasm kernels copy the whole buffer each time
 * (about a tenth of a BatchNorm CNN training step). Here the output shares the input's data and
 * bumps its reference count, as the stock `Reshape` does and as the `cpu` backend's `Identity`
 * does. That is only sound while no kernel writes into an existing buffer: every kernel of ours
 * writes fresh outputs, and {@link FusedAdam} replaces its moments instead of updating them in
 * place. A dtype-changing `Cast`, and string tensors, go to the stock kernels.
 */
import { type KernelConfig, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { runStock } from "./wasm_ops.ts";

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}

/** A tensor info sharing `x`'s data (reference-counted). */
function share(backend: BackendWasm, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

function identity({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x } = inputs;
  if (x.dtype === "string") return runStock(backend, "Identity", inputs, attrs);
  return share(backend, x);
}

function cast({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x } = inputs;
  if (x.dtype === "string" || attrs.dtype !== x.dtype) {
    return runStock(backend, "Cast", inputs, attrs);
  }
  return share(backend, x);
}

/** The copy-free `Identity` and `Cast` kernel configs. */
export const aliasKernels: readonly KernelConfig[] = [
  { kernelName: "Identity", backendName: "wasm", kernelFunc: identity as never },
  { kernelName: "Cast", backendName: "wasm", kernelFunc: cast as never },
];

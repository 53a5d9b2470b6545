/** Registers the engine's `wasm` training kernels (once), replacing slow or wrong stock ones. */
import {
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from "@tensorflow/tfjs-core";
import { convGradKernels } from "./conv_grads.ts";
import { linearKernels } from "./linear.ts";
import { poolGradKernels } from "./pool_grads.ts";
import { captureStockKernel } from "./wasm_ops.ts";

/** Stock wasm kernels our kernels call (captured before any override). */
const STOCK_USED = [
  "Conv2D",
  "Conv2DBackpropInput",
  "BatchMatMul",
  "Sum",
  "Mean",
  "Transpose",
  "Reshape",
  "Reverse",
  "Slice",
  "PadV2",
];

/** Every kernel config the engine registers for `wasm`. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  ...convGradKernels,
  ...poolGradKernels,
  ...linearKernels,
];

let registered: string[] | null = null;

/**
 * Register the engine's wasm kernels; idempotent. Must run after `@tensorflow/tfjs-backend-wasm`
 * is imported (it registers the stock kernels). Returns the kernel names now served by us.
 */
export function registerWasmTrainingKernels(): string[] {
  if (registered) return registered;
  for (const name of STOCK_USED) {
    if (!captureStockKernel(name)) {
      throw new Error(
        `engine: stock wasm kernel ${name} is not registered; import @tensorflow/tfjs-backend-wasm ` +
          `4.22.0 before initialising the engine`,
      );
    }
  }
  for (const cfg of WASM_TRAINING_KERNELS) {
    if (getKernel(cfg.kernelName, "wasm")) unregisterKernel(cfg.kernelName, "wasm");
    registerKernel(cfg);
  }
  registered = WASM_TRAINING_KERNELS.map((c) => c.kernelName);
  return registered;
}

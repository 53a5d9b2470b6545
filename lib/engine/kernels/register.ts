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

/** Kernels the stock 4.22 wasm backend lacks entirely (training cannot run without them). */
export const MISSING_STOCK_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
];

/**
 * Which wasm kernels serve training: `engine` (all of ours) or `stock` (the stock kernels plus
 * only the {@link MISSING_STOCK_KERNELS}) — the latter exists to profile "before" vs "after".
 */
export type WasmKernelSet = "engine" | "stock";

let registered: string[] | null = null;
const stockConfigs = new Map<string, KernelConfig>();

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
    const old = getKernel(cfg.kernelName, "wasm");
    if (old) {
      stockConfigs.set(cfg.kernelName, old);
      unregisterKernel(cfg.kernelName, "wasm");
    }
    registerKernel(cfg);
  }
  registered = WASM_TRAINING_KERNELS.map((c) => c.kernelName);
  return registered;
}

/**
 * Switch the kernel set serving wasm training (after {@link registerWasmTrainingKernels}).
 * For profiling and benchmarks; the engine default is `engine`.
 */
export function useWasmKernelSet(set: WasmKernelSet): void {
  registerWasmTrainingKernels();
  for (const cfg of WASM_TRAINING_KERNELS) {
    const stockCfg = stockConfigs.get(cfg.kernelName);
    if (!stockCfg) continue; // missing in stock: ours serves both sets
    unregisterKernel(cfg.kernelName, "wasm");
    registerKernel(set === "stock" ? stockCfg : cfg);
  }
}
